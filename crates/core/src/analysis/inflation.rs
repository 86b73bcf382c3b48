//! Self-assessed against appraised points: how much each unit inflated its self-assessment, in
//! all and per area, and how consistently each appraiser adjusted the units they reviewed.

use super::Text;
use crate::diag::{Location, Problem, Problems};
use crate::set::CriteriaSet;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One unit's self-assessed and appraised points on one sub-criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub unit: String,
    /// The sub-criterion's code.
    pub code: String,
    pub self_points: Decimal,
    pub appraised: Decimal,
    /// Who appraised it (a person or the appraising agency), when known.
    pub appraiser: Option<String>,
}

/// Self-assessed against appraised points over a set of sub-criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inflation {
    pub self_points: Decimal,
    pub appraised: Decimal,
    /// `self_points − appraised`: positive when the unit scored itself higher.
    pub inflation: Decimal,
    /// Σ maximum of the sub-criteria assessed.
    pub max: Decimal,
    /// `inflation / max × 100`.
    pub inflation_percent: Decimal,
    pub items: usize,
    /// Sub-criteria where the appraised points differ from the self-assessed ones.
    pub items_changed: usize,
}

impl Inflation {
    fn empty() -> Inflation {
        Inflation {
            self_points: Decimal::ZERO,
            appraised: Decimal::ZERO,
            inflation: Decimal::ZERO,
            max: Decimal::ZERO,
            inflation_percent: Decimal::ZERO,
            items: 0,
            items_changed: 0,
        }
    }
    fn add(&mut self, a: &Assessment, max: Decimal) {
        self.self_points += a.self_points;
        self.appraised += a.appraised;
        self.inflation = self.self_points - self.appraised;
        self.max += max;
        self.inflation_percent = super::percent(self.inflation, self.max);
        self.items += 1;
        if a.self_points != a.appraised {
            self.items_changed += 1;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaInflation {
    pub code: String,
    pub title: String,
    #[serde(flatten)]
    pub figures: Inflation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitInflation {
    pub unit: String,
    #[serde(flatten)]
    pub figures: Inflation,
    /// Areas in code order, only those with assessed sub-criteria.
    pub areas: Vec<AreaInflation>,
}

/// How one appraiser adjusted the units they reviewed. An adjustment is `Σ (appraised − self)`
/// over the sub-criteria the appraiser reviewed for one unit, as a percent of those
/// sub-criteria's maximum, so appraisers of areas of different size compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppraiserConsistency {
    pub appraiser: String,
    pub units: usize,
    pub items: usize,
    /// Mean adjustment over units (negative: the appraiser took points away).
    pub mean_adjustment: Decimal,
    /// Sample standard deviation of the adjustment over units (0 with fewer than 2 units).
    pub spread: Decimal,
    /// Share of reviewed sub-criteria whose points the appraiser changed, in percent.
    pub changed_percent: Decimal,
    /// `spread` over the median spread of all appraisers with two units or more.
    pub spread_ratio: Option<Decimal>,
    /// `(mean_adjustment − pooled mean) / (pooled spread / √units)`: how far this appraiser's
    /// mean sits from everyone's, in standard errors.
    pub strictness_z: Option<Decimal>,
    /// Set when `spread_ratio > 2` or `|strictness_z| > 2`.
    pub flags: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InflationReport {
    pub units: Vec<UnitInflation>,
    /// Over all units.
    pub overall: Inflation,
    pub appraisers: Vec<AppraiserConsistency>,
    /// Mean and spread of every (appraiser, unit) adjustment together.
    pub pooled_mean_adjustment: Decimal,
    pub pooled_spread: Decimal,
}

fn mean_sd(xs: &[Decimal]) -> (Decimal, Decimal) {
    if xs.is_empty() {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let n = Decimal::from(xs.len());
    let mean = xs.iter().copied().sum::<Decimal>() / n;
    if xs.len() < 2 {
        return (mean, Decimal::ZERO);
    }
    let ss: Decimal = xs.iter().map(|x| (*x - mean) * (*x - mean)).sum();
    (mean, super::sqrt(ss / (n - Decimal::ONE)))
}

/// Inflation per unit and area, and appraisers' consistency. `levels` gives a unit's level for
/// per-level maxima (units absent use the default maxima). Rows must name sub-criteria, once
/// per unit.
pub fn inflation(
    set: &CriteriaSet,
    rows: &[Assessment],
    levels: &BTreeMap<String, String>,
) -> Result<InflationReport, Problems> {
    let mut problems = Problems::default();
    let mut seen = BTreeSet::new();
    for r in rows {
        let is_leaf = set.node(&r.code).is_some_and(|n| n.is_leaf());
        if !is_leaf {
            problems.push(Problem::new(
                Location::default().with_node(r.code.as_str()),
                format!("không có tiêu chí thành phần {}", r.code),
                format!("there is no sub-criterion {}", r.code),
            ));
        }
        if !seen.insert((r.unit.as_str(), r.code.as_str())) {
            problems.push(Problem::new(
                Location::default()
                    .with_node(r.code.as_str())
                    .with_field(r.unit.as_str()),
                format!("đơn vị {} có hai dòng cho {}", r.unit, r.code),
                format!("unit {} has two rows for {}", r.unit, r.code),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let max_of = |r: &Assessment| {
        set.node(&r.code)
            .map(|n| n.max_for(levels.get(&r.unit).map(String::as_str)))
            .unwrap_or_default()
    };
    let area_of = |code: &str| {
        let i = set.node_index(code).unwrap_or(0);
        set.ancestors(i).first().copied().unwrap_or(i)
    };

    let mut by_unit: BTreeMap<&str, (Inflation, BTreeMap<usize, Inflation>)> = BTreeMap::new();
    let mut overall = Inflation::empty();
    for r in rows {
        let max = max_of(r);
        let entry = by_unit
            .entry(r.unit.as_str())
            .or_insert_with(|| (Inflation::empty(), BTreeMap::new()));
        entry.0.add(r, max);
        entry
            .1
            .entry(area_of(&r.code))
            .or_insert_with(Inflation::empty)
            .add(r, max);
        overall.add(r, max);
    }
    let units = by_unit
        .into_iter()
        .map(|(unit, (figures, areas))| UnitInflation {
            unit: unit.to_string(),
            figures,
            areas: areas
                .into_iter()
                .map(|(a, figures)| AreaInflation {
                    code: set.nodes[a].code.to_string(),
                    title: set.nodes[a].title.clone(),
                    figures,
                })
                .collect(),
        })
        .collect();

    // Per appraiser, per unit: (Σ appraised − self, Σ max, items, changed).
    type PerUnit = BTreeMap<String, (Decimal, Decimal, usize, usize)>;
    let mut by_appraiser: BTreeMap<&str, PerUnit> = BTreeMap::new();
    for r in rows {
        let Some(who) = &r.appraiser else { continue };
        let e = by_appraiser
            .entry(who.as_str())
            .or_default()
            .entry(r.unit.clone())
            .or_default();
        e.0 += r.appraised - r.self_points;
        e.1 += max_of(r);
        e.2 += 1;
        e.3 += usize::from(r.appraised != r.self_points);
    }
    let adjustments: BTreeMap<&str, Vec<Decimal>> = by_appraiser
        .iter()
        .map(|(who, units)| {
            (
                *who,
                units
                    .values()
                    .map(|(d, m, _, _)| super::percent(*d, *m))
                    .collect(),
            )
        })
        .collect();
    let pooled: Vec<Decimal> = adjustments.values().flatten().copied().collect();
    let (pooled_mean, pooled_sd) = mean_sd(&pooled);
    let mut spreads: Vec<Decimal> = adjustments
        .values()
        .filter(|a| a.len() >= 2)
        .map(|a| mean_sd(a).1)
        .collect();
    spreads.sort();
    let median_spread = match spreads.len() {
        0 => None,
        l if l % 2 == 1 => Some(spreads[l / 2]),
        l => Some((spreads[l / 2 - 1] + spreads[l / 2]) / Decimal::TWO),
    };
    let two = Decimal::TWO;
    let appraisers = by_appraiser
        .iter()
        .map(|(who, per_unit)| {
            let adj = &adjustments[who];
            let (mean, spread) = mean_sd(adj);
            let items: usize = per_unit.values().map(|e| e.2).sum();
            let changed: usize = per_unit.values().map(|e| e.3).sum();
            let spread_ratio = match median_spread {
                Some(m) if !m.is_zero() && adj.len() >= 2 => Some(spread / m),
                _ => None,
            };
            let strictness_z = (!pooled_sd.is_zero()).then(|| {
                (mean - pooled_mean) / (pooled_sd / super::sqrt(Decimal::from(adj.len())))
            });
            let mut flags = Vec::new();
            if spread_ratio.is_some_and(|r| r > two) {
                flags.push(Text::new(
                    "mức điều chỉnh giữa các đơn vị chênh lệch hơn gấp đôi mức thông thường",
                    "adjusts units more than twice as unevenly as the median appraiser",
                ));
            }
            if let Some(z) = strictness_z {
                if z < -two {
                    flags.push(Text::new(
                        "trừ điểm nhiều hơn hẳn các thành viên thẩm định khác",
                        "takes away markedly more points than the other appraisers",
                    ));
                } else if z > two {
                    flags.push(Text::new(
                        "điều chỉnh nhẹ tay hơn hẳn các thành viên thẩm định khác",
                        "adjusts markedly more leniently than the other appraisers",
                    ));
                }
            }
            AppraiserConsistency {
                appraiser: who.to_string(),
                units: adj.len(),
                items,
                mean_adjustment: mean,
                spread,
                changed_percent: super::percent(Decimal::from(changed), Decimal::from(items)),
                spread_ratio,
                strictness_z,
                flags,
            }
        })
        .collect();
    Ok(InflationReport {
        units,
        overall,
        appraisers,
        pooled_mean_adjustment: pooled_mean,
        pooled_spread: pooled_sd,
    })
}
