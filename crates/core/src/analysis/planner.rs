//! Improvement planner and what-if: for one unit and a target (a number of points, a class or a
//! rank, the other units of its group held fixed), the smallest set of sub-criterion
//! improvements that reaches it, respecting each rule's steps; and the total, class and rank a
//! change of declared data gives.
//!
//! # The algorithm (exact, not greedy)
//!
//! 1. **Target → points.** A class or rank target becomes a threshold on the published value
//!    (percent of the unit's own maximum, or points, as the set's basis says): the class's minimum,
//!    or the published value of the unit that holds the wanted rank. Published values are rounded
//!    (`scoring.decimals`, `scoring.rounding`), so the threshold becomes the least *unrounded*
//!    value that publishes at or above it, then the least raw total `L` (`direct + survey + bonus −
//!    penalty`) with that value: `published ≥ t ⇔ total ≥ L` (or `> L` where the rounding rule
//!    makes the boundary exclusive). The gain needed is `need = L − current`.
//! 2. **Options per sub-criterion.** Discrete rules climb their own ladder (`Rule::steps`): every
//!    step above the current points is one option, with gain `step − current` and effort `tag ×
//!    steps climbed` (a timeliness ladder 0 → 0.5 → 1 is two steps from 0). Continuous rules
//!    (proportional, manual, survey) give any gain in an interval `[lo, hi]` for `tag × 1`:
//!    `hi` is the rule's maximum (a survey's only up to the allowed survey gain), `lo` the least
//!    increase that counts (a proportional rule's floor included). Survey-derived sub-criteria
//!    move only when the caller allows a survey gain.
//! 3. **Fewest changes.** Each sub-criterion's largest gain is `best_i`. A set of `k`
//!    sub-criteria can gain at most the sum of its `best_i`, so the least `k` is the least `k`
//!    whose `k` largest `best_i` add up to `need`; none smaller works and those `k` do.
//! 4. **Least effort, then least points, among `k`-sets.** A dynamic programme over the
//!    sub-criteria in code order, with states *(changes so far `c ≤ k`, effort so far `e`)*, each
//!    holding the **set of reachable gains** as sorted disjoint integer intervals (gains are
//!    scaled to integers at a decimal scale fine enough to hold every gain exactly, so sums are
//!    exact; a discrete gain is a one-point interval, a continuous one a real interval, and their
//!    sums are intervals again). Each sub-criterion is skipped or taken with one of its options.
//!    Gains above `need` are cut to the least one (adding more only raises a sum, so only the
//!    least sum at or above `need` can end an optimal plan), states beyond the effort of a known
//!    feasible plan are dropped, and so are gains that cannot reach `need` even with the largest
//!    remaining `best_i`. The answer is the state `(k, e)` with the least `e` that holds a gain
//!    `≥ need`, and within it the least such gain. Walking the stages backwards (skipping a
//!    sub-criterion whenever the gain is reachable without it, so later codes are used only when
//!    they must be) recovers the changes and, for continuous ones, the least amount each must
//!    give.
//! 5. **Declared values.** Each change is written as a declared value that earns it (`dung_han`,
//!    a band's lowest value, a count, a level key; a ratio or survey result rounded *up* to two
//!    decimals), the unit is re-scored with them, and the plan reports the real new standing.
//!
//! Greedy choices fail on both counts: taking the biggest single step first (a binary worth 0.8
//! before the second rung of a 0.5 + 0.5 ladder) can need more sub-criteria than the ladder
//! alone, and taking the biggest gains among `k` can cost more effort than two smaller ones that
//! also suffice. The tests hold such cases.

use super::{Text, published_value, rank_among};
use crate::diag::{Location, Problem, Problems};
use crate::engine::{UnitData, UnitInput, UnitScore, score_unit};
use crate::locale::Locale;
use crate::num::parse_decimal;
use crate::rules::{Rule, Score};
use crate::set::{Basis, CriteriaSet};
use crate::text::fold;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the unit wants to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// A published total of at least this many points.
    Points(Decimal),
    /// This class (index into the set's classes, best first) or a better one.
    Class(usize),
    /// This rank or a better one in the unit's group.
    Rank(u32),
}

impl Target {
    /// The class just above `current` (an index into the set's classes), if there is one.
    pub fn next_class(current: Option<usize>) -> Option<Target> {
        match current {
            Some(c) if c > 0 => Some(Target::Class(c - 1)),
            _ => None,
        }
    }

