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

/// `survey!C5`.
fn cell(sheet: &str, row: usize, col: usize) -> String {
    format!("{sheet}!{}", a1((row - 1) as u32, col as u32))
}

#[allow(dead_code)]
fn column(col: usize) -> String {
    col_letter(col as u32)
}
