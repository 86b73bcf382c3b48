//! Results of a round: index %, class and rank within each group, the group's average, minimum
//! and maximum, and the change against a previous year.

use crate::engine::UnitScore;
use crate::set::{Basis, CriteriaSet, Group, RankMethod};
use crate::text;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A unit's published result of an earlier year, for the change in points and rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub unit: String,
    pub total: Decimal,
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedUnit {
    pub unit: String,
    pub name: String,
    /// Published (rounded) figures.
    pub direct: Decimal,
    pub survey: Decimal,
    pub bonus: Decimal,
    pub penalty: Decimal,
    pub total: Decimal,
    pub max: Decimal,
    pub percent: Decimal,
    /// Index into `CriteriaSet::classes.classes`.
    pub class: Option<usize>,
    pub class_label: Option<String>,
    pub rank: u32,
    /// Points gained since the previous year (negative: lost).
    pub delta_total: Option<Decimal>,
    /// Places gained since the previous year (positive: moved up).
    pub delta_rank: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub average_total: Decimal,
    pub average_percent: Decimal,
    pub min_total: Decimal,
    pub max_total: Decimal,
    pub spread: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupResult {
    pub group: Group,
    /// By rank, then by name in Vietnamese order.
    pub units: Vec<RankedUnit>,
    pub summary: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Results {
    pub set: String,
    pub year: i32,
    pub decimals: u32,
    pub groups: Vec<GroupResult>,
}

/// The value a unit is ranked on, as published.
fn ranking_value(set: &CriteriaSet, basis: Basis, total: Decimal, max: Decimal) -> Decimal {
    match basis {
        Basis::Percent => set.publish(percent(total, max)),
        Basis::Points => set.publish(total),
    }
}

fn percent(total: Decimal, max: Decimal) -> Decimal {
    if max.is_zero() {
        Decimal::ZERO
    } else {
        total * Decimal::ONE_HUNDRED / max
    }
}

/// Ranks of values, best (highest) first: competition (1, 1, 3) or dense (1, 1, 2).
pub fn ranks(values: &[Decimal], method: RankMethod) -> Vec<u32> {
    let mut sorted: Vec<Decimal> = values.to_vec();
    sorted.sort_by(|a, b| b.cmp(a));
    let mut distinct = sorted.clone();
    distinct.dedup();
    values
        .iter()
        .map(|v| match method {
            RankMethod::Competition => sorted.partition_point(|x| x > v) as u32 + 1,
            RankMethod::Dense => distinct.partition_point(|x| x > v) as u32 + 1,
        })
        .collect()
}

/// Classes, ranks and summaries for every group of the set, in the set's group order.
pub fn rank(set: &CriteriaSet, scores: &[UnitScore], previous: &[Previous]) -> Results {
    let prev: HashMap<&str, &Previous> = previous.iter().map(|p| (p.unit.as_str(), p)).collect();
    let groups = set
        .groups
        .iter()
        .map(|group| {
            let members: Vec<&UnitScore> =
                scores.iter().filter(|s| s.group == group.code).collect();
            let values: Vec<Decimal> = members
                .iter()
                .map(|s| ranking_value(set, set.scoring.rank_basis, s.total, s.max))
                .collect();
            let rank_of = ranks(&values, set.scoring.rank_method);
            let mut units: Vec<RankedUnit> = members
                .iter()
                .zip(&rank_of)
                .map(|(s, &rank)| {
                    let class_value = ranking_value(set, set.classes.basis, s.total, s.max);
                    let class = set.classes.classify(class_value);
                    let total = set.publish(s.total);
                    let before = prev.get(s.unit.as_str());
                    RankedUnit {
                        unit: s.unit.clone(),
                        name: s.name.clone(),
                        direct: set.publish(s.direct),
                        survey: set.publish(s.survey),
                        bonus: set.publish(s.bonus),
                        penalty: set.publish(s.penalty),
                        total,
                        max: s.max,
                        percent: set.publish(percent(s.total, s.max)),
                        class,
                        class_label: class.map(|c| set.classes.classes[c].label.clone()),
                        rank,
                        delta_total: before.map(|p| total - p.total),
                        delta_rank: before.map(|p| p.rank as i64 - rank as i64),
                    }
                })
                .collect();
            units.sort_by(|a, b| {
                a.rank
                    .cmp(&b.rank)
                    .then_with(|| text::compare(&a.name, &b.name))
                    .then_with(|| a.unit.cmp(&b.unit))
            });
            let summary = (!members.is_empty()).then(|| {
                let n = Decimal::from(members.len());
                let sum_total: Decimal = members.iter().map(|s| s.total).sum();
                let sum_percent: Decimal = members.iter().map(|s| percent(s.total, s.max)).sum();
                let min = members.iter().map(|s| s.total).min().unwrap_or_default();
                let max = members.iter().map(|s| s.total).max().unwrap_or_default();
                Summary {
                    count: members.len(),
                    average_total: set.publish(sum_total / n),
                    average_percent: set.publish(sum_percent / n),
                    min_total: set.publish(min),
                    max_total: set.publish(max),
                    spread: set.publish(max - min),
                }
            });
            GroupResult {
                group: group.clone(),
                units,
                summary,
            }
        })
        .collect();
    Results {
        set: set.code.clone(),
        year: set.year,
        decimals: set.scoring.decimals,
        groups,
    }
}

/// Machine-readable results: one row per unit, decimal points, fixed English headers.
pub fn results_csv(results: &Results) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "group",
        "rank",
        "unit",
        "name",
        "direct",
        "survey",
        "bonus",
        "penalty",
        "total",
        "max",
        "percent",
        "class",
        "delta_total",
        "delta_rank",
    ]);
    let dec = results.decimals;
    let fixed = |d: Decimal| {
        let mut d = d;
        d.rescale(dec);
        d.to_string()
    };
    for g in &results.groups {
        for u in &g.units {
            let _ = w.write_record([
                g.group.code.clone(),
                u.rank.to_string(),
                u.unit.clone(),
                u.name.clone(),
                fixed(u.direct),
                fixed(u.survey),
                fixed(u.bonus),
                fixed(u.penalty),
                fixed(u.total),
                u.max.normalize().to_string(),
                fixed(u.percent),
                u.class_label.clone().unwrap_or_default(),
                u.delta_total.map(fixed).unwrap_or_default(),
                u.delta_rank.map(|d| d.to_string()).unwrap_or_default(),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
