//! The ranking workbook and the per-unit score sheet: written, read back with calamine, compared
//! cell by cell; the ranking sheet also as a snapshot.

use calamine::{Data, Reader, Xlsx};
use parindex_core::engine::{UnitData, UnitInput, score_unit};
use parindex_core::locale::Locale;
use parindex_core::ranking::rank;
use parindex_core::set::{CriteriaSet, parse_set};
use parindex_report::results_xlsx::write_results_xlsx;
use parindex_report::sheet_xlsx::{ScoreSheet, SheetLine, write_sheet_xlsx};
use rust_decimal::Decimal;
use std::io::Cursor;
use std::str::FromStr;

fn so_2019() -> CriteriaSet {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sets/so-2019.set.toml");
    parse_set("so-2019.set.toml", &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn cells(bytes: Vec<u8>, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn vinh_phuc_results(set: &CriteriaSet) -> parindex_core::ranking::Results {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/vinhphuc-2019-departments.csv"
    );
    let mut reader = csv::Reader::from_path(path).unwrap();
    let scores: Vec<_> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| {
            let input = UnitInput {
                unit: r[1].to_string(),
                name: r[1].to_string(),
                group: "so".into(),
                level: None,
                data: UnitData::Parts {
                    direct: d(&r[3]),
                    survey: d(&r[4]),
                    max: None,
                },
                bonus: Decimal::ZERO,
                penalty: Decimal::ZERO,
            };
            score_unit(set, &input).unwrap()
        })
        .collect();
    rank(set, &scores, &[])
}

#[test]
fn ranking_workbook_reads_back_cell_for_cell() {
    let set = so_2019();
    let results = vinh_phuc_results(&set);
    let rows = cells(
        write_results_xlsx(
            &results,
            &set,
            Some("Quyết định số 1007/QĐ-UBND ngày 24/4/2020"),
            Locale::Vi,
        )
        .unwrap(),
        "Xếp hạng",
    );
    assert_eq!(rows[0][0], "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2019");
    assert_eq!(
        rows[2][0],
        "(Kèm theo Quyết định số 1007/QĐ-UBND ngày 24/4/2020)"
    );
    assert_eq!(
        rows[3],
        [
            "STT",
            "Đơn vị",
            "Tổng điểm",
            "Điểm trực tiếp",
            "Điểm điều tra XHH",
            "Chỉ số (%)",
            "Xếp hạng",
            "Xếp loại"
        ]
    );
    assert_eq!(rows[4][0], "Sở, ban, ngành");
    let units = &results.groups[0].units;
    for (i, u) in units.iter().enumerate() {
        let row = &rows[5 + i];
        assert_eq!(row[1], u.name);
        assert_eq!(d(&row[2]), u.total, "{}", u.name);
        assert_eq!(d(&row[3]), u.direct);
        assert_eq!(d(&row[4]), u.survey);
        assert_eq!(row[6], u.rank.to_string());
        assert_eq!(Some(row[7].as_str()), u.class_label.as_deref());
    }
    let text: String = rows
        .iter()
        .map(|r| r.join(" | "))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("ranking_vinh_phuc_2019", text);
}

#[test]
fn score_sheet_has_subtotals_and_the_total() {
    let set = so_2019();
    let mut lines = Vec::new();
    for (n, &i) in set.leaves().iter().enumerate() {
        let node = &set.nodes[i];
        let max = node.max;
        let code = node.code.to_string();
        let na = node.allow_na && n % 2 == 0;
        lines.push(SheetLine {
            code: code.clone(),
            self_points: (!na).then_some(max),
            appraised: (!na && n % 5 == 0).then(|| max / Decimal::TWO),
            not_applicable: na,
            unit_note: if n == 0 {
                "Đã ban hành đúng hạn".into()
            } else {
                String::new()
            },
            appraiser_note: if n % 5 == 0 {
                "Chấm lại theo tài liệu kiểm chứng".into()
            } else {
                String::new()
            },
        });
    }
    let sheet = ScoreSheet {
        year: 2019,
        unit_name: "Sở Khoa học và Công nghệ".into(),
        level: None,
        lines: lines.clone(),
    };
    let rows = cells(
        write_sheet_xlsx(&set, &sheet, Locale::Vi).unwrap(),
        "Bảng chấm điểm",
    );
    assert_eq!(rows[1][0], "Sở Khoa học và Công nghệ");
    assert_eq!(
        rows[3][..5],
        [
            "STT",
            "Tiêu chí",
            "Điểm tối đa",
            "Điểm tự đánh giá",
            "Điểm thẩm định"
        ]
    );
    let total = rows.last().unwrap();
    assert_eq!(total[1], "TỔNG ĐIỂM");
    let na_max: Decimal = lines
        .iter()
        .filter(|l| l.not_applicable)
        .map(|l| set.node(&l.code).unwrap().max)
        .sum();
    let self_total: Decimal = lines.iter().filter_map(|l| l.self_points).sum();
    let appraised_total: Decimal = lines
        .iter()
        .filter(|l| !l.not_applicable)
        .map(|l| l.appraised.or(l.self_points).unwrap())
        .sum();
    assert_eq!(d(&total[2]), set.total - na_max);
    assert_eq!(d(&total[3]), self_total);
    assert_eq!(d(&total[4]), appraised_total);
    // Area 1's row carries the sum of its sub-criteria.
    let area1 = rows.iter().find(|r| r[0] == "1").unwrap();
    let area1_self: Decimal = lines
        .iter()
        .filter(|l| l.code.starts_with("1."))
        .filter_map(|l| l.self_points)
        .sum();
    assert_eq!(d(&area1[3]), area1_self);
    assert!(rows.iter().any(|r| r[2] == "Không áp dụng"));
}
