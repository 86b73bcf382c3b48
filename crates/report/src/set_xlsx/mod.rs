//! A criteria set as a workbook (sheets "Bộ tiêu chí" and "Cấu hình"), written for a provincial
//! secretariat to read and edit, and read back exactly. The layout is in `docs/xlsx-format.md`.

mod read;

pub use read::read_set_xlsx;

use crate::cells::exact_f64;
use crate::error::ReportError;
use crate::set_toml::{basis_name, rank_method_name, rounding_name, sorted_nodes};
use crate::toml_text;
use parindex_core::locale::Locale;
use parindex_core::set::{CriteriaSet, Node};
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

/// The criteria table's sheet name, Vietnamese and English; import accepts either.
pub(crate) const TABLE_SHEET: [&str; 2] = ["Bộ tiêu chí", "Criteria"];
/// The settings sheet's name, Vietnamese and English; import accepts either.
pub(crate) const SETTINGS_SHEET: [&str; 2] = ["Cấu hình", "Settings"];

fn pick(names: [&'static str; 2], locale: Locale) -> &'static str {
    locale.pick(names[0], names[1])
}

/// A column of the criteria table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Col {
    Code,
    Title,
    Max,
    Declared,
    Describe,
    Rule,
    Evidence,
    AllowNa,
    MaxByLevel,
    TitleEn,
}

impl Col {
    pub(crate) const ALL: [Col; 10] = [
        Col::Code,
        Col::Title,
        Col::Max,
        Col::Declared,
        Col::Describe,
        Col::Rule,
        Col::Evidence,
        Col::AllowNa,
        Col::MaxByLevel,
        Col::TitleEn,
    ];

    /// The header text: Vietnamese, English.
    pub(crate) fn headers(self) -> [&'static str; 2] {
        match self {
            Col::Code => ["STT", "Code"],
            Col::Title => ["Tiêu chí", "Criterion (VI)"],
            Col::Max => ["Điểm tối đa", "Max points"],
            Col::Declared => ["Số liệu kê khai", "Declared data"],
            Col::Describe => ["Cách tính điểm", "How it is scored"],
            Col::Rule => ["Quy tắc", "Rule"],
            Col::Evidence => ["Tài liệu kiểm chứng", "Evidence"],
            Col::AllowNa => ["Không áp dụng được", "N/A allowed"],
            Col::MaxByLevel => ["Điểm theo cấp", "Max by level"],
            Col::TitleEn => ["Tiêu chí (EN)", "Criterion (EN)"],
        }
    }

    /// Other header texts import accepts for the column.
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::Code => &["Mã", "Mã số", "Số thứ tự", "No."],
            Col::Title => &["Tên tiêu chí", "Nội dung", "Criterion", "Title"],
            Col::Max => &["Điểm", "Điểm tối đa (điểm)", "Maximum"],
            Col::Declared => &["Declared"],
            Col::Describe => &["Cách chấm", "Scoring"],
            Col::Rule => &["Quy tắc (TOML)", "Rule (TOML)"],
            Col::Evidence => &["Tài liệu", "Tài liệu kiểm chứng (minh chứng)"],
            Col::AllowNa => &["Không áp dụng", "N/A"],
            Col::MaxByLevel => &["Điểm tối đa theo cấp", "Maximum by level"],
            Col::TitleEn => &["Title (EN)", "Tên tiếng Anh"],
        }
    }

    pub(crate) fn header(self, locale: Locale) -> &'static str {
        let [vi, en] = self.headers();
        locale.pick(vi, en)
    }

    /// Import needs every column but the human description, which it ignores.
    pub(crate) fn required(self) -> bool {
        self != Col::Describe
    }

    fn width(self) -> f64 {
        match self {
            Col::Code => 8.0,
            Col::Title => 48.0,
            Col::Max => 10.0,
            Col::Declared => 30.0,
            Col::Describe => 34.0,
            Col::Rule => 44.0,
            Col::Evidence => 32.0,
            Col::AllowNa => 12.0,
            Col::MaxByLevel => 16.0,
            Col::TitleEn => 40.0,
        }
    }

    /// Columns kept as text so that Excel does not turn `1.10` into a number or a date.
    fn is_text(self) -> bool {
        matches!(self, Col::Code | Col::Rule | Col::MaxByLevel)
    }
}

