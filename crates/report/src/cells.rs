//! Spreadsheet cells: A1 references, and cell values read as text or exact decimals.

use calamine::Data;
use parindex_core::num::parse_decimal;
use rust_decimal::Decimal;

/// The column letters of a zero-based column: 0 → `A`, 26 → `AA`.
pub(crate) fn col_letter(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `A1` for a zero-based (row, column).
pub(crate) fn a1(row: u32, col: u32) -> String {
    format!("{}{}", col_letter(col), row as u64 + 1)
}

/// `Bộ tiêu chí!C12`.
pub(crate) fn cell_ref(sheet: &str, row: u32, col: u32) -> String {
    format!("{sheet}!{}", a1(row, col))
}

/// `Bộ tiêu chí!B5:C5`.
pub(crate) fn range_ref(sheet: &str, start: (u32, u32), end: (u32, u32)) -> String {
    format!("{sheet}!{}:{}", a1(start.0, start.1), a1(end.0, end.1))
}

/// Significant digits Excel keeps and shows; numbers are read back at this precision.
const EXCEL_DIGITS: usize = 15;

/// The decimal a spreadsheet number stands for: the binary float rounded to Excel's 15 significant
/// digits. A number written from a decimal of at most 15 significant digits reads back exactly,
/// whatever digits the spreadsheet program stored (Excel often stores 17: `33.332999999999998`).
pub(crate) fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(Decimal::ZERO);
    }
    let text = format!("{f:.prec$e}", prec = EXCEL_DIGITS - 1);
    Decimal::from_scientific(&text)
        .or_else(|_| Decimal::from_scientific_lossy(&text))
        .ok()
        .map(|d| d.normalize())
}

/// The float to write for a decimal when it reads back exactly (see [`decimal_from_f64`]); `None`
/// when the decimal needs more digits than a spreadsheet number keeps, so it is written as text.
pub(crate) fn exact_f64(d: Decimal) -> Option<f64> {
    let f: f64 = d.to_string().parse().ok()?;
    (decimal_from_f64(f) == Some(d)).then_some(f)
}

/// A cell's content as the importer sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Empty,
    /// Text, trimmed and not empty.
    Text(String),
    Number(Decimal),
    Bool(bool),
    /// A date, an error value such as `#REF!`, or a number out of range: `(vi, en)` of what it is.
    Other(String, String),
}

impl Value {
    pub(crate) fn of(data: Option<&Data>) -> Value {
        match data {
            None | Some(Data::Empty) => Value::Empty,
            Some(Data::String(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    Value::Empty
                } else {
                    Value::Text(t.to_string())
                }
            }
            Some(Data::Float(f)) => match decimal_from_f64(*f) {
                Some(d) => Value::Number(d),
                None => Value::Other(
                    format!("số {f} nằm ngoài phạm vi"),
                    format!("number {f} out of range"),
                ),
            },
            Some(Data::Int(i)) => Value::Number(Decimal::from(*i)),
            Some(Data::Bool(b)) => Value::Bool(*b),
            Some(Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_)) => Value::Other(
                "một ngày tháng (hãy định dạng ô là Văn bản/Text)".into(),
                "a date (format the cell as Text)".into(),
            ),
            Some(Data::Error(e)) => Value::Other(format!("lỗi {e}"), format!("error {e}")),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// The cell as text: numbers in their exact decimal form, booleans as `TRUE`/`FALSE`.
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Value::Empty => Some(String::new()),
            Value::Text(t) => Some(t.clone()),
            Value::Number(d) => Some(d.to_string()),
            Value::Bool(b) => Some(if *b { "TRUE".into() } else { "FALSE".into() }),
            Value::Other(..) => None,
        }
    }

    /// The cell as an exact decimal: a number cell, or text such as `1,5` or `0.25`.
    pub(crate) fn decimal(&self) -> Option<Decimal> {
        match self {
            Value::Number(d) => Some(*d),
            Value::Text(t) => parse_decimal(t),
            _ => None,
        }
    }

    /// What the cell holds, for messages: `(vi, en)`.
    pub(crate) fn describe(&self) -> (String, String) {
        match self {
            Value::Empty => ("ô trống".into(), "an empty cell".into()),
            Value::Text(t) => (format!("“{t}”"), format!("“{t}”")),
            Value::Number(d) => (d.to_string(), d.to_string()),
            Value::Bool(b) => (b.to_string(), b.to_string()),
            Value::Other(vi, en) => (vi.clone(), en.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn references() {
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(25), "Z");
        assert_eq!(col_letter(26), "AA");
        assert_eq!(col_letter(701), "ZZ");
        assert_eq!(col_letter(702), "AAA");
        assert_eq!(cell_ref("Bộ tiêu chí", 11, 2), "Bộ tiêu chí!C12");
        assert_eq!(range_ref("S", (4, 1), (4, 2)), "S!B5:C5");
    }

    #[test]
    fn spreadsheet_numbers_read_as_the_decimals_they_show() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(
            decimal_from_f64("33.332999999999998".parse().unwrap()),
            Some(d("33.333"))
        );
        assert_eq!(decimal_from_f64(0.1), Some(d("0.1")));
        assert_eq!(decimal_from_f64(1.25), Some(d("1.25")));
        assert_eq!(decimal_from_f64(-7.0), Some(d("-7")));
        assert_eq!(decimal_from_f64(1e-20), Some(d("0.00000000000000000001")));
        assert_eq!(decimal_from_f64(1e-30), None);
        assert_eq!(decimal_from_f64(1e40), None);
        for s in [
            "0.1",
            "1.25",
            "33.333",
            "0.001",
            "12345678.125",
            "99999999999999.9",
        ] {
            assert!(exact_f64(d(s)).is_some(), "{s}");
        }
        assert_eq!(exact_f64(d("0.1234567890123456789")), None);
    }
}
