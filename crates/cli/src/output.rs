//! Text renderings for the terminal and for data files: set trees, result tables, CSV and JSON.

use parindex_core::locale::Locale;
use parindex_core::questionnaire::Questionnaire;
use parindex_core::ranking::Results;
use parindex_core::set::{CriteriaSet, Shape};
use rust_decimal::Decimal;
use std::fmt::Write;

pub fn shape_line(shape: &Shape, locale: Locale) -> String {
    let total = locale.decimal(shape.total.normalize(), shape.total.normalize().scale());
    match locale {
        Locale::Vi => format!(
            "{} lĩnh vực, {} tiêu chí, {} tiêu chí thành phần, tổng {} điểm",
            shape.areas, shape.criteria, shape.sub_criteria, total
        ),
        Locale::En => format!(
            "{} areas, {} criteria, {} sub-criteria, {} points in total",
            shape.areas, shape.criteria, shape.sub_criteria, total
        ),
    }
}

pub fn questionnaire_line(q: &Questionnaire, locale: Locale) -> String {
    let per_element = q
        .counts_per_element()
        .iter()
        .map(|(_, n)| n.to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    match locale {
        Locale::Vi => format!(
            "{} yếu tố, {} tiêu chí ({per_element})",
            q.elements.len(),
            q.items.len()
        ),
        Locale::En => format!(
            "{} elements, {} items ({per_element})",
            q.elements.len(),
            q.items.len()
        ),
    }
}

pub fn questionnaire_tree(q: &Questionnaire, locale: Locale) -> String {
    let pick = |vi: &str, en: &Option<String>| match (locale, en) {
        (Locale::En, Some(t)) => t.clone(),
        _ => vi.to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", pick(&q.title, &q.title_en), q.code);
    for element in &q.elements {
        let _ = writeln!(
            out,
            "{} {}",
            element.code,
            pick(&element.name, &element.name_en)
        );
        for item in q.items_of_element(element.code) {
            let _ = writeln!(out, "  {} {}", item.code, pick(&item.text, &item.text_en));
        }
    }
    let _ = writeln!(out, "{}", questionnaire_line(q, locale));
    out
}

fn points(locale: Locale, d: Decimal) -> String {
    let d = d.normalize();
    locale.decimal(d, d.scale())
}

pub fn set_tree(set: &CriteriaSet, locale: Locale) -> String {
    let mut out = String::new();
    let title = match (locale, &set.title_en) {
        (Locale::En, Some(t)) => t.as_str(),
        _ => set.title.as_str(),
    };
    let _ = writeln!(out, "{title} ({}, {})", set.code, set.year);
    for node in &set.nodes {
        let indent = "  ".repeat(node.code.level() - 1);
        let node_title = match (locale, &node.title_en) {
            (Locale::En, Some(t)) => t.as_str(),
            _ => node.title.as_str(),
        };
        let mut line = format!(
            "{indent}{} {node_title} [{}]",
            node.code,
            points(locale, node.max)
        );
        if let Some(rule) = &node.rule {
            let _ = write!(line, " — {}", rule.type_name());
            if node.allow_na {
                line.push_str(locale.pick(", có thể không áp dụng", ", may be not applicable"));
            }
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", shape_line(&set.shape(), locale));
    out
}

fn pad(text: &str, width: usize, right: bool) -> String {
    let len = text.chars().count();
    let fill = " ".repeat(width.saturating_sub(len));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

/// The ranking per group as an aligned table, with the group's average, minimum and maximum.
pub fn results_table(results: &Results, set: &CriteriaSet, locale: Locale) -> String {
    let dec = results.decimals;
    let headers = match locale {
        Locale::Vi => [
            "Hạng",
            "Đơn vị",
            "Tổng điểm",
            "Tối đa",
            "Chỉ số %",
            "Xếp loại",
            "± điểm",
            "± hạng",
        ],
        Locale::En => [
            "Rank",
            "Unit",
            "Total",
            "Max",
            "Index %",
            "Class",
            "± points",
            "± rank",
        ],
    };
    let mut out = String::new();
    for group in &results.groups {
        let name = match (locale, &group.group.name_en) {
            (Locale::En, Some(n)) => n.clone(),
            _ => group.group.name.clone(),
        };
        let _ = writeln!(
            out,
            "{} {name} — {} {}",
            locale.pick("Nhóm", "Group"),
            group.units.len(),
            locale.pick("đơn vị", "units")
        );
        let rows: Vec<[String; 8]> = group
            .units
            .iter()
            .map(|u| {
                let class = u.class.map(|c| {
                    let def = &set.classes.classes[c];
                    match (locale, &def.label_en) {
                        (Locale::En, Some(l)) => l.clone(),
                        _ => def.label.clone(),
                    }
                });
                [
                    u.rank.to_string(),
                    u.name.clone(),
                    locale.decimal(u.total, dec),
                    points(locale, u.max),
                    locale.decimal(u.percent, dec),
                    class.unwrap_or_default(),
                    u.delta_total
                        .map(|d| signed(locale.decimal(d, dec), d))
                        .unwrap_or_default(),
                    u.delta_rank
                        .map(|d| {
                            if d > 0 {
                                format!("+{d}")
                            } else {
                                d.to_string()
                            }
                        })
                        .unwrap_or_default(),
                ]
            })
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let right = [true, false, true, true, true, false, true, true];
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(&widths)
                .zip(right)
                .map(|((c, w), r)| pad(c, *w, r))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let _ = writeln!(out, "{}", line(headers.to_vec()));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
        }
        if let Some(s) = &group.summary {
            let _ = writeln!(
                out,
                "{}: {}; {}: {}; {}: {}; {}: {}",
                locale.pick("Trung bình", "Average"),
                locale.decimal(s.average_total, dec),
                locale.pick("thấp nhất", "minimum"),
                locale.decimal(s.min_total, dec),
                locale.pick("cao nhất", "maximum"),
                locale.decimal(s.max_total, dec),
                locale.pick("chênh lệch", "spread"),
                locale.decimal(s.spread, dec),
            );
        }
        out.push('\n');
    }
    out
}

fn signed(text: String, d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

pub fn results_json(results: &Results) -> String {
    let mut s = serde_json::to_string_pretty(results).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
