//! Helpers: a hand-built set covering every rule type, set comparison, and workbooks built cell
//! by cell for the bad-input tests.

use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use parindex_core::set::{CriteriaSet, parse_set};
use rust_xlsxwriter::{Format, Workbook};

/// A small set with every rule type, allow_na, max_by_level, bonus, penalty and classes, and the
/// decimals 0.1, 1.25 and 33.333.
pub const SAMPLE: &str = r#"
format = 1
kind = "criteria-set"

[set]
code = "huyen-thu"
title = "Bộ chỉ số CCHC cấp huyện (thử)"
title_en = "District PAR Index (test)"
year = 2024
total = 100
levels = ["huyen", "xa"]

[[group]]
code = "huyen"
name = "UBND cấp huyện"
name_en = "District people's committees"

[[group]]
code = "xa"
name = "UBND cấp xã"

[scoring]
rank_basis = "points"
rank_method = "dense"
decimals = 3
rounding = "half_even"

[bonus]
max = 1.25
[penalty]
max = 0.1

[classes]
basis = "points"
[[classes.class]]
label = "Xuất sắc"
label_en = "Excellent"
min = 90
[[classes.class]]
label = "Tốt"
min = 80
min_inclusive = false
[[classes.class]]
label = "Khá"
min = 33.333
[[classes.class]]
label = "Yếu"
label_en = "Weak"
min = 0

[[node]]
code = "1"
title = "Công tác chỉ đạo, điều hành"
title_en = "Direction"
max = 33.333
max_by_level = { xa = 33.083 }

[[node]]
code = "1.1"
title = "Kế hoạch CCHC"
max = 10
max_by_level = { xa = 9.75 }

[[node]]
code = "1.1.1"
title = "Có kế hoạch \"CCHC\" năm"
max = 1.25
max_by_level = { xa = 1 }
allow_na = true
declared = "Có/không"
evidence = "Quyết định ban hành\nkế hoạch (bản chụp)"
rule = { type = "binary" }

[[node]]
code = "1.1.2"
title = "Ban hành kế hoạch kịp thời"
max = 3.75
rule = { type = "timeliness", on_time = 3.75, late = 1.5, missing = 0.1 }

[[node]]
code = "1.1.3"
title = "Mức độ hoàn thành kế hoạch"
max = 5
rule = { type = "bands", bands = [{ max = 50, points = 0 }, { min = 50, max = 90, max_inclusive = true, points = 2.5 }, { min = 90, min_inclusive = false, points = 5 }] }

[[node]]
code = "1.2"
title = "Tuyên truyền"
max = 23.333

[[node]]
code = "1.2.1"
title = "Tỷ lệ hồ sơ đúng hạn"
max = 10
rule = { type = "proportional", floor = 50, floor_inclusive = false, cap = 9.5 }

[[node]]
code = "1.2.2"
title = "Số tin bài tuyên truyền"
max = 13.333
rule = { type = "per_item", each = 0.1 }

[[node]]
code = "2"
title = "Chất lượng"
max = 36.667

[[node]]
code = "2.1"
title = "Đánh giá"
max = 16.667

[[node]]
code = "2.1.1"
title = "Mức độ thực hiện"
max = 6.667
rule = { type = "graded", levels = [{ key = "tot", label = "Tốt", share = 1 }, { key = "kha", label = "Khá", share = 0.5 }, { key = "chua", label = "Chưa đạt", share = 0 }] }

[[node]]
code = "2.1.2"
title = "Vi phạm"
max = 10
rule = { type = "deduction", kinds = [{ key = "nhe", label = "Nhẹ", share = 0.1 }, { key = "nang", label = "Nặng", share = 0.25 }] }

[[node]]
code = "2.2"
title = "Khảo sát"
max = 20

[[node]]
code = "2.2.1"
title = "Hài lòng của người dân"
max = 20
rule = { type = "survey", indicator = "sipas.overall", from = 50, to = 95 }

