//! Sample scores files: random but valid declared data for every sub-criterion of a set, for
//! demos, tests and benchmarks. Deterministic for a given seed.

use crate::rules::Rule;
use crate::set::CriteriaSet;
use rust_decimal::Decimal;
use std::fmt::Write;

/// SplitMix64: small, fast and good enough to spread sample values; not for statistics.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

fn dec(v: f64, places: u32) -> Decimal {
    Decimal::from_f64_retain(v)
        .unwrap_or_default()
        .round_dp(places)
        .normalize()
}

/// One declared value for a rule, for a unit of the given quality (0 = weak, 1 = excellent).
fn declared_value(
    rule: &Rule,
    max: Decimal,
    allow_na: bool,
    quality: f64,
    rng: &mut SplitMix,
) -> String {
    if allow_na && rng.unit() < 0.03 {
        return "na".into();
    }
    let q = (quality + (rng.unit() - 0.5) * 0.3).clamp(0.0, 1.0);
    match rule {
        Rule::Binary => (if rng.unit() < 0.3 + 0.7 * q {
            "có"
        } else {
            "không"
        })
        .into(),
        Rule::Timeliness { .. } => {
            let r = rng.unit();
            (if r < q {
                "dung_han"
            } else if r < q + (1.0 - q) * 0.7 {
                "tre_han"
            } else {
                "khong"
            })
            .into()
        }
        Rule::Bands { domain, .. } => {
            let lo: f64 = domain.0.try_into().unwrap_or(0.0);
            let hi: f64 = domain.1.try_into().unwrap_or(100.0);
            dec(lo + (hi - lo) * (0.5 + 0.5 * q), 1).to_string()
        }
        Rule::Proportional { .. } => {
            let b = 10 + rng.below(190);
            let a = ((b as f64) * (0.4 + 0.6 * q)).round() as u64;
            format!("{}/{b}", a.min(b))
        }
        Rule::PerItem { each } => {
            let need: f64 = (max / each).ceil().try_into().unwrap_or(1.0);
            ((need * q * 1.2).round() as u64).to_string()
        }
        Rule::Graded { levels } => {
            let mut order: Vec<_> = levels.iter().collect();
            order.sort_by_key(|l| std::cmp::Reverse(l.share));
            let idx = (((1.0 - q) * order.len() as f64) as usize).min(order.len() - 1);
            order[idx].key.clone()
        }
        Rule::Deduction { kinds } => {
            if rng.unit() < 0.4 + 0.6 * q {
                "0".into()
            } else {
                let k = &kinds[rng.below(kinds.len() as u64) as usize];
                if kinds.len() == 1 {
                    "1".into()
                } else {
                    format!("{}=1", k.key)
                }
            }
        }
        Rule::Survey { .. } => dec(75.0 + 25.0 * q, 2).to_string(),
        Rule::Manual => {
            let m: f64 = max.try_into().unwrap_or(0.0);
            (dec(m * q * 4.0, 0) / Decimal::from(4))
                .min(max)
                .normalize()
                .to_string()
        }
    }
}

/// A scores CSV with `units` units of the set's first group, declared data for every
/// sub-criterion. Units are named `Đơn vị 0001`…, with qualities spread from weak to excellent.
pub fn sample_scores_csv(set: &CriteriaSet, units: usize, seed: u64) -> String {
    let mut rng = SplitMix(seed);
    let group = set.groups.first().map(|g| g.code.as_str()).unwrap_or("");
    let level = set.levels.first().cloned().unwrap_or_default();
    let leaves = set.leaves();
    let mut out = String::with_capacity(units * leaves.len() * 6 + 256);
    out.push_str("unit,name,group,level");
    for &i in leaves {
        let _ = write!(out, ",{}", set.nodes[i].code);
    }
    out.push('\n');
    for u in 0..units {
        let quality = 0.55 + 0.45 * rng.unit();
        let _ = write!(out, "DV{:05},Đơn vị {:05},{group},{level}", u + 1, u + 1);
        for &i in leaves {
            let node = &set.nodes[i];
            let Some(rule) = &node.rule else { continue };
            let v = declared_value(
                rule,
                node.max_for(Some(&level)),
                node.allow_na,
                quality,
                &mut rng,
            );
            if v.contains([',', '"', ';']) {
                let _ = write!(out, ",\"{}\"", v.replace('"', "\"\""));
            } else {
                let _ = write!(out, ",{v}");
            }
        }
        out.push('\n');
    }
    out
}

/// A unit to generate with a given total (no bonus or penalty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub unit: String,
    pub name: String,
    pub group: String,
    pub total: Decimal,
}

/// Declared values for every sub-criterion that score exactly `total` at the set's default level:
/// random values of a matching quality, then the manually scored sub-criteria absorb the
/// difference. `None` when no draw within a few hundred tries can be fitted.
pub fn fit_declared(set: &CriteriaSet, total: Decimal, seed: u64) -> Option<Vec<String>> {
    let level = set.levels.first().cloned();
    let leaves = set.leaves();
    let manual: Vec<usize> = leaves
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(set.nodes[**i].rule, Some(Rule::Manual)))
        .map(|(pos, _)| pos)
        .collect();
    if manual.is_empty() || set.total.is_zero() {
        return None;
    }
    let quality: f64 = (total / set.total).try_into().unwrap_or(0.8);
    let mut rng = SplitMix(seed);
    for attempt in 0..400 {
        let q = (quality + ((attempt % 20) as f64 - 10.0) * 0.01).clamp(0.0, 1.0);
        let mut values: Vec<String> = leaves
            .iter()
            .map(|&i| {
                let node = &set.nodes[i];
                let rule = node.rule.as_ref().expect("leaves have rules");
                declared_value(rule, node.max_for(level.as_deref()), false, q, &mut rng)
            })
            .collect();
        for &pos in &manual {
            values[pos] = "0".into();
        }
        let input = crate::engine::UnitInput {
            unit: String::new(),
            name: String::new(),
            group: set.groups.first()?.code.clone(),
            level: level.clone(),
            data: crate::engine::UnitData::Declared(values.clone()),
            bonus: Decimal::ZERO,
            penalty: Decimal::ZERO,
        };
        let Ok(score) = crate::engine::score_unit(set, &input) else {
            continue;
        };
        let mut missing = total - score.total;
        if missing.is_sign_negative() {
            continue;
        }
        for &pos in &manual {
            let max = set.nodes[leaves[pos]].max_for(level.as_deref());
            let give = missing.min(max);
            values[pos] = give.normalize().to_string();
            missing -= give;
        }
        if missing.is_zero() {
            return Some(values);
        }
    }
    None
}

/// A scores CSV whose units score exactly their target totals; `None` names the first target that
/// could not be fitted.
pub fn targeted_scores_csv(
    set: &CriteriaSet,
    targets: &[Target],
    seed: u64,
) -> Result<String, String> {
    let level = set.levels.first().cloned().unwrap_or_default();
    let mut out = String::from("unit,name,group,level");
    for &i in set.leaves() {
        let _ = write!(out, ",{}", set.nodes[i].code);
    }
    out.push('\n');
    for (n, t) in targets.iter().enumerate() {
        let values = fit_declared(set, t.total, seed.wrapping_add(n as u64))
            .ok_or_else(|| t.unit.clone())?;
        let quote = |s: &str| {
            if s.contains([',', '"', ';']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let _ = write!(
            out,
            "{},{},{},{level}",
            quote(&t.unit),
            quote(&t.name),
            quote(&t.group)
        );
        for v in values {
            let _ = write!(out, ",{}", quote(&v));
        }
        out.push('\n');
    }
    Ok(out)
}
