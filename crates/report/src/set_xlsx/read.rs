//! Import of a criteria-set workbook: every problem at once, each with its sheet and cell, in both
//! languages. The sheets are read into the text of a `*.set.toml` file whose every line remembers the
//! cell it came from; `parse_set` then checks the set exactly as it checks files, and its problems are
//! put back on the cells.

use super::{
    Col, EXCLUSIVE, INCLUSIVE, Key, SETTINGS_COLS, SETTINGS_KEY_HEADERS, SETTINGS_SHEET,
    TABLE_SHEET,
};
use crate::cells::{Value, a1, cell_ref, range_ref};
use crate::toml_text::{string, value};
use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::set::{Code, CriteriaSet, parse_set};
use parindex_core::text::fold;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

/// The rule types of the criteria-set format.
const RULE_TYPES: [&str; 9] = [
    "binary",
    "timeliness",
    "bands",
    "proportional",
    "per_item",
    "graded",
    "deduction",
    "survey",
    "manual",
];

/// How far down a sheet the header row is looked for.
const HEADER_SEARCH_ROWS: u32 = 30;

/// Reads a criteria set from a workbook written by [`super::write_set_xlsx`] (or edited from one).
/// `file_name` names the file in messages. Every problem is reported at once with its sheet and
/// cell (e.g. `Bộ tiêu chí!C12`) and, where it concerns a node, the node code.
pub fn read_set_xlsx(file_name: &str, bytes: &[u8]) -> Result<CriteriaSet, Problems> {
    let mut cx = Cx {
        file: file_name.to_string(),
        problems: Problems::default(),
    };
    let mut wb: Xlsx<_> = match open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(e) => {
            cx.problems.push(Problem::new(
                Location::file(file_name),
                format!("tệp không phải là bảng tính Excel (.xlsx) đọc được: {e}"),
                format!("the file is not a readable Excel workbook (.xlsx): {e}"),
            ));
            return Err(cx.problems);
        }
    };
    let names = wb.sheet_names();
    let table_name = cx.find_sheet(&names, TABLE_SHEET);
    let settings_name = cx.find_sheet(&names, SETTINGS_SHEET);
    let table = table_name.and_then(|n| cx.read_table(&mut wb, &n));
    let settings = settings_name.and_then(|n| cx.read_settings(&mut wb, &n));
    let (Some(table), Some(settings)) = (table, settings) else {
        return Err(cx.problems);
    };
    if !table.complete {
        return Err(cx.problems);
    }
    match cx.check(&table, &settings) {
        Some(set) if cx.problems.is_empty() => Ok(set),
        None if cx.problems.is_empty() => {
            // Not expected: every refusal of `parse_set` follows a problem reported on a cell.
            cx.problems.push(Problem::new(
                Location::file(file_name),
                "bảng tính không tạo được bộ chỉ số hợp lệ",
                "the workbook does not make a valid criteria set",
            ));
            Err(cx.problems)
        }
        _ => Err(cx.problems),
    }
}

/// The reading context: the file name and the problems found so far.
struct Cx {
    file: String,
    problems: Problems,
}

/// A problem message in both languages.
type Msg = (String, String);

/// One node row of the criteria table, as far as it could be read.
struct NodeRow {
    row: u32,
    code: Code,
    title: String,
    title_en: String,
    declared: String,
    evidence: String,
    /// `None` when the cell was missing or wrong (already reported).
    max: Option<Decimal>,
    max_by_level: Option<BTreeMap<String, Decimal>>,
    allow_na: bool,
    /// The rule as one line of TOML; `Err` when the cell was wrong (already reported).
    rule: Result<Option<String>, ()>,
}

struct Table {
    name: String,
    header_row: u32,
    cols: HashMap<Col, u32>,
    rows: Vec<NodeRow>,
    /// Every required column was found, so the set can be built.
    complete: bool,
}

struct GroupRow {
    row: u32,
    code: String,
    name: String,
    name_en: String,
}

struct ClassRow {
    row: u32,
    label: String,
    label_en: String,
    min: Decimal,
    min_inclusive: bool,
}

/// A settings value as it goes into the TOML text.
enum Setting {
    Text(String),
    Int(i64),
    Dec(Decimal),
    List(Vec<String>),
}

struct Settings {
    name: String,
    header_row: u32,
    key_col: u32,
    /// Scalar keys: their row and value; a key whose value was wrong is absent (already reported).
    values: HashMap<Key, Setting>,
    rows: HashMap<Key, u32>,
    groups: Vec<GroupRow>,
    classes: Vec<ClassRow>,
    /// Fields of `validate` whose problems would only repeat one already reported.
    placeholders: HashSet<&'static str>,
}

fn same(a: &str, b: &str) -> bool {
    fold(a.trim()) == fold(b.trim())
}

fn text_of(range: &Range<Data>, row: u32, col: u32) -> Value {
    Value::of(range.get_value((row, col)))
}

impl Cx {
    fn push(&mut self, cell: Option<String>, node: Option<&Code>, (vi, en): Msg) {
        let mut loc = Location::file(&self.file);
        if let Some(c) = cell {
            loc = loc.with_cell(c);
        }
        if let Some(n) = node {
            loc = loc.with_node(n.to_string());
        }
        self.problems.push(Problem::new(loc, vi, en));
    }