[[node]]
code = "3"
title = "Thẩm định"
max = 30

[[node]]
code = "3.1"
title = "Đánh giá của hội đồng"
max = 30

[[node]]
code = "3.1.1"
title = "Điểm thẩm định"
max = 30
rule = { type = "manual" }
"#;

pub fn sample() -> CriteriaSet {
    parse_set("sample.set.toml", SAMPLE)
        .unwrap_or_else(|p| panic!("sample set is invalid:\n{}", p.render(Locale::En)))
}

/// The set without what depends on where it was read from (`source` and the nodes' `line`).
pub fn plain(set: &CriteriaSet) -> CriteriaSet {
    let mut s = set.clone();
    s.source = String::new();
    for n in &mut s.nodes {
        n.line = 0;
    }
    s
}

pub fn assert_same(got: &CriteriaSet, want: &CriteriaSet) {
    let (g, w) = (plain(got), plain(want));
    if g != w {
        assert_eq!(
            format!(
                "{:#?}",
                (
                    &g.code,
                    &g.title,
                    &g.title_en,
                    g.year,
                    g.total,
                    &g.levels,
                    &g.groups,
                    &g.scoring,
                    g.bonus_max,
                    g.penalty_max,
                    &g.classes
                )
            ),
            format!(
                "{:#?}",
                (
                    &w.code,
                    &w.title,
                    &w.title_en,
                    w.year,
                    w.total,
                    &w.levels,
                    &w.groups,
                    &w.scoring,
                    w.bonus_max,
                    w.penalty_max,
                    &w.classes
                )
            )
        );
        assert_eq!(g.nodes, w.nodes);
        panic!("sets differ");
    }
}

pub fn read_ok(name: &str, bytes: &[u8]) -> CriteriaSet {
    parindex_report::read_set_xlsx(name, bytes)
        .unwrap_or_else(|p| panic!("import failed:\n{}", p.render(Locale::En)))
}

pub fn read_err(bytes: &[u8]) -> Problems {
    match parindex_report::read_set_xlsx("bad.xlsx", bytes) {
        Ok(_) => panic!("the workbook was accepted"),
        Err(p) => {
            assert!(!p.is_empty());
            p
        }
    }
}

/// The problem whose cell is `cell`, with its messages checked to be non-empty in both languages.
pub fn at_cell<'a>(problems: &'a Problems, cell: &str) -> &'a parindex_core::diag::Problem {
    let p = problems
        .iter()
        .find(|p| p.location.cell.as_deref() == Some(cell))
        .unwrap_or_else(|| {
            panic!(
                "no problem at {cell}; got:\n{}",
                problems.render(Locale::En)
            )
        });
    assert!(!p.vi.is_empty() && !p.en.is_empty());
    assert_eq!(p.location.file.as_deref(), Some("bad.xlsx"));
    p
}

/// A cell of a hand-built workbook.
#[derive(Clone, Debug, PartialEq)]
pub enum C {
    S(String),
    N(f64),
    E,
}

pub fn s(t: &str) -> C {
    if t.is_empty() {
        C::E
    } else {
        C::S(t.to_string())
    }
}

/// A workbook written cell by cell: the criteria sheet and the settings sheet.
#[derive(Clone)]
pub struct Book {
    pub table_name: String,
    pub settings_name: String,
    pub table: Vec<Vec<C>>,
    pub settings: Vec<Vec<C>>,
    /// (first_row, first_col, last_row, last_col), zero-based, on the criteria sheet.
    pub merges: Vec<(u32, u16, u32, u16)>,
}

