//! The per-unit score sheet (BẢNG CHẤM ĐIỂM) as XLSX: STT | criterion | max | self | appraised |
//! unit note | appraiser note, with subtotals for every area and criterion and the total.

use parindex_core::locale::Locale;
use parindex_core::set::CriteriaSet;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use std::collections::HashMap;

/// One sub-criterion's line of a unit's sheet. `None` points: not declared / not appraised;
/// `not_applicable` lines count towards no maximum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLine {
    pub code: String,
    pub self_points: Option<Decimal>,
    pub appraised: Option<Decimal>,
    pub not_applicable: bool,
    pub unit_note: String,
    pub appraiser_note: String,
}

/// A unit's score sheet for one round: plain data, as the store or a scores file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSheet {
    pub year: i32,
    pub unit_name: String,
    pub level: Option<String>,
    pub lines: Vec<SheetLine>,
}

fn number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Per node: (max, self total, appraised total), summing the sub-criteria below it. A sub-criterion
/// not appraised counts its self points as appraised, as final results do.
pub(crate) fn totals(set: &CriteriaSet, sheet: &ScoreSheet) -> Vec<(Decimal, Decimal, Decimal)> {
    let by_code: HashMap<&str, &SheetLine> =
        sheet.lines.iter().map(|l| (l.code.as_str(), l)).collect();
    let mut out = vec![(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO); set.nodes.len()];
    for &i in set.leaves() {
        let node = &set.nodes[i];
        let line = by_code.get(node.code.to_string().as_str());
        if line.is_some_and(|l| l.not_applicable) {
            continue;
        }
        let max = node.max_for(sheet.level.as_deref());
        let own = line.and_then(|l| l.self_points).unwrap_or_default();
        let appraised = line
            .and_then(|l| l.appraised.or(l.self_points))
            .unwrap_or_default();
        for &k in set.ancestors(i).iter().chain(std::iter::once(&i)) {
            out[k].0 += max;
            out[k].1 += own;
            out[k].2 += appraised;
        }
    }
    out
}

pub fn write_sheet_xlsx(
    set: &CriteriaSet,
    sheet: &ScoreSheet,
    locale: Locale,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name(locale.pick("Bảng chấm điểm", "Score sheet"))?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let subtitle = Format::new().set_italic().set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7")
        .set_border(FormatBorder::Thin);
    let base = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let area = base.clone().set_bold().set_background_color("#E2EFDA");
    let criterion = base.clone().set_bold();
    let num = |f: &Format| f.clone().set_num_format("0.00");
    let columns = match locale {
        Locale::Vi => [
            "STT",
            "Tiêu chí",
            "Điểm tối đa",
            "Điểm tự đánh giá",
            "Điểm thẩm định",
            "Ghi chú của đơn vị",
            "Ý kiến thẩm định",
        ],
        Locale::En => [
            "No.",
            "Criterion",
            "Maximum",
            "Self-assessed",
            "Appraised",
            "Unit's note",
            "Appraiser's note",
        ],
    };
    let last = (columns.len() - 1) as u16;
    let heading = match locale {
        Locale::Vi => format!(
            "BẢNG CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {}",
            sheet.year
        ),
        Locale::En => format!("PAR INDEX SCORE SHEET {}", sheet.year),
    };
    ws.merge_range(0, 0, 0, last, &heading, &title)?;
    ws.merge_range(1, 0, 1, last, &sheet.unit_name, &subtitle)?;
    for (c, h) in columns.iter().enumerate() {
        ws.write_string_with_format(3, c as u16, *h, &header)?;
    }
    for (c, w) in [8.0, 60.0, 10.0, 12.0, 12.0, 30.0, 30.0]
        .into_iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, w)?;
    }
    ws.set_freeze_panes(4, 2)?;
    let sums = totals(set, sheet);
    let by_code: HashMap<&str, &SheetLine> =
        sheet.lines.iter().map(|l| (l.code.as_str(), l)).collect();
    let mut row = 4;
    for (i, node) in set.nodes.iter().enumerate() {
        let fmt = match node.code.level() {
            1 => &area,
            2 => &criterion,
            _ => &base,
        };
        let code = node.code.to_string();
        let title = match (locale, &node.title_en) {
            (Locale::En, Some(t)) => t.as_str(),
            _ => node.title.as_str(),
        };
        ws.write_string_with_format(row, 0, &code, fmt)?;
        ws.write_string_with_format(row, 1, title, fmt)?;
        let line = by_code.get(code.as_str());
        if line.is_some_and(|l| l.not_applicable) {
            ws.write_string_with_format(
                row,
                2,
                locale.pick("Không áp dụng", "Not applicable"),
                fmt,
            )?;
            ws.write_blank(row, 3, fmt)?;
            ws.write_blank(row, 4, fmt)?;
        } else {
            let (max, own, appraised) = sums[i];
            ws.write_number_with_format(row, 2, number(max), &num(fmt))?;
            if node.is_leaf() {
                match line.and_then(|l| l.self_points) {
                    Some(p) => ws.write_number_with_format(row, 3, number(p), &num(fmt))?,
                    None => ws.write_blank(row, 3, fmt)?,
                };
                match line.and_then(|l| l.appraised) {
                    Some(p) => ws.write_number_with_format(row, 4, number(p), &num(fmt))?,
                    None => ws.write_blank(row, 4, fmt)?,
                };
            } else {
                ws.write_number_with_format(row, 3, number(own), &num(fmt))?;
                ws.write_number_with_format(row, 4, number(appraised), &num(fmt))?;
            }
        }
        ws.write_string_with_format(
            row,
            5,
            line.map(|l| l.unit_note.as_str()).unwrap_or(""),
            fmt,
        )?;
        ws.write_string_with_format(
            row,
            6,
            line.map(|l| l.appraiser_note.as_str()).unwrap_or(""),
            fmt,
        )?;
        row += 1;
    }
    let (max, own, appraised) = set
        .areas_indices()
        .fold((Decimal::ZERO, Decimal::ZERO, Decimal::ZERO), |acc, i| {
            (acc.0 + sums[i].0, acc.1 + sums[i].1, acc.2 + sums[i].2)
        });
    let total = area.clone().set_background_color("#FCE4D6");
    ws.write_blank(row, 0, &total)?;
    ws.write_string_with_format(row, 1, locale.pick("TỔNG ĐIỂM", "TOTAL"), &total)?;
    ws.write_number_with_format(row, 2, number(max), &num(&total))?;
    ws.write_number_with_format(row, 3, number(own), &num(&total))?;
    ws.write_number_with_format(row, 4, number(appraised), &num(&total))?;
    ws.write_blank(row, 5, &total)?;
    ws.write_blank(row, 6, &total)?;
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(3, 3)?;
    ws.set_footer(locale.pick("&CTrang &P / &N", "&CPage &P of &N"));
    workbook.save_to_buffer()
}