    /// Reads `next-class`, `class:LABEL` (Vietnamese or English label, diacritics and case
    /// ignored), `rank:N` or `points:X`; `current` is the unit's class now (for `next-class`).
    pub fn parse(set: &CriteriaSet, current: Option<usize>, text: &str) -> Result<Target, Problem> {
        let bad = || {
            problem(
                "target",
                format!(
                    "mục tiêu \"{text}\" không hợp lệ: dùng next-class, class:NHÃN, rank:N hoặc points:X"
                ),
                format!(
                    "the target \"{text}\" is not valid: use next-class, class:LABEL, rank:N or points:X"
                ),
            )
        };
        let t = text.trim();
        if fold(t) == "next-class" || fold(t) == "next class" {
            return Target::next_class(current).ok_or_else(|| {
                problem(
                    "target",
                    "đơn vị đã ở xếp loại cao nhất: không có xếp loại cao hơn".into(),
                    "the unit is in the highest class already: there is no class above".into(),
                )
            });
        }
        let (kind, value) = t.split_once(':').ok_or_else(bad)?;
        let value = value.trim();
        match fold(kind).as_str() {
            "class" => {
                let wanted = fold(value).replace(['-', '_'], " ");
                let classes = &set.classes.classes;
                classes
                    .iter()
                    .position(|c| {
                        fold(&c.label) == wanted
                            || c.label_en.as_deref().is_some_and(|l| fold(l) == wanted)
                    })
                    .map(Target::Class)
                    .ok_or_else(|| {
                        let labels: Vec<&str> = classes.iter().map(|c| c.label.as_str()).collect();
                        problem(
                            "target",
                            format!(
                                "không có xếp loại \"{value}\" (các xếp loại: {})",
                                labels.join(", ")
                            ),
                            format!(
                                "there is no class \"{value}\" (the classes: {})",
                                labels.join(", ")
                            ),
                        )
                    })
            }
            "rank" => match value.parse::<u32>() {
                Ok(r) if r >= 1 => Ok(Target::Rank(r)),
                _ => Err(problem(
                    "target",
                    format!("hạng \"{value}\" không hợp lệ: cần một số nguyên từ 1"),
                    format!("the rank \"{value}\" is not valid: a whole number from 1 is needed"),
                )),
            },
            "points" => match parse_decimal(value) {
                Some(p) if !p.is_sign_negative() => Ok(Target::Points(p)),
                _ => Err(problem(
                    "target",
                    format!("số điểm \"{value}\" không hợp lệ: cần một số không âm"),
                    format!(
                        "the points \"{value}\" are not valid: a non-negative number is needed"
                    ),
                )),
            },
            _ => Err(bad()),
        }
    }
}

/// Preferences of the planner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// The effort of one step on a sub-criterion's ladder, by code; 1 where absent.
    pub effort: BTreeMap<String, u32>,
    /// For survey-derived sub-criteria, by code: how many percentage points the survey result may
    /// rise. Where absent the survey result is held where it is.
    pub survey_gain: BTreeMap<String, Decimal>,
}

/// Where a unit stands: published total, ranking value, rank in its group and class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// Published (rounded) total.
    pub total: Decimal,
    pub max: Decimal,
    /// The published value ranks are computed on (percent or points, as the set says).
    pub value: Decimal,
    pub rank: u32,
    /// Units in the group, this one included.
    pub of: u32,
    pub class: Option<usize>,
    pub class_label: Option<String>,
}

/// The standing of `score` among the units of `others` that share its group (a unit with the
/// same code in `others` is ignored).
pub fn standing(set: &CriteriaSet, score: &UnitScore, others: &[UnitScore]) -> Standing {
    let basis = set.scoring.rank_basis;
    let value = published_value(set, basis, score.total, score.max);
    let other_values: Vec<Decimal> = peers(score, others)
        .map(|o| published_value(set, basis, o.total, o.max))
        .collect();
    let class = set.classes.classify(published_value(
        set,
        set.classes.basis,
        score.total,
        score.max,
    ));
    Standing {
        total: set.publish(score.total),
        max: score.max,
        value,
        rank: rank_among(value, &other_values, set.scoring.rank_method),
        of: other_values.len() as u32 + 1,
        class,
        class_label: class.map(|c| set.classes.classes[c].label.clone()),
    }
}

fn peers<'a>(score: &'a UnitScore, others: &'a [UnitScore]) -> impl Iterator<Item = &'a UnitScore> {
    others
        .iter()
        .filter(move |o| o.group == score.group && o.unit != score.unit)
}

/// The result of changing some declared values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub score: UnitScore,
    pub before: Standing,
    pub after: Standing,
}

/// Re-scores a unit with some declared values changed (`(sub-criterion code, new declared
/// value)`) and places it among the other units of its group, held fixed.
pub fn what_if(
    set: &CriteriaSet,
    input: &UnitInput,
    changes: &[(String, String)],
    others: &[UnitScore],
) -> Result<WhatIf, Problems> {
    let values = declared_values(input)?;
    let before = score_unit(set, input)?;
    let mut changed = values.to_vec();
    let mut positions = Vec::new();
    let mut problems = Problems::default();
    for (code, value) in changes {
        match leaf_position(set, code) {
            Some(pos) => {
                changed[pos] = value.clone();
                positions.push(pos);
            }
            None => problems.push(unknown_code(code)),
        }
    }
    let changed_input = problems.into_result(with_values(input, changed, &positions))?;
    let after = score_unit(set, &changed_input)?;
    Ok(WhatIf {
        before: standing(set, &before, others),
        after: standing(set, &after, others),
        score: after,
    })
}

