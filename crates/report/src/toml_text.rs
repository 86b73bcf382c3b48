//! TOML literals shared by the writers: strings, keys, exact decimals, comments and the inline
//! table of a scoring rule.

use parindex_core::rules::{Band, Rule, Share};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// A TOML basic string: `"…"` with `"`, `\` and control characters escaped.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it may be, quoted otherwise.
pub(crate) fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { k.to_string() } else { string(k) }
}

/// A decimal as a TOML number when reading that number back gives exactly this decimal (the way
/// `parindex_core::num::Num` reads it: integers exactly, floats through their shortest text), and as
/// a string holding the exact decimal otherwise (e.g. more digits than a binary float keeps).
pub(crate) fn decimal(d: Decimal) -> String {
    let d = d.normalize();
    if d.is_zero() {
        return "0".to_string();
    }
    let text = d.to_string();
    if d.scale() == 0 {
        return if text.parse::<i64>().is_ok() {
            text
        } else {
            string(&text)
        };
    }
    match text.parse::<f64>() {
        Ok(f) if format!("{f}").parse::<Decimal>().ok() == Some(d) => text,
        _ => string(&text),
    }
}

/// Text safe for a one-line `#` comment: control characters become spaces.
pub(crate) fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The rule as a TOML inline table in the syntax of the criteria-set format, parameters at their
/// default left out: `{ type = "timeliness", late = 0.5 }`.
pub(crate) fn rule(rule: &Rule) -> String {
    let mut fields: Vec<(&str, String)> = vec![("type", string(rule.type_name()))];
    match rule {
        Rule::Binary | Rule::Manual => {}
        Rule::Timeliness {
            on_time,
            late,
            missing,
        } => {
            if let Some(on) = on_time {
                fields.push(("on_time", decimal(*on)));
            }
            fields.push(("late", decimal(*late)));
            if !missing.is_zero() {
                fields.push(("missing", decimal(*missing)));
            }
        }
        Rule::Bands { domain, bands } => {
            if *domain != (Decimal::ZERO, Decimal::ONE_HUNDRED) {
                fields.push((
                    "domain",
                    format!("[{}, {}]", decimal(domain.0), decimal(domain.1)),
                ));
            }
            let list = bands.iter().map(band).collect::<Vec<_>>().join(", ");
            fields.push(("bands", format!("[{list}]")));
        }
        Rule::Proportional {
            floor,
            floor_inclusive,
            cap,
        } => {
            if !floor.is_zero() {
                fields.push(("floor", decimal(*floor)));
            }
            if !floor.is_zero() || !floor_inclusive {
                fields.push(("floor_inclusive", floor_inclusive.to_string()));
            }
            if let Some(c) = cap {
                fields.push(("cap", decimal(*c)));
            }
        }
        Rule::PerItem { each } => fields.push(("each", decimal(*each))),
        Rule::Graded { levels } => fields.push(("levels", shares(levels))),
        Rule::Deduction { kinds } => fields.push(("kinds", shares(kinds))),
        Rule::Survey {
            indicator,
            from,
            to,
        } => {
            fields.push(("indicator", string(indicator)));
            if !from.is_zero() {
                fields.push(("from", decimal(*from)));
            }
            if *to != Decimal::ONE_HUNDRED {
                fields.push(("to", decimal(*to)));
            }
        }
    }
    inline(&fields)
}

fn inline(fields: &[(&str, String)]) -> String {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{{ {body} }}")
}

fn band(b: &Band) -> String {
    let mut fields: Vec<(&str, String)> = Vec::new();
    if let Some(m) = b.min {
        fields.push(("min", decimal(m)));
    }
    if b.min.is_some() || !b.min_inclusive {
        fields.push(("min_inclusive", b.min_inclusive.to_string()));
    }
    if let Some(m) = b.max {
        fields.push(("max", decimal(m)));
    }
    if b.max.is_some() || b.max_inclusive {
        fields.push(("max_inclusive", b.max_inclusive.to_string()));
    }
    fields.push(("points", decimal(b.points)));
    inline(&fields)
}

fn shares(list: &[Share]) -> String {
    let items = list
        .iter()
        .map(|s| {
            inline(&[
                ("key", string(&s.key)),
                ("label", string(&s.label)),
                ("share", decimal(s.share)),
            ])
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("[{items}]")
}

/// A parsed TOML value written back as one line of TOML (inline tables and arrays included), so
/// that a cell's rule can be placed safely on a line of a generated file.
pub(crate) fn value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => string(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => {
            if f.is_nan() {
                "nan".to_string()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    "inf".to_string()
                } else {
                    "-inf".to_string()
                }
            } else {
                // Debug keeps a `.0` or an exponent, so the text stays a TOML float.
                format!("{f:?}")
            }
        }
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        toml::Value::Table(t) => {
            if t.is_empty() {
                return "{}".to_string();
            }
            let body = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), value(v)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{{ {body} }}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_stay_exact() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(decimal(d("0.1")), "0.1");
        assert_eq!(decimal(d("1.250")), "1.25");
        assert_eq!(decimal(d("33.333")), "33.333");
        assert_eq!(decimal(d("100")), "100");
        assert_eq!(decimal(d("-2.5")), "-2.5");
        assert_eq!(
            decimal(d("0.1234567890123456789")),
            "\"0.1234567890123456789\""
        );
        assert_eq!(
            decimal(d("79228162514264337593543950335")),
            "\"79228162514264337593543950335\""
        );
    }

    #[test]
    fn strings_escape() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(key("huyen"), "huyen");
        assert_eq!(key("cấp"), "\"cấp\"");
    }
}
