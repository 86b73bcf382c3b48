//! Bad workbooks are refused with every problem, each naming its sheet and cell, in both
//! languages; good but rearranged workbooks are accepted.

use crate::common::{Book, C, HEADERS, at_cell, read_err, read_ok, s};
use parindex_core::locale::Locale;

#[test]
fn hand_built_workbook_is_valid() {
    let set = read_ok("ok.xlsx", &Book::valid().bytes());
    assert_eq!(set.code, "thu");
    assert_eq!(set.nodes.len(), 7);
    assert_eq!(
        set.node("1.1.2")
            .unwrap()
            .rule
            .as_ref()
            .unwrap()
            .type_name(),
        "timeliness"
    );
}

#[test]
fn not_a_workbook() {
    let p = read_err(b"code,title\n1,Chi dao\n");
    assert_eq!(p.len(), 1);
    let p = &p.0[0];
    assert_eq!(p.location.file.as_deref(), Some("bad.xlsx"));
    assert!(p.vi.contains("không phải là bảng tính"), "{}", p.vi);
    assert!(p.en.contains("not a readable Excel workbook"), "{}", p.en);
    // A zip that is not a workbook either.
    let p = read_err(b"PK\x03\x04garbage");
    assert_eq!(p.len(), 1);
}

#[test]
fn missing_sheet_is_named() {
    let mut book = Book::valid();
    book.settings_name = "Sheet2".into();
    let p = read_err(&book.bytes());
    let text = p.render(Locale::Vi);
    assert!(text.contains("thiếu trang tính “Cấu hình”"), "{text}");
    assert!(text.contains("“Sheet2”"), "{text}");
    assert!(
        p.render(Locale::En)
            .contains("the sheet “Settings” (or “Cấu hình”) is missing")
    );
}

#[test]
fn missing_column_names_the_header_and_row() {
    let mut book = Book::valid();
    book.remove_column(2);
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!A3:I3");
    assert!(
        problem.vi.contains("thiếu cột “Điểm tối đa”"),
        "{}",
        problem.vi
    );
    assert!(problem.en.contains("“Max points”"), "{}", problem.en);
}

#[test]
fn renamed_column_names_the_cell() {
    let mut book = Book::valid();
    book.set(2, 2, s("Điểm max"));
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!C3");
    assert!(
        problem.vi.contains("“Điểm tối đa”") && problem.vi.contains("“Điểm max”"),
        "{}",
        problem.vi
    );
    assert!(problem.en.contains("renamed"), "{}", problem.en);
}

#[test]
fn merged_cells_in_the_table() {
    let mut book = Book::valid();
    book.merges.push((4, 1, 4, 2));
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!B5:C5");
    assert!(problem.vi.contains("ô gộp B5:C5"), "{}", problem.vi);
    assert!(problem.en.contains("merged cells B5:C5"), "{}", problem.en);
}

#[test]
fn merged_title_rows_are_fine() {
    let mut book = Book::valid();
    book.merges.push((0, 0, 0, 9));
    book.merges.push((1, 0, 1, 9));
    read_ok("ok.xlsx", &book.bytes());
}

#[test]
fn non_numeric_max() {
    let mut book = Book::valid();
    book.set(5, 2, s("abc"));
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!C6");
    assert_eq!(problem.location.node.as_deref(), Some("1.1.1"));
    assert!(
        problem.vi.contains("điểm tối đa phải là số") && problem.vi.contains("abc"),
        "{}",
        problem.vi
    );
    assert!(problem.en.contains("must be a number"), "{}", problem.en);
    // The sums over the unreadable maximum are not reported again.
    assert_eq!(p.len(), 1, "{}", p.render(Locale::En));
}

#[test]
fn rule_with_bad_toml() {
    let mut book = Book::valid();
    book.set(5, 5, s("{ type = \"binary\""));
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!F6");
    assert_eq!(problem.location.node.as_deref(), Some("1.1.1"));
    assert!(
        problem.vi.contains("không đúng cú pháp TOML"),
        "{}",
        problem.vi
    );
    assert!(problem.en.contains("not valid TOML"), "{}", problem.en);
    assert_eq!(p.len(), 1, "{}", p.render(Locale::En));
}

#[test]
fn unknown_rule_type() {
    let mut book = Book::valid();
    book.set(5, 5, s("{ type = \"lottery\" }"));
    let p = read_err(&book.bytes());
    let problem = at_cell(&p, "Bộ tiêu chí!F6");
    assert!(
        problem.en.contains("unknown rule type “lottery”"),
        "{}",
        problem.en
    );
    assert!(
        problem.vi.contains("không có loại quy tắc “lottery”"),
        "{}",
        problem.vi
    );
}

#[test]
fn rule_fields_are_checked_by_type() {
    let mut book = Book::valid();
    book.set(6, 5, s("{ type = \"timeliness\" }"));
    book.set(5, 5, s("{ type = \"binary\", points = 2 }"));
    book.set(9, 5, s("{ type = \"per_item\", each = 0.5, cap = 1 }"));
    let p = read_err(&book.bytes());
    assert!(
        at_cell(&p, "Bộ tiêu chí!F10").en.contains("cap"),
        "{}",
        p.render(Locale::En)
    );
    assert!(
        at_cell(&p, "Bộ tiêu chí!F7").en.contains("late"),
        "{}",
        p.render(Locale::En)
    );
    assert!(
        at_cell(&p, "Bộ tiêu chí!F6").en.contains("points"),
        "{}",
        p.render(Locale::En)
    );
}