/// One improvement of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub code: String,
    pub title: String,
    /// The rule type (`timeliness`, `bands`…).
    pub rule: String,
    pub from_declared: String,
    pub to_declared: String,
    pub from_points: Decimal,
    pub to_points: Decimal,
    pub gain: Decimal,
    /// Rungs climbed on the rule's ladder (1 for continuous rules).
    pub steps: u32,
    pub effort: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    AlreadyMet,
    Reached,
    Unreachable,
}

/// What the target means in points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// What the threshold is on.
    pub basis: Basis,
    /// The published value to reach (at least, or above when `strict`).
    pub published_at_least: Decimal,
    /// The least raw total (`direct + survey + bonus − penalty`) whose published value reaches
    /// it; strictly above it when `strict`.
    pub total_at_least: Decimal,
    pub strict: bool,
    /// `total_at_least` less the unit's current raw total (≤ 0: already met).
    pub gain_needed: Decimal,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub unit: String,
    pub target: Target,
    pub outcome: Outcome,
    pub requirement: Requirement,
    /// The changes, in code order. When the target is unreachable: every improvement there is,
    /// which gives the best reachable standing.
    pub changes: Vec<Change>,
    pub effort: u32,
    /// Σ gain of the changes.
    pub gain: Decimal,
    pub before: Standing,
    /// With the changes (the best reachable standing when unreachable).
    pub after: Standing,
    pub message: Text,
}

/// Plans the fewest sub-criterion improvements that bring `input` (declared data) to `target`,
/// with `others` (the units of its group, as scored) held fixed. See the module documentation.
pub fn plan(
    set: &CriteriaSet,
    input: &UnitInput,
    others: &[UnitScore],
    target: Target,
    options: &PlanOptions,
) -> Result<Plan, Problems> {
    let values = declared_values(input)?.to_vec();
    check_options(set, options)?;
    let current = score_unit(set, input)?;
    let before = standing(set, &current, others);
    let requirement = requirement(set, &current, others, target)?;

    let items = candidates(set, input, &current, &values, options);
    let decimals = set.scoring.decimals;
    let fmt = |l: Locale, d: Decimal| l.decimal(set.publish(d), decimals);

    let met = |s: &Standing| meets(target, s);
    if requirement.gain_needed < Decimal::ZERO
        || (requirement.gain_needed.is_zero() && !requirement.strict)
        || met(&before)
    {
        return Ok(Plan {
            unit: input.unit.clone(),
            target,
            outcome: Outcome::AlreadyMet,
            requirement,
            changes: Vec::new(),
            effort: 0,
            gain: Decimal::ZERO,
            after: before.clone(),
            before,
            message: Text::new(
                "Đơn vị đã đạt mục tiêu",
                "The unit already meets the target",
            ),
        });
    }

    let scale = choose_scale(set, &items, &requirement);
    let int_items: Vec<IntItem> = items.iter().map(|it| it.to_int(scale)).collect();
    let need = if requirement.strict {
        to_units(requirement.gain_needed, scale, false) + 1
    } else {
        to_units(requirement.gain_needed, scale, true)
    };
    let picks = solve(&int_items, need);
    let (outcome, picks) = match picks {
        Some(p) => (Outcome::Reached, p),
        None => (Outcome::Unreachable, everything(&int_items)),
    };
    let mut changed = values.clone();
    let mut changes = Vec::new();
    for &(i, o, amount) in &picks {
        let item = &items[i];
        let opt = &item.options[o];
        let declared = match &opt.declared {
            Some(d) => d.clone(),
            None => continuous_declared(item, item.current + from_units(amount, scale)),
        };
        changed[item.leaf] = declared;
    }
    let positions: Vec<usize> = picks.iter().map(|&(i, _, _)| items[i].leaf).collect();
    let after_input = with_values(input, changed.clone(), &positions);
    let after_score = score_unit(set, &after_input)?;
    for &(i, o, _) in &picks {
        let item = &items[i];
        let opt = &item.options[o];
        let to_points = match after_score.leaf_scores.get(item.leaf) {
            Some(Score::Points(p)) => *p,
            _ => Decimal::ZERO,
        };
        changes.push(Change {
            code: item.code.clone(),
            title: item.title.clone(),
            rule: item.rule.clone(),
            from_declared: values[item.leaf].clone(),
            to_declared: changed[item.leaf].clone(),
            from_points: item.current,
            to_points,
            gain: to_points - item.current,
            steps: opt.steps,
            effort: opt.effort,
        });
    }
    changes.sort_by_key(|c| leaf_position(set, &c.code));
    let after = standing(set, &after_score, others);
    let effort = changes.iter().map(|c| c.effort).sum();
    let gain: Decimal = changes.iter().map(|c| c.gain).sum();
    let reached = met(&after);
    let outcome = if outcome == Outcome::Reached && !reached {
        // Cannot happen when the arithmetic above is right; say so rather than claim success.
        Outcome::Unreachable
    } else {
        outcome
    };
    let message = match outcome {
        Outcome::Reached => Text::new(
            format!(
                "Cần cải thiện {} tiêu chí thành phần, thêm {} điểm: đạt {} điểm, hạng {}/{}",
                changes.len(),
                fmt(Locale::Vi, gain),
                fmt(Locale::Vi, after_score.total),
                after.rank,
                after.of
            ),
            format!(
                "Improve {} sub-criteria for {} more points: {} points, rank {} of {}",
                changes.len(),
                fmt(Locale::En, gain),
                fmt(Locale::En, after_score.total),
                after.rank,
                after.of
            ),
        ),
        _ => Text::new(
            format!(
                "Không thể đạt mục tiêu: tối đa đạt {} điểm, hạng {}/{}",
                fmt(Locale::Vi, after_score.total),
                after.rank,
                after.of
            ),
            format!(
                "The target is unreachable: at best {} points, rank {} of {}",
                fmt(Locale::En, after_score.total),
                after.rank,
                after.of
            ),
        ),
    };
    Ok(Plan {
        unit: input.unit.clone(),
        target,
        outcome,
        requirement,
        changes,
        effort,
        gain,
        before,
        after,
        message,
    })
}

