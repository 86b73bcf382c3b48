//! The ranking table of a round as an XLSX workbook in the layout of an official annex: title,
//! group sections, STT | unit | total | direct | survey | % | rank | class, frozen header, A4 print.

use parindex_core::locale::Locale;
use parindex_core::ranking::Results;
use parindex_core::set::CriteriaSet;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

// A spreadsheet cell holds an IEEE double by the file format's definition; the published values
// have at most 4 decimals, which a double carries exactly enough to display and round-trip.
fn cell_number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Builds the workbook. Numbers are real numbers with a fixed number of decimals, so Excel shows
/// them with the reader's decimal separator (a comma in Vietnamese settings) and they stay summable.
///
/// `decision` is the announcing decision (e.g. "Quyết định số 1007/QĐ-UBND ngày 24/4/2020"),
/// printed under the title.
pub fn write_results_xlsx(
    results: &Results,
    set: &CriteriaSet,
    decision: Option<&str>,
    locale: Locale,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(locale.pick("Xếp hạng", "Ranking"))?;
    let dec_format = if results.decimals == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(results.decimals as usize))
    };
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let subtitle = Format::new().set_italic().set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#DDEBF7")
        .set_border(FormatBorder::Thin);
    let group_row = Format::new()
        .set_bold()
        .set_background_color("#F2F2F2")
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let centered = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format(&dec_format);
    let summary = Format::new().set_italic().set_num_format(&dec_format);

    let columns = match locale {
        Locale::Vi => [
            "STT",
            "Đơn vị",
            "Tổng điểm",
            "Điểm trực tiếp",
            "Điểm điều tra XHH",
            "Chỉ số (%)",
            "Xếp hạng",
            "Xếp loại",
        ],
        Locale::En => [
            "No.",
            "Unit",
            "Total",
            "Direct points",
            "Survey points",
            "Index (%)",
            "Rank",
            "Class",
        ],
    };
    let last_col = (columns.len() - 1) as u16;
    let heading = match locale {
        Locale::Vi => format!("KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {}", results.year),
        Locale::En => format!("PUBLIC ADMINISTRATION REFORM INDEX {}", results.year),
    };
    sheet.merge_range(0, 0, 0, last_col, &heading, &title)?;
    let set_title = match (locale, &set.title_en) {
        (Locale::En, Some(t)) => t.clone(),
        _ => set.title.clone(),
    };
    sheet.merge_range(1, 0, 1, last_col, &set_title, &subtitle)?;
    if let Some(decision) = decision.filter(|d| !d.trim().is_empty()) {
        let line = format!("({} {decision})", locale.pick("Kèm theo", "Annexed to"));
        sheet.merge_range(2, 0, 2, last_col, &line, &subtitle)?;
    }
    sheet.set_row_height(0, 24)?;
    let header_row = 3;
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(header_row, c as u16, *name, &header)?;
    }
    sheet.set_row_height(header_row, 32)?;
    for (c, width) in [6.0, 42.0, 11.0, 12.0, 13.0, 11.0, 9.0, 13.0]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(header_row + 1, 0)?;

    let mut row = header_row + 1;
    for group in &results.groups {
        let name = match (locale, &group.group.name_en) {
            (Locale::En, Some(n)) => n.clone(),
            _ => group.group.name.clone(),
        };
        sheet.merge_range(row, 0, row, last_col, &name, &group_row)?;
        row += 1;
        for (i, u) in group.units.iter().enumerate() {
            let class = u.class.map(|c| {
                let def = &set.classes.classes[c];
                match (locale, &def.label_en) {
                    (Locale::En, Some(l)) => l.clone(),
                    _ => def.label.clone(),
                }
            });
            sheet.write_number_with_format(row, 0, (i + 1) as f64, &centered)?;
            sheet.write_string_with_format(row, 1, &u.name, &text)?;
            sheet.write_number_with_format(row, 2, cell_number(u.total), &number)?;
            sheet.write_number_with_format(row, 3, cell_number(u.direct), &number)?;
            sheet.write_number_with_format(row, 4, cell_number(u.survey), &number)?;
            sheet.write_number_with_format(row, 5, cell_number(u.percent), &number)?;
            sheet.write_number_with_format(row, 6, u.rank as f64, &centered)?;
            sheet.write_string_with_format(row, 7, class.unwrap_or_default(), &centered)?;
            row += 1;
        }
        if let Some(s) = &group.summary {
            sheet.write_string(row, 1, locale.pick("Giá trị trung bình", "Average"))?;
            sheet.write_number_with_format(row, 2, cell_number(s.average_total), &summary)?;
            sheet.write_number_with_format(row, 5, cell_number(s.average_percent), &summary)?;
            row += 1;
        }
        row += 1;
    }
    sheet.set_paper_size(9);
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    sheet.set_header(format!("&C{}", set.code));
    sheet.set_footer(locale.pick("&CTrang &P / &N", "&CPage &P of &N"));
    workbook.save_to_buffer()
}