/// The rows above the header row (title and subtitle); only these may hold merged cells.
pub(crate) const TITLE_ROWS: u32 = 2;

/// A key of the settings sheet, named after its place in the TOML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Code,
    Title,
    TitleEn,
    Year,
    Total,
    Levels,
    RankBasis,
    RankMethod,
    Decimals,
    Rounding,
    BonusMax,
    PenaltyMax,
    ClassesBasis,
    Group,
    Class,
}

impl Key {
    pub(crate) const ALL: [Key; 15] = [
        Key::Code,
        Key::Title,
        Key::TitleEn,
        Key::Year,
        Key::Total,
        Key::Levels,
        Key::RankBasis,
        Key::RankMethod,
        Key::Decimals,
        Key::Rounding,
        Key::BonusMax,
        Key::PenaltyMax,
        Key::ClassesBasis,
        Key::Group,
        Key::Class,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Code => "set.code",
            Key::Title => "set.title",
            Key::TitleEn => "set.title_en",
            Key::Year => "set.year",
            Key::Total => "set.total",
            Key::Levels => "set.levels",
            Key::RankBasis => "scoring.rank_basis",
            Key::RankMethod => "scoring.rank_method",
            Key::Decimals => "scoring.decimals",
            Key::Rounding => "scoring.rounding",
            Key::BonusMax => "bonus.max",
            Key::PenaltyMax => "penalty.max",
            Key::ClassesBasis => "classes.basis",
            Key::Group => "group",
            Key::Class => "class",
        }
    }

    /// The values an enumerated key takes.
    pub(crate) fn choices(self) -> &'static [&'static str] {
        match self {
            Key::RankBasis | Key::ClassesBasis => &["percent", "points"],
            Key::RankMethod => &["competition", "dense"],
            Key::Rounding => &["half_up", "half_even", "down"],
            _ => &[],
        }
    }

    /// Keys that must be present once.
    pub(crate) fn required(self) -> bool {
        matches!(
            self,
            Key::Code | Key::Title | Key::Year | Key::Total | Key::Levels
        )
    }

    /// Keys that may appear on several rows.
    pub(crate) fn repeats(self) -> bool {
        matches!(self, Key::Group | Key::Class)
    }

    fn explain(self, locale: Locale) -> &'static str {
        match self {
            Key::Code => locale.pick("Mã bộ chỉ số: chữ thường, chữ số và dấu '-'", "Set code: lowercase letters, digits and '-'"),
            Key::Title => locale.pick("Tên bộ chỉ số", "Title of the set (Vietnamese)"),
            Key::TitleEn => locale.pick("Tên tiếng Anh (không bắt buộc)", "English title (optional)"),
            Key::Year => locale.pick("Năm đánh giá", "Year assessed"),
            Key::Total => locale.pick("Tổng điểm tối đa, bằng tổng điểm các lĩnh vực", "Total maximum, the sum of the areas' maxima"),
            Key::Levels => locale.pick(
                "Các cấp đơn vị áp dụng (so, huyen, xa…), cách nhau bởi ';'; cấp đầu là mặc định",
                "Unit levels the set applies to (so, huyen, xa…), separated by ';'; the first is the default",
            ),
            Key::RankBasis => locale.pick(
                "Xếp hạng theo: percent (điểm / điểm tối đa của đơn vị × 100) hoặc points (điểm)",
                "Rank on: percent (points / the unit's own maximum × 100) or points",
            ),
            Key::RankMethod => locale.pick("competition (1, 1, 3) hoặc dense (1, 1, 2)", "competition (1, 1, 3) or dense (1, 1, 2)"),
            Key::Decimals => locale.pick("Số chữ số thập phân khi công bố (0–4)", "Published decimals (0–4)"),
            Key::Rounding => locale.pick("Làm tròn: half_up, half_even hoặc down", "Rounding: half_up, half_even or down"),
            Key::BonusMax => locale.pick("Điểm thưởng tối đa (0: không có)", "Maximum bonus points (0: none)"),
            Key::PenaltyMax => locale.pick("Điểm trừ tối đa (0: không có)", "Maximum penalty points (0: none)"),
            Key::ClassesBasis => locale.pick("Xếp loại theo percent hoặc points", "Classes on percent or points"),
            Key::Group => locale.pick("Mỗi nhóm được xếp hạng riêng", "Each group is ranked separately"),
            Key::Class => locale.pick("Từ cao xuống thấp; mức cuối nhận cả điểm 0", "Best first; the last admits 0"),
        }
    }
}