#[test]
fn empty_and_malformed_codes() {
    let mut book = Book::valid();
    book.set(5, 0, C::E);
    book.set(6, 0, s("1..2"));
    let p = read_err(&book.bytes());
    assert!(
        at_cell(&p, "Bộ tiêu chí!A6").en.contains("no node code"),
        "{}",
        p.render(Locale::En)
    );
    let malformed = at_cell(&p, "Bộ tiêu chí!A7");
    assert!(
        malformed.vi.contains("“1..2”") && malformed.en.contains("not well formed"),
        "{}",
        malformed.en
    );
}

#[test]
fn validation_problems_land_on_their_cells() {
    let mut book = Book::valid();
    // 1.1's maximum no longer equals its children's sum; 2.1.1's rule is out of range.
    book.set(4, 2, C::N(3.0));
    book.set(9, 5, s("{ type = \"timeliness\", late = 2 }"));
    let p = read_err(&book.bytes());
    let sum = at_cell(&p, "Bộ tiêu chí!C5");
    assert_eq!(sum.location.node.as_deref(), Some("1.1"));
    assert!(sum.en.contains("differs from the sum"), "{}", sum.en);
    assert_eq!(sum.location.line, None);
    let rule = at_cell(&p, "Bộ tiêu chí!F10");
    assert_eq!(rule.location.node.as_deref(), Some("2.1.1"));
    // The area's sum is off too, on its own cell.
    at_cell(&p, "Bộ tiêu chí!C4");
    // A total that is not the sum of the areas is reported on the settings cell.
    let mut book = Book::valid();
    book.settings[6][1] = C::N(4.0);
    let p = read_err(&book.bytes());
    assert!(
        at_cell(&p, "Cấu hình!B7").en.contains("set.total = 4"),
        "{}",
        p.render(Locale::En)
    );
}

#[test]
fn all_problems_at_once() {
    let mut book = Book::valid();
    book.set(5, 2, s("abc"));
    book.set(6, 5, s("{ type = \"lottery\" }"));
    book.set(9, 0, s("x.1"));
    book.merges.push((8, 1, 8, 2));
    book.settings[8][1] = s("ranked");
    let p = read_err(&book.bytes());
    for cell in [
        "Bộ tiêu chí!C6",
        "Bộ tiêu chí!F7",
        "Bộ tiêu chí!A10",
        "Bộ tiêu chí!B9:C9",
        "Cấu hình!B9",
    ] {
        at_cell(&p, cell);
    }
}

#[test]
fn settings_problems_name_their_cells() {
    let mut book = Book::valid();
    book.settings[5][1] = s("năm nay");
    book.settings[8][0] = s("scoring.rank");
    book.settings.remove(6); // set.total
    let p = read_err(&book.bytes());
    assert!(
        at_cell(&p, "Cấu hình!B6").en.contains("set.year"),
        "{}",
        p.render(Locale::En)
    );
    assert!(
        at_cell(&p, "Cấu hình!A8")
            .en
            .contains("unknown key “scoring.rank”"),
        "{}",
        p.render(Locale::En)
    );
    assert!(
        at_cell(&p, "Cấu hình!A3").en.contains("set.total"),
        "{}",
        p.render(Locale::En)
    );
    assert_eq!(p.len(), 3, "{}", p.render(Locale::En));
}

#[test]
fn columns_in_any_order_and_english_headers() {
    let book = Book::valid();
    let mut shuffled = book.clone();
    let order = [5usize, 2, 0, 9, 1, 3, 8, 7, 6];
    for row in &mut shuffled.table {
        let old = row.clone();
        *row = order
            .iter()
            .map(|&i| old.get(i).cloned().unwrap_or(C::E))
            .collect();
    }
    let english = [
        "Rule",
        "Max points",
        "Code",
        "Criterion (EN)",
        "Criterion (VI)",
        "Declared data",
        "Max by level",
        "N/A allowed",
        "Evidence",
    ];
    shuffled.table[2] = english.iter().map(|h| s(h)).collect();
    shuffled.table_name = "Criteria".into();
    shuffled.settings_name = "Settings".into();
    shuffled.settings[2][0] = s("Key");
    let want = read_ok("a.xlsx", &book.bytes());
    let got = read_ok("a.xlsx", &shuffled.bytes());
    crate::common::assert_same(&got, &want);
    // The header row may also sit lower, under more title rows.
    let mut lower = book.clone();
    lower.table.insert(0, vec![s("Phụ lục")]);
    crate::common::assert_same(&read_ok("a.xlsx", &lower.bytes()), &want);
    assert_eq!(HEADERS.len(), 10);
}

#[test]
fn decimal_commas_and_text_numbers_are_read() {
    let mut book = Book::valid();
    book.set(9, 2, s("1,5"));
    book.set(7, 2, s("1.5"));
    book.set(3, 2, s("2.0"));
    // Codes typed as numbers, and with a trailing dot.
    book.set(3, 0, C::N(1.0));
    book.set(4, 0, C::N(1.1));
    book.set(7, 0, s("2."));
    let set = read_ok("ok.xlsx", &book.bytes());
    assert_eq!(set.node("2.1.1").unwrap().max.to_string(), "1.5");
}
