//! Survey workbooks: the rows of a response sheet (for batch import), and XLSForm — the form
//! standard of ODK and KoboToolbox — read into the text of a `*.survey.toml` questionnaire, with
//! every unsupported feature refused at its sheet, row and column.

use crate::cells::{a1, col_letter};
use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use parindex_core::diag::{Location, Problem, Problems};
use std::io::Cursor;

/// A sheet read as text: the header (row 1) and the data rows with their spreadsheet row numbers
/// (1-based, as Excel shows them). Empty rows are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRows {
    pub sheet: String,
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

fn open(file: &str, bytes: &[u8]) -> Result<Xlsx<Cursor<Vec<u8>>>, Problems> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| {
        Problems(vec![Problem::new(
            Location::file(file),
            format!("tệp không phải là bảng tính Excel (.xlsx) đọc được: {e}"),
            format!("the file is not a readable Excel workbook (.xlsx): {e}"),
        )])
    })
}

fn sheet_range(
    wb: &mut Xlsx<Cursor<Vec<u8>>>,
    file: &str,
    name: &str,
) -> Result<Range<Data>, Problems> {
    wb.worksheet_range(name).map_err(|e| {
        Problems(vec![Problem::new(
            Location::file(file).with_cell(format!("{name}!A1")),
            format!("không đọc được trang \"{name}\": {e}"),
            format!("cannot read the sheet \"{name}\": {e}"),
        )])
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A spreadsheet date-time serial (days since 1899-12-30) as RFC 3339 in Vietnam's time
/// (UTC+7): spreadsheets keep no time zone, and a survey's times are local.
fn serial_to_rfc3339(serial: f64) -> String {
    let ms = (serial * 86_400_000.0).round() as i64;
    let epoch_offset = days_from_civil(1899, 12, 30);
    let days = ms.div_euclid(86_400_000) + epoch_offset;
    let rem = ms.rem_euclid(86_400_000) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+07:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A cell as text: numbers without a trailing `.0`, dates as RFC 3339 (UTC+7).
pub(crate) fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => parindex_core::text::nfc(s.trim()),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => serial_to_rfc3339(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn rows_of(range: &Range<Data>) -> Vec<(usize, Vec<String>)> {
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let start_col = range.start().map_or(0, |(_, c)| c as usize);
    range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let mut cells: Vec<String> = vec![String::new(); start_col];
            cells.extend(row.iter().map(cell_text));
            (start_row + i + 1, cells)
        })
        .collect()
}

/// Reads the first sheet of a workbook: row 1 is the header. Trailing empty header cells are
/// dropped; data rows are padded or cut to the header's width only when the extra cells are
/// empty (otherwise they are kept, so the importer can name the line).
pub fn read_sheet_rows(file: &str, bytes: &[u8]) -> Result<SheetRows, Problems> {
    let mut wb = open(file, bytes)?;
    let Some(name) = wb.sheet_names().first().cloned() else {
        return Err(Problems(vec![Problem::new(
            Location::file(file),
            "bảng tính không có trang nào",
            "the workbook has no sheet",
        )]));
    };
    let range = sheet_range(&mut wb, file, &name)?;
    let mut rows = rows_of(&range).into_iter();
    let Some((1, mut header)) = rows.next() else {
        return Err(Problems(vec![Problem::new(
            Location::file(file).with_cell(format!("{name}!A1")),
            "trang đầu tiên phải có dòng tiêu đề ở dòng 1",
            "the first sheet must have its header in row 1",
        )]));
    };
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    let width = header.len();
    let rows = rows
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(n, mut cells)| {
            while cells.len() > width && cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            cells.resize(cells.len().max(width), String::new());
            (n, cells)
        })
        .collect();
    Ok(SheetRows {
        sheet: name,
        header,
        rows,
    })
}

// ---------------------------------------------------------------------------------------------
// XLSForm → questionnaire TOML
//
// The mapping (docs/survey.md, "XLSForm"):
// - settings: form_id → survey code, form_title → title; our extension columns form_title_en,
//   year_from (default: the survey's year), year_to, source; version is recorded in the source;
//   default_language says which language a plain `label` column is in (vi by default).
// - survey: `begin_group … end_group` around the items of each element, in element order; the
//   items are `select_one L` where list L's choices are exactly 1–5 (the SIPAS scale, satisfied
//   4–5). A group named `expectations` holds the expectation areas (`select_one` on one list of
//   options) and at most one `text` (the free text). A group named `profile`, or no group, holds
//   the respondent profile (`select_one` / `select_multiple`) and other questions (`text`,
//   `integer`, `decimal`, `date`, `note`).
// - columns: type, name, label, label::<language>, required (yes/no); choices: list_name, name,
//   label, label::<language>. Languages: Vietnamese and English.
// Everything else — another column with a value, another type, nested groups, repeats, a
// required expression, a third language, another sheet — is refused at its sheet, row and column.

use crate::toml_text::string as toml_str;
use parindex_core::questionnaire::parse_questionnaire;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Type,
    Name,
    Label(Option<Lang>),
    Required,
    ListName,
    Setting(&'static str),
    Unsupported(String),
}

/// One row of a sheet: its number and cells by column.
struct SheetRow {
    row: usize,
    cells: Vec<String>,
}

struct Sheet {
    name: String,
    columns: Vec<Column>,
    rows: Vec<SheetRow>,
}

impl Sheet {
    fn get(&self, r: &SheetRow, want: &Column) -> Option<(usize, String)> {
        self.columns
            .iter()
            .position(|c| c == want)
            .and_then(|i| r.cells.get(i).map(|v| (i, v.trim().to_string())))
            .filter(|(_, v)| !v.is_empty())
    }
    fn cell(&self, row: usize, col: usize) -> String {
        format!("{}!{}", self.name, a1((row - 1) as u32, col as u32))
    }
    fn col_of(&self, want: &Column) -> usize {
        self.columns.iter().position(|c| c == want).unwrap_or(0)
    }
    /// The label in each language; a plain `label` column is in `default`.
    fn labels(&self, r: &SheetRow, default: Lang) -> (Option<String>, Option<String>) {
        let mut vi = None;
        let mut en = None;
        for (i, c) in self.columns.iter().enumerate() {
            if let Column::Label(lang) = c {
                let v = r.cells.get(i).map(|v| v.trim()).unwrap_or("");
                if v.is_empty() {
                    continue;
                }
                match lang.unwrap_or(default) {
                    Lang::Vi => vi = Some(v.to_string()),
                    Lang::En => en = Some(v.to_string()),
                }
            }
        }
        (vi, en)
    }
}

struct Cx {
    file: String,
    problems: Problems,
}

impl Cx {
    fn at(&mut self, cell: String, field: &str, vi: String, en: String) {
        self.problems.push(Problem::new(
            Location::file(&self.file).with_cell(cell).with_field(field),
            vi,
            en,
        ));
    }
}

fn language(spec: &str) -> Option<Lang> {
    let s = spec.trim().to_lowercase();
    let code = s
        .rsplit_once('(')
        .map(|(_, c)| c.trim_end_matches(')').trim().to_string())
        .unwrap_or_else(|| s.clone());
    match code.as_str() {
        "vi" | "vietnamese" | "tiếng việt" | "vie" => Some(Lang::Vi),
        "en" | "english" | "tiếng anh" | "eng" => Some(Lang::En),
        _ => None,
    }
}

const SETTINGS: [&str; 8] = [
    "form_id",
    "form_title",
    "form_title_en",
    "version",
    "default_language",
    "year_from",
    "year_to",
    "source",
];

fn read_sheet(cx: &mut Cx, name: &str, range: &Range<Data>, kind: &str) -> Sheet {
    let mut all = rows_of(range).into_iter();
    let header = match all.next() {
        Some((1, h)) => h,
        _ => {
            cx.at(
                format!("{name}!A1"),
                "",
                format!("trang \"{name}\" phải có dòng tiêu đề ở dòng 1"),
                format!("the sheet \"{name}\" must have its header in row 1"),
            );
            Vec::new()
        }
    };
    let mut columns = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let low = h.trim().to_lowercase();
        let col = match (kind, low.as_str()) {
            (_, "") => Column::Unsupported(String::new()),
            ("survey", "type") => Column::Type,
            ("survey" | "choices", "name") => Column::Name,
            ("survey", "required") => Column::Required,
            ("choices", "list_name" | "list name") => Column::ListName,
            ("survey" | "choices", "label") => Column::Label(None),
            ("survey" | "choices", l) if l.starts_with("label::") => {
                match language(&l["label::".len()..]) {
                    Some(lang) => Column::Label(Some(lang)),
                    None => {
                        cx.at(
                            format!("{name}!{}1", col_letter(i as u32)),
                            h,
                            format!("cột \"{h}\": chỉ hỗ trợ nhãn tiếng Việt (vi) và tiếng Anh (en)"),
                            format!("column \"{h}\": only Vietnamese (vi) and English (en) labels are supported"),
                        );
                        Column::Unsupported(h.clone())
                    }
                }
            }
            ("settings", s) => match SETTINGS.iter().find(|x| **x == s) {
                Some(x) => Column::Setting(x),
                None => Column::Unsupported(h.clone()),
            },
            _ => Column::Unsupported(h.clone()),
        };
        columns.push(col);
    }
    let mut rows = Vec::new();
    for (row, cells) in all {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        for (i, v) in cells.iter().enumerate() {
            if v.trim().is_empty() {
                continue;
            }
            match columns.get(i) {
                Some(Column::Unsupported(h)) => {
                    let shown = if h.is_empty() {
                        col_letter(i as u32)
                    } else {
                        h.clone()
                    };
                    cx.at(
                        format!("{name}!{}", a1((row - 1) as u32, i as u32)),
                        &shown,
                        format!("cột \"{shown}\" của XLSForm chưa được hỗ trợ (ô có giá trị \"{v}\")"),
                        format!("the XLSForm column \"{shown}\" is not supported (the cell holds \"{v}\")"),
                    );
                }
                None => cx.at(
                    format!("{name}!{}", a1((row - 1) as u32, i as u32)),
                    &col_letter(i as u32),
                    format!("ô có giá trị \"{v}\" nằm ngoài các cột có tiêu đề"),
                    format!("the cell holds \"{v}\" but its column has no header"),
                ),
                _ => {}
            }
        }
        rows.push(SheetRow { row, cells });
    }
    Sheet {
        name: name.to_string(),
        columns,
        rows,
    }
}

#[derive(Debug, Clone)]
struct Choice {
    name: String,
    vi: Option<String>,
    en: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    Element,
    Expectations,
    Profile,
}

#[derive(Debug)]
struct Group {
    name: String,
    cell: String,
    kind: GroupKind,
    items: usize,
}

#[derive(Debug)]
enum Entry {
    Element {
        vi: String,
        en: Option<String>,
        cell: String,
    },
    Item {
        element: usize,
        vi: String,
        en: Option<String>,
        required: bool,
        list: String,
        cell: String,
    },
    Area {
        code: String,
        vi: String,
        en: Option<String>,
        list: String,
        cell: String,
    },
    FreeText {
        vi: String,
        en: Option<String>,
        cell: String,
    },
    Profile {
        code: String,
        vi: String,
        en: Option<String>,
        required: bool,
        multiple: bool,
        list: String,
        cell: String,
    },
    Other {
        code: String,
        kind: &'static str,
        vi: String,
        en: Option<String>,
        required: bool,
        cell: String,
    },
}

/// TOML text whose every line remembers the cell it came from, so the questionnaire checker's
/// problems can be put back on the workbook.
#[derive(Default)]
struct Out {
    text: String,
    cells: Vec<Option<String>>,
}

impl Out {
    fn line(&mut self, line: impl AsRef<str>, cell: Option<&str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
        self.cells.push(cell.map(str::to_string));
    }
    fn kv(&mut self, key: &str, value: &str, cell: Option<&str>) {
        self.line(format!("{key} = {}", toml_str(value)), cell);
    }
    fn opt(&mut self, key: &str, value: &Option<String>, cell: Option<&str>) {
        if let Some(v) = value {
            self.kv(key, v, cell);
        }
    }
}

fn is_scale(choices: &[Choice]) -> bool {
    let mut names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names == ["1", "2", "3", "4", "5"]
}

fn required_of(cx: &mut Cx, sheet: &Sheet, r: &SheetRow) -> bool {
    let Some((col, v)) = sheet.get(r, &Column::Required) else {
        return false;
    };
    match v.to_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" | "có" => true,
        "no" | "false" | "false()" | "0" | "không" => false,
        _ => {
            cx.at(
                sheet.cell(r.row, col),
                "required",
                format!("\"required\" phải là yes hoặc no; biểu thức \"{v}\" chưa được hỗ trợ"),
                format!("\"required\" must be yes or no; the expression \"{v}\" is not supported"),
            );
            false
        }
    }
}

