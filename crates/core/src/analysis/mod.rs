//! Analysis of a round's results (issue 7): where points were lost, the smallest plan to do
//! better, self-assessed against appraised points, how sure a rank is, and year-over-year change
//! when the criteria set changed. Pure functions over scores; points stay exact decimals, and
//! `f64` appears only inside the Monte Carlo statistics. See docs/analysis.md.

pub mod inflation;
pub mod lost;
pub mod planner;
pub mod uncertainty;
pub mod yoy;

use crate::locale::Locale;
use crate::set::{Basis, CriteriaSet, RankMethod};
use rust_decimal::Decimal;
use serde::Serialize;

/// A message shown to users, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }
    pub fn pick(&self, locale: Locale) -> &str {
        locale.pick(&self.vi, &self.en)
    }
}

/// Points over a maximum × 100 (0 for a zero maximum), unrounded.
pub fn percent(total: Decimal, max: Decimal) -> Decimal {
    if max.is_zero() {
        Decimal::ZERO
    } else {
        total * Decimal::ONE_HUNDRED / max
    }
}

/// The published value a unit is ranked or classed on, exactly as `ranking::rank` computes it:
/// the percent of its own maximum or its points, rounded as the set says.
pub fn published_value(set: &CriteriaSet, basis: Basis, total: Decimal, max: Decimal) -> Decimal {
    match basis {
        Basis::Percent => set.publish(percent(total, max)),
        Basis::Points => set.publish(total),
    }
}

/// The rank a value would have among `others` (which do not include it), best first, with the
/// set's method: competition counts the others strictly above, dense counts their distinct values.
pub fn rank_among(value: Decimal, others: &[Decimal], method: RankMethod) -> u32 {
    match method {
        RankMethod::Competition => others.iter().filter(|&&v| v > value).count() as u32 + 1,
        RankMethod::Dense => {
            let mut above: Vec<Decimal> = others.iter().copied().filter(|&v| v > value).collect();
            above.sort();
            above.dedup();
            above.len() as u32 + 1
        }
    }
}

/// Square root of a non-negative decimal by Newton's method (28 significant digits are plenty
/// for a spread); 0 for 0 or a negative input.
pub(crate) fn sqrt(x: Decimal) -> Decimal {
    if x <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let two = Decimal::TWO;
    let mut guess = if x > Decimal::ONE {
        x / two
    } else {
        Decimal::ONE
    };
    for _ in 0..100 {
        let next = (guess + x / guess) / two;
        if (next - guess).abs() <= Decimal::new(1, 24) {
            return next;
        }
        guess = next;
    }
    guess
}
