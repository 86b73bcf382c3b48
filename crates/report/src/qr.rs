//! QR codes as SVG: one code, and printable A4 sheets of survey invitation cards (a code, the
//! token typed out and a caption per card), for receipts at the one-stop shop.
//!
//! The modules come from the `qrcode` crate (default features off: no image library); the SVG is
//! written here, one `<path>` per code with the dark runs of each row merged, so a sheet of a few
//! hundred codes stays small. Every text that reaches the SVG is XML-escaped.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::{self, Write as _};

/// Data that does not fit in a QR code (about 2,300 bytes at error-correction level M).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrTooLong {
    pub bytes: usize,
}

impl fmt::Display for QrTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes do not fit in a QR code ({} byte không vừa một mã QR)",
            self.bytes, self.bytes
        )
    }
}

impl std::error::Error for QrTooLong {}

/// The modules of a QR code (error-correction level M: a quarter of the code may be smudged):
/// the side in modules, without the quiet zone, and the path of the dark modules, offset by the
/// 4-module quiet zone (so the whole code with its margin is `side + 8` modules wide).
fn modules(data: &str) -> Result<(usize, String), QrTooLong> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|_| QrTooLong { bytes: data.len() })?;
    let side = code.width();
    let colors = code.to_colors();
    let mut d = String::with_capacity(side * side);
    for (y, row) in colors.chunks(side).enumerate() {
        let mut x = 0;
        while x < side {
            if row[x] == Color::Dark {
                let start = x;
                while x < side && row[x] == Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    d,
                    "M{} {}h{}v1h-{}z",
                    start + 4,
                    y + 4,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    Ok((side, d))
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One code as a standalone SVG document, `size_mm` wide (with its quiet zone).
pub fn qr_svg(data: &str, size_mm: f64) -> Result<String, QrTooLong> {
    let (side, d) = modules(data)?;
    let n = side + 8;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size_mm}mm\" height=\"{size_mm}mm\" \
         viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\"><title>{}</title>\
         <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>",
        xml_escape(data)
    ))
}

/// One invitation card: the address the code opens, the token as typed text, and a caption
/// (the unit's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub url: String,
    pub token: String,
    pub caption: String,
}

/// The sheet's page header and the note printed on every card, and how many cards a page holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Printed at the top of every page, with the page number.
    pub title: String,
    /// Printed under each card's token (e.g. "Quét mã để đánh giá sự hài lòng").
    pub note: String,
    pub columns: usize,
    pub rows: usize,
}

impl Default for Sheet {
    fn default() -> Self {
        Sheet {
            title: String::new(),
            note: String::new(),
            columns: 3,
            rows: 4,
        }
    }
}

const PAGE_W: f64 = 210.0;
const PAGE_H: f64 = 297.0;
const MARGIN: f64 = 10.0;
const HEADER: f64 = 8.0;