fn meets(target: Target, s: &Standing) -> bool {
    match target {
        Target::Points(p) => s.total >= p,
        Target::Class(c) => s.class.is_some_and(|k| k <= c),
        Target::Rank(r) => s.rank <= r,
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

fn declared_values(input: &UnitInput) -> Result<&[String], Problems> {
    match &input.data {
        UnitData::Declared(v) | UnitData::Appraised { declared: v, .. } => Ok(v),
        _ => {
            let mut p = Problems::default();
            p.push(Problem::new(
                Location::default().with_field("data"),
                "cần số liệu kê khai theo từng tiêu chí thành phần",
                "declared data per sub-criterion is needed",
            ));
            Err(p)
        }
    }
}

/// `input` with new declared values; the sub-criteria at `changed` (positions in leaf order)
/// lose any appraised pin, since a new declaration is what would be appraised next time.
fn with_values(input: &UnitInput, values: Vec<String>, changed: &[usize]) -> UnitInput {
    let data = match &input.data {
        UnitData::Appraised { points, .. } => {
            let mut points = points.clone();
            for &pos in changed {
                if let Some(p) = points.get_mut(pos) {
                    *p = None;
                }
            }
            UnitData::Appraised {
                declared: values,
                points,
            }
        }
        _ => UnitData::Declared(values),
    };
    UnitInput {
        data,
        ..input.clone()
    }
}

fn leaf_position(set: &CriteriaSet, code: &str) -> Option<usize> {
    let idx = set.node_index(code)?;
    set.leaves().iter().position(|&l| l == idx)
}

fn unknown_code(code: &str) -> Problem {
    Problem::new(
        Location::default().with_node(code),
        format!("không có tiêu chí thành phần {code}"),
        format!("there is no sub-criterion {code}"),
    )
}

fn check_options(set: &CriteriaSet, options: &PlanOptions) -> Result<(), Problems> {
    let mut problems = Problems::default();
    for code in options.effort.keys() {
        if leaf_position(set, code).is_none() {
            problems.push(unknown_code(code));
        }
    }
    for (code, gain) in &options.survey_gain {
        match set.node(code).and_then(|n| n.rule.as_ref()) {
            None => problems.push(unknown_code(code)),
            Some(rule) if !rule.is_survey() => problems.push(Problem::new(
                Location::default().with_node(code.as_str()),
                format!("{code} không phải tiêu chí tính từ khảo sát"),
                format!("{code} is not survey-derived"),
            )),
            Some(_) if gain.is_sign_negative() => problems.push(Problem::new(
                Location::default().with_node(code.as_str()),
                "mức tăng kết quả khảo sát không được âm",
                "the survey gain may not be negative",
            )),
            Some(_) => {}
        }
    }
    problems.into_result(())
}

// ---------------------------------------------------------------------------------------------
// Target → points.

fn requirement(
    set: &CriteriaSet,
    current: &UnitScore,
    others: &[UnitScore],
    target: Target,
) -> Result<Requirement, Problems> {
    let bad = |vi: String, en: String| {
        let mut p = Problems::default();
        p.push(Problem::new(
            Location::default().with_field("target"),
            vi,
            en,
        ));
        p
    };
    // (basis, threshold, inclusive); None: met whatever the total.
    let threshold: Option<(Basis, Decimal, bool)> = match target {
        Target::Points(p) => Some((Basis::Points, p, true)),
        Target::Class(c) => {
            let Some(def) = set.classes.classes.get(c) else {
                return Err(bad(
                    format!("không có mức xếp loại số {c}"),
                    format!("there is no class {c}"),
                ));
            };
            Some((set.classes.basis, def.min, def.min_inclusive))
        }
        Target::Rank(r) => {
            if r == 0 {
                return Err(bad(
                    "hạng phải từ 1 trở lên".into(),
                    "the rank must be 1 or more".into(),
                ));
            }
            let basis = set.scoring.rank_basis;
            let mut values: Vec<Decimal> = peers(current, others)
                .map(|o| published_value(set, basis, o.total, o.max))
                .collect();
            values.sort_by(|a, b| b.cmp(a));
            if set.scoring.rank_method == crate::set::RankMethod::Dense {
                values.dedup();
            }
            // Rank ≤ r ⇔ at most r − 1 values (distinct values when dense) strictly above ⇔
            // value ≥ the r-th of them.
            values.get(r as usize - 1).map(|&v| (basis, v, true))
        }
    };
    let raw = current.direct + current.survey + current.bonus - current.penalty;
    let Some((basis, th, inclusive)) = threshold else {
        return Ok(Requirement {
            basis: set.scoring.rank_basis,
            published_at_least: Decimal::ZERO,
            total_at_least: Decimal::ZERO,
            strict: false,
            gain_needed: -raw.max(Decimal::ZERO) - Decimal::ONE,
        });
    };
    let (published_at_least, boundary, strict) = unrounded_threshold(set, th, inclusive);
    let total_at_least = match basis {
        Basis::Points => boundary,
        Basis::Percent => boundary * current.max / Decimal::ONE_HUNDRED,
    };
    Ok(Requirement {
        basis,
        published_at_least,
        total_at_least,
        strict,
        gain_needed: total_at_least - raw,
    })
}

/// For "published ≥ th" (or "> th" when not inclusive): the published grid value `t` to reach,
/// and the least unrounded value `b` that publishes at `t` or more — with `strict` when only
/// values above `b` do (banker's rounding on an odd last digit).
fn unrounded_threshold(
    set: &CriteriaSet,
    th: Decimal,
    inclusive: bool,
) -> (Decimal, Decimal, bool) {
    let d = set.scoring.decimals;
    let q = Decimal::new(1, d);
    let t = if inclusive {
        th.round_dp_with_strategy(d, RoundingStrategy::ToPositiveInfinity)
    } else {
        th.round_dp_with_strategy(d, RoundingStrategy::ToNegativeInfinity) + q
    };
    if t <= Decimal::ZERO {
        return (t, Decimal::ZERO, false);
    }
    let b = match set.scoring.rounding {
        crate::num::Rounding::Down => t,
        _ => t - q / Decimal::TWO,
    };
    (t, b, set.publish(b) < t)
}

// ---------------------------------------------------------------------------------------------
// Options per sub-criterion.

#[derive(Debug, Clone)]
struct Opt {
    lo: Decimal,
    /// `lo` itself is not reachable, only gains above it (a proportional rule's exclusive floor).
    lo_strict: bool,
    hi: Decimal,
    effort: u32,
    steps: u32,
    /// The declared value of a discrete step; `None` for continuous options.
    declared: Option<String>,
}

#[derive(Debug, Clone)]
struct Item {
    leaf: usize,
    code: String,
    title: String,
    rule: String,
    current: Decimal,
    max: Decimal,
    kind: Continuous,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
enum Continuous {
    None,
    Proportional,
    Survey {
        from: Decimal,
        to: Decimal,
        highest: Decimal,
    },
    Manual,
}

fn candidates(
    set: &CriteriaSet,
    input: &UnitInput,
    current: &UnitScore,
    values: &[String],
    options: &PlanOptions,
) -> Vec<Item> {
    let level = input.level.as_deref();
    let mut items = Vec::new();
    for (pos, &node_idx) in set.leaves().iter().enumerate() {
        let node = &set.nodes[node_idx];
        let Some(rule) = &node.rule else { continue };
        let p0 = match current.leaf_scores.get(pos) {
            Some(Score::Points(p)) => *p,
            _ => continue, // not applicable: stays so
        };
        let code = node.code.to_string();
        let max = node.max_for(level);
        let tag = options.effort.get(&code).copied().unwrap_or(1);
        let mut item = Item {
            leaf: pos,
            code: code.clone(),
            title: node.title.clone(),
            rule: rule.type_name().to_string(),
            current: p0,
            max,
            kind: Continuous::None,
            options: Vec::new(),
        };
        let continuous = |lo: Decimal, lo_strict: bool, hi: Decimal| Opt {
            lo,
            lo_strict,
            hi,
            effort: tag,
            steps: 1,
            declared: None,
        };
        if let Some(steps) = rule.steps(max) {
            for &step in steps.iter().filter(|&&s| s > p0) {
                let Some(declared) = declared_for_step(rule, max, step, node.allow_na) else {
                    continue;
                };
                let climbed = steps.iter().filter(|&&s| s > p0 && s <= step).count() as u32;
                item.options.push(Opt {
                    lo: step - p0,
                    lo_strict: false,
                    hi: step - p0,
                    effort: tag.saturating_mul(climbed),
                    steps: climbed,
                    declared: Some(declared),
                });
            }
        } else {
            match rule {
                Rule::Proportional {
                    floor,
                    floor_inclusive,
                    cap,
                } => {
                    let top = cap.unwrap_or(max).min(max);
                    let floor_points = max * *floor / Decimal::ONE_HUNDRED;
                    if top > p0 {
                        item.kind = Continuous::Proportional;
                        let (lo, strict) = if p0 < floor_points
                            || (p0 == floor_points && !floor_inclusive && p0.is_zero())
                        {
                            (floor_points - p0, !floor_inclusive)
                        } else {
                            (Decimal::ZERO, true)
                        };
                        item.options.push(continuous(lo, strict, top - p0));
                    }
                }
                Rule::Survey { from, to, .. } => {
                    if let Some(allowed) = options.survey_gain.get(&code) {
                        let v0 = parse_decimal(&values[pos]).unwrap_or(Decimal::ZERO);
                        let highest = (v0 + allowed).min(Decimal::ONE_HUNDRED);
                        let top = survey_points(max, *from, *to, highest);
                        if top > p0 {
                            item.kind = Continuous::Survey {
                                from: *from,
                                to: *to,
                                highest,
                            };
                            item.options.push(continuous(Decimal::ZERO, true, top - p0));
                        }
                    }
                }
                Rule::Manual if max > p0 => {
                    item.kind = Continuous::Manual;
                    item.options.push(continuous(Decimal::ZERO, true, max - p0));
                }
                _ => {}
            }
        }
        if !item.options.is_empty() {
            item.options.sort_by_key(|o| o.lo);
            items.push(item);
        }
    }
    items
}

fn survey_points(max: Decimal, from: Decimal, to: Decimal, v: Decimal) -> Decimal {
    max * ((v - from) / (to - from)).clamp(Decimal::ZERO, Decimal::ONE)
}

/// A declared value that earns exactly `step` under the rule, checked by scoring it.
fn declared_for_step(rule: &Rule, max: Decimal, step: Decimal, allow_na: bool) -> Option<String> {
    let mut tries: Vec<String> = Vec::new();
    match rule {
        Rule::Binary => tries.push("có".into()),
        Rule::Timeliness { .. } => {
            tries.extend(["dung_han", "tre_han", "khong"].map(String::from));
        }
        Rule::Bands { domain, bands } => {
            let mut sorted: Vec<_> = bands.iter().filter(|b| b.points == step).collect();
            sorted.sort_by_key(|b| b.min);
            for b in sorted {
                match b.min {
                    Some(m) if b.min_inclusive => tries.push(m.normalize().to_string()),
                    Some(m) => {
                        let tiny = Decimal::new(1, m.normalize().scale() + 2);
                        tries.push((m + tiny).normalize().to_string());
                    }
                    None => tries.push(domain.0.normalize().to_string()),
                }
            }
        }
        Rule::PerItem { each } if !each.is_zero() => {
            tries.push((step / each).ceil().normalize().to_string());
        }
        Rule::Graded { levels } => {
            tries.extend(
                levels
                    .iter()
                    .filter(|l| max * l.share == step)
                    .map(|l| l.key.clone()),
            );
        }
        Rule::Deduction { .. } => tries.push("0".into()),
        _ => {}
    }
    tries
        .into_iter()
        .find(|t| rule.score(t, max, allow_na) == Ok(Score::Points(step)))
}

/// A declared value that earns at least `points` under a continuous rule: ratios and survey
/// results rounded up to 2 decimals, manual points to 3, never past the option's top.
fn continuous_declared(item: &Item, points: Decimal) -> String {
    let up =
        |d: Decimal, dp: u32| d.round_dp_with_strategy(dp, RoundingStrategy::ToPositiveInfinity);
    let value = match &item.kind {
        Continuous::Proportional => {
            up(points * Decimal::ONE_HUNDRED / item.max, 2).min(Decimal::ONE_HUNDRED)
        }
        Continuous::Survey { from, to, highest } => {
            up(*from + points / item.max * (*to - *from), 2).min(*highest)
        }
        Continuous::Manual | Continuous::None => up(points, 3).min(item.max),
    };
    value.normalize().to_string()
}

// ---------------------------------------------------------------------------------------------
// Exact search on integers.

fn choose_scale(set: &CriteriaSet, items: &[Item], req: &Requirement) -> u32 {
    let mut s = set.scoring.decimals + 2;
    let mut see = |d: Decimal| s = s.max(d.normalize().scale());
    see(req.gain_needed);
    for it in items {
        see(it.current);
        for o in &it.options {
            see(o.lo);
            see(o.hi);
        }
    }
    s.min(20)
}

/// `d × 10^scale` as an integer, rounded up or down.
fn to_units(d: Decimal, scale: u32, up: bool) -> i128 {
    let strategy = if up {
        RoundingStrategy::ToPositiveInfinity
    } else {
        RoundingStrategy::ToNegativeInfinity
    };
    let r = d.round_dp_with_strategy(scale, strategy);
    r.mantissa() * 10i128.pow(scale - r.scale())
}

fn from_units(u: i128, scale: u32) -> Decimal {
    Decimal::from_i128_with_scale(u, scale).normalize()
}

#[derive(Debug, Clone)]
struct IntOpt {
    lo: i128,
    hi: i128,
    effort: u32,
}

#[derive(Debug, Clone)]
struct IntItem {
    options: Vec<IntOpt>,
    best: i128,
}

impl Item {
    fn to_int(&self, scale: u32) -> IntItem {
        let options: Vec<IntOpt> = self
            .options
            .iter()
            .map(|o| {
                let exact_lo = to_units(o.lo, scale, false) == to_units(o.lo, scale, true);
                let lo = if o.lo_strict && exact_lo {
                    to_units(o.lo, scale, false) + 1
                } else {
                    to_units(o.lo, scale, true)
                };
                let hi = to_units(o.hi, scale, false);
                IntOpt {
                    lo: lo.max(1),
                    hi,
                    effort: o.effort,
                }
            })
            .filter(|o| o.hi > 0 && o.lo <= o.hi)
            .collect();
        IntItem {
            best: options.iter().map(|o| o.hi).max().unwrap_or(0),
            options,
        }
    }
}

/// Every item at its largest option: the best reachable.
fn everything(items: &[IntItem]) -> Vec<(usize, usize, i128)> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let (o, opt) = it
                .options
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.hi.cmp(&b.1.hi).then(b.1.effort.cmp(&a.1.effort)))?;
            Some((i, o, opt.hi))
        })
        .collect()
}

