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

/// One estimate with its 95 % interval, in percent (NaN when there is no answer).
pub(crate) struct Interval {
    pub label: String,
    pub title: String,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
    /// Too few answers or too wide an interval: drawn hollow and marked.
    pub flagged: bool,
}

/// A figure in percent with one decimal (decimal comma in Vietnamese), or a dash when empty.
pub(crate) fn pct(lang: Locale, v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let d = Decimal::from_f64_retain(v).unwrap_or_default().round_dp(1);
    lang.decimal(d, 1)
}

/// Estimates on a 0–100 % axis, one row each: a dot at the estimate and a whisker over its 95 %
/// interval, the figures written at the right.
pub(crate) fn intervals(lang: Locale, id: &str, title: &str, items: &[Interval]) -> String {
    let row = 28.0;
    let (left, right, top) = (64.0, 150.0, 28.0);
    let width = 600.0;
    let plot = width - left - right;
    let height = top + row * items.len() as f64 + 8.0;
    let x = |v: f64| left + plot * v.clamp(0.0, 100.0) / 100.0;
    let text = |i: &Interval| {
        if i.value.is_finite() {
            format!(
                "{} ({}–{}){}",
                pct(lang, i.value),
                pct(lang, i.lo),
                pct(lang, i.hi),
                if i.flagged { " *" } else { "" }
            )
        } else {
            "—".into()
        }
    };
    let desc: Vec<String> = items
        .iter()
        .map(|i| format!("{}: {}", i.label, text(i)))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(&desc.join("; "))
    );
    for g in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2:.1}" stroke="#c9d0d8"/><text x="{0:.1}" y="{3}" font-size="11" fill="#4a5360" text-anchor="middle">{4} %</text>"##,
            x(g),
            top - 8.0,
            height - 4.0,
            top - 12.0,
            g
        );
    }
    for (n, i) in items.iter().enumerate() {
        let y = top + row * n as f64 + row / 2.0;
        let _ = write!(
            s,
            r#"<g><title>{}</title><text x="{}" y="{:.1}" font-size="13" text-anchor="end" fill="{INK}">{}</text>"#,
            esc(&format!("{} — {}", i.title, text(i))),
            left - 8.0,
            y + 4.0,
            esc(&i.label)
        );
        if i.value.is_finite() {
            let fill = if i.flagged { "#ffffff" } else { POINTS };
            let _ = write!(
                s,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{POINTS}" stroke-width="2"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{POINTS}"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{POINTS}"/><circle cx="{:.1}" cy="{y:.1}" r="5" fill="{fill}" stroke="{POINTS}" stroke-width="2"/>"#,
                x(i.lo),
                x(i.hi),
                x(i.lo),
                y - 5.0,
                x(i.lo),
                y + 5.0,
                x(i.hi),
                y - 5.0,
                x(i.hi),
                y + 5.0,
                x(i.value)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}">{}</text></g>"#,
            left + plot + 8.0,
            y + 4.0,
            esc(&text(i))
        );
    }
    s.push_str("</svg>");
    s
}

/// One unit's responses against its quota.
pub(crate) struct Progress {
    pub label: String,
    pub title: String,
    pub done: u64,
    pub quota: Option<u64>,
}

/// Horizontal bars of responses as a share of the quota (full width at the quota; beyond it the
/// bar stops at the edge and the figures say by how much).
pub(crate) fn progress(lang: Locale, id: &str, title: &str, items: &[Progress]) -> String {
    let row = 26.0;
    let (left, right, top) = (84.0, 130.0, 8.0);
    let width = 600.0;
    let plot = width - left - right;
    let height = top + row * items.len() as f64 + 8.0;
    let figures = |p: &Progress| match p.quota {
        Some(q) if q > 0 => format!(
            "{} / {} ({} %)",
            p.done,
            q,
            pct(lang, 100.0 * p.done as f64 / q as f64)
        ),
        _ => format!("{} / —", p.done),
    };
    let desc: Vec<String> = items
        .iter()
        .map(|p| format!("{}: {}", p.label, figures(p)))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(&desc.join("; "))
    );
    for (n, p) in items.iter().enumerate() {
        let y = top + row * n as f64;
        let share = match p.quota {
            Some(q) if q > 0 => (p.done as f64 / q as f64).min(1.0),
            _ => 0.0,
        };
        let _ = write!(
            s,
            r##"<g><title>{}</title><text x="{}" y="{:.1}" font-size="13" text-anchor="end" fill="{INK}">{}</text><rect x="{left}" y="{:.1}" width="{plot:.1}" height="16" fill="#eef1f4" stroke="#c9d0d8"/><rect x="{left}" y="{:.1}" width="{:.1}" height="16" fill="{POINTS}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}">{}</text></g>"##,
            esc(&format!("{} — {}", p.title, figures(p))),
            left - 8.0,
            y + 13.0,
            esc(&p.label),
            y + 1.0,
            y + 1.0,
            plot * share,
            left + plot + 8.0,
            y + 13.0,
            esc(&figures(p))
        );
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

    #[test]
    fn interval_and_progress_charts_are_well_formed() {
        let rows = vec![
            Interval {
                label: "1".into(),
                title: "Tiếp cận <dịch vụ>".into(),
                value: 85.26,
                lo: 80.0,
                hi: 90.5,
                flagged: false,
            },
            Interval {
                label: "2".into(),
                title: "Thủ tục".into(),
                value: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                flagged: true,
            },
        ];
        let svg = intervals(Locale::Vi, "e", "Chỉ số", &rows);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("85,3 (80,0–90,5)"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("<dịch"));
        // One dot for the estimate that exists, none for the empty one.
        assert_eq!(svg.matches("<circle").count(), 1);
        let p = progress(
            Locale::En,
            "p",
            "Progress",
            &[
                Progress {
                    label: "SNV".into(),
                    title: "Sở Nội vụ".into(),
                    done: 150,
                    quota: Some(100),
                },
                Progress {
                    label: "STP".into(),
                    title: "Sở Tư pháp".into(),
                    done: 3,
                    quota: None,
                },
            ],
        );
        assert!(
            p.contains("150 / 100 (150.0 %)") && p.contains("3 / —"),
            "{p}"
        );
        // Beyond the quota the bar stops at the plot's edge.
        assert!(
            p.contains(r##"width="386.0" height="16" fill="#0b4f8a""##),
            "{p}"
        );
    }
}
