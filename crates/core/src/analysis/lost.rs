//! Where points were lost: for one unit, per area, criterion and sub-criterion, the points lost
//! against the maximum and against the best unit of its group; for a group, the nodes where most
//! points are lost overall.

use crate::engine::UnitScore;
use crate::set::CriteriaSet;
use rust_decimal::Decimal;
use serde::Serialize;

/// One node of a unit's loss report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeLoss {
    pub code: String,
    pub title: String,
    /// 1 area, 2 criterion, 3 sub-criterion.
    pub level: usize,
    /// The unit's own maximum at the node (0 where it is not applicable to the unit).
    pub max: Decimal,
    pub points: Decimal,
    /// `max − points`.
    pub lost: Decimal,
    /// The group's best at this node: the unit with the highest share of its own maximum there
    /// (ties: more points, then unit code), its points and its maximum. `None` when the node
    /// applies to no unit of the group.
    pub best_unit: Option<String>,
    pub best_points: Option<Decimal>,
    pub best_max: Option<Decimal>,
    /// What the unit would have at the best unit's rate, less what it has, never below 0:
    /// `best_points × max / best_max − points` (simply `best_points − points` when the maxima
    /// are equal, as they are within a group unless a sub-criterion is not applicable).
    pub lost_vs_best: Decimal,
}

/// A unit's points lost, node by node in code order (area, its criteria, their sub-criteria…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostReport {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// The unit's own maximum and its points before bonus and penalty.
    pub max: Decimal,
    pub points: Decimal,
    pub lost: Decimal,
    /// Empty when the unit came as ready-made parts (no per-node points).
    pub nodes: Vec<NodeLoss>,
}

fn has_nodes(set: &CriteriaSet, s: &UnitScore) -> bool {
    s.node_points.len() == set.nodes.len() && s.node_max.len() == set.nodes.len()
}

/// Points lost by `unit`, against the maximum and against the best of `group_scores` (the units
/// of its group; the unit itself may or may not be among them, it is always considered).
pub fn points_lost(set: &CriteriaSet, unit: &UnitScore, group_scores: &[UnitScore]) -> LostReport {
    let points = unit.direct + unit.survey;
    let mut report = LostReport {
        unit: unit.unit.clone(),
        name: unit.name.clone(),
        group: unit.group.clone(),
        max: unit.max,
        points,
        lost: unit.max - points,
        nodes: Vec::new(),
    };
    if !has_nodes(set, unit) {
        return report;
    }
    let peers: Vec<&UnitScore> = std::iter::once(unit)
        .chain(group_scores.iter().filter(|s| s.unit != unit.unit))
        .filter(|s| has_nodes(set, s))
        .collect();
    for (i, node) in set.nodes.iter().enumerate() {
        let (max, pts) = (unit.node_max[i], unit.node_points[i]);
        let mut best: Option<&UnitScore> = None;
        for s in &peers {
            if s.node_max[i].is_zero() {
                continue;
            }
            best = match best {
                None => Some(s),
                Some(b) => {
                    // Compare rates without dividing: p/m > bp/bm ⇔ p·bm > bp·m.
                    let lhs = s.node_points[i] * b.node_max[i];
                    let rhs = b.node_points[i] * s.node_max[i];
                    let better = lhs > rhs
                        || (lhs == rhs
                            && (s.node_points[i] > b.node_points[i]
                                || (s.node_points[i] == b.node_points[i] && s.unit < b.unit)));
                    Some(if better { s } else { b })
                }
            };
        }
        let lost_vs_best = match best {
            Some(b) if !max.is_zero() => {
                let at_best_rate = if b.node_max[i] == max {
                    b.node_points[i]
                } else {
                    b.node_points[i] * max / b.node_max[i]
                };
                (at_best_rate - pts).max(Decimal::ZERO)
            }
            _ => Decimal::ZERO,
        };
        report.nodes.push(NodeLoss {
            code: node.code.to_string(),
            title: node.title.clone(),
            level: node.code.level(),
            max,
            points: pts,
            lost: max - pts,
            best_unit: best.map(|b| b.unit.clone()),
            best_points: best.map(|b| b.node_points[i]),
            best_max: best.map(|b| b.node_max[i]),
            lost_vs_best,
        });
    }
    report
}

/// Points lost at one node over a group's units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupLoss {
    pub code: String,
    pub title: String,
    pub level: usize,
    /// Units to which the node applies.
    pub units: usize,
    /// Units that lost any points there.
    pub units_losing: usize,
    /// Σ (max − points) over those units.
    pub total_lost: Decimal,
    /// `total_lost / units`.
    pub mean_lost: Decimal,
    /// `total_lost` over the summed maxima × 100: how much of what was at stake was lost.
    pub percent_lost: Decimal,
}

/// The sub-criteria where a group lost most points, most lost first (ties in code order).
/// `scores` are the group's units; units given as ready-made parts are skipped.
pub fn group_losses(set: &CriteriaSet, scores: &[UnitScore]) -> Vec<GroupLoss> {
    group_losses_at_level(set, scores, 3)
}

/// As [`group_losses`], for the nodes of one level (1 areas, 2 criteria, 3 sub-criteria).
pub fn group_losses_at_level(
    set: &CriteriaSet,
    scores: &[UnitScore],
    level: usize,
) -> Vec<GroupLoss> {
    let scored: Vec<&UnitScore> = scores.iter().filter(|s| has_nodes(set, s)).collect();
    let mut out: Vec<GroupLoss> = set
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.code.level() == level)
        .map(|(i, n)| {
            let applying: Vec<&&UnitScore> =
                scored.iter().filter(|s| !s.node_max[i].is_zero()).collect();
            let total_lost: Decimal = applying
                .iter()
                .map(|s| s.node_max[i] - s.node_points[i])
                .sum();
            let total_max: Decimal = applying.iter().map(|s| s.node_max[i]).sum();
            let units = applying.len();
            GroupLoss {
                code: n.code.to_string(),
                title: n.title.clone(),
                level,
                units,
                units_losing: applying
                    .iter()
                    .filter(|s| s.node_points[i] < s.node_max[i])
                    .count(),
                total_lost,
                mean_lost: if units == 0 {
                    Decimal::ZERO
                } else {
                    total_lost / Decimal::from(units)
                },
                percent_lost: super::percent(total_lost, total_max),
            }
        })
        .collect();
    // Nodes are in code order already; a stable sort keeps it among equal losses.
    out.sort_by_key(|g| std::cmp::Reverse(g.total_lost));
    out
}