/// Settings sheet columns: key, four values, explanation.
pub(crate) const SETTINGS_COLS: u32 = 6;
pub(crate) const SETTINGS_KEY_HEADERS: [&str; 2] = ["Khóa", "Key"];

fn settings_headers(locale: Locale) -> [&'static str; 6] {
    match locale {
        Locale::Vi => [
            "Khóa",
            "Giá trị",
            "Giá trị 2",
            "Giá trị 3",
            "Giá trị 4",
            "Giải thích",
        ],
        Locale::En => [
            "Key",
            "Value",
            "Value 2",
            "Value 3",
            "Value 4",
            "Explanation",
        ],
    }
}

/// `min_inclusive` as the settings sheet shows it.
pub(crate) const INCLUSIVE: &str = "≥";
pub(crate) const EXCLUSIVE: &str = ">";

/// `huyen=1.5; xa=1`.
pub(crate) fn levels_text(levels: &std::collections::BTreeMap<String, Decimal>) -> String {
    levels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.normalize()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Cell styles, one per row kind and column kind.
struct Styles {
    title: Format,
    subtitle: Format,
    header: Format,
    note: Format,
    key: Format,
    comment: Format,
}

const BORDER: u32 = 0xBFBFBF;
const AREA_FILL: u32 = 0xD9E1F2;
const CRITERION_FILL: u32 = 0xF2F2F2;
const HEADER_FILL: u32 = 0x1F4E78;

impl Styles {
    fn new() -> Styles {
        let base = Format::new().set_text_wrap().set_align(FormatAlign::Top);
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            subtitle: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x595959))
                .set_text_wrap(),
            header: base
                .clone()
                .set_bold()
                .set_font_color(Color::White)
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(BORDER)),
            note: base
                .clone()
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(BORDER)),
            key: base
                .clone()
                .set_bold()
                .set_num_format("@")
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(BORDER)),
            comment: base
                .set_italic()
                .set_font_color(Color::RGB(0x595959))
                .set_background_color(Color::RGB(CRITERION_FILL)),
        }
    }

    /// The format of a table cell for a node of the given level in the given column.
    fn cell(level: usize, col: Col) -> Format {
        let mut f = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(BORDER));
        match level {
            1 => f = f.set_bold().set_background_color(Color::RGB(AREA_FILL)),
            2 => f = f.set_background_color(Color::RGB(CRITERION_FILL)),
            _ => {}
        }
        if col.is_text() {
            f = f.set_num_format("@");
        }
        match col {
            Col::Code | Col::AllowNa => f.set_align(FormatAlign::Center),
            Col::Max => f.set_align(FormatAlign::Right),
            Col::Title if level == 2 => f.set_indent(1),
            Col::Title if level >= 3 => f.set_indent(2),
            _ => f,
        }
    }
}

/// Writes an exact decimal: a number cell when the number reads back exactly, text otherwise.
fn write_decimal(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    d: Decimal,
    format: &Format,
) -> Result<(), ReportError> {
    match exact_f64(d) {
        Some(f) => ws.write_number_with_format(row, col, f, format)?,
        None => ws.write_string_with_format(row, col, d.to_string(), format)?,
    };
    Ok(())
}