/// Sorted, disjoint closed intervals of integers.
type Gains = Vec<(i128, i128)>;

fn normalise(mut g: Gains, need: i128) -> Gains {
    g.sort_unstable();
    let mut out: Gains = Vec::with_capacity(g.len());
    for (a, b) in g {
        if let Some(last) = out.last_mut()
            && a <= last.1 + 1
        {
            last.1 = last.1.max(b);
            continue;
        }
        out.push((a, b));
    }
    // Above `need` only the least gain matters.
    if let Some(pos) = out.iter().position(|&(_, b)| b >= need) {
        let (a, _) = out[pos];
        out.truncate(pos);
        out.push(if a < need { (a, need) } else { (a, a) });
    }
    out
}

fn contains(g: &Gains, x: i128) -> bool {
    g.iter().any(|&(a, b)| a <= x && x <= b)
}

/// The largest element of `g` within `[lo, hi]`.
fn largest_within(g: &Gains, lo: i128, hi: i128) -> Option<i128> {
    g.iter()
        .rev()
        .filter(|&&(a, b)| a <= hi && b >= lo)
        .map(|&(_, b)| b.min(hi))
        .next()
}

/// The fewest items, then least effort, then least gain, reaching `need`: `(item, option,
/// amount)` per change, or `None` when even every item at its best falls short.
fn solve(items: &[IntItem], need: i128) -> Option<Vec<(usize, usize, i128)>> {
    let n = items.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| items[b].best.cmp(&items[a].best).then(a.cmp(&b)));
    let mut k = 0;
    let mut reach = 0i128;
    while reach < need {
        if k == n {
            return None;
        }
        reach += items[order[k]].best;
        k += 1;
    }
    // A feasible plan's effort bounds the search: the k largest, each at its largest option.
    let bound: u32 = order[..k]
        .iter()
        .map(|&i| {
            let it = &items[i];
            it.options
                .iter()
                .filter(|o| o.hi == it.best)
                .map(|o| o.effort)
                .min()
                .unwrap_or(0)
        })
        .fold(0u32, u32::saturating_add);
    // rest[i][m]: the m largest `best` among items i.. (all of them when fewer than m).
    let rest: Vec<Vec<i128>> = (0..=n)
        .map(|i| {
            let mut b: Vec<i128> = items[i..].iter().map(|it| it.best).collect();
            b.sort_unstable_by(|x, y| y.cmp(x));
            let mut sums = vec![0i128; k + 1];
            for m in 1..=k {
                sums[m] = sums[m - 1] + b.get(m - 1).copied().unwrap_or(0);
            }
            sums
        })
        .collect();

    type Stage = BTreeMap<(usize, u32), Gains>;
    let mut stages: Vec<Stage> = Vec::with_capacity(n + 1);
    stages.push(BTreeMap::from([((0, 0), vec![(0, 0)])]));
    for (i, item) in items.iter().enumerate() {
        let prev = &stages[i];
        let after = &rest[i + 1];
        let viable = |c: usize, top: i128| top + after[k - c] >= need;
        let mut next: BTreeMap<(usize, u32), Gains> = BTreeMap::new();
        for (&(c, e), gains) in prev {
            let kept: Gains = gains
                .iter()
                .copied()
                .filter(|&(_, b)| viable(c, b))
                .collect();
            if !kept.is_empty() {
                next.entry((c, e)).or_default().extend(kept);
            }
            if c == k {
                continue;
            }
            for opt in &item.options {
                let e2 = e.saturating_add(opt.effort);
                if e2 > bound {
                    continue;
                }
                let moved: Gains = gains
                    .iter()
                    .map(|&(a, b)| (a + opt.lo, b + opt.hi))
                    .filter(|&(_, b)| viable(c + 1, b))
                    .collect();
                if !moved.is_empty() {
                    next.entry((c + 1, e2)).or_default().extend(moved);
                }
            }
        }
        let next: Stage = next
            .into_iter()
            .map(|(key, g)| (key, normalise(g, need)))
            .filter(|(_, g)| !g.is_empty())
            .collect();
        stages.push(next);
    }

    let (mut c, mut e, mut g) = stages[n]
        .iter()
        .filter(|((c, _), _)| *c == k)
        .filter_map(|(&(c, e), gains)| {
            let &(a, b) = gains.last()?;
            (b >= need).then_some((c, e, a.max(need)))
        })
        .min_by(|x, y| x.1.cmp(&y.1).then(x.2.cmp(&y.2)))?;
    let mut picks = Vec::with_capacity(k);
    for i in (0..n).rev() {
        let prev = &stages[i];
        if prev.get(&(c, e)).is_some_and(|s| contains(s, g)) {
            continue;
        }
        let item = &items[i];
        let step = item.options.iter().enumerate().find_map(|(o, opt)| {
            if c == 0 || e < opt.effort {
                return None;
            }
            let s = prev.get(&(c - 1, e - opt.effort))?;
            largest_within(s, g - opt.hi, g - opt.lo).map(|y| (o, y))
        });
        let (o, y) = step?;
        picks.push((i, o, g - y));
        g = y;
        c -= 1;
        e -= item.options[o].effort;
    }
    picks.reverse();
    Some(picks)
}