    fn find_sheet(&mut self, names: &[String], wanted: [&str; 2]) -> Option<String> {
        if let Some(n) = names.iter().find(|n| wanted.iter().any(|w| same(n, w))) {
            return Some(n.clone());
        }
        let have = names
            .iter()
            .map(|n| format!("“{n}”"))
            .collect::<Vec<_>>()
            .join(", ");
        self.push(
            None,
            None,
            (
                format!(
                    "thiếu trang tính “{}” (hoặc “{}”); tệp có các trang: {have}",
                    wanted[0], wanted[1]
                ),
                format!(
                    "the sheet “{}” (or “{}”) is missing; the workbook has: {have}",
                    wanted[1], wanted[0]
                ),
            ),
        );
        None
    }

    fn range(&mut self, wb: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Option<Range<Data>> {
        match wb.worksheet_range(sheet) {
            Ok(r) => Some(r),
            Err(e) => {
                self.push(
                    Some(format!("{sheet}!A1")),
                    None,
                    (
                        format!("không đọc được trang tính “{sheet}”: {e}"),
                        format!("cannot read the sheet “{sheet}”: {e}"),
                    ),
                );
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The criteria table.

    fn read_table(&mut self, wb: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Option<Table> {
        let range = self.range(wb, sheet)?;
        let (Some(start), Some(end)) = (range.start(), range.end()) else {
            self.push(
                Some(format!("{sheet}!A1")),
                None,
                (
                    format!("trang tính “{sheet}” trống"),
                    format!("the sheet “{sheet}” is empty"),
                ),
            );
            return None;
        };
        let matches = |v: &Value| -> Option<Col> {
            let Value::Text(t) = v else { return None };
            Col::ALL
                .into_iter()
                .find(|c| c.headers().iter().chain(c.aliases()).any(|h| same(h, t)))
        };
        // The header row: the row, near the top, where most cells are column headers.
        let mut best: Option<(u32, usize)> = None;
        for r in start.0..=end.0.min(start.0 + HEADER_SEARCH_ROWS) {
            let n = (start.1..=end.1)
                .filter(|&c| matches(&text_of(&range, r, c)).is_some())
                .count();
            if n >= 2 && best.is_none_or(|(_, m)| n > m) {
                best = Some((r, n));
            }
        }
        let Some((header_row, _)) = best else {
            let expected = Col::ALL
                .iter()
                .map(|c| format!("“{}”", c.headers()[0]))
                .collect::<Vec<_>>()
                .join(", ");
            let expected_en = Col::ALL
                .iter()
                .map(|c| format!("“{}”", c.headers()[1]))
                .collect::<Vec<_>>()
                .join(", ");
            self.push(
                Some(format!("{sheet}!A1")),
                None,
                (
                    format!("không tìm thấy dòng tên cột của bảng tiêu chí (cần các cột {expected})"),
                    format!("the criteria table's header row was not found (expected the columns {expected_en})"),
                ),
            );
            return None;
        };

        let mut cols: HashMap<Col, u32> = HashMap::new();
        let mut unknown: Vec<(u32, String)> = Vec::new();
        for c in start.1..=end.1 {
            let v = text_of(&range, header_row, c);
            match matches(&v) {
                Some(col) => {
                    if let Some(&first) = cols.get(&col) {
                        self.push(
                            Some(cell_ref(sheet, header_row, c)),
                            None,
                            (
                                format!(
                                    "cột “{}” có hai lần: {} và {}",
                                    col.headers()[0],
                                    a1(header_row, first),
                                    a1(header_row, c)
                                ),
                                format!(
                                    "the column “{}” appears twice: {} and {}",
                                    col.headers()[1],
                                    a1(header_row, first),
                                    a1(header_row, c)
                                ),
                            ),
                        );
                    } else {
                        cols.insert(col, c);
                    }
                }
                None => {
                    if let Value::Text(t) = v {
                        unknown.push((c, t));
                    }
                }
            }
        }
        let missing: Vec<Col> = Col::ALL
            .into_iter()
            .filter(|c| c.required() && !cols.contains_key(c))
            .collect();
        let last_col = end.1;
        for col in &missing {
            let [vi, en] = col.headers();
            let (cell, hint_vi, hint_en) = match (missing.len(), unknown.as_slice()) {
                (1, [(c, t)]) => (
                    cell_ref(sheet, header_row, *c),
                    format!(
                        "; ô {} ghi “{t}” — có phải cột này đã bị đổi tên?",
                        a1(header_row, *c)
                    ),
                    format!(
                        "; cell {} reads “{t}” — was the column renamed?",
                        a1(header_row, *c)
                    ),
                ),
                _ => (
                    range_ref(sheet, (header_row, start.1), (header_row, last_col)),
                    String::new(),
                    String::new(),
                ),
            };
            self.push(
                Some(cell),
                None,
                (
                    format!(
                        "thiếu cột “{vi}” (hoặc “{en}”) ở dòng tên cột {}{hint_vi}",
                        header_row + 1
                    ),
                    format!(
                        "the column “{en}” (or “{vi}”) is missing from the header row {}{hint_en}",
                        header_row + 1
                    ),
                ),
            );
        }

        // Merged cells are allowed only in the title rows above the header.
        if let Ok(merged) = wb.merge_cells_by_sheet_name(sheet) {
            let mut merged = merged;
            merged.sort();
            for m in merged.iter().filter(|m| m.end.0 >= header_row) {
                let r = range_ref(sheet, m.start, m.end);
                let short = format!("{}:{}", a1(m.start.0, m.start.1), a1(m.end.0, m.end.1));
                self.push(
                    Some(r),
                    None,
                    (
                        format!("ô gộp {short} nằm trong bảng tiêu chí; chỉ được gộp ô ở các dòng tiêu đề phía trên dòng tên cột — hãy bỏ gộp ô"),
                        format!("merged cells {short} lie inside the criteria table; only the title rows above the header may be merged — unmerge them"),
                    ),
                );
            }
        }

        let mut rows = Vec::new();
        // Without the code column no row can be placed; its absence is reported above.
        let last_row = if cols.contains_key(&Col::Code) {
            end.0
        } else {
            header_row
        };
        for r in header_row + 1..=last_row {
            let get = |col: Col| {
                cols.get(&col)
                    .map_or(Value::Empty, |&c| text_of(&range, r, c))
            };
            let data_cols = Col::ALL.into_iter().filter(|c| *c != Col::Describe);
            if data_cols.clone().all(|c| get(c).is_empty()) {
                continue;
            }
            if let Some(node) = self.read_node_row(sheet, r, &cols, &get) {
                rows.push(node);
            }
        }
        let complete = missing.is_empty();
        Some(Table {
            name: sheet.to_string(),
            header_row,
            cols,
            rows,
            complete,
        })
    }

    fn read_node_row(
        &mut self,
        sheet: &str,
        r: u32,
        cols: &HashMap<Col, u32>,
        get: &dyn Fn(Col) -> Value,
    ) -> Option<NodeRow> {
        let at = |col: Col| cols.get(&col).map(|&c| cell_ref(sheet, r, c));
        // The code decides which node the row is; without it the row cannot be placed.
        let code_value = get(Col::Code);
        let code_text = match &code_value {
            Value::Text(t) => t.strip_suffix('.').unwrap_or(t).trim().to_string(),
            Value::Number(d) => d.to_string(),
            Value::Empty => {
                self.push(
                    at(Col::Code),
                    None,
                    (
                        "thiếu mã tiêu chí (STT) ở dòng có nội dung; ghi mã dạng 1, 1.1 hoặc 1.1.4"
                            .into(),
                        "a row with content has no node code; write it as 1, 1.1 or 1.1.4".into(),
                    ),
                );
                return None;
            }
            other => {
                let (vi, en) = other.describe();
                self.push(
                    at(Col::Code),
                    None,
                    (
                        format!("mã tiêu chí là {vi}, không phải mã dạng 1.1.4"),
                        format!("the node code is {en}, not a code such as 1.1.4"),
                    ),
                );
                return None;
            }
        };
        let Some(code) = Code::parse(&code_text) else {
            self.push(
                at(Col::Code),
                None,
                (
                    format!("mã “{code_text}” không đúng dạng (ví dụ 1, 1.1, 1.1.4)"),
                    format!("code “{code_text}” is not well formed (e.g. 1, 1.1, 1.1.4)"),
                ),
            );
            return None;
        };
        let code_ref = Some(&code);

        let text = |this: &mut Cx, col: Col| -> String {
            let v = get(col);
            match v.text() {
                Some(t) => t,
                None => {
                    let (vi, en) = v.describe();
                    this.push(
                        at(col),
                        code_ref,
                        (
                            format!("cột “{}” cần chữ, ô đang chứa {vi}", col.headers()[0]),
                            format!(
                                "the column “{}” needs text; the cell holds {en}",
                                col.headers()[1]
                            ),
                        ),
                    );
                    String::new()
                }
            }
        };
        let title = text(self, Col::Title);
        let title_en = text(self, Col::TitleEn);
        let declared = text(self, Col::Declared);
        let evidence = text(self, Col::Evidence);

        let max_value = get(Col::Max);
        let max = match max_value.decimal() {
            Some(d) => Some(d),
            // A missing column is reported once, on the header row.
            None if !cols.contains_key(&Col::Max) => None,
            None => {
                let msg = if max_value.is_empty() {
                    (
                        "thiếu điểm tối đa".to_string(),
                        "the maximum is missing".to_string(),
                    )
                } else {
                    let (vi, en) = max_value.describe();
                    (
                        format!("điểm tối đa phải là số, không phải {vi}"),
                        format!("the maximum must be a number, not {en}"),
                    )
                };
                self.push(at(Col::Max), code_ref, msg);
                None
            }
        };

        let max_by_level = match read_levels(&get(Col::MaxByLevel)) {
            Ok(l) => Some(l),
            Err(msg) => {
                self.push(at(Col::MaxByLevel), code_ref, msg);
                None
            }
        };

        let na = get(Col::AllowNa);
        let allow_na = match yes_no(&na) {
            Some(b) => b,
            None => {
                let (vi, en) = na.describe();
                self.push(
                    at(Col::AllowNa),
                    code_ref,
                    (
                        format!("cột “Không áp dụng được” ghi x hoặc để trống, không phải {vi}"),
                        format!("the column “N/A allowed” takes x or nothing, not {en}"),
                    ),
                );
                false
            }
        };

        let rule = match get(Col::Rule) {
            Value::Empty => Ok(None),
            Value::Text(t) => match check_rule(&self.file, &t) {
                Ok(line) => Ok(Some(line)),
                Err(msg) => {
                    self.push(at(Col::Rule), code_ref, msg);
                    Err(())
                }
            },
            other => {
                let (vi, en) = other.describe();
                self.push(
                    at(Col::Rule),
                    code_ref,
                    (
                        format!(
                            "quy tắc phải là bảng TOML dạng {{ type = \"…\", … }}, không phải {vi}"
                        ),
                        format!(
                            "the rule must be a TOML inline table {{ type = \"…\", … }}, not {en}"
                        ),
                    ),
                );
                Err(())
            }
        };
        Some(NodeRow {
            row: r,
            code,
            title,
            title_en,
            declared,
            evidence,
            max,
            max_by_level,
            allow_na,
            rule,
        })
    }

    // -----------------------------------------------------------------------------------------
    // The settings sheet.

    fn read_settings(&mut self, wb: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Option<Settings> {
        let range = self.range(wb, sheet)?;
        let (Some(start), Some(end)) = (range.start(), range.end()) else {
            self.push(
                Some(format!("{sheet}!A1")),
                None,
                (
                    format!("trang tính “{sheet}” trống"),
                    format!("the sheet “{sheet}” is empty"),
                ),
            );
            return None;
        };
        let mut header = None;
        'find: for r in start.0..=end.0.min(start.0 + HEADER_SEARCH_ROWS) {
            for c in start.1..=end.1 {
                if let Value::Text(t) = text_of(&range, r, c)
                    && SETTINGS_KEY_HEADERS.iter().any(|h| same(h, &t))
                {
                    header = Some((r, c));
                    break 'find;
                }
            }
        }
        let Some((header_row, key_col)) = header else {
            self.push(
                Some(format!("{sheet}!A1")),
                None,
                (
                    format!(
                        "không tìm thấy dòng tên cột “{}” | “Giá trị” của trang “{sheet}”",
                        SETTINGS_KEY_HEADERS[0]
                    ),
                    format!(
                        "the header row “{}” | “Value” of the sheet “{sheet}” was not found",
                        SETTINGS_KEY_HEADERS[1]
                    ),
                ),
            );
            return None;
        };
        let mut s = Settings {
            name: sheet.to_string(),
            header_row,
            key_col,
            values: HashMap::new(),
            rows: HashMap::new(),
            groups: Vec::new(),
            classes: Vec::new(),
            placeholders: HashSet::new(),
        };
        let value_cols = SETTINGS_COLS - 2;
        for r in header_row + 1..=end.0 {
            let key_value = text_of(&range, r, key_col);
            let values: Vec<Value> = (1..=value_cols)
                .map(|i| text_of(&range, r, key_col + i))
                .collect();
            let key_text = match &key_value {
                Value::Empty => {
                    if values.iter().any(|v| !v.is_empty()) {
                        self.push(
                            Some(cell_ref(sheet, r, key_col)),
                            None,
                            (
                                "dòng có giá trị nhưng thiếu khóa".into(),
                                "the row has values but no key".into(),
                            ),
                        );
                    }
                    continue;
                }
                v => v.text().unwrap_or_default(),
            };
            if key_text.starts_with('#') {
                continue;
            }
            let Some(key) = Key::ALL.into_iter().find(|k| same(k.name(), &key_text)) else {
                let known = Key::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.push(
                    Some(cell_ref(sheet, r, key_col)),
                    None,
                    (
                        format!("khóa “{key_text}” không có; các khóa: {known}"),
                        format!("unknown key “{key_text}”; the keys are: {known}"),
                    ),
                );
                continue;
            };
            let cell = |i: u32| cell_ref(sheet, r, key_col + i);
            if !key.repeats()
                && let Some(first) = s.rows.get(&key)
            {
                self.push(
                    Some(cell_ref(sheet, r, key_col)),
                    None,
                    (
                        format!(
                            "khóa “{}” có hai lần (dòng {} và {})",
                            key.name(),
                            first + 1,
                            r + 1
                        ),
                        format!(
                            "the key “{}” appears twice (rows {} and {})",
                            key.name(),
                            first + 1,
                            r + 1
                        ),
                    ),
                );
                continue;
            }
            s.rows.entry(key).or_insert(r);
            match key {
                Key::Group => {
                    let [code, name, name_en] =
                        [0, 1, 2].map(|i| self.setting_text(&values[i], cell(i as u32 + 1)));
                    s.groups.push(GroupRow {
                        row: r,
                        code,
                        name,
                        name_en,
                    });
                }
                Key::Class => {
                    let [label, label_en] =
                        [0, 1].map(|i| self.setting_text(&values[i], cell(i as u32 + 1)));
                    let min = self.setting_decimal(
                        &values[2],
                        cell(3),
                        "ngưỡng tối thiểu",
                        "the threshold",
                    );
                    let min_inclusive = match &values[3] {
                        Value::Empty => Some(true),
                        Value::Text(t) if t == INCLUSIVE || t == ">=" || t == "=>" => Some(true),
                        Value::Text(t) if t == EXCLUSIVE => Some(false),
                        v => yes_no(v),
                    };
                    let min_inclusive = min_inclusive.unwrap_or_else(|| {
                        let (vi, en) = values[3].describe();
                        self.push(
                            Some(cell(4)),
                            None,
                            (
                                format!("so sánh ghi “{INCLUSIVE}” (từ ngưỡng trở lên) hoặc “{EXCLUSIVE}” (trên ngưỡng), không phải {vi}"),
                                format!("the comparison is “{INCLUSIVE}” (at or above) or “{EXCLUSIVE}” (above), not {en}"),
                            ),
                        );
                        true
                    });
                    match min {
                        Some(min) => s.classes.push(ClassRow {
                            row: r,
                            label,
                            label_en,
                            min,
                            min_inclusive,
                        }),
                        None => {
                            s.placeholders.insert("classes");
                        }
                    }
                }
                _ => {
                    if let Some(v) = self.setting(key, &values[0], cell(1)) {
                        s.values.insert(key, v);
                    }
                }
            }
        }
        for key in Key::ALL {
            if key.required() && !s.rows.contains_key(&key) {
                self.push(
                    Some(cell_ref(sheet, header_row, key_col)),
                    None,
                    (
                        format!(
                            "thiếu dòng khóa “{}” ({})",
                            key.name(),
                            key.explain(parindex_core::locale::Locale::Vi)
                        ),
                        format!(
                            "the key “{}” is missing ({})",
                            key.name(),
                            key.explain(parindex_core::locale::Locale::En)
                        ),
                    ),
                );
            }
        }
        for (key, field) in [
            (Key::Code, "set.code"),
            (Key::Year, "set.year"),
            (Key::Total, "set.total"),
            (Key::Levels, "set.levels"),
            (Key::Decimals, "scoring.decimals"),
            (Key::BonusMax, "bonus.max"),
            (Key::PenaltyMax, "penalty.max"),
        ] {
            if !s.values.contains_key(&key) && (key.required() || s.rows.contains_key(&key)) {
                s.placeholders.insert(field);
                if key == Key::Levels {
                    s.placeholders.insert("max_by_level");
                }
            }
        }
        Some(s)
    }

    fn setting_text(&mut self, v: &Value, cell: String) -> String {
        match v.text() {
            Some(t) => t,
            None => {
                let (vi, en) = v.describe();
                self.push(
                    Some(cell),
                    None,
                    (
                        format!("ô cần chữ, đang chứa {vi}"),
                        format!("the cell needs text; it holds {en}"),
                    ),
                );
                String::new()
            }
        }
    }

    fn setting_decimal(
        &mut self,
        v: &Value,
        cell: String,
        what_vi: &str,
        what_en: &str,
    ) -> Option<Decimal> {
        let d = v.decimal();
        if d.is_none() {
            let (vi, en) = v.describe();
            let msg = if v.is_empty() {
                (format!("thiếu {what_vi}"), format!("{what_en} is missing"))
            } else {
                (
                    format!("{what_vi} phải là số, không phải {vi}"),
                    format!("{what_en} must be a number, not {en}"),
                )
            };
            self.push(Some(cell), None, msg);
        }
        d
    }

    fn setting(&mut self, key: Key, v: &Value, cell: String) -> Option<Setting> {
        let name = key.name();
        match key {
            Key::Code | Key::Title | Key::TitleEn => {
                let t = self.setting_text(v, cell.clone());
                if t.is_empty() && key != Key::TitleEn {
                    self.push(
                        Some(cell),
                        None,
                        (format!("“{name}” đang trống"), format!("“{name}” is empty")),
                    );
                    return None;
                }
                Some(Setting::Text(t))
            }
            Key::Year | Key::Decimals => {
                let d = self.setting_decimal(v, cell.clone(), name, name)?;
                match d
                    .fract()
                    .is_zero()
                    .then(|| d.to_string().parse::<i64>().ok())
                    .flatten()
                {
                    Some(i) => Some(Setting::Int(i)),
                    None => {
                        self.push(
                            Some(cell),
                            None,
                            (
                                format!("“{name}” phải là số nguyên, không phải {d}"),
                                format!("“{name}” must be a whole number, not {d}"),
                            ),
                        );
                        None
                    }
                }
            }
            Key::Total | Key::BonusMax | Key::PenaltyMax => {
                self.setting_decimal(v, cell, name, name).map(Setting::Dec)
            }
            Key::Levels => {
                let t = self.setting_text(v, cell.clone());
                let levels: Vec<String> = t
                    .split([';', ',', '\n'])
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
                if levels.is_empty() {
                    self.push(
                        Some(cell),
                        None,
                        (
                            "cần ít nhất một cấp đơn vị, ví dụ “so” hoặc “huyen; xa”".into(),
                            "at least one unit level is needed, e.g. “so” or “huyen; xa”".into(),
                        ),
                    );
                    return None;
                }
                Some(Setting::List(levels))
            }
            Key::RankBasis | Key::RankMethod | Key::Rounding | Key::ClassesBasis => {
                let t = v.text().unwrap_or_default();
                match key.choices().iter().find(|c| same(c, &t)) {
                    Some(c) => Some(Setting::Text(c.to_string())),
                    None => {
                        let (vi, en) = v.describe();
                        let choices = key.choices().join(", ");
                        self.push(
                            Some(cell),
                            None,
                            (
                                format!("“{name}” nhận một trong: {choices}; không phải {vi}"),
                                format!("“{name}” takes one of: {choices}; not {en}"),
                            ),
                        );
                        None
                    }
                }
            }
            Key::Group | Key::Class => None,
        }
    }

    // -----------------------------------------------------------------------------------------
    // The set: TOML text with the cell of every line, checked by `parse_set`.

    fn check(&mut self, table: &Table, settings: &Settings) -> Option<CriteriaSet> {
        let sheet = &settings.name;
        let key_cell = |key: Key| {
            settings
                .rows
                .get(&key)
                .map(|&r| cell_ref(sheet, r, settings.key_col + 1))
        };
        let mut doc = Doc::default();
        doc.line("format = 1", None);
        doc.line("kind = \"criteria-set\"", None);
        doc.line("[set]", None);
        let scalar = |key: Key| settings.values.get(&key);
        let text_or = |key: Key, default: &str| match scalar(key) {
            Some(Setting::Text(t)) => string(t),
            _ => string(default),
        };
        doc.line(
            &format!("code = {}", text_or(Key::Code, "x")),
            key_cell(Key::Code),
        );
        doc.line(
            &format!("title = {}", text_or(Key::Title, "x")),
            key_cell(Key::Title),
        );
        if let Some(Setting::Text(t)) = scalar(Key::TitleEn) {
            doc.line(&format!("title_en = {}", string(t)), key_cell(Key::TitleEn));
        }
        let int_or = |key: Key, default: i64| match scalar(key) {
            Some(Setting::Int(i)) => *i,
            _ => default,
        };
        let dec_or = |key: Key, default: Decimal| match scalar(key) {
            Some(Setting::Dec(d)) => *d,
            _ => default,
        };
        doc.line(
            &format!("year = {}", int_or(Key::Year, 2000)),
            key_cell(Key::Year),
        );
        doc.line(
            &format!(
                "total = {}",
                string(&dec_or(Key::Total, Decimal::ONE).to_string())
            ),
            key_cell(Key::Total),
        );
        let levels = match scalar(Key::Levels) {
            Some(Setting::List(l)) => l.iter().map(|l| string(l)).collect::<Vec<_>>().join(", "),
            _ => string("x"),
        };
        doc.line(&format!("levels = [{levels}]"), key_cell(Key::Levels));
        for g in &settings.groups {
            let at = || Some(cell_ref(sheet, g.row, settings.key_col + 1));
            doc.line("[[group]]", at());
            doc.line(&format!("code = {}", string(&g.code)), at());
            doc.line(&format!("name = {}", string(&g.name)), at());
            if !g.name_en.is_empty() {
                doc.line(&format!("name_en = {}", string(&g.name_en)), at());
            }
        }
        doc.line("[scoring]", None);
        for (key, field) in [
            (Key::RankBasis, "rank_basis"),
            (Key::RankMethod, "rank_method"),
            (Key::Rounding, "rounding"),
        ] {
            if let Some(Setting::Text(t)) = scalar(key) {
                doc.line(&format!("{field} = {}", string(t)), key_cell(key));
            }
        }
        doc.line(
            &format!("decimals = {}", int_or(Key::Decimals, 2)),
            key_cell(Key::Decimals),
        );
        for (key, table_name) in [(Key::BonusMax, "bonus"), (Key::PenaltyMax, "penalty")] {
            if let Some(Setting::Dec(d)) = scalar(key) {
                doc.line(&format!("[{table_name}]"), key_cell(key));
                doc.line(&format!("max = {}", string(&d.to_string())), key_cell(key));
            }
        }
        doc.line("[classes]", key_cell(Key::ClassesBasis));
        if let Some(Setting::Text(t)) = scalar(Key::ClassesBasis) {
            doc.line(
                &format!("basis = {}", string(t)),
                key_cell(Key::ClassesBasis),
            );
        }
        for c in &settings.classes {
            let at = || Some(cell_ref(sheet, c.row, settings.key_col + 3));
            doc.line("[[classes.class]]", at());
            doc.line(&format!("label = {}", string(&c.label)), at());
            if !c.label_en.is_empty() {
                doc.line(&format!("label_en = {}", string(&c.label_en)), at());
            }
            doc.line(&format!("min = {}", string(&c.min.to_string())), at());
            doc.line(&format!("min_inclusive = {}", c.min_inclusive), at());
        }

        // Nodes whose maximum could not be read: the sums over them are unknown, so the sum checks
        // of their ancestors would only repeat the problem.
        let mut unsure: HashSet<String> = HashSet::new();
        let t = &table.name;
        for n in &table.rows {
            let at = |col: Col| table.cols.get(&col).map(|&c| cell_ref(t, n.row, c));
            if n.max.is_none() || n.max_by_level.is_none() {
                unsure.insert(n.code.to_string());
            }
            doc.line("[[node]]", at(Col::Code));
            doc.line(
                &format!("code = {}", string(&n.code.to_string())),
                at(Col::Code),
            );
            doc.line(&format!("title = {}", string(&n.title)), at(Col::Title));
            for (field, text, col) in [
                ("title_en", &n.title_en, Col::TitleEn),
                ("declared", &n.declared, Col::Declared),
                ("evidence", &n.evidence, Col::Evidence),
            ] {
                if !text.is_empty() {
                    doc.line(&format!("{field} = {}", string(text)), at(col));
                }
            }
            doc.line(
                &format!(
                    "max = {}",
                    string(&n.max.unwrap_or(Decimal::ONE).to_string())
                ),
                at(Col::Max),
            );
            if let Some(levels) = n.max_by_level.as_ref().filter(|l| !l.is_empty()) {
                let body = levels
                    .iter()
                    .map(|(k, v)| {
                        format!("{} = {}", crate::toml_text::key(k), string(&v.to_string()))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                doc.line(&format!("max_by_level = {{ {body} }}"), at(Col::MaxByLevel));
            }
            if n.allow_na {
                doc.line("allow_na = true", at(Col::AllowNa));
            }
            match &n.rule {
                Ok(Some(rule)) => doc.line(&format!("rule = {rule}"), at(Col::Rule)),
                Ok(None) => {}
                // Stands in for a rule already reported, so that the rest is still checked.
                Err(()) => doc.line("rule = { type = \"manual\" }", at(Col::Rule)),
            }
        }

        let rows_by_code: HashMap<String, Vec<u32>> =
            table.rows.iter().fold(HashMap::new(), |mut m, n| {
                m.entry(n.code.to_string()).or_default().push(n.row);
                m
            });
        let node_cell = |code: &str, field: Option<&str>| -> Option<String> {
            let rows = rows_by_code.get(code)?;
            let col = match field.unwrap_or("code") {
                "code" => Col::Code,
                "title" => Col::Title,
                "max" => Col::Max,
                f if f.starts_with("max_by_level") => Col::MaxByLevel,
                f if f.starts_with("rule") => Col::Rule,
                _ => Col::Code,
            };
            let row = if field == Some("code") {
                *rows.last()?
            } else {
                rows[0]
            };
            table.cols.get(&col).map(|&c| cell_ref(t, row, c))
        };
        let settings_cell = |field: &str| -> Option<String> {
            let header = || Some(cell_ref(sheet, settings.header_row, settings.key_col));
            if let Some(i) = field
                .strip_prefix("classes[")
                .and_then(|f| f.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
            {
                return settings
                    .classes
                    .get(i)
                    .map(|c| cell_ref(sheet, c.row, settings.key_col + 3))
                    .or_else(header);
            }
            let key = match field {
                "node" => {
                    return Some(cell_ref(
                        t,
                        table.header_row,
                        table.cols.get(&Col::Code).copied().unwrap_or(0),
                    ));
                }
                "group" => {
                    return settings
                        .groups
                        .first()
                        .map(|g| cell_ref(sheet, g.row, settings.key_col + 1))
                        .or_else(header);
                }
                "classes" => {
                    return settings
                        .classes
                        .first()
                        .map(|c| cell_ref(sheet, c.row, settings.key_col + 1))
                        .or_else(|| key_cell(Key::ClassesBasis))
                        .or_else(header);
                }
                f => Key::ALL.into_iter().find(|k| k.name() == f),
            };
            key.and_then(key_cell).or_else(header)
        };

        match parse_set(&self.file, &doc.text) {
            Ok(mut set) => {
                for n in &mut set.nodes {
                    n.line = 0;
                }
                Some(set)
            }
            Err(found) => {
                for mut p in found.0 {
                    let line = p.location.line.take();
                    let field = p.location.field.clone();
                    let node = p.location.node.clone();
                    // Drop what repeats a problem already reported on a cell.
                    if let Some(f) = &field
                        && settings.placeholders.iter().any(|ph| f.starts_with(ph))
                    {
                        continue;
                    }
                    if let Some(code) = &node {
                        let f = field.as_deref().unwrap_or("");
                        let own = unsure.contains(code)
                            && (f == "max"
                                || f.starts_with("rule")
                                || f.starts_with("max_by_level"));
                        let above =
                            f == "max" && unsure.iter().any(|u| u.starts_with(&format!("{code}.")));
                        if own || above {
                            continue;
                        }
                    } else if field.as_deref() == Some("set.total") && !unsure.is_empty() {
                        continue;
                    }
                    let cell = match (&node, &field) {
                        (Some(code), f) => node_cell(code, f.as_deref()),
                        (None, Some(f)) => settings_cell(f),
                        (None, None) => line.and_then(|l| doc.origin(l)),
                    };
                    p.location.cell = cell.or(p.location.cell);
                    if node.is_none() && field.is_none() {
                        // A file-level message of `parse_set`: say it of the workbook.
                        let tail =
                            p.en.strip_prefix("invalid TOML: ")
                                .unwrap_or(&p.en)
                                .to_string();
                        p = Problem::new(
                            *p.location,
                            format!("giá trị không hợp lệ: {tail}"),
                            format!("invalid value: {tail}"),
                        );
                    }
                    self.problems.push(p);
                }
                None
            }
        }
    }
}

/// TOML text built line by line, remembering the cell each line came from.
#[derive(Default)]
struct Doc {
    text: String,
    origins: Vec<Option<String>>,
}

impl Doc {
    fn line(&mut self, line: &str, origin: Option<String>) {
        self.text.push_str(line);
        self.text.push('\n');
        self.origins.push(origin);
    }
    /// The cell of a 1-based line.
    fn origin(&self, line: usize) -> Option<String> {
        self.origins.get(line.checked_sub(1)?).cloned().flatten()
    }
}

/// `x`, `có`, `yes`, `true`, `1` or TRUE; nothing, `không`, `no`, `false`, `0` or FALSE.
fn yes_no(v: &Value) -> Option<bool> {
    match v {
        Value::Empty => Some(false),
        Value::Bool(b) => Some(*b),
        Value::Number(d) if *d == Decimal::ONE => Some(true),
        Value::Number(d) if d.is_zero() => Some(false),
        Value::Text(t) => match fold(t).as_str() {
            "x" | "co" | "yes" | "y" | "true" | "1" => Some(true),
            "khong" | "no" | "n" | "false" | "0" | "-" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `huyen=1.5; xa=1` into a map.
fn read_levels(v: &Value) -> Result<BTreeMap<String, Decimal>, Msg> {
    let text = match v {
        Value::Empty => return Ok(BTreeMap::new()),
        Value::Text(t) => t,
        other => {
            let (vi, en) = other.describe();
            return Err((
                format!("điểm theo cấp ghi dạng huyen=1.5; xa=1, không phải {vi}"),
                format!("max by level reads huyen=1.5; xa=1, not {en}"),
            ));
        }
    };
    let mut out = BTreeMap::new();
    for part in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let parsed = part.split_once(['=', ':']).and_then(|(k, v)| {
            let k = k.trim();
            let d = parindex_core::num::parse_decimal(v)?;
            (!k.is_empty()).then(|| (k.to_string(), d))
        });
        let Some((k, d)) = parsed else {
            return Err((
                format!("“{part}” phải có dạng cấp=điểm, ví dụ huyen=1.5"),
                format!("“{part}” must read level=points, e.g. huyen=1.5"),
            ));
        };
        if out.insert(k.clone(), d).is_some() {
            return Err((
                format!("cấp “{k}” ghi hai lần"),
                format!("the level “{k}” is given twice"),
            ));
        }
    }
    Ok(out)
}

/// A minimal valid file around one rule, to let `parse_set` check the rule's fields alone.
const RULE_PROBE: &str = "[set]\ncode = \"x\"\ntitle = \"x\"\nyear = 2000\ntotal = 1\nlevels = [\"x\"]\n[classes]\n[[node]]\ncode = \"1\"\ntitle = \"x\"\nmax = 1\nrule = ";

/// Checks a rule cell: TOML syntax, an inline table, a known `type`, and fields the type takes.
/// Returns the rule as one line of TOML.
fn check_rule(file: &str, text: &str) -> Result<String, Msg> {
    let doc = format!("rule = {text}");
    let table = match toml::from_str::<toml::Table>(&doc) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.message().trim().to_string();
            let at = e
                .span()
                .and_then(|s| doc.get(..s.start))
                .map(|before| before.chars().count().saturating_sub(6))
                .filter(|&c| c > 0);
            let (at_vi, at_en) = at
                .map(|c| {
                    (
                        format!(" (ở ký tự thứ {c})"),
                        format!(" (at character {c})"),
                    )
                })
                .unwrap_or_default();
            return Err((
                format!("quy tắc không đúng cú pháp TOML{at_vi}: {msg}"),
                format!("the rule is not valid TOML{at_en}: {msg}"),
            ));
        }
    };
    let rule = match (table.len(), table.get("rule")) {
        (1, Some(toml::Value::Table(t))) => t,
        _ => {
            return Err((
                "quy tắc phải là một bảng TOML dạng { type = \"…\", … }".into(),
                "the rule must be one TOML inline table { type = \"…\", … }".into(),
            ));
        }
    };
    let types = RULE_TYPES.join(", ");
    match rule.get("type") {
        // `parse_set` reads types without parameters leniently; a stray field here is a mistake.
        Some(toml::Value::String(t))
            if matches!(t.as_str(), "binary" | "manual") && rule.len() > 1 =>
        {
            let extra = rule
                .keys()
                .filter(|k| *k != "type")
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err((
                format!("quy tắc “{t}” không có tham số; bỏ {extra}"),
                format!("the rule “{t}” takes no parameters; remove {extra}"),
            ));
        }
        Some(toml::Value::String(t)) if RULE_TYPES.contains(&t.as_str()) => {}
        Some(toml::Value::String(t)) => {
            return Err((
                format!("không có loại quy tắc “{t}”; các loại: {types}"),
                format!("unknown rule type “{t}”; the types are: {types}"),
            ));
        }
        Some(_) => {
            return Err((
                format!("type phải là chuỗi, một trong: {types}"),
                format!("type must be a string, one of: {types}"),
            ));
        }
        None => {
            return Err((
                format!("quy tắc thiếu type (một trong: {types})"),
                format!("the rule has no type (one of: {types})"),
            ));
        }
    }
    let line = value(&toml::Value::Table(rule.clone()));
    if let Err(found) = parse_set(file, &format!("{RULE_PROBE}{line}\n"))
        && let [p] = found.0.as_slice()
        && p.location.node.is_none()
        && p.location.field.is_none()
    {
        let tail = p.en.strip_prefix("invalid TOML: ").unwrap_or(&p.en);
        return Err((
            format!("quy tắc không hợp lệ: {tail}"),
            format!("the rule is not valid: {tail}"),
        ));
    }
    Ok(line)
}