/// Writes the criteria set as a workbook: sheet "Bộ tiêu chí" (one row per node) and sheet
/// "Cấu hình" (everything else), with English sheet names and headers when `locale` is English.
/// [`read_set_xlsx`] reads it back to the same set.
pub fn write_set_xlsx(set: &CriteriaSet, locale: Locale) -> Result<Vec<u8>, ReportError> {
    let styles = Styles::new();
    let mut wb = Workbook::new();
    let mut props = DocProperties::new()
        .set_title(&set.title)
        .set_subject(locale.pick("Bộ chỉ số cải cách hành chính", "PAR Index criteria set"));
    if let Some(en) = &set.title_en {
        props = props.set_comment(en);
    }
    wb.set_properties(&props);
    write_table(wb.add_worksheet(), set, locale, &styles)?;
    write_settings(wb.add_worksheet(), set, locale, &styles)?;
    Ok(wb.save_to_buffer()?)
}

fn write_table(
    ws: &mut Worksheet,
    set: &CriteriaSet,
    locale: Locale,
    styles: &Styles,
) -> Result<(), ReportError> {
    ws.set_name(pick(TABLE_SHEET, locale))?;
    let last_col = (Col::ALL.len() - 1) as u16;
    let title = match (locale, &set.title_en) {
        (Locale::En, Some(en)) => en.as_str(),
        _ => set.title.as_str(),
    };
    ws.merge_range(0, 0, 0, last_col, title, &styles.title)?;
    ws.set_row_height(0, 36)?;
    let shape = set.shape();
    let total = locale.decimal(set.total, set.total.normalize().scale());
    let subtitle = match locale {
        Locale::Vi => format!(
            "Mã {} · năm {} · tổng {total} điểm · {} lĩnh vực, {} tiêu chí, {} tiêu chí thành phần. Cột “Quy tắc” là cách tính điểm máy đọc được; cột “Cách tính điểm” chỉ để xem.",
            set.code, set.year, shape.areas, shape.criteria, shape.sub_criteria
        ),
        Locale::En => format!(
            "Code {} · year {} · total {total} points · {} areas, {} criteria, {} sub-criteria. The “Rule” column is the machine-readable scoring rule; “How it is scored” is for reading only.",
            set.code, set.year, shape.areas, shape.criteria, shape.sub_criteria
        ),
    };
    ws.merge_range(1, 0, 1, last_col, &subtitle, &styles.subtitle)?;
    ws.set_row_height(1, 30)?;

    let header_row = TITLE_ROWS;
    for (i, col) in Col::ALL.iter().enumerate() {
        let c = i as u16;
        ws.write_string_with_format(header_row, c, col.header(locale), &styles.header)?;
        ws.set_column_width(c, col.width())?;
        if col.is_text() {
            ws.set_column_format(c, &Format::new().set_num_format("@"))?;
        }
    }
    ws.set_row_height(header_row, 32)?;

    let nodes = sorted_nodes(set);
    let mut formats: std::collections::HashMap<(usize, Col), Format> =
        std::collections::HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let row = header_row + 1 + i as u32;
        let level = n.code.level().min(3);
        for (c, col) in Col::ALL.iter().enumerate() {
            let format = formats
                .entry((level, *col))
                .or_insert_with(|| Styles::cell(level, *col))
                .clone();
            write_node_cell(ws, row, c as u16, *col, n, locale, &format)?;
        }
    }
    let last_row = header_row + nodes.len() as u32;
    ws.set_freeze_panes(header_row + 1, 2)?;
    ws.autofilter(header_row, 0, last_row.max(header_row + 1), last_col)?;
    let na_col = Col::ALL
        .iter()
        .position(|c| *c == Col::AllowNa)
        .unwrap_or(0) as u16;
    let na = DataValidation::new()
        .allow_list_strings(&["x"])?
        .ignore_blank(true)
        .set_input_message(locale.pick(
            "Ghi x nếu đơn vị được khai “không áp dụng”.",
            "Put x when a unit may declare “not applicable”.",
        ))?;
    ws.add_data_validation(header_row + 1, na_col, last_row + 200, na_col, &na)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn write_node_cell(
    ws: &mut Worksheet,
    row: u32,
    c: u16,
    col: Col,
    n: &Node,
    locale: Locale,
    format: &Format,
) -> Result<(), ReportError> {
    let text = |ws: &mut Worksheet, s: &str| -> Result<(), ReportError> {
        if s.is_empty() {
            ws.write_blank(row, c, format)?;
        } else {
            ws.write_string_with_format(row, c, s, format)?;
        }
        Ok(())
    };
    match col {
        Col::Code => text(ws, &n.code.to_string()),
        Col::Title => text(ws, &n.title),
        Col::Max => write_decimal(ws, row, c, n.max, format),
        Col::Declared => text(ws, n.declared.as_deref().unwrap_or("")),
        Col::Describe => text(
            ws,
            &n.rule
                .as_ref()
                .map(|r| r.describe(locale))
                .unwrap_or_default(),
        ),
        Col::Rule => text(
            ws,
            &n.rule.as_ref().map(toml_text::rule).unwrap_or_default(),
        ),
        Col::Evidence => text(ws, n.evidence.as_deref().unwrap_or("")),
        Col::AllowNa => text(ws, if n.allow_na { "x" } else { "" }),
        Col::MaxByLevel => text(ws, &levels_text(&n.max_by_level)),
        Col::TitleEn => text(ws, n.title_en.as_deref().unwrap_or("")),
    }
}