fn problem(field: &str, vi: String, en: String) -> Problem {
    Problem::new(Location::default().with_field(field), vi, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(opts: &[(i128, i128, u32)]) -> IntItem {
        let options: Vec<IntOpt> = opts
            .iter()
            .map(|&(lo, hi, effort)| IntOpt { lo, hi, effort })
            .collect();
        IntItem {
            best: options.iter().map(|o| o.hi).max().unwrap(),
            options,
        }
    }

    /// Brute force over every choice of (skip | option, amount) for tiny instances.
    fn brute(items: &[IntItem], need: i128) -> Option<(usize, u32, i128)> {
        fn go(
            items: &[IntItem],
            i: usize,
            acc: (usize, u32, i128),
            need: i128,
            best: &mut Option<(usize, u32, i128)>,
        ) {
            if i == items.len() {
                if acc.2 >= need && best.is_none_or(|b| acc < b) {
                    *best = Some(acc);
                }
                return;
            }
            go(items, i + 1, acc, need, best);
            for o in &items[i].options {
                for x in o.lo..=o.hi {
                    go(
                        items,
                        i + 1,
                        (acc.0 + 1, acc.1 + o.effort, acc.2 + x),
                        need,
                        best,
                    );
                }
            }
        }
        let mut best = None;
        go(items, 0, (0, 0, 0), need, &mut best);
        best
    }

    #[test]
    fn dp_matches_brute_force_on_small_cases() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as i128
        };
        for _ in 0..2000 {
            let n = 1 + (next() % 5) as usize;
            let items: Vec<IntItem> = (0..n)
                .map(|_| {
                    let m = 1 + (next() % 3) as usize;
                    let mut opts = Vec::new();
                    let mut at = 0;
                    for _ in 0..m {
                        let lo = at + 1 + next() % 4;
                        let hi = if next() % 3 == 0 { lo + next() % 4 } else { lo };
                        at = hi;
                        opts.push((lo, hi, 1 + (next() % 3) as u32));
                    }
                    item(&opts)
                })
                .collect();
            let need = 1 + next() % 20;
            let got = solve(&items, need).map(|p| {
                let effort: u32 = p.iter().map(|&(i, o, _)| items[i].options[o].effort).sum();
                let gain: i128 = p.iter().map(|&(_, _, x)| x).sum();
                for &(i, o, x) in &p {
                    let opt = &items[i].options[o];
                    assert!(opt.lo <= x && x <= opt.hi);
                }
                (p.len(), effort, gain)
            });
            assert_eq!(got, brute(&items, need), "items {items:?} need {need}");
        }
    }

    #[test]
    fn a_full_set_with_a_large_need_is_solved_quickly() {
        // 58 sub-criteria with 2 to 6 rungs of 0.125–0.5 points (scale 4: ×10 000) and a few
        // continuous ones, efforts 1–3, and 30 points to find.
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as i128
        };
        let items: Vec<IntItem> = (0..58)
            .map(|i| {
                let effort = 1 + (next() % 3) as u32;
                if i % 10 == 0 {
                    return item(&[(1, 10_000 + next() % 10_000, effort)]);
                }
                let rung = 1_250 * (1 + next() % 4);
                let rungs = 2 + next() % 5;
                let opts: Vec<(i128, i128, u32)> = (1..=rungs)
                    .map(|r| (r * rung, r * rung, effort * r as u32))
                    .collect();
                item(&opts)
            })
            .collect();
        let start = std::time::Instant::now();
        let plan = solve(&items, 300_000).expect("reachable");
        let gain: i128 = plan.iter().map(|&(_, _, x)| x).sum();
        assert!(gain >= 300_000);
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }
}
