//! The ten scoring-rule types: their parameters, what a unit may declare under each, and the
//! points that declaration earns.

use crate::num::parse_decimal;
use crate::text::fold;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One band of a `bands` rule: the values between `min` and `max` (open where absent) earn `points`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub min: Option<Decimal>,
    pub min_inclusive: bool,
    pub max: Option<Decimal>,
    pub max_inclusive: bool,
    pub points: Decimal,
}

impl Band {
    pub fn contains(&self, v: Decimal) -> bool {
        let above = match self.min {
            None => true,
            Some(m) if self.min_inclusive => v >= m,
            Some(m) => v > m,
        };
        let below = match self.max {
            None => true,
            Some(m) if self.max_inclusive => v <= m,
            Some(m) => v < m,
        };
        above && below
    }
}

/// A named level (graded rule) or violation kind (deduction rule) with its share of the maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub key: String,
    pub label: String,
    pub share: Decimal,
}

/// A scoring rule with its parameters (see docs/criteria-set-format.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    Binary,
    Timeliness {
        on_time: Option<Decimal>,
        late: Decimal,
        missing: Decimal,
    },
    Bands {
        domain: (Decimal, Decimal),
        bands: Vec<Band>,
    },
    Proportional {
        floor: Decimal,
        floor_inclusive: bool,
        cap: Option<Decimal>,
    },
    PerItem {
        each: Decimal,
    },
    Graded {
        levels: Vec<Share>,
    },
    Deduction {
        kinds: Vec<Share>,
    },
    Survey {
        indicator: String,
        from: Decimal,
        to: Decimal,
    },
    Manual,
}

/// What a sub-criterion scored for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    Points(Decimal),
    /// Declared not applicable: no points and no share of the unit's maximum.
    NotApplicable,
}

/// Why a declared value is refused, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredError {
    pub vi: String,
    pub en: String,
}