/// Reads an XLSForm workbook (sheets `survey`, `choices`, `settings`) into the text of a
/// `*.survey.toml` questionnaire, checked with `parse_questionnaire`. `default_year` is the first
/// year of the form when the settings sheet gives no `year_from`. Every problem is reported at
/// once with its sheet, row and column.
pub fn xlsform_to_toml(file: &str, bytes: &[u8], default_year: i32) -> Result<String, Problems> {
    let mut wb = open(file, bytes)?;
    let mut cx = Cx {
        file: file.to_string(),
        problems: Problems::default(),
    };
    let mut survey = None;
    let mut choices = None;
    let mut settings = None;
    for name in wb.sheet_names() {
        let range = sheet_range(&mut wb, file, &name)?;
        match name.trim().to_lowercase().as_str() {
            "survey" => survey = Some(read_sheet(&mut cx, &name, &range, "survey")),
            "choices" => choices = Some(read_sheet(&mut cx, &name, &range, "choices")),
            "settings" => settings = Some(read_sheet(&mut cx, &name, &range, "settings")),
            _ if range.used_cells().any(|(_, _, d)| !cell_text(d).is_empty()) => cx.at(
                format!("{name}!A1"),
                "",
                format!("trang \"{name}\" không thuộc XLSForm được hỗ trợ (chỉ survey, choices, settings)"),
                format!("the sheet \"{name}\" is not supported (only survey, choices and settings)"),
            ),
            _ => {}
        }
    }
    let Some(survey) = survey else {
        cx.problems.push(Problem::new(
            Location::file(file),
            "thiếu trang \"survey\" của XLSForm",
            "the XLSForm sheet \"survey\" is missing",
        ));
        return Err(cx.problems);
    };

    // Settings (row 2).
    let mut set: HashMap<&'static str, (String, String)> = HashMap::new();
    if let Some(st) = &settings {
        if st.rows.len() > 1 {
            let r = &st.rows[1];
            cx.at(
                st.cell(r.row, 0),
                "",
                "trang settings chỉ có một dòng giá trị (dòng 2)".into(),
                "the settings sheet has one row of values (row 2)".into(),
            );
        }
        if let Some(r) = st.rows.first() {
            for (i, c) in st.columns.iter().enumerate() {
                if let (Column::Setting(k), Some(v)) = (c, r.cells.get(i))
                    && !v.trim().is_empty()
                {
                    set.insert(k, (v.trim().to_string(), st.cell(r.row, i)));
                }
            }
        }
    }
    let default = match set.get("default_language") {
        None => Lang::Vi,
        Some((v, cell)) => language(v).unwrap_or_else(|| {
            cx.at(
                cell.clone(),
                "default_language",
                format!("ngôn ngữ \"{v}\" chưa được hỗ trợ (vi hoặc en)"),
                format!("the language \"{v}\" is not supported (vi or en)"),
            );
            Lang::Vi
        }),
    };
    let code = set.get("form_id").cloned();
    let title = set.get("form_title").cloned();
    if code.is_none() || title.is_none() {
        cx.problems.push(Problem::new(
            Location::file(file).with_cell("settings!A2"),
            "trang settings phải có form_id (mã phiếu) và form_title (tên phiếu)",
            "the settings sheet needs form_id (the questionnaire code) and form_title",
        ));
    }
    let year_of = |cx: &mut Cx, key: &str| -> Option<i64> {
        let (v, cell) = set.get(key)?;
        match v.parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => {
                cx.at(
                    cell.clone(),
                    key,
                    format!("\"{v}\" không phải là năm"),
                    format!("\"{v}\" is not a year"),
                );
                None
            }
        }
    };
    let year_from = year_of(&mut cx, "year_from").unwrap_or(i64::from(default_year));
    let year_to = year_of(&mut cx, "year_to");

    // Choices by list.
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    if let Some(ch) = &choices {
        for r in &ch.rows {
            let list = ch.get(r, &Column::ListName);
            let name = ch.get(r, &Column::Name);
            let (vi, en) = ch.labels(r, default);
            let (Some((_, list)), Some((ncol, name))) = (list, name) else {
                cx.at(
                    ch.cell(r.row, 0),
                    "list_name",
                    "mỗi lựa chọn cần list_name và name".into(),
                    "every choice needs a list_name and a name".into(),
                );
                continue;
            };
            let entry = lists.entry(list.clone()).or_default();
            if entry.iter().any(|c| c.name == name) {
                cx.at(
                    ch.cell(r.row, ncol),
                    "name",
                    format!("lựa chọn \"{name}\" lặp lại trong danh sách \"{list}\""),
                    format!("choice \"{name}\" appears twice in list \"{list}\""),
                );
                continue;
            }
            entry.push(Choice { name, vi, en });
        }
    }

    // Survey rows.
    let mut group: Option<Group> = None;
    let mut entries: Vec<Entry> = Vec::new();
    let mut elements = 0usize;
    let type_col = survey.col_of(&Column::Type);
    for r in &survey.rows {
        let Some((tcol, ty)) = survey.get(r, &Column::Type) else {
            cx.at(
                survey.cell(r.row, type_col),
                "type",
                "dòng thiếu loại câu hỏi (type)".into(),
                "the row has no type".into(),
            );
            continue;
        };
        let tcell = survey.cell(r.row, tcol);
        let words: Vec<String> = ty.split_whitespace().map(str::to_lowercase).collect();
        let head = words.first().map(String::as_str).unwrap_or("");
        let two = words.get(1).map(String::as_str);
        let name = survey.get(r, &Column::Name).map(|(_, v)| v);
        let (vi, en) = survey.labels(r, default);
        let label = vi.clone().or_else(|| en.clone());
        let required = required_of(&mut cx, &survey, r);
        let kind_of_group = |n: &str| match n {
            "expectations" => GroupKind::Expectations,
            "profile" => GroupKind::Profile,
            _ => GroupKind::Element,
        };
        match (head, two) {
            ("begin_group", _) | ("begin", Some("group")) => {
                if let Some(g) = &group {
                    cx.at(
                        tcell,
                        "type",
                        format!("nhóm lồng trong nhóm \"{}\" chưa được hỗ trợ", g.name),
                        format!("groups inside groups (here in \"{}\") are not supported", g.name),
                    );
                    continue;
                }
                let n = name.clone().unwrap_or_default();
                let kind = kind_of_group(&n);
                if kind == GroupKind::Element {
                    elements += 1;
                    entries.push(Entry::Element {
                        vi: label.clone().unwrap_or_default(),
                        en: en.clone().filter(|_| vi.is_some()),
                        cell: tcell.clone(),
                    });
                }
                group = Some(Group {
                    name: n,
                    cell: tcell,
                    kind,
                    items: 0,
                });
            }
            ("end_group", _) | ("end", Some("group")) => match group.take() {
                Some(g) if g.kind == GroupKind::Element && g.items == 0 => cx.at(
                    g.cell,
                    "type",
                    format!(
                        "nhóm \"{}\" không có câu hỏi thang đo 1–5: mỗi nhóm là một yếu tố, hoặc có tên expectations hay profile",
                        g.name
                    ),
                    format!(
                        "group \"{}\" holds no 1–5 scale question: a group is an element, or is named expectations or profile",
                        g.name
                    ),
                ),
                Some(_) => {}
                None => cx.at(
                    tcell,
                    "type",
                    "end_group không có begin_group tương ứng".into(),
                    "end_group without a begin_group".into(),
                ),
            },
            ("begin_repeat" | "end_repeat", _) | ("begin" | "end", Some("repeat")) => cx.at(
                tcell,
                "type",
                "nhóm lặp (repeat) chưa được hỗ trợ".into(),
                "repeats are not supported".into(),
            ),
            ("select_one" | "select_multiple", _) => {
                let multiple = head == "select_multiple";
                let Some(list) = two.map(str::to_string) else {
                    cx.at(
                        tcell,
                        "type",
                        format!("\"{ty}\" thiếu tên danh sách lựa chọn"),
                        format!("\"{ty}\" names no choice list"),
                    );
                    continue;
                };
                if words.len() > 2 {
                    cx.at(
                        tcell,
                        "type",
                        format!("\"{ty}\": or_other và các phần thêm khác chưa được hỗ trợ"),
                        format!("\"{ty}\": or_other and other additions are not supported"),
                    );
                    continue;
                }
                let Some(opts) = lists.get(&list) else {
                    cx.at(
                        tcell,
                        "type",
                        format!("không có danh sách lựa chọn \"{list}\" trong trang choices"),
                        format!("there is no choice list \"{list}\" in the choices sheet"),
                    );
                    continue;
                };
                let (Some(code), Some(text)) = (name.clone(), label.clone()) else {
                    cx.at(
                        tcell,
                        "name",
                        "câu hỏi cần name và label".into(),
                        "a question needs a name and a label".into(),
                    );
                    continue;
                };
                let en = en.clone().filter(|_| vi.is_some());
                match group.as_mut().map(|g| g.kind) {
                    Some(GroupKind::Element) if !multiple && is_scale(opts) => {
                        if let Some(g) = group.as_mut() {
                            g.items += 1;
                        }
                        entries.push(Entry::Item {
                            element: elements,
                            vi: text,
                            en,
                            required,
                            list,
                            cell: tcell,
                        });
                    }
                    Some(GroupKind::Expectations) if !multiple => entries.push(Entry::Area {
                        code,
                        vi: text,
                        en,
                        list,
                        cell: tcell,
                    }),
                    Some(GroupKind::Expectations) => cx.at(
                        tcell,
                        "type",
                        "nhóm expectations chỉ nhận select_one và một câu text".into(),
                        "the expectations group takes select_one questions and one text".into(),
                    ),
                    _ => entries.push(Entry::Profile {
                        code,
                        vi: text,
                        en,
                        required,
                        multiple,
                        list,
                        cell: tcell,
                    }),
                }
            }
            ("integer" | "decimal" | "text" | "date" | "note", None) => {
                let (Some(code), Some(text)) = (name.clone(), label.clone()) else {
                    cx.at(
                        tcell,
                        "name",
                        "câu hỏi cần name và label".into(),
                        "a question needs a name and a label".into(),
                    );
                    continue;
                };
                let en = en.clone().filter(|_| vi.is_some());
                let in_expectations = group
                    .as_ref()
                    .is_some_and(|g| g.kind == GroupKind::Expectations);
                if head == "text" && in_expectations {
                    if entries.iter().any(|e| matches!(e, Entry::FreeText { .. })) {
                        cx.at(
                            tcell,
                            "type",
                            "nhóm expectations chỉ có một câu text".into(),
                            "the expectations group has one text question at most".into(),
                        );
                    } else {
                        entries.push(Entry::FreeText {
                            vi: text,
                            en,
                            cell: tcell,
                        });
                    }
                    continue;
                }
                let kind = match head {
                    "integer" => "integer",
                    "decimal" => "decimal",
                    "date" => "date",
                    "note" => "note",
                    _ => "text",
                };
                entries.push(Entry::Other {
                    code,
                    kind,
                    vi: text,
                    en,
                    required,
                    cell: tcell,
                });
            }
            _ => cx.at(
                tcell,
                "type",
                format!(
                    "loại câu hỏi \"{ty}\" chưa được hỗ trợ (hỗ trợ: select_one, select_multiple, integer, decimal, text, note, date, begin_group/end_group)"
                ),
                format!(
                    "the question type \"{ty}\" is not supported (supported: select_one, select_multiple, integer, decimal, text, note, date, begin_group/end_group)"
                ),
            ),
        }
    }
    if let Some(g) = group {
        cx.at(
            g.cell,
            "type",
            format!("nhóm \"{}\" không có end_group", g.name),
            format!("group \"{}\" has no end_group", g.name),
        );
    }
    let scale_list = entries.iter().find_map(|e| match e {
        Entry::Item { list, .. } => Some(list.clone()),
        _ => None,
    });
    if scale_list.is_none() {
        cx.problems.push(Problem::new(
            Location::file(file).with_cell(format!("{}!A1", survey.name)),
            "phiếu không có tiêu chí nào: cần các nhóm (yếu tố) chứa câu select_one trên danh sách 1–5",
            "the form has no items: it needs groups (elements) of select_one questions on a 1–5 list",
        ));
    }
    let area_list = entries.iter().find_map(|e| match e {
        Entry::Area { list, .. } => Some(list.clone()),
        _ => None,
    });
    for e in &entries {
        if let Entry::Area { list, cell, .. } = e
            && Some(list) != area_list.as_ref()
        {
            cx.at(
                cell.clone(),
                "type",
                "mọi nội dung mong đợi phải dùng cùng một danh sách mức".into(),
                "every expectation area must use the same list of options".into(),
            );
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }

    // The TOML text.
    let mut out = Out::default();
    let (code, code_cell) = code.unwrap_or_default();
    let (title, title_cell) = title.unwrap_or_default();
    out.line(format!("# Converted from the XLSForm {file}"), None);
    out.line("format = 1", None);
    out.line("kind = \"questionnaire\"", None);
    out.line("", None);
    out.line("[survey]", None);
    out.kv("code", &code, Some(&code_cell));
    out.kv("title", &title, Some(&title_cell));
    if let Some((t, c)) = set.get("form_title_en") {
        out.kv("title_en", t, Some(c));
    }
    out.line(
        format!("year_from = {year_from}"),
        set.get("year_from").map(|(_, c)| c.as_str()),
    );
    if let Some(y) = year_to {
        out.line(
            format!("year_to = {y}"),
            set.get("year_to").map(|(_, c)| c.as_str()),
        );
    }
    let source = match (set.get("source"), set.get("version")) {
        (Some((s, _)), _) => s.clone(),
        (None, Some((v, _))) => format!("XLSForm {file}, version {v}"),
        (None, None) => format!("XLSForm {file}"),
    };
    out.kv("source", &source, None);
    out.line("", None);
    let scale = scale_list
        .and_then(|l| lists.get(&l).cloned())
        .unwrap_or_default();
    let mut levels = scale.clone();
    levels.sort_by_key(|c| c.name.parse::<u32>().unwrap_or(0));
    out.line("[scale]", None);
    out.line("satisfied = [4, 5]", None);
    for l in &levels {
        out.line("[[scale.level]]", None);
        out.line(format!("code = {}", l.name), None);
        out.kv(
            "label",
            l.vi.as_deref().or(l.en.as_deref()).unwrap_or(&l.name),
            None,
        );
        if l.vi.is_some() {
            out.opt("label_en", &l.en, None);
        }
    }
    let mut element = 0;
    let mut per_element: HashMap<usize, usize> = HashMap::new();
    for e in &entries {
        match e {
            Entry::Element { vi, en, cell } => {
                element += 1;
                out.line("", None);
                out.line("[[element]]", Some(cell));
                out.line(format!("code = {element}"), Some(cell));
                out.kv("name", vi, Some(cell));
                out.opt("name_en", en, Some(cell));
            }
            Entry::Item {
                element,
                vi,
                en,
                required,
                cell,
                ..
            } => {
                let n = per_element.entry(*element).or_insert(0);
                *n += 1;
                out.line("[[item]]", Some(cell));
                out.kv("code", &format!("{element}.{n}"), Some(cell));
                out.line(format!("element = {element}"), Some(cell));
                out.kv("text", vi, Some(cell));
                out.opt("text_en", en, Some(cell));
                out.line(format!("required = {required}"), Some(cell));
            }
            _ => {}
        }
    }
    let areas: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e, Entry::Area { .. }))
        .collect();
    let free = entries.iter().find(|e| matches!(e, Entry::FreeText { .. }));
    if !areas.is_empty() || free.is_some() {
        out.line("", None);
        out.line("[expectations]", None);
        let g = survey
            .rows
            .iter()
            .find(|r| {
                survey
                    .get(r, &Column::Name)
                    .is_some_and(|(_, n)| n == "expectations")
            })
            .map(|r| survey.labels(r, default));
        let (gvi, gen_en) = g.unwrap_or((None, None));
        out.kv(
            "question",
            gvi.as_deref()
                .or(gen_en.as_deref())
                .unwrap_or("Sự mong đợi"),
            None,
        );
        if gvi.is_some() {
            out.opt("question_en", &gen_en, None);
        }
        for o in area_list
            .and_then(|l| lists.get(&l).cloned())
            .unwrap_or_default()
        {
            out.line("[[expectations.option]]", None);
            out.kv("code", &o.name, None);
            out.kv(
                "label",
                o.vi.as_deref().or(o.en.as_deref()).unwrap_or(&o.name),
                None,
            );
            if o.vi.is_some() {
                out.opt("label_en", &o.en, None);
            }
        }
        for a in areas {
            if let Entry::Area {
                code, vi, en, cell, ..
            } = a
            {
                out.line("[[expectations.area]]", Some(cell));
                out.kv("code", code, Some(cell));
                out.kv("text", vi, Some(cell));
                out.opt("text_en", en, Some(cell));
            }
        }
        if let Some(Entry::FreeText { vi, en, cell }) = free {
            out.line("[expectations.free_text]", Some(cell));
            out.kv("text", vi, Some(cell));
            out.opt("text_en", en, Some(cell));
        }
    }
    for e in &entries {
        match e {
            Entry::Profile {
                code,
                vi,
                en,
                required,
                multiple,
                list,
                cell,
            } => {
                out.line("", None);
                out.line("[[profile]]", Some(cell));
                out.kv("code", code, Some(cell));
                out.kv("text", vi, Some(cell));
                out.opt("text_en", en, Some(cell));
                out.line(format!("required = {required}"), Some(cell));
                out.line(format!("multiple = {multiple}"), Some(cell));
                for o in lists.get(list).cloned().unwrap_or_default() {
                    out.line("[[profile.option]]", Some(cell));
                    out.kv("code", &o.name, Some(cell));
                    out.kv(
                        "label",
                        o.vi.as_deref().or(o.en.as_deref()).unwrap_or(&o.name),
                        Some(cell),
                    );
                    if o.vi.is_some() {
                        out.opt("label_en", &o.en, Some(cell));
                    }
                }
            }
            Entry::Other {
                code,
                kind,
                vi,
                en,
                required,
                cell,
            } => {
                out.line("", None);
                out.line("[[question]]", Some(cell));
                out.kv("code", code, Some(cell));
                out.kv("type", kind, Some(cell));
                out.kv("text", vi, Some(cell));
                out.opt("text_en", en, Some(cell));
                out.line(format!("required = {required}"), Some(cell));
            }
            _ => {}
        }
    }
    // The questionnaire's own checks (codes, duplicates…), put back on the cells.
    match parse_questionnaire(file, &out.text) {
        Ok(_) => Ok(out.text),
        Err(problems) => Err(Problems(
            problems
                .0
                .into_iter()
                .map(|mut p| {
                    if let Some(line) = p.location.line.take()
                        && let Some(Some(cell)) = out.cells.get(line - 1)
                    {
                        p.location.cell = Some(cell.clone());
                    }
                    p
                })
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_core::questionnaire::QuestionKind;
    use rust_xlsxwriter::Workbook;

    /// A workbook from sheets of rows of text cells.
    fn book(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
        let mut wb = Workbook::new();
        for (name, rows) in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(*name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(r as u32, c as u16, *v).unwrap();
                    }
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn survey_rows() -> Vec<Vec<&'static str>> {
        vec![
            vec![
                "type",
                "name",
                "label::Vietnamese (vi)",
                "label::English (en)",
                "required",
                "hint",
            ],
            vec!["note", "intro", "Xin chào", "Hello", "", ""],
            vec!["begin_group", "e1", "Tiếp cận dịch vụ", "Access", "", ""],
            vec![
                "select_one hl",
                "seats",
                "Đủ chỗ ngồi",
                "Enough seats",
                "yes",
                "",
            ],
            vec!["select_one hl", "clean", "Sạch sẽ", "Clean", "yes", ""],
            vec!["end_group", "", "", "", "", ""],
            vec![
                "begin group",
                "e2",
                "Thủ tục hành chính",
                "Procedure",
                "",
                "",
            ],
            vec![
                "select_one hl",
                "posted",
                "Niêm yết công khai",
                "Posted",
                "no",
                "",
            ],
            vec!["end group", "", "", "", "", ""],
            vec![
                "begin_group",
                "expectations",
                "Cần cải thiện gì?",
                "What to improve?",
                "",
                "",
            ],
            vec!["select_one muc", "info", "Thông tin", "Information", "", ""],
            vec!["select_one muc", "time", "Thời gian", "Time", "", ""],
            vec!["text", "other", "Ý kiến khác", "Other", "", ""],
            vec!["end_group", "", "", "", "", ""],
            vec!["select_one gt", "gender", "Giới tính", "Gender", "", ""],
            vec![
                "select_multiple kenh",
                "heard",
                "Biết qua đâu",
                "Heard from",
                "",
                "",
            ],
            vec!["integer", "visits", "Số lần đến", "Visits", "yes", ""],
            vec![
                "decimal",
                "wait_hours",
                "Số giờ chờ",
                "Hours waited",
                "",
                "",
            ],
            vec!["date", "served_on", "Ngày giải quyết", "Served on", "", ""],
        ]
    }

    fn choices_rows() -> Vec<Vec<&'static str>> {
        let mut rows = vec![vec![
            "list_name",
            "name",
            "label::Vietnamese (vi)",
            "label::English (en)",
        ]];
        for (n, vi, en) in [
            ("1", "Rất không hài lòng", "Very dissatisfied"),
            ("2", "Không hài lòng", "Dissatisfied"),
            ("3", "Bình thường", "Neutral"),
            ("4", "Hài lòng", "Satisfied"),
            ("5", "Rất hài lòng", "Very satisfied"),
        ] {
            rows.push(vec!["hl", n, vi, en]);
        }
        rows.extend([
            vec!["muc", "rat_nhieu", "Rất nhiều", "A lot"],
            vec!["muc", "it", "Ít", "A little"],
            vec!["gt", "male", "Nam", "Male"],
            vec!["gt", "female", "Nữ", "Female"],
            vec!["kenh", "tv", "Truyền hình", "TV"],
            vec!["kenh", "web", "Trang web", "Web"],
        ]);
        rows
    }

    fn settings_rows() -> Vec<Vec<&'static str>> {
        vec![
            vec![
                "form_id",
                "form_title",
                "form_title_en",
                "version",
                "year_from",
            ],
            vec![
                "sipas-xa-2024",
                "Phiếu SIPAS cấp xã",
                "Commune SIPAS",
                "2024061",
                "2024",
            ],
        ]
    }

    fn good() -> Vec<(&'static str, Vec<Vec<&'static str>>)> {
        vec![
            ("survey", survey_rows()),
            ("choices", choices_rows()),
            ("settings", settings_rows()),
        ]
    }

    #[test]
    fn an_xlsform_becomes_a_questionnaire() {
        let toml = xlsform_to_toml("xa.xlsx", &book(&good()), 2030).unwrap();
        let q = parse_questionnaire("xa", &toml).unwrap();
        assert_eq!(q.code, "sipas-xa-2024");
        assert_eq!(q.year_from, 2024);
        assert_eq!(q.title_en.as_deref(), Some("Commune SIPAS"));
        assert_eq!(q.shape(), "2 + 1");
        assert_eq!(q.item("1.2").unwrap().text, "Sạch sẽ");
        assert_eq!(q.item("1.2").unwrap().text_en.as_deref(), Some("Clean"));
        assert!(q.item("1.1").unwrap().required && !q.item("2.1").unwrap().required);
        assert_eq!(q.scale.level(5).unwrap().label, "Rất hài lòng");
        let x = q.expectations.as_ref().unwrap();
        assert_eq!(x.areas.len(), 2);
        assert_eq!(x.options.len(), 2);
        assert_eq!(x.question_en.as_deref(), Some("What to improve?"));
        assert!(x.free_text.is_some());
        assert_eq!(q.profile.len(), 2);
        assert!(q.profile[1].multiple);
        let kinds: Vec<QuestionKind> = q.questions.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [
                QuestionKind::Note,
                QuestionKind::Integer,
                QuestionKind::Decimal,
                QuestionKind::Date
            ]
        );
        assert!(q.questions[1].required);
        assert!(q.source.unwrap().contains("version 2024061"));
    }

    fn problems_of(sheets: Vec<(&'static str, Vec<Vec<&'static str>>)>) -> Vec<(String, String)> {
        xlsform_to_toml("x.xlsx", &book(&sheets), 2024)
            .unwrap_err()
            .iter()
            .map(|p| {
                (
                    p.location.cell.clone().unwrap_or_default(),
                    p.location.field.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn unsupported_features_are_refused_where_they_are() {
        let mut s = survey_rows();
        s[3][5] = "Ghế ở sảnh";
        s.push(vec!["geopoint", "where", "Ở đâu", "Where", "", ""]);
        s.push(vec!["select_one hl or_other", "x", "X", "X", "", ""]);
        s.push(vec!["integer", "age", "Tuổi", "Age", "${visits} > 1", ""]);
        let mut sheets = good();
        sheets[0].1 = s;
        let p = problems_of(sheets);
        assert!(p.contains(&("survey!F4".into(), "hint".into())), "{p:?}");
        assert!(p.contains(&("survey!A20".into(), "type".into())), "{p:?}");
        assert!(p.contains(&("survey!A21".into(), "type".into())), "{p:?}");
        assert!(
            p.contains(&("survey!E22".into(), "required".into())),
            "{p:?}"
        );
        assert_eq!(p.len(), 4, "{p:?}");

        // A third language, a nested group, a repeat, an unknown list, another sheet.
        let mut s = survey_rows();
        s[0][3] = "label::French (fr)";
        s.insert(4, vec!["begin_group", "inner", "Trong", "In", "", ""]);
        s.push(vec!["begin_repeat", "kids", "Con", "Kids", "", ""]);
        s.push(vec!["select_one nolist", "y", "Y", "Y", "", ""]);
        let mut sheets = good();
        sheets[0].1 = s;
        sheets.push(("external_choices", vec![vec!["list_name"], vec!["a"]]));
        let p = problems_of(sheets);
        let cells: Vec<&str> = p.iter().map(|(c, _)| c.as_str()).collect();
        for want in [
            "survey!D1",
            "survey!A5",
            "survey!A21",
            "survey!A22",
            "external_choices!A1",
        ] {
            assert!(cells.contains(&want), "{want}: {p:?}");
        }
    }

    #[test]
    fn problems_found_by_the_questionnaire_checker_name_the_cell() {
        let mut s = survey_rows();
        s[14][1] = "Giới Tính";
        let mut sheets = good();
        sheets[0].1 = s;
        let p = problems_of(sheets);
        assert_eq!(p, [("survey!A15".to_string(), "profile.code".to_string())]);
    }

    #[test]
    fn response_sheets_are_read_as_text() {
        let bytes = book(&[(
            "Phiếu",
            vec![
                vec!["unit", "channel", "1.1"],
                vec!["SNV", "paper", "4"],
                vec!["", "", ""],
            ],
        )]);
        let rows = read_sheet_rows("p.xlsx", &bytes).unwrap();
        assert_eq!(rows.header, ["unit", "channel", "1.1"]);
        assert_eq!(
            rows.rows,
            vec![(2, vec!["SNV".into(), "paper".into(), "4".into()])]
        );
        assert_eq!(serial_to_rfc3339(45413.5), "2024-05-01T12:00:00+07:00");
    }
}
