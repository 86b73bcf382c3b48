//! The PDF score sheet and round report, read back as text with `pdftotext -layout`: unit names
//! with their diacritics, figures with decimal commas, the national motto, user text printed
//! verbatim (never read as typst markup), and the same bytes for the same data.

use parindex_core::analysis::lost::group_losses;
use parindex_core::engine::{UnitData, UnitInput, UnitScore, score_unit};
use parindex_core::locale::Locale;
use parindex_core::ranking::rank;
use parindex_core::rules::Score;
use parindex_core::set::{CriteriaSet, parse_set};
use parindex_core::text::nfc;
use parindex_report::pdf::{GroupReport, RoundReport, round_report_pdf, score_sheet_pdf};
use parindex_report::sheet_xlsx::{ScoreSheet, SheetLine};
use rust_decimal::Decimal;
use std::process::Command;
use std::str::FromStr;

fn so_2019() -> CriteriaSet {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sets/so-2019.set.toml");
    parse_set("so-2019.set.toml", &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// The Vĩnh Phúc 2019 departments as published: (name, direct, survey).
fn vinh_phuc() -> Vec<(String, Decimal, Decimal)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/vinhphuc-2019-departments.csv"
    );
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[1].to_string(), d(&r[3]), d(&r[4])))
        .collect()
}

fn parts_scores(set: &CriteriaSet) -> Vec<UnitScore> {
    vinh_phuc()
        .into_iter()
        .enumerate()
        .map(|(i, (name, direct, survey))| {
            let input = UnitInput {
                unit: format!("u{i:02}"),
                name,
                group: "so".into(),
                level: None,
                data: UnitData::Parts {
                    direct,
                    survey,
                    max: None,
                },
                bonus: Decimal::ZERO,
                penalty: Decimal::ZERO,
            };
            score_unit(set, &input).unwrap()
        })
        .collect()
}

fn report(set: &CriteriaSet, scores: &[UnitScore]) -> RoundReport {
    let results = rank(set, scores, &[]);
    RoundReport {
        province: "Vĩnh Phúc".into(),
        issuer: None,
        year: 2019,
        decision: Some("Quyết định số 1007/QĐ-UBND ngày 24/4/2020".into()),
        date: Some((2020, 4, 24)),
        decimals: results.decimals,
        groups: results
            .groups
            .into_iter()
            .map(|g| GroupReport::from_scores(set, g, scores))
            .collect(),
    }
}

/// The PDF's text as `pdftotext -layout` extracts it, in NFC. `None` (the test is skipped) only
/// when pdftotext is missing outside CI; in CI (`CI` set) a missing pdftotext fails the test.
fn pdf_text(name: &str, pdf: &[u8]) -> Option<String> {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    let dir = env!("CARGO_TARGET_TMPDIR");
    let path = format!("{dir}/{name}.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = match Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", &path, "-"])
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED {name}: pdftotext is not installed (apt-get install poppler-utils); \
                 in CI this test fails instead"
            );
            return None;
        }
        Err(e) => panic!("cannot run pdftotext (install poppler-utils): {e}"),
    };
    assert!(
        output.status.success(),
        "pdftotext failed on {path}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(nfc(&String::from_utf8(output.stdout).unwrap()))
}

/// The text with every run of spaces and line breaks made one space, for phrases that a table
/// cell or the page width may break.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_has(text: &str, needle: &str) {
    assert!(
        text.contains(needle) || flat(text).contains(needle),
        "{needle:?} not found in:\n{text}"
    );
}

#[test]
fn round_report_of_vinh_phuc_has_names_with_diacritics_and_decimal_commas() {
    let set = so_2019();
    let scores = parts_scores(&set);
    let pdf = round_report_pdf(&report(&set, &scores), Locale::Vi).unwrap();
    let Some(text) = pdf_text("report-vinh-phuc-2019", &pdf) else {
        return;
    };
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN",
        "TỈNH VĨNH PHÚC",
        "Vĩnh Phúc, ngày 24 tháng 4 năm 2020",
        "BÁO CÁO KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2019",
        "(Kèm theo Quyết định số 1007/QĐ-UBND ngày 24/4/2020)",
        "I. SỞ, BAN, NGÀNH",
        "Sở Lao động, Thương binh và Xã hội",
        "Thanh tra tỉnh",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "92,93",
        "84,90",
        "87,54",
        "59,25",
        "33,68",
    ] {
        assert_has(&text, needle);
    }
    // Every unit, with its total on the same line of the ranking table.
    for (name, direct, survey) in vinh_phuc() {
        let total = Locale::Vi.decimal(direct + survey, 2);
        assert!(
            text.lines()
                .any(|l| l.contains(name.as_str()) && l.contains(total.as_str())),
            "no line with {name} and {total}"
        );
    }
    // Classes: 3 units of 90 % or more are Xuất sắc, the other 14 Tốt (out of 17).
    let flat = flat(&text);
    assert!(flat.contains("Xuất sắc 3 17,6"), "{flat}");
    assert!(flat.contains("Tốt 14 82,4"), "{flat}");
    // No decimal point anywhere in a Vietnamese figure.
    assert!(!text.contains("92.93") && !text.contains("84.90"));
    // Published parts only: the report says why there is no loss analysis.
    assert_has(&text, "không kèm điểm từng tiêu chí");
}

