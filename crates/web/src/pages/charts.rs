//! Charts as inline SVG, drawn on the server from plain numbers (no chart library, no script): a
//! bar chart of points and points lost by area, and a radar chart of the share of the maximum
//! achieved in each area. Each has a title and description for screen readers; the page shows
//! the same numbers in a table.

use parindex_core::locale::Locale;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

/// One area's points against its maximum.
pub(crate) struct AreaPoints {
    pub code: String,
    pub title: String,
    pub points: Decimal,
    pub max: Decimal,
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn num(lang: Locale, d: Decimal) -> String {
    crate::pages::fmt::pts(lang, d.round_dp(2))
}

const INK: &str = "#1b1f24";
const POINTS: &str = "#0b4f8a";
const LOST_FILL: &str = "#f6d3d0";
const LOST_LINE: &str = "#b3261e";

/// Horizontal bars, one per area: the points achieved, then the points lost up to the maximum.
pub(crate) fn bars(lang: Locale, id: &str, title: &str, items: &[AreaPoints]) -> String {
    let row = 30.0;
    let (left, right, top) = (44.0, 96.0, 34.0);
    let width = 560.0;
    let plot = width - left - right;
    let height = top + row * items.len() as f64 + 10.0;
    let scale = items
        .iter()
        .map(|i| f(i.max))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let (p_label, l_label) = (
        lang.pick("Điểm đạt", "Points"),
        lang.pick("Điểm bị mất", "Points lost"),
    );
    let mut s = String::new();
    let desc: Vec<String> = items
        .iter()
        .map(|i| {
            format!(
                "{} {}: {} / {}",
                lang.pick("Lĩnh vực", "Area"),
                i.code,
                num(lang, i.points),
                num(lang, i.max)
            )
        })
        .collect();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(&desc.join("; "))
    );
    // Legend.
    let _ = write!(
        s,
        r#"<rect x="{left}" y="6" width="14" height="14" fill="{POINTS}"/><text x="{}" y="18" font-size="13" fill="{INK}">{}</text><rect x="{}" y="6" width="14" height="14" fill="{LOST_FILL}" stroke="{LOST_LINE}"/><text x="{}" y="18" font-size="13" fill="{INK}">{}</text>"#,
        left + 20.0,
        esc(p_label),
        left + 140.0,
        left + 160.0,
        esc(l_label)
    );
    for (n, i) in items.iter().enumerate() {
        let y = top + row * n as f64;
        let wp = plot * f(i.points).max(0.0) / scale;
        let wl = plot * (f(i.max) - f(i.points)).max(0.0) / scale;
        let _ = write!(
            s,
            r#"<g><title>{}</title><text x="{}" y="{}" font-size="13" text-anchor="end" fill="{INK}">{}</text><rect x="{left}" y="{}" width="{wp:.1}" height="18" fill="{POINTS}"/><rect x="{:.1}" y="{}" width="{wl:.1}" height="18" fill="{LOST_FILL}" stroke="{LOST_LINE}"/><text x="{:.1}" y="{}" font-size="12" fill="{INK}">{} / {}</text></g>"#,
            esc(&format!("{}. {}", i.code, i.title)),
            left - 8.0,
            y + 14.0,
            esc(&i.code),
            y + 2.0,
            left + wp,
            y + 2.0,
            left + wp + wl + 6.0,
            y + 15.0,
            num(lang, i.points),
            num(lang, i.max)
        );
    }
    s.push_str("</svg>");
    s
}

/// A radar of the share of the maximum achieved per area (0 at the centre, 100 % at the rim).
pub(crate) fn radar(lang: Locale, id: &str, title: &str, items: &[AreaPoints]) -> String {
    let (cx, cy, r) = (200.0_f64, 190.0_f64, 140.0_f64);
    let n = items.len().max(3) as f64;
    let angle = |k: usize| -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * k as f64 / n;
    let share = |i: &AreaPoints| {
        if i.max.is_zero() {
            0.0
        } else {
            (f(i.points) / f(i.max)).clamp(0.0, 1.0)
        }
    };
    let desc: Vec<String> = items
        .iter()
        .map(|i| {
            let pct = if i.max.is_zero() {
                Decimal::ZERO
            } else {
                (i.points * Decimal::ONE_HUNDRED / i.max).round_dp(1)
            };
            format!(
                "{} {}: {} %",
                lang.pick("Lĩnh vực", "Area"),
                i.code,
                lang.decimal(pct, 1)
            )
        })
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 380" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(&desc.join("; "))
    );
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let pts: Vec<String> = (0..items.len().max(3))
            .map(|k| {
                let a = angle(k);
                format!(
                    "{:.1},{:.1}",
                    cx + r * ring * a.cos(),
                    cy + r * ring * a.sin()
                )
            })
            .collect();
        let _ = write!(
            s,
            r##"<polygon points="{}" fill="none" stroke="#c9d0d8"/>"##,
            pts.join(" ")
        );
    }
    let _ = write!(
        s,
        r##"<text x="{cx}" y="{:.1}" font-size="11" fill="#4a5360" text-anchor="middle">50 %</text><text x="{cx}" y="{:.1}" font-size="11" fill="#4a5360" text-anchor="middle">100 %</text>"##,
        cy - r * 0.5 - 3.0,
        cy - r - 3.0
    );
    for (k, i) in items.iter().enumerate() {
        let a = angle(k);
        let (x, y) = (cx + r * a.cos(), cy + r * a.sin());
        let (lx, ly) = (cx + (r + 18.0) * a.cos(), cy + (r + 18.0) * a.sin() + 4.0);
        let _ = write!(
            s,
            r##"<line x1="{cx}" y1="{cy}" x2="{x:.1}" y2="{y:.1}" stroke="#c9d0d8"/><text x="{lx:.1}" y="{ly:.1}" font-size="13" text-anchor="middle" fill="{INK}"><title>{}</title>{}</text>"##,
            esc(&format!("{}. {}", i.code, i.title)),
            esc(&i.code)
        );
    }
    let poly: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let a = angle(k);
            let v = share(i);
            format!("{:.1},{:.1}", cx + r * v * a.cos(), cy + r * v * a.sin())
        })
        .collect();
    let _ = write!(
        s,
        r#"<polygon points="{}" fill="{POINTS}" fill-opacity="0.25" stroke="{POINTS}" stroke-width="2"/>"#,
        poly.join(" ")
    );
    for p in &poly {
        if let Some((x, y)) = p.split_once(',') {
            let _ = write!(s, r#"<circle cx="{x}" cy="{y}" r="3" fill="{POINTS}"/>"#);
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn items() -> Vec<AreaPoints> {
        let d = |s| Decimal::from_str(s).unwrap();
        vec![
            AreaPoints {
                code: "1".into(),
                title: "Chỉ đạo <điều hành> & CCHC".into(),
                points: d("8.5"),
                max: d("10"),
            },
            AreaPoints {
                code: "2".into(),
                title: "Văn bản".into(),
                points: d("4"),
                max: d("5"),
            },
            AreaPoints {
                code: "3".into(),
                title: "TTHC".into(),
                points: d("0"),
                max: d("0"),
            },
        ]
    }

    #[test]
    fn charts_are_well_formed_and_escaped() {
        for svg in [
            bars(Locale::Vi, "b", "Điểm theo lĩnh vực", &items()),
            radar(Locale::En, "r", "Share by area", &items()),
        ] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(!svg.contains("<điều"), "unescaped text: {svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
            assert_eq!(svg.matches("<svg").count(), 1);
        }
        let b = bars(Locale::Vi, "b", "t", &items());
        assert!(b.contains("8,5 / 10"));
    }
}