/// One value cell of the settings sheet.
enum V<'a> {
    Text(&'a str),
    Dec(Decimal),
    Int(i64),
}

fn write_settings(
    ws: &mut Worksheet,
    set: &CriteriaSet,
    locale: Locale,
    styles: &Styles,
) -> Result<(), ReportError> {
    ws.set_name(pick(SETTINGS_SHEET, locale))?;
    let last_col = (SETTINGS_COLS - 1) as u16;
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        locale.pick("Cấu hình bộ chỉ số", "Criteria set settings"),
        &styles.title,
    )?;
    ws.set_row_height(0, 28)?;
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        locale.pick(
            "Sửa các cột Giá trị. Cột Khóa do phần mềm đọc — không đổi tên khóa. Dòng bắt đầu bằng # là chú thích, được bỏ qua khi nhập.",
            "Edit the Value columns. The Key column is read by the software — do not rename keys. Rows starting with # are comments, ignored on import.",
        ),
        &styles.subtitle,
    )?;
    ws.set_row_height(1, 30)?;
    let header_row = TITLE_ROWS;
    for (c, h) in settings_headers(locale).iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, *h, &styles.header)?;
    }
    for (c, w) in [24.0, 40.0, 34.0, 16.0, 12.0, 60.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_column_format(0, &Format::new().set_num_format("@"))?;
    ws.set_freeze_panes(header_row + 1, 1)?;

    let mut row = header_row + 1;
    let note = &styles.note;
    let levels = set.levels.join("; ");
    let scalars: Vec<(Key, V)> = vec![
        (Key::Code, V::Text(&set.code)),
        (Key::Title, V::Text(&set.title)),
        (Key::TitleEn, V::Text(set.title_en.as_deref().unwrap_or(""))),
        (Key::Year, V::Int(set.year as i64)),
        (Key::Total, V::Dec(set.total)),
        (Key::Levels, V::Text(&levels)),
        (Key::RankBasis, V::Text(basis_name(set.scoring.rank_basis))),
        (
            Key::RankMethod,
            V::Text(rank_method_name(set.scoring.rank_method)),
        ),
        (Key::Decimals, V::Int(set.scoring.decimals as i64)),
        (Key::Rounding, V::Text(rounding_name(set.scoring.rounding))),
        (Key::BonusMax, V::Dec(set.bonus_max)),
        (Key::PenaltyMax, V::Dec(set.penalty_max)),
        (Key::ClassesBasis, V::Text(basis_name(set.classes.basis))),
    ];
    for (key, value) in scalars {
        let r = put(
            ws,
            &mut row,
            styles,
            key.name(),
            &[value],
            key.explain(locale),
            note,
        )?;
        if !key.choices().is_empty() {
            let dv = DataValidation::new().allow_list_strings(key.choices())?;
            ws.add_data_validation(r, 1, r, 1, &dv)?;
        }
    }

    row += 1;
    let group_head = [
        V::Text(locale.pick("Mã nhóm", "Group code")),
        V::Text(locale.pick("Tên nhóm", "Group name")),
        V::Text(locale.pick("Tên tiếng Anh", "English name")),
    ];
    put(
        ws,
        &mut row,
        styles,
        locale.pick("# Nhóm xếp hạng", "# Ranking groups"),
        &group_head,
        Key::Group.explain(locale),
        &styles.comment,
    )?;
    for g in &set.groups {
        put(
            ws,
            &mut row,
            styles,
            Key::Group.name(),
            &[
                V::Text(&g.code),
                V::Text(&g.name),
                V::Text(g.name_en.as_deref().unwrap_or("")),
            ],
            "",
            note,
        )?;
    }

    row += 1;
    let class_head = [
        V::Text(locale.pick("Tên mức xếp loại", "Class label")),
        V::Text(locale.pick("Tên tiếng Anh", "English label")),
        V::Text(locale.pick("Ngưỡng tối thiểu", "Threshold")),
        V::Text(locale.pick("So sánh", "Comparison")),
    ];
    let class_explain = locale.pick(
        "Từ cao xuống thấp; mức cuối nhận cả điểm 0. So sánh: ≥ là từ ngưỡng trở lên, > là trên ngưỡng",
        "Best first; the last admits 0. Comparison: ≥ means at or above the threshold, > above it",
    );
    put(
        ws,
        &mut row,
        styles,
        locale.pick("# Xếp loại", "# Classes"),
        &class_head,
        class_explain,
        &styles.comment,
    )?;
    let cmp = DataValidation::new().allow_list_strings(&[INCLUSIVE, EXCLUSIVE])?;
    for c in &set.classes.classes {
        let how = if c.min_inclusive {
            INCLUSIVE
        } else {
            EXCLUSIVE
        };
        let r = put(
            ws,
            &mut row,
            styles,
            Key::Class.name(),
            &[
                V::Text(&c.label),
                V::Text(c.label_en.as_deref().unwrap_or("")),
                V::Dec(c.min),
                V::Text(how),
            ],
            "",
            note,
        )?;
        ws.add_data_validation(r, 4, r, 4, &cmp)?;
    }
    Ok(())
}

/// Writes one settings row (key, values, explanation) and moves to the next; returns its row.
fn put(
    ws: &mut Worksheet,
    row: &mut u32,
    styles: &Styles,
    key: &str,
    values: &[V],
    explain: &str,
    style: &Format,
) -> Result<u32, ReportError> {
    let r = *row;
    let last_col = (SETTINGS_COLS - 1) as u16;
    ws.write_string_with_format(
        r,
        0,
        key,
        if key.starts_with('#') {
            style
        } else {
            &styles.key
        },
    )?;
    for (i, v) in values.iter().enumerate() {
        let c = 1 + i as u16;
        match v {
            V::Text("") => {
                ws.write_blank(r, c, style)?;
            }
            V::Text(s) => {
                ws.write_string_with_format(r, c, *s, style)?;
            }
            V::Dec(d) => write_decimal(ws, r, c, *d, style)?,
            V::Int(i) => {
                ws.write_number_with_format(r, c, *i as f64, style)?;
            }
        }
    }
    for c in values.len() + 1..last_col as usize {
        ws.write_blank(r, c as u16, style)?;
    }
    ws.write_string_with_format(r, last_col, explain, style)?;
    *row += 1;
    Ok(r)
}