#[test]
fn round_report_in_english_uses_decimal_points() {
    let set = so_2019();
    let scores = parts_scores(&set);
    let pdf = round_report_pdf(&report(&set, &scores), Locale::En).unwrap();
    let Some(text) = pdf_text("report-vinh-phuc-2019-en", &pdf) else {
        return;
    };
    for needle in [
        "SOCIALIST REPUBLIC OF VIET NAM",
        "Independence - Freedom - Happiness",
        "OF VĨNH PHÚC PROVINCE",
        "Departments, agencies and sectors",
        "Sở Lao động, Thương binh và Xã hội",
        "92.93",
        "Excellent",
    ] {
        assert_has(&text, needle);
    }
    assert!(!text.contains("92,93"));
}

/// Per-sub-criterion points for a few units: unit `i` gets half the maximum on every sub-criterion
/// `j` with `(i + j) % 4 == 0` and full marks elsewhere.
fn point_scores(set: &CriteriaSet, names: &[&str]) -> Vec<UnitScore> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let points = set
                .leaves()
                .iter()
                .enumerate()
                .map(|(j, &n)| {
                    let max = set.nodes[n].max;
                    Score::Points(if (i + j) % 4 == 0 { max / d("2") } else { max })
                })
                .collect();
            let input = UnitInput {
                unit: format!("p{i}"),
                name: name.to_string(),
                group: "so".into(),
                level: None,
                data: UnitData::Points(points),
                bonus: Decimal::ZERO,
                penalty: Decimal::ZERO,
            };
            score_unit(set, &input).unwrap()
        })
        .collect()
}

#[test]
fn round_report_shows_where_the_group_lost_most_and_prints_user_text_verbatim() {
    let set = so_2019();
    let tricky = r"Ban *Quản lý* #1 $KCN$ @x <y> \z _w_";
    let names = [
        "Sở Tài chính",
        "Thanh tra tỉnh",
        "Sở Lao động, Thương binh và Xã hội",
        tricky,
    ];
    let scores = point_scores(&set, &names);
    let mut rr = report(&set, &scores);
    rr.decision = None;
    rr.date = None;
    let group = &rr.groups[0];
    assert!(!group.area_losses.is_empty());
    let pdf = round_report_pdf(&rr, Locale::Vi).unwrap();
    let Some(text) = pdf_text("report-losses", &pdf) else {
        return;
    };
    assert_has(&text, tricky);
    assert_has(&text, "Vĩnh Phúc, ngày tháng năm");
    assert_has(&text, "Những lĩnh vực, tiêu chí mất nhiều điểm nhất");
    assert_has(&text, "Tỷ lệ điểm đạt được theo lĩnh vực");
    // The sub-criterion where most points were lost, by its code and the start of its title.
    let top = &group_losses(&set, &scores)[0];
    let start: String = top.title.chars().take(18).collect();
    assert!(
        text.lines()
            .any(|l| l.contains(top.code.as_str()) && l.contains(start.as_str())),
        "{} {start} not found in:\n{text}",
        top.code
    );
    assert!(!text.contains("không kèm điểm từng tiêu chí"));
}

fn sheet(set: &CriteriaSet) -> ScoreSheet {
    // Full self-assessed marks; the appraisers take 0,25 off the first sub-criterion.
    let lines = set
        .leaves()
        .iter()
        .enumerate()
        .map(|(j, &n)| {
            let node = &set.nodes[n];
            SheetLine {
                code: node.code.to_string(),
                self_points: Some(node.max),
                appraised: Some(if j == 0 {
                    node.max - d("0.25")
                } else {
                    node.max
                }),
                not_applicable: false,
                unit_note: if j == 0 {
                    r"KH số 12 #a *b* $c$ @d \e".into()
                } else {
                    String::new()
                },
                appraiser_note: if j == 0 {
                    "Ban hành chậm 5 ngày".into()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    ScoreSheet {
        year: 2019,
        unit_name: "Sở Lao động, Thương binh và Xã hội".into(),
        level: None,
        lines,
    }
}

#[test]
fn score_sheet_has_the_unit_its_notes_and_decimal_commas() {
    let set = so_2019();
    let pdf = score_sheet_pdf(&set, &sheet(&set), Locale::Vi).unwrap();
    let Some(text) = pdf_text("sheet-ldtbxh-2019", &pdf) else {
        return;
    };
    let first = &set.nodes[set.leaves()[0]];
    let first_appraised = Locale::Vi.decimal(first.max - d("0.25"), 2);
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ LAO ĐỘNG, THƯƠNG BINH VÀ XÃ HỘI",
        "BẢNG CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2019",
        "Sở Lao động, Thương binh và Xã hội",
        "Bộ chỉ số cải cách hành chính các sở, ban, ngành năm 2019",
        r"KH số 12 #a *b* $c$ @d \e",
        "Ban hành chậm 5 ngày",
        first_appraised.as_str(),
        "TỔNG ĐIỂM",
        "100,00",
        "99,75",
    ] {
        assert_has(&text, needle);
    }
    // The total line: maximum, self-assessed and appraised totals side by side.
    assert!(
        text.lines().any(|l| l.contains("TỔNG ĐIỂM")
            && l.contains("100,00 ")
            && l.trim_end().ends_with("99,75")),
        "{text}"
    );
    // Every area's title is in the sheet.
    for i in set.areas_indices() {
        let start: String = set.nodes[i].title.chars().take(20).collect();
        assert_has(&text, &start);
    }
}

#[test]
fn the_same_data_gives_the_same_bytes() {
    let set = so_2019();
    let scores = parts_scores(&set);
    let rr = report(&set, &scores);
    assert_eq!(
        round_report_pdf(&rr, Locale::Vi).unwrap(),
        round_report_pdf(&rr, Locale::Vi).unwrap()
    );
    let s = sheet(&set);
    assert_eq!(
        score_sheet_pdf(&set, &s, Locale::Vi).unwrap(),
        score_sheet_pdf(&set, &s, Locale::Vi).unwrap()
    );
}
