//! Exact decimal numbers: reading them from files and user text, and the rounding rules.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize};
use std::str::FromStr;

/// A number as written in a TOML file: integer, float or string, read as an exact decimal.
/// Floats go through their shortest round-trip text (`0.1` stays `0.1`), never through binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num(pub Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Int(i64),
            Float(f64),
            Text(String),
        }
        let value = match Any::deserialize(deserializer)? {
            Any::Int(i) => Decimal::from(i),
            Any::Float(f) => {
                if !f.is_finite() {
                    return Err(serde::de::Error::custom("number must be finite"));
                }
                Decimal::from_str(&format!("{f}")).map_err(serde::de::Error::custom)?
            }
            Any::Text(t) => parse_decimal(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("'{t}' is not a number")))?,
        };
        Ok(Num(value.normalize()))
    }
}

/// Reads a decimal from user text: `86.8`, `86,8` (decimal comma), `-1`, `1.989.307,5`
/// (Vietnamese grouping) or `1,989,307.5`. Returns `None` for anything else.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let (int_part, frac_part, group_sep) = match (dots, commas) {
        (0, 0) => (body, "", None),
        (1, 0) => body.split_once('.').map(|(i, f)| (i, f, None))?,
        (0, 1) => body.split_once(',').map(|(i, f)| (i, f, None))?,
        // One kind several times: all of them group thousands (1.989.307).
        (_, 0) => (body, "", Some('.')),
        (0, _) => (body, "", Some(',')),
        // Both kinds: the last one is the decimal separator, the other groups thousands.
        _ => {
            let last = body.rfind(['.', ','])?;
            let (i, f) = (&body[..last], &body[last + 1..]);
            let decimal_sep = body.as_bytes()[last] as char;
            if f.contains(['.', ',']) || i.contains(decimal_sep) {
                return None;
            }
            (i, f, Some(if decimal_sep == '.' { ',' } else { '.' }))
        }
    };
    let int_digits = match group_sep {
        None => int_part.to_string(),
        Some(sep) => {
            let groups: Vec<&str> = int_part.split(sep).collect();
            let well_grouped = !groups[0].is_empty()
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3);
            if !well_grouped {
                return None;
            }
            groups.concat()
        }
    };
    if int_digits.is_empty() && frac_part.is_empty() {
        return None;
    }
    let sign = if t.starts_with('-') { "-" } else { "" };
    let normalised = if frac_part.is_empty() {
        format!("{sign}{int_digits}")
    } else {
        format!("{sign}{int_digits}.{frac_part}")
    };
    Decimal::from_str(&normalised).ok().map(|d| d.normalize())
}

/// How published figures are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 0.125 → 0.13 (the usual rule in published tables).
    #[default]
    HalfUp,
    /// 0.125 → 0.12 (banker's rounding).
    HalfEven,
    /// 0.129 → 0.12.
    Down,
}

impl Rounding {
    pub fn round(self, value: Decimal, decimals: u32) -> Decimal {
        let strategy = match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        };
        value.round_dp_with_strategy(decimals, strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reads_both_decimal_conventions() {
        assert_eq!(parse_decimal("86.8"), Some(d("86.8")));
        assert_eq!(parse_decimal("86,8"), Some(d("86.8")));
        assert_eq!(parse_decimal(" -0,5 "), Some(d("-0.5")));
        assert_eq!(parse_decimal("1.989.307"), Some(d("1989307")));
        assert_eq!(parse_decimal("1.989.307,25"), Some(d("1989307.25")));
        assert_eq!(parse_decimal("1,989,307.25"), Some(d("1989307.25")));
        assert_eq!(parse_decimal("1,98,9.5"), None);
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("1e5"), None);
    }

    #[test]
    fn rounding_modes() {
        assert_eq!(Rounding::HalfUp.round(d("0.125"), 2), d("0.13"));
        assert_eq!(Rounding::HalfEven.round(d("0.125"), 2), d("0.12"));
        assert_eq!(Rounding::Down.round(d("0.129"), 2), d("0.12"));
    }
}
