//! The user's language and number formatting per language (`86,8` in Vietnamese, `86.8` in English).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A user-facing language. Vietnamese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Vi,
    En,
}

impl Locale {
    pub fn parse(text: &str) -> Option<Locale> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vi" | "vi-vn" | "vie" => Some(Locale::Vi),
            "en" | "en-us" | "en-gb" | "eng" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }

    /// Picks the Vietnamese or English text.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Locale::Vi => vi,
            Locale::En => en,
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            Locale::Vi => (',', '.'),
            Locale::En => ('.', ','),
        }
    }

    /// Formats a decimal with exactly `decimals` places (the value must already be rounded as the
    /// caller's rule says; extra places are cut, missing ones padded) and grouped thousands.
    pub fn decimal(self, value: Decimal, decimals: u32) -> String {
        let (decimal_sep, group_sep) = self.separators();
        let mut v = value;
        v.rescale(decimals);
        let text = v.abs().to_string();
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i.to_string(), f.to_string()),
            None => (text.clone(), String::new()),
        };
        let mut out = String::new();
        if v.is_sign_negative() && !v.is_zero() {
            out.push('-');
        }
        out.push_str(&group_digits(&int_part, group_sep));
        if decimals > 0 {
            out.push(decimal_sep);
            out.push_str(&frac_part);
        }
        out
    }

    /// Formats a whole number with grouped thousands: `1.989.307` (vi), `1,989,307` (en).
    pub fn integer(self, value: i64) -> String {
        let (_, group_sep) = self.separators();
        let digits = value.unsigned_abs().to_string();
        let grouped = group_digits(&digits, group_sep);
        if value < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }
}

fn group_digits(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn vietnamese_and_english_numbers() {
        let d = Decimal::from_str("86.8").unwrap();
        assert_eq!(Locale::Vi.decimal(d, 1), "86,8");
        assert_eq!(Locale::En.decimal(d, 2), "86.80");
        assert_eq!(Locale::Vi.integer(1_989_307), "1.989.307");
        assert_eq!(Locale::En.integer(1_989_307), "1,989,307");
        assert_eq!(
            Locale::Vi.decimal(Decimal::from_str("-1234.5").unwrap(), 2),
            "-1.234,50"
        );
        assert_eq!(
            Locale::Vi.decimal(Decimal::from_str("97.685").unwrap(), 3),
            "97,685"
        );
    }
}