/// `abcdefgh…` → two lines of groups of four characters, easy to read out and type.
fn token_lines(token: &str) -> (String, String) {
    let groups: Vec<String> = token
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect())
        .collect();
    let half = groups.len().div_ceil(2);
    (groups[..half].join(" "), groups[half..].join(" "))
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The content of one A4 page (in millimetres), `cards` placed left to right, top to bottom.
fn page_body(
    sheet: &Sheet,
    cards: &[Card],
    page: usize,
    pages: usize,
    out: &mut String,
) -> Result<(), QrTooLong> {
    let cols = sheet.columns.max(1);
    let rows = sheet.rows.max(1);
    let cw = (PAGE_W - 2.0 * MARGIN) / cols as f64;
    let ch = (PAGE_H - 2.0 * MARGIN - HEADER) / rows as f64;
    // The code takes what the four text lines under it leave.
    let qr = (ch - 24.0).min(cw - 8.0).max(10.0);
    let _ = write!(
        out,
        "<text x=\"{MARGIN}\" y=\"{:.2}\" font-family=\"sans-serif\" font-size=\"3.4\">{}</text>\
         <text x=\"{:.2}\" y=\"{:.2}\" font-family=\"sans-serif\" font-size=\"3\" text-anchor=\"end\">{}/{}</text>",
        MARGIN + 4.0,
        xml_escape(&clip(&sheet.title, 90)),
        PAGE_W - MARGIN,
        MARGIN + 4.0,
        page + 1,
        pages
    );
    // Characters that fit a card's width at the caption's size (about 0.55 em per character).
    let fit = |size: f64| ((cw - 4.0) / (size * 0.55)).floor().max(4.0) as usize;
    for (i, card) in cards.iter().enumerate() {
        let (c, r) = (i % cols, i / cols);
        let x = MARGIN + c as f64 * cw;
        let y = MARGIN + HEADER + r as f64 * ch;
        let (side, d) = modules(&card.url)?;
        let n = side + 8;
        let cx = x + cw / 2.0;
        let (l1, l2) = token_lines(&card.token);
        let _ = write!(
            out,
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{cw:.2}\" height=\"{ch:.2}\" fill=\"none\" \
             stroke=\"#999\" stroke-width=\"0.2\" stroke-dasharray=\"1.5 1.5\"/>\
             <svg x=\"{:.2}\" y=\"{:.2}\" width=\"{qr:.2}\" height=\"{qr:.2}\" viewBox=\"0 0 {n} {n}\" \
             shape-rendering=\"crispEdges\"><path fill=\"#000\" d=\"{d}\"/></svg>\
             <g font-family=\"sans-serif\" text-anchor=\"middle\">\
             <text x=\"{cx:.2}\" y=\"{:.2}\" font-size=\"3.2\" font-weight=\"bold\">{}</text>\
             <text x=\"{cx:.2}\" y=\"{:.2}\" font-size=\"3.6\" font-family=\"monospace\">{}</text>\
             <text x=\"{cx:.2}\" y=\"{:.2}\" font-size=\"3.6\" font-family=\"monospace\">{}</text>\
             <text x=\"{cx:.2}\" y=\"{:.2}\" font-size=\"2.4\">{}</text></g>",
            cx - qr / 2.0,
            y + 1.5,
            y + qr + 5.0,
            xml_escape(&clip(&card.caption, fit(3.2))),
            y + qr + 10.0,
            xml_escape(&l1),
            y + qr + 14.5,
            xml_escape(&l2),
            y + qr + 19.5,
            xml_escape(&clip(&sheet.note, fit(2.4))),
        );
    }
    Ok(())
}

fn per_page(sheet: &Sheet) -> usize {
    sheet.columns.max(1) * sheet.rows.max(1)
}

/// The sheet as A4 pages, each a standalone SVG document (210 × 297 mm).
pub fn sheet_pages(sheet: &Sheet, cards: &[Card]) -> Result<Vec<String>, QrTooLong> {
    let chunks: Vec<&[Card]> = cards.chunks(per_page(sheet)).collect();
    let pages = chunks.len().max(1);
    let mut out = Vec::with_capacity(pages);
    for (p, chunk) in chunks.iter().enumerate() {
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_W}mm\" height=\"{PAGE_H}mm\" \
             viewBox=\"0 0 {PAGE_W} {PAGE_H}\"><rect width=\"{PAGE_W}\" height=\"{PAGE_H}\" fill=\"#fff\"/>"
        );
        page_body(sheet, chunk, p, pages, &mut s)?;
        s.push_str("</svg>");
        out.push(s);
    }
    Ok(out)
}

/// The whole sheet as one SVG document: the A4 pages one under the other (for viewing or a
/// single page; to print many pages use [`sheet_html`]).
pub fn sheet_svg(sheet: &Sheet, cards: &[Card]) -> Result<String, QrTooLong> {
    let chunks: Vec<&[Card]> = cards.chunks(per_page(sheet)).collect();
    let pages = chunks.len().max(1);
    let h = PAGE_H * pages as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_W}mm\" height=\"{h}mm\" \
         viewBox=\"0 0 {PAGE_W} {h}\"><rect width=\"{PAGE_W}\" height=\"{h}\" fill=\"#fff\"/>"
    );
    for (p, chunk) in chunks.iter().enumerate() {
        let _ = write!(s, "<g transform=\"translate(0 {})\">", PAGE_H * p as f64);
        page_body(sheet, chunk, p, pages, &mut s)?;
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    Ok(s)
}

