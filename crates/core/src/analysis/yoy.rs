//! Year over year when the criteria set changed: which sub-criteria the two years share, the
//! change on the shared part, and how much of a unit's change comes from the set itself.
//!
//! A sub-criterion is shared when both sets have it under the same code with the same title
//! (after folding case, marks and spaces), or, failing that, when exactly one unmatched
//! sub-criterion on each side has that title (renumbered). For a unit, with raw totals
//! `R = direct + survey + bonus − penalty`:
//!
//! ```text
//! R_after − R_before = performance + set_effect + adjustment
//! performance  = Σ shared   (p_after − p_before × max_after / max_before)
//! set_effect   = Σ shared   p_before × (max_after / max_before − 1)     (maxima changed)
//!              + Σ added    p_after − Σ removed p_before
//!              + Σ shared, applicable in one year only: p_after − p_before
//! adjustment   = Δ (bonus − penalty)
//! ```
//!
//! so a unit that scored the same share of every shared sub-criterion shows no performance
//! change, whatever the set did.

use super::Text;
use crate::engine::UnitScore;
use crate::ranking::ranks;
use crate::set::CriteriaSet;
use crate::text::fold;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Same code, same title, same maximum.
    Same,
    /// Same sub-criterion, different maximum.
    Rescaled,
    /// Same title under another code.
    Renumbered,
    /// Only in the earlier set.
    Removed,
    /// Only in the later set.
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeMatch {
    pub kind: MatchKind,
    pub code_before: Option<String>,
    pub code_after: Option<String>,
    pub title: String,
    pub max_before: Option<Decimal>,
    pub max_after: Option<Decimal>,
    /// The scoring rule's type or parameters changed (the points are still compared).
    pub rule_changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetEffect {
    /// Shared sub-criteria whose maximum changed.
    pub rescaled: Decimal,
    /// Points on sub-criteria only the later set has.
    pub added: Decimal,
    /// Points (counted negative) on sub-criteria only the earlier set had.
    pub removed: Decimal,
    /// Shared sub-criteria applicable to the unit in one year only.
    pub applicability: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitChange {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// Raw totals (direct + survey + bonus − penalty).
    pub total_before: Decimal,
    pub total_after: Decimal,
    pub change: Decimal,
    /// Points and maxima on the sub-criteria shared and applicable in both years.
    pub shared_before: Decimal,
    pub shared_after: Decimal,
    pub shared_max_before: Decimal,
    pub shared_max_after: Decimal,
    pub shared_percent_before: Decimal,
    pub shared_percent_after: Decimal,
    pub performance: Decimal,
    pub set_effect: SetEffect,
    /// Change of bonus − penalty.
    pub adjustment: Decimal,
    /// Ranks in the group on the shared percent (published), among units compared.
    pub shared_rank_before: u32,
    pub shared_rank_after: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YoyReport {
    pub year_before: i32,
    pub year_after: i32,
    pub nodes: Vec<NodeMatch>,
    pub shared: usize,
    pub added: usize,
    pub removed: usize,
    /// Units scored per sub-criterion in both years, in the later year's order.
    pub units: Vec<UnitChange>,
    /// Units present in one year only, or given as ready-made parts, which cannot be split.
    pub not_compared: Vec<String>,
    pub note: Text,
}

/// (leaf node index before, leaf node index after) for every shared sub-criterion.
fn match_leaves(
    before: &CriteriaSet,
    after: &CriteriaSet,
) -> (Vec<NodeMatch>, Vec<(usize, usize)>) {
    let leaf_title = |set: &CriteriaSet, i: usize| fold(&set.nodes[i].title);
    let mut pairs: Vec<(usize, usize, bool)> = Vec::new();
    let mut used_b = vec![false; before.nodes.len()];
    let mut used_a = vec![false; after.nodes.len()];
    for &a in after.leaves() {
        let code = after.nodes[a].code.to_string();
        if let Some(b) = before.node_index(&code)
            && before.nodes[b].is_leaf()
            && leaf_title(before, b) == leaf_title(after, a)
        {
            pairs.push((b, a, false));
            used_b[b] = true;
            used_a[a] = true;
        }
    }
    // Renumbered: a title unique among the unmatched on both sides.
    let unmatched = |set: &CriteriaSet, used: &[bool]| {
        let mut m: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in set.leaves() {
            if !used[i] {
                m.entry(leaf_title(set, i)).or_default().push(i);
            }
        }
        m
    };
    let (ub, ua) = (unmatched(before, &used_b), unmatched(after, &used_a));
    for &a in after.leaves() {
        if used_a[a] {
            continue;
        }
        let t = leaf_title(after, a);
        if let (Some(bs), Some(as_)) = (ub.get(&t), ua.get(&t))
            && bs.len() == 1
            && as_.len() == 1
        {
            pairs.push((bs[0], a, true));
            used_b[bs[0]] = true;
            used_a[a] = true;
        }
    }
    let mut nodes = Vec::new();
    for &(b, a, renumbered) in &pairs {
        let (nb, na) = (&before.nodes[b], &after.nodes[a]);
        let kind = if renumbered {
            MatchKind::Renumbered
        } else if nb.max != na.max {
            MatchKind::Rescaled
        } else {
            MatchKind::Same
        };
        nodes.push(NodeMatch {
            kind,
            code_before: Some(nb.code.to_string()),
            code_after: Some(na.code.to_string()),
            title: na.title.clone(),
            max_before: Some(nb.max),
            max_after: Some(na.max),
            rule_changed: nb.rule != na.rule,
        });
    }
    for &b in before.leaves().iter().filter(|&&b| !used_b[b]) {
        let n = &before.nodes[b];
        nodes.push(NodeMatch {
            kind: MatchKind::Removed,
            code_before: Some(n.code.to_string()),
            code_after: None,
            title: n.title.clone(),
            max_before: Some(n.max),
            max_after: None,
            rule_changed: false,
        });
    }
    for &a in after.leaves().iter().filter(|&&a| !used_a[a]) {
        let n = &after.nodes[a];
        nodes.push(NodeMatch {
            kind: MatchKind::Added,
            code_before: None,
            code_after: Some(n.code.to_string()),
            title: n.title.clone(),
            max_before: None,
            max_after: Some(n.max),
            rule_changed: false,
        });
    }
    nodes.sort_by(|x, y| {
        let key = |m: &NodeMatch| {
            m.code_after
                .as_deref()
                .or(m.code_before.as_deref())
                .and_then(crate::set::Code::parse)
        };
        key(x).cmp(&key(y)).then(x.code_before.cmp(&y.code_before))
    });
    (nodes, pairs.into_iter().map(|(b, a, _)| (b, a)).collect())
}

/// Compares two years' scores, each with its own criteria set. Units are matched by code.
pub fn compare_years(
    set_before: &CriteriaSet,
    scores_before: &[UnitScore],
    set_after: &CriteriaSet,
    scores_after: &[UnitScore],
) -> YoyReport {
    let (nodes, pairs) = match_leaves(set_before, set_after);
    let count = |k: MatchKind| nodes.iter().filter(|n| n.kind == k).count();
    let (added, removed) = (count(MatchKind::Added), count(MatchKind::Removed));
    let shared = nodes.len() - added - removed;
    let shared_b: Vec<bool> = {
        let mut v = vec![false; set_before.nodes.len()];
        pairs.iter().for_each(|&(b, _)| v[b] = true);
        v
    };
    let shared_a: Vec<bool> = {
        let mut v = vec![false; set_after.nodes.len()];
        pairs.iter().for_each(|&(_, a)| v[a] = true);
        v
    };
    let prev: BTreeMap<&str, &UnitScore> =
        scores_before.iter().map(|s| (s.unit.as_str(), s)).collect();
    let scored = |set: &CriteriaSet, s: &UnitScore| s.node_points.len() == set.nodes.len();
    let raw = |s: &UnitScore| s.direct + s.survey + s.bonus - s.penalty;
    let mut units = Vec::new();
    let mut not_compared = Vec::new();
    for s in scores_after {
        let Some(p) = prev.get(s.unit.as_str()) else {
            not_compared.push(s.unit.clone());
            continue;
        };
        if !scored(set_after, s) || !scored(set_before, p) {
            not_compared.push(s.unit.clone());
            continue;
        }
        let mut eff = SetEffect {
            rescaled: Decimal::ZERO,
            added: Decimal::ZERO,
            removed: Decimal::ZERO,
            applicability: Decimal::ZERO,
            total: Decimal::ZERO,
        };
        let (mut sb, mut sa, mut mb, mut ma) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut performance = Decimal::ZERO;
        for &(b, a) in &pairs {
            let (pb, pa) = (p.node_points[b], s.node_points[a]);
            let (xb, xa) = (p.node_max[b], s.node_max[a]);
            if xb.is_zero() || xa.is_zero() {
                eff.applicability += pa - pb;
                continue;
            }
            sb += pb;
            sa += pa;
            mb += xb;
            ma += xa;
            let at_new_scale = if xa == xb { pb } else { pb * xa / xb };
            performance += pa - at_new_scale;
            eff.rescaled += at_new_scale - pb;
        }
        for &b in set_before.leaves().iter().filter(|&&b| !shared_b[b]) {
            eff.removed -= p.node_points[b];
        }
        for &a in set_after.leaves().iter().filter(|&&a| !shared_a[a]) {
            eff.added += s.node_points[a];
        }
        eff.total = eff.rescaled + eff.added + eff.removed + eff.applicability;
        let adjustment = (s.bonus - s.penalty) - (p.bonus - p.penalty);
        units.push(UnitChange {
            unit: s.unit.clone(),
            name: s.name.clone(),
            group: s.group.clone(),
            total_before: raw(p),
            total_after: raw(s),
            change: raw(s) - raw(p),
            shared_before: sb,
            shared_after: sa,
            shared_max_before: mb,
            shared_max_after: ma,
            shared_percent_before: set_after.publish(super::percent(sb, mb)),
            shared_percent_after: set_after.publish(super::percent(sa, ma)),
            performance,
            set_effect: eff,
            adjustment,
            shared_rank_before: 0,
            shared_rank_after: 0,
        });
    }
    // Ranks on the shared part, per group.
    let groups: Vec<String> = {
        let mut g: Vec<String> = units.iter().map(|u| u.group.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    for g in groups {
        let members: Vec<usize> = (0..units.len()).filter(|&i| units[i].group == g).collect();
        let before: Vec<Decimal> = members
            .iter()
            .map(|&i| units[i].shared_percent_before)
            .collect();
        let after: Vec<Decimal> = members
            .iter()
            .map(|&i| units[i].shared_percent_after)
            .collect();
        let rb = ranks(&before, set_after.scoring.rank_method);
        let ra = ranks(&after, set_after.scoring.rank_method);
        for (j, &i) in members.iter().enumerate() {
            units[i].shared_rank_before = rb[j];
            units[i].shared_rank_after = ra[j];
        }
    }
    YoyReport {
        year_before: set_before.year,
        year_after: set_after.year,
        nodes,
        shared,
        added,
        removed,
        units,
        not_compared,
        note: Text::new(
            format!(
                "So sánh trên {shared} tiêu chí thành phần chung; {added} tiêu chí mới và {removed} tiêu chí bỏ đi được tính vào phần thay đổi do bộ chỉ số"
            ),
            format!(
                "Compared on {shared} shared sub-criteria; {added} added and {removed} removed sub-criteria count as change due to the set"
            ),
        ),
    }
}