fn refuse(vi: impl Into<String>, en: impl Into<String>) -> DeclaredError {
    DeclaredError {
        vi: vi.into(),
        en: en.into(),
    }
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

impl Rule {
    pub fn type_name(&self) -> &'static str {
        match self {
            Rule::Binary => "binary",
            Rule::Timeliness { .. } => "timeliness",
            Rule::Bands { .. } => "bands",
            Rule::Proportional { .. } => "proportional",
            Rule::PerItem { .. } => "per_item",
            Rule::Graded { .. } => "graded",
            Rule::Deduction { .. } => "deduction",
            Rule::Survey { .. } => "survey",
            Rule::Manual => "manual",
        }
    }

    /// Survey-derived points come from the survey, not from the unit's own declaration.
    pub fn is_survey(&self) -> bool {
        matches!(self, Rule::Survey { .. })
    }

    /// Scores a declared value against a maximum. An empty declaration scores 0 (nothing declared,
    /// nothing earned); `na` is accepted only where the sub-criterion allows it.
    pub fn score(
        &self,
        declared: &str,
        max: Decimal,
        allow_na: bool,
    ) -> Result<Score, DeclaredError> {
        let text = declared.trim();
        if text.is_empty() {
            return Ok(Score::Points(Decimal::ZERO));
        }
        if is_not_applicable(text) {
            return if allow_na {
                Ok(Score::NotApplicable)
            } else {
                Err(refuse(
                    "tiêu chí này không được khai \"không áp dụng\"",
                    "this sub-criterion may not be declared not applicable",
                ))
            };
        }
        self.points(text, max).map(Score::Points)
    }

    fn points(&self, text: &str, max: Decimal) -> Result<Decimal, DeclaredError> {
        match self {
            Rule::Binary => match yes_no(text) {
                Some(true) => Ok(max),
                Some(false) => Ok(Decimal::ZERO),
                None => Err(refuse(
                    format!("'{text}' không phải có/không"),
                    format!("'{text}' is not yes/no"),
                )),
            },
            Rule::Timeliness {
                on_time,
                late,
                missing,
            } => match fold(text).as_str() {
                "dung_han" | "dung han" | "on_time" | "on time" | "kip thoi" => {
                    Ok(on_time.unwrap_or(max))
                }
                "tre_han" | "tre han" | "late" | "cham" => Ok(*late),
                "khong" | "missing" | "none" | "chua" | "khong ban hanh" => Ok(*missing),
                _ => Err(refuse(
                    format!("'{text}' không hợp lệ: dùng dung_han, tre_han hoặc khong"),
                    format!("'{text}' is not valid: use on_time, late or missing"),
                )),
            },
            Rule::Bands { domain, bands } => {
                let v = number(text)?;
                if v < domain.0 || v > domain.1 {
                    return Err(refuse(
                        format!("{v} nằm ngoài khoảng [{}, {}]", domain.0, domain.1),
                        format!("{v} is outside [{}, {}]", domain.0, domain.1),
                    ));
                }
                bands
                    .iter()
                    .find(|b| b.contains(v))
                    .map(|b| b.points)
                    .ok_or_else(|| {
                        refuse(
                            format!("{v} không thuộc mức nào"),
                            format!("{v} falls in no band"),
                        )
                    })
            }
            Rule::Proportional {
                floor,
                floor_inclusive,
                cap,
            } => {
                let ratio_percent = ratio_percent(text)?;
                let below_floor = if *floor_inclusive {
                    ratio_percent < *floor
                } else {
                    ratio_percent <= *floor
                };
                if below_floor {
                    return Ok(Decimal::ZERO);
                }
                let points = max * ratio_percent / HUNDRED;
                Ok(points.min(cap.unwrap_or(max)).min(max))
            }
            Rule::PerItem { each } => {
                let n = whole_number(text)?;
                Ok((Decimal::from(n) * each).min(max))
            }
            Rule::Graded { levels } => {
                let key = fold(text);
                levels
                    .iter()
                    .find(|l| fold(&l.key) == key || fold(&l.label) == key)
                    .map(|l| max * l.share)
                    .ok_or_else(|| {
                        let keys = levels
                            .iter()
                            .map(|l| l.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        refuse(
                            format!("'{text}' không phải mức nào trong: {keys}"),
                            format!("'{text}' is none of the levels: {keys}"),
                        )
                    })
            }
            Rule::Deduction { kinds } => {
                let counts = deduction_counts(text, kinds)?;
                let deducted: Decimal = kinds
                    .iter()
                    .zip(counts)
                    .map(|(k, n)| Decimal::from(n) * k.share * max)
                    .sum();
                Ok((max - deducted).max(Decimal::ZERO))
            }
            Rule::Survey { from, to, .. } => {
                let v = number(text)?;
                if v < Decimal::ZERO || v > HUNDRED {
                    return Err(refuse(
                        format!("kết quả khảo sát {v} phải từ 0 đến 100 (%)"),
                        format!("survey result {v} must be between 0 and 100 (%)"),
                    ));
                }
                let share = ((v - from) / (to - from)).clamp(Decimal::ZERO, Decimal::ONE);
                Ok(max * share)
            }
            Rule::Manual => {
                let v = number(text)?;
                if v < Decimal::ZERO || v > max {
                    return Err(refuse(
                        format!("điểm {v} phải từ 0 đến {max}"),
                        format!("points {v} must be between 0 and {max}"),
                    ));
                }
                Ok(v)
            }
        }
    }

    /// The distinct point values the rule can give, lowest first: the steps a unit can climb.
    /// `None` where the points vary continuously (proportional, survey, manual).
    pub fn steps(&self, max: Decimal) -> Option<Vec<Decimal>> {
        let mut points: Vec<Decimal> = match self {
            Rule::Binary => vec![Decimal::ZERO, max],
            Rule::Timeliness {
                on_time,
                late,
                missing,
            } => vec![*missing, *late, on_time.unwrap_or(max)],
            Rule::Bands { bands, .. } => bands.iter().map(|b| b.points).collect(),
            Rule::PerItem { each } => {
                if each.is_zero() {
                    vec![Decimal::ZERO]
                } else {
                    let n = (max / each).ceil();
                    let n = n.to_string().parse::<u32>().unwrap_or(0).min(10_000);
                    (0..=n)
                        .map(|i| (Decimal::from(i) * each).min(max))
                        .collect()
                }
            }
            Rule::Graded { levels } => levels.iter().map(|l| max * l.share).collect(),
            Rule::Deduction { .. } => vec![Decimal::ZERO, max],
            Rule::Proportional { .. } | Rule::Survey { .. } | Rule::Manual => return None,
        };
        points.sort();
        points.dedup();
        Some(points)
    }

    /// A short human description of the rule, in the given language, for tables and forms.
    pub fn describe(&self, locale: crate::locale::Locale) -> String {
        use crate::locale::Locale::*;
        let n = |d: &Decimal| locale.decimal(*d, d.scale().min(3));
        match (self, locale) {
            (Rule::Binary, Vi) => "Có: điểm tối đa; không: 0".into(),
            (Rule::Binary, En) => "Yes: maximum; no: 0".into(),
            (
                Rule::Timeliness {
                    on_time,
                    late,
                    missing,
                },
                _,
            ) => {
                let on = on_time
                    .map(|d| n(&d))
                    .unwrap_or_else(|| locale.pick("tối đa", "maximum").into());
                format!(
                    "{}: {on}; {}: {}; {}: {}",
                    locale.pick("Đúng hạn", "On time"),
                    locale.pick("trễ hạn", "late"),
                    n(late),
                    locale.pick("không thực hiện", "missing"),
                    n(missing)
                )
            }
            (Rule::Bands { bands, .. }, _) => bands
                .iter()
                .map(|b| {
                    let lo = b
                        .min
                        .map(|m| format!("{}{}", if b.min_inclusive { "≥" } else { ">" }, n(&m)));
                    let hi = b
                        .max
                        .map(|m| format!("{}{}", if b.max_inclusive { "≤" } else { "<" }, n(&m)));
                    let range = [lo, hi].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    format!("{range}: {}", n(&b.points))
                })
                .collect::<Vec<_>>()
                .join("; "),
            (Rule::Proportional { floor, .. }, _) => format!(
                "{} × {}{}",
                locale.pick("Điểm tối đa", "Maximum"),
                locale.pick("tỷ lệ đạt", "achieved ratio"),
                if floor.is_zero() {
                    String::new()
                } else {
                    format!("; {} {}%: 0", locale.pick("dưới", "below"), n(floor))
                }
            ),
            (Rule::PerItem { each }, _) => {
                format!(
                    "{} {}",
                    n(each),
                    locale.pick(
                        "điểm mỗi mục, tối đa bằng điểm tối đa",
                        "points per item, up to the maximum"
                    )
                )
            }
            (Rule::Graded { levels }, _) | (Rule::Deduction { kinds: levels }, _) => {
                let prefix = if matches!(self, Rule::Deduction { .. }) {
                    locale.pick("Trừ mỗi vi phạm: ", "Deducted per violation: ")
                } else {
                    ""
                };
                let parts = levels
                    .iter()
                    .map(|l| format!("{}: {}%", l.label, n(&(l.share * HUNDRED).normalize())))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!("{prefix}{parts}")
            }
            (Rule::Survey { indicator, .. }, _) => {
                format!(
                    "{} × {} ({indicator})",
                    locale.pick("Điểm tối đa", "Maximum"),
                    locale.pick("kết quả khảo sát", "survey result")
                )
            }
            (Rule::Manual, Vi) => "Thẩm định chấm trực tiếp".into(),
            (Rule::Manual, En) => "Points entered by the appraiser".into(),
        }
    }
}

/// `na`, `n/a`, `kad`, `không áp dụng` and their folded forms.
pub fn is_not_applicable(text: &str) -> bool {
    matches!(
        fold(text).as_str(),
        "na" | "n/a" | "kad" | "khong ap dung" | "not applicable"
    )
}

fn yes_no(text: &str) -> Option<bool> {
    match fold(text).as_str() {
        "co" | "yes" | "y" | "1" | "x" | "true" | "dat" => Some(true),
        "khong" | "no" | "n" | "0" | "false" | "khong dat" => Some(false),
        _ => None,
    }
}

fn number(text: &str) -> Result<Decimal, DeclaredError> {
    parse_decimal(text).ok_or_else(|| {
        refuse(
            format!("'{text}' không phải là số"),
            format!("'{text}' is not a number"),
        )
    })
}

fn whole_number(text: &str) -> Result<u32, DeclaredError> {
    let v = number(text)?;
    if v.is_sign_negative() || !v.fract().is_zero() || v > Decimal::from(1_000_000) {
        return Err(refuse(
            format!("'{text}' phải là số nguyên không âm"),
            format!("'{text}' must be a whole number, zero or more"),
        ));
    }
    Ok(v.to_string().parse().unwrap_or(0))
}

/// A ratio as a percentage: `a/b` (numerator over denominator) or a percent `0..100`.
fn ratio_percent(text: &str) -> Result<Decimal, DeclaredError> {
    let v = if let Some((a, b)) = text.split_once('/') {
        let (a, b) = (number(a)?, number(b)?);
        if b <= Decimal::ZERO || a < Decimal::ZERO {
            return Err(refuse(
                format!("'{text}': mẫu số phải dương và tử số không âm"),
                format!(
                    "'{text}': the denominator must be positive and the numerator not negative"
                ),
            ));
        }
        if a > b {
            return Err(refuse(
                format!("'{text}': tử số lớn hơn mẫu số"),
                format!("'{text}': the numerator exceeds the denominator"),
            ));
        }
        a * HUNDRED / b
    } else {
        number(text)?
    };
    if v < Decimal::ZERO || v > HUNDRED {
        return Err(refuse(
            format!("tỷ lệ {v}% phải từ 0 đến 100"),
            format!("ratio {v}% must be between 0 and 100"),
        ));
    }
    Ok(v)
}

/// `nhe=1; nang=0`, or a bare count when the rule has one kind.
fn deduction_counts(text: &str, kinds: &[Share]) -> Result<Vec<u32>, DeclaredError> {
    let mut counts = vec![0u32; kinds.len()];
    if !text.contains('=') {
        let none = parse_decimal(text).is_some_and(|v| v.is_zero());
        if kinds.len() != 1 && !none {
            let keys = kinds
                .iter()
                .map(|k| k.key.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(refuse(
                format!(
                    "ghi số vi phạm theo từng loại, ví dụ {}=1 (các loại: {keys})",
                    kinds[0].key
                ),
                format!(
                    "give the count per kind, e.g. {}=1 (kinds: {keys})",
                    kinds[0].key
                ),
            ));
        }
        if kinds.len() == 1 {
            counts[0] = whole_number(text)?;
        }
        return Ok(counts);
    }
    for part in text
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((key, n)) = part.split_once('=') else {
            return Err(refuse(
                format!("'{part}' phải có dạng loại=số"),
                format!("'{part}' must read kind=count"),
            ));
        };
        let key = fold(key);
        let Some(i) = kinds.iter().position(|k| fold(&k.key) == key) else {
            return Err(refuse(
                format!("không có loại vi phạm '{key}'"),
                format!("no violation kind '{key}'"),
            ));
        };
        counts[i] = whole_number(n)?;
    }
    Ok(counts)
}