/// The sheet as a printable HTML document: one A4 page per page of cards, no script.
pub fn sheet_html(sheet: &Sheet, cards: &[Card], lang: &str) -> Result<String, QrTooLong> {
    let pages = sheet_pages(sheet, cards)?;
    let mut s = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>@page{{size:A4;margin:0}}body{{margin:0}}\
         .page{{width:210mm;height:297mm;overflow:hidden;break-after:page}}\
         .page:last-child{{break-after:auto}}svg{{display:block}}</style></head><body>",
        xml_escape(lang),
        xml_escape(&sheet.title)
    );
    for p in pages {
        s.push_str("<div class=\"page\">");
        s.push_str(&p);
        s.push_str("</div>");
    }
    s.push_str("</body></html>");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(n: usize) -> Vec<Card> {
        (0..n)
            .map(|i| Card {
                url: format!("https://dvc.example.gov.vn/khao-sat/2019/sipas-2017-22?ma=abcdefghijklmnopqrstuvwxyz23{i:04}"),
                token: format!("abcdefghijklmnopqrstuvwxyz23{i:04}"),
                caption: "Sở Tư pháp <&> \"x\"".into(),
            })
            .collect()
    }

    #[test]
    fn a_code_is_square_with_a_quiet_zone() {
        let (side, d) = modules("https://example.org/khao-sat/2019/x?ma=abc").unwrap();
        assert_eq!((side - 17) % 4, 0, "a QR side is 17 + 4·version");
        assert!(
            d.starts_with("M4 4h7"),
            "finder pattern top left: {}",
            &d[..20]
        );
        let svg = qr_svg("a&b", 30.0).unwrap();
        assert!(svg.contains("<title>a&amp;b</title>"));
        assert!(svg.contains("width=\"30mm\""));
    }

    #[test]
    fn too_long_data_is_refused() {
        let e = modules(&"x".repeat(5000)).unwrap_err();
        assert_eq!(e.bytes, 5000);
    }

    #[test]
    fn sheets_are_paged_and_escaped() {
        let sheet = Sheet {
            title: "Mã khảo sát — Sở Tư pháp".into(),
            note: "Quét mã để đánh giá".into(),
            ..Default::default()
        };
        let pages = sheet_pages(&sheet, &cards(25)).unwrap();
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[2].matches("<path").count(), 1);
        assert_eq!(pages[0].matches("<path").count(), 12);
        assert!(pages[0].contains("Sở Tư pháp &lt;&amp;&gt; &quot;x&quot;"));
        assert!(!pages[0].contains("<&>"));
        assert!(pages[0].contains(">1/3</text>"));
        assert!(pages[0].contains("abcd efgh ijkl mnop"));
        let svg = sheet_svg(&sheet, &cards(25)).unwrap();
        assert!(svg.contains("height=\"891mm\""));
        let html = sheet_html(&sheet, &cards(2), "vi").unwrap();
        assert_eq!(html.matches("class=\"page\"").count(), 1);
        assert!(html.starts_with("<!doctype html><html lang=\"vi\">"));
    }

    #[test]
    fn an_empty_sheet_has_no_pages() {
        let pages = sheet_pages(&Sheet::default(), &[]).unwrap();
        assert_eq!(pages.len(), 0);
        let svg = sheet_svg(&Sheet::default(), &[]).unwrap();
        assert!(svg.contains("height=\"297mm\""));
    }

    #[test]
    fn tokens_are_grouped_in_fours_on_two_lines() {
        assert_eq!(
            token_lines("abcdefghijklmnopqrstuvwxyz234567"),
            ("abcd efgh ijkl mnop".into(), "qrst uvwx yz23 4567".into())
        );
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
