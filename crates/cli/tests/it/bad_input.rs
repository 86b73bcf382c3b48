//! Bad input: each case exits non-zero with a message naming the row and column (or cell), and
//! never panics (the support module fails any run whose output mentions a panic).

use crate::support::{parindex, set_path, write};

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    /// Fragments the Vietnamese message must contain (location and cause).
    expect: &'static [&'static str],
}

fn case(name: &'static str, text: &str, expect: &'static [&'static str]) -> Case {
    Case {
        name,
        bytes: text.as_bytes().to_vec(),
        expect,
    }
}

/// The set's 58 sub-criterion codes, for building declared-data headers.
fn codes() -> Vec<String> {
    let text = std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap();
    let set = parindex_core::set::parse_set("so", &text).unwrap();
    set.leaves()
        .iter()
        .map(|&i| set.nodes[i].code.to_string())
        .collect()
}

fn declared_file(edit: impl Fn(&str, usize) -> Option<String>) -> String {
    let codes = codes();
    let mut header = String::from("unit,group");
    let mut row = String::from("A,so");
    let text = std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap();
    let set = parindex_core::set::parse_set("so", &text).unwrap();
    for (pos, c) in codes.iter().enumerate() {
        header.push(',');
        header.push_str(c);
        row.push(',');
        let node = set.node(c).unwrap();
        // A neutral valid value per rule type, unless the case edits it.
        let value = edit(c, pos).unwrap_or_else(|| match node.rule.as_ref().unwrap().type_name() {
            "binary" => "có".into(),
            "timeliness" => "dung_han".into(),
            "bands" | "survey" => "95".into(),
            "proportional" => "9/10".into(),
            "per_item" => "1".into(),
            "graded" => match node.rule.as_ref().unwrap() {
                parindex_core::rules::Rule::Graded { levels } => levels[0].key.clone(),
                _ => unreachable!(),
            },
            "deduction" => "0".into(),
            _ => "0".into(),
        });
        row.push_str(&value);
    }
    format!("{header}\n{row}\n")
}

fn first_code_of(rule: &str) -> (String, usize) {
    let text = std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap();
    let set = parindex_core::set::parse_set("so", &text).unwrap();
    set.leaves()
        .iter()
        .enumerate()
        .find(|(_, i)| set.nodes[**i].rule.as_ref().unwrap().type_name() == rule)
        .map(|(pos, &i)| (set.nodes[i].code.to_string(), pos))
        .unwrap()
}

#[test]
fn a_good_declared_file_passes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.csv", declared_file(|_, _| None));
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &f,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn bad_scores_files_are_refused_with_their_place() {
    let (bands_code, _) = first_code_of("bands");
    let (manual_code, _) = first_code_of("manual");
    let bands_value = declared_file(|c, _| (c == bands_code).then(|| "120".into()));
    let manual_value = declared_file(|c, _| (c == manual_code).then(|| "-1".into()));
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("unit,group\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
    let latin1 = b"unit,group,direct,survey\nS\xf4,so,50,30\n".to_vec();
    let cases = vec![
        case(
            "unknown-code.csv",
            "unit,group,9.9.9\nA,so,1\n",
            &[
                "unknown-code.csv:1",
                "9.9.9",
                "không có tiêu chí thành phần",
            ],
        ),
        case(
            "unknown-column.csv",
            "unit,group,direct,colour\nA,so,1,red\n",
            &["colour", "không được nhận biết"],
        ),
        Case {
            name: "bands-domain.csv",
            bytes: bands_value.into_bytes(),
            expect: &[":2", "120 nằm ngoài khoảng"],
        },
        Case {
            name: "manual-negative.csv",
            bytes: manual_value.into_bytes(),
            expect: &[":2", "phải từ 0 đến"],
        },
        case(
            "negative-direct.csv",
            "unit,group,direct,survey\nA,so,-5,30\n",
            &[":2", "direct", "không được âm"],
        ),
        case(
            "over-max.csv",
            "unit,group,direct,survey\nA,so,80,30\n",
            &[":2", "vượt điểm tối đa 100"],
        ),
        case(
            "missing-group-column.csv",
            "unit,direct\nA,50\n",
            &[":1", "thiếu cột \"group\""],
        ),
        case(
            "empty-group.csv",
            "unit,group,direct\nA,,50\n",
            &[":2", "group", "thiếu nhóm"],
        ),
        case(
            "unknown-group.csv",
            "unit,group,direct\nA,xa,50\n",
            &[":2", "nhóm \"xa\" không có"],
        ),
        case("empty.csv", "", &["tệp trống"]),
        case(
            "header-only.csv",
            "unit,group,direct\n",
            &["không có dòng dữ liệu"],
        ),
        case(
            "ragged.csv",
            "unit,group,direct\nA,so\n",
            &[":2", "dòng có 2 cột, tiêu đề có 3"],
        ),
        case(
            "not-a-number.csv",
            "unit,group,direct\nA,so,năm mươi\n",
            &[":2", "direct", "không phải là số"],
        ),
        case(
            "duplicate.csv",
            "unit,group,direct\nA,so,50\nB,so,40\nA,so,45\n",
            &[":4", "bị trùng (đã có ở dòng 2)"],
        ),
        case(
            "mixed-modes.csv",
            &format!("unit,group,direct,{bands_code}\nA,so,50,90\n"),
            &["direct", "chỉ dùng khi"],
        ),
        case(
            "missing-codes.csv",
            &format!("unit,group,{bands_code}\nA,so,90\n"),
            &["thiếu cột của các tiêu chí thành phần"],
        ),
        Case {
            name: "utf16.csv",
            bytes: utf16,
            expect: &["UTF-16"],
        },
        Case {
            name: "latin1.csv",
            bytes: latin1,
            expect: &[":2", "không phải UTF-8"],
        },
        case(
            "result-column.csv",
            "unit,group,direct,total\nA,so,50,80\n",
            &["total", "là kết quả"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for c in &cases {
        let path = write(dir.path(), c.name, &c.bytes);
        let run = parindex(&[
            "results",
            "compute",
            "--set",
            &set_path("so-2019.set.toml"),
            "--scores",
            &path,
        ]);
        assert_eq!(run.code, 1, "{}: {}", c.name, run.stderr);
        assert!(
            run.stdout.is_empty(),
            "{}: nothing is printed on failure",
            c.name
        );
        assert!(
            run.stderr.contains(c.name),
            "{}: the file is named: {}",
            c.name,
            run.stderr
        );
        for fragment in c.expect {
            assert!(
                run.stderr.contains(fragment),
                "{}: expected {fragment:?} in {}",
                c.name,
                run.stderr
            );
        }
    }
}

#[test]
fn declared_value_errors_name_line_and_sub_criterion() {
    let (bands_code, _) = first_code_of("bands");
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.csv",
        declared_file(|c, _| (c == bands_code).then(|| "120".into())),
    );
    let run = parindex(&[
        "--locale",
        "en",
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &f,
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("d.csv:2"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("node {bands_code}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("120 is outside"), "{}", run.stderr);
}

#[test]
fn a_byte_order_mark_and_semicolons_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        "đơn vị;nhóm;điểm trực tiếp;điểm điều tra\nA;so;59,25;33,68\n".as_bytes(),
    );
    let f = write(dir.path(), "bom.csv", bytes);
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &f,
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(",92.93,"), "{}", run.stdout);
}

#[test]
fn bad_workbooks_name_the_sheet_and_cell() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.set.toml").display().to_string();
    let not_xlsx = write(dir.path(), "not.xlsx", "hello");
    let run = parindex(&["sets", "import", &not_xlsx, "--out", &out]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("not.xlsx"), "{}", run.stderr);

    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Khác").unwrap();
    let no_sheet = dir.path().join("no-sheet.xlsx");
    wb.save(&no_sheet).unwrap();
    let run = parindex(&[
        "sets",
        "import",
        &no_sheet.display().to_string(),
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Bộ tiêu chí"),
        "the missing sheet is named: {}",
        run.stderr
    );

    // A real export with a merge placed inside the table.
    let good = dir.path().join("good.xlsx").display().to_string();
    assert_eq!(
        parindex(&[
            "sets",
            "export",
            &set_path("so-2019.set.toml"),
            "--xlsx",
            &good
        ])
        .code,
        0
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Bộ tiêu chí").unwrap();
    let headers = [
        "STT",
        "Tiêu chí",
        "Điểm tối đa",
        "Số liệu kê khai",
        "Cách tính điểm",
        "Quy tắc",
        "Tài liệu kiểm chứng",
        "Không áp dụng được",
        "Điểm theo cấp",
        "Tiêu chí (EN)",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_string(3, 0, "1").unwrap();
    ws.merge_range(5, 1, 5, 2, "gộp", &rust_xlsxwriter::Format::new())
        .unwrap();
    let merged = dir.path().join("merged.xlsx");
    wb.save(&merged).unwrap();
    let run = parindex(&[
        "sets",
        "import",
        &merged.display().to_string(),
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("B6"),
        "the merged range is named: {}",
        run.stderr
    );
    assert!(
        !std::path::Path::new(&out).exists(),
        "nothing is written on failure"
    );
}

#[test]
fn missing_files_and_bad_flags() {
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        "/nonexistent/s.csv",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("/nonexistent/s.csv") && run.stderr.contains("không tìm thấy"),
        "{}",
        run.stderr
    );
    let run = parindex(&[
        "--locale",
        "fr",
        "sets",
        "show",
        &set_path("so-2019.set.toml"),
    ]);
    assert_eq!(run.code, 2);
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.csv", "unit,group,direct\nA,so,50\n");
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &f,
        "--format",
        "xlsx",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--out"), "{}", run.stderr);
}