pub const HEADERS: [&str; 10] = [
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

fn node(code: &str, title: &str, max: f64, rule: &str) -> Vec<C> {
    vec![
        s(code),
        s(title),
        C::N(max),
        C::E,
        C::E,
        s(rule),
        C::E,
        C::E,
        C::E,
        C::E,
    ]
}

impl Book {
    /// A small valid set, laid out as the export lays it out: title rows 1–2, header row 3,
    /// nodes from row 4 (1, 1.1, 1.1.1, 1.1.2, 2, 2.1, 2.1.1).
    pub fn valid() -> Book {
        let mut title = vec![s("Bộ chỉ số thử")];
        title.resize(10, C::E);
        let mut table = vec![
            title,
            vec![C::E; 10],
            HEADERS.iter().map(|h| s(h)).collect(),
        ];
        table.push(node("1", "Chỉ đạo", 2.0, ""));
        table.push(node("1.1", "Kế hoạch", 2.0, ""));
        table.push(node("1.1.1", "Có kế hoạch", 1.0, "{ type = \"binary\" }"));
        table.push(node(
            "1.1.2",
            "Kịp thời",
            1.0,
            "{ type = \"timeliness\", late = 0.5 }",
        ));
        table.push(node("2", "Thẩm định", 1.5, ""));
        table.push(node("2.1", "Hội đồng", 1.5, ""));
        table.push(node("2.1.1", "Điểm hội đồng", 1.5, "{ type = \"manual\" }"));
        let row = |cells: &[C]| cells.to_vec();
        let settings = vec![
            row(&[s("Cấu hình bộ chỉ số")]),
            row(&[]),
            row(&[
                s("Khóa"),
                s("Giá trị"),
                s("Giá trị 2"),
                s("Giá trị 3"),
                s("Giá trị 4"),
                s("Giải thích"),
            ]),
            row(&[s("set.code"), s("thu")]),
            row(&[s("set.title"), s("Bộ chỉ số thử")]),
            row(&[s("set.year"), C::N(2024.0)]),
            row(&[s("set.total"), C::N(3.5)]),
            row(&[s("set.levels"), s("so")]),
            row(&[s("scoring.rank_basis"), s("percent")]),
            row(&[]),
            row(&[s("# Nhóm"), s("Mã"), s("Tên")]),
            row(&[s("group"), s("so"), s("Sở, ban, ngành")]),
            row(&[s("class"), s("Đạt"), C::E, C::N(50.0), s("≥")]),
            row(&[s("class"), s("Chưa đạt"), C::E, C::N(0.0)]),
        ];
        Book {
            table_name: "Bộ tiêu chí".into(),
            settings_name: "Cấu hình".into(),
            table,
            settings,
            merges: vec![],
        }
    }

    pub fn set(&mut self, row: usize, col: usize, c: C) -> &mut Self {
        let r = &mut self.table[row];
        if r.len() <= col {
            r.resize(col + 1, C::E);
        }
        r[col] = c;
        self
    }

    pub fn remove_column(&mut self, col: usize) -> &mut Self {
        for r in &mut self.table {
            if r.len() > col {
                r.remove(col);
            }
        }
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut wb = Workbook::new();
        let plain = Format::new();
        for (name, rows, merges) in [
            (&self.table_name, &self.table, &self.merges),
            (&self.settings_name, &self.settings, &vec![]),
        ] {
            let ws = wb.add_worksheet();
            ws.set_name(name.as_str()).unwrap();
            for (r, cells) in rows.iter().enumerate() {
                for (c, cell) in cells.iter().enumerate() {
                    match cell {
                        C::S(t) => {
                            ws.write_string(r as u32, c as u16, t).unwrap();
                        }
                        C::N(n) => {
                            ws.write_number(r as u32, c as u16, *n).unwrap();
                        }
                        C::E => {}
                    }
                }
            }
            for &(r1, c1, r2, c2) in merges {
                let first = match rows.get(r1 as usize).and_then(|r| r.get(c1 as usize)) {
                    Some(C::S(t)) => t.clone(),
                    _ => String::new(),
                };
                ws.merge_range(r1, c1, r2, c2, &first, &plain).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    }
}
