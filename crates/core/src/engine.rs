//! The scoring engine: a unit's declared data (or ready-made parts) → points per sub-criterion,
//! totals per criterion and area, its own maximum, bonus and penalty within their caps.

use crate::diag::{Location, Problem, Problems};
use crate::rules::Score;
use crate::set::CriteriaSet;
use rust_decimal::Decimal;
use serde::Serialize;

/// What is known of one unit for one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInput {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// The unit level for per-level maxima (`so`, `huyen`…); `None` uses the default maxima.
    pub level: Option<String>,
    pub data: UnitData,
    pub bonus: Decimal,
    pub penalty: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitData {
    /// Declared values, one per sub-criterion in `CriteriaSet::leaves()` order.
    Declared(Vec<String>),
    /// Ready-made parts, as published tables give them: direct (appraised) points and
    /// survey points, and the unit's own maximum when it differs from the set's total.
    Parts {
        direct: Decimal,
        survey: Decimal,
        max: Option<Decimal>,
    },
    /// Points already decided per sub-criterion (appraised, or self-assessed where no appraisal
    /// changed them), in `CriteriaSet::leaves()` order.
    Points(Vec<Score>),
    /// Declared values as appraised: where an appraiser decided points the declared value does
    /// not give, `points` holds them (`Some`) and they count instead of the rule's score; both in
    /// `CriteriaSet::leaves()` order. The planner and what-if start from this, so their baseline
    /// is the sheet's total, and a changed declaration lifts its sub-criterion's pin.
    Appraised {
        declared: Vec<String>,
        points: Vec<Option<Decimal>>,
    },
}

/// A unit's computed points. Per-node vectors follow `CriteriaSet::nodes`; they are empty when
/// the unit came as ready-made parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitScore {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// Per sub-criterion, in `leaves()` order.
    #[serde(skip)]
    pub leaf_scores: Vec<Score>,
    pub node_points: Vec<Decimal>,
    pub node_max: Vec<Decimal>,
    /// The unit's own maximum: the set's total less its not-applicable sub-criteria.
    pub max: Decimal,
    /// Points from sub-criteria the unit declares and appraisers check.
    pub direct: Decimal,
    /// Points from survey-derived sub-criteria.
    pub survey: Decimal,
    /// Bonus and penalty as applied, within the set's caps.
    pub bonus: Decimal,
    pub penalty: Decimal,
    /// direct + survey + bonus − penalty, never below 0.
    pub total: Decimal,
}

/// Scores one unit. Problems name the node and the field (`code` of the sub-criterion, or the part);
/// the caller adds the file and line.
pub fn score_unit(set: &CriteriaSet, input: &UnitInput) -> Result<UnitScore, Problems> {
    let mut problems = Problems::default();
    let at = |field: &str| Location::default().with_field(field);
    if set.group(&input.group).is_none() {
        let known = set
            .groups
            .iter()
            .map(|g| g.code.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(Problem::new(
            at("group"),
            format!(
                "nhóm \"{}\" không có trong bộ chỉ số (các nhóm: {known})",
                input.group
            ),
            format!(
                "group \"{}\" is not in the criteria set (groups: {known})",
                input.group
            ),
        ));
    }
    if let Some(level) = &input.level
        && !set.levels.contains(level)
    {
        problems.push(Problem::new(
            at("level"),
            format!("cấp \"{level}\" không có trong bộ chỉ số"),
            format!("level \"{level}\" is not in the criteria set"),
        ));
    }
    for (field, v) in [("bonus", input.bonus), ("penalty", input.penalty)] {
        if v.is_sign_negative() {
            problems.push(Problem::new(
                at(field),
                format!("{v} không được âm"),
                format!("{v} may not be negative"),
            ));
        }
    }
    let bonus = input.bonus.max(Decimal::ZERO).min(set.bonus_max);
    let penalty = input.penalty.max(Decimal::ZERO).min(set.penalty_max);
    let level = input.level.as_deref();

    let given = match &input.data {
        UnitData::Declared(v) => Some(v.len()),
        UnitData::Points(v) => Some(v.len()),
        UnitData::Appraised { declared, points } => {
            if declared.len() != points.len() {
                problems.push(Problem::new(
                    Location::default(),
                    format!(
                        "có {} giá trị kê khai nhưng {} điểm thẩm định",
                        declared.len(),
                        points.len()
                    ),
                    format!(
                        "{} declared values but {} appraised points",
                        declared.len(),
                        points.len()
                    ),
                ));
                return Err(problems);
            }
            Some(declared.len())
        }
        UnitData::Parts { .. } => None,
    };
    if let Some(given) = given
        && given != set.leaves().len()
    {
        problems.push(Problem::new(
            Location::default(),
            format!("cần {} giá trị kê khai, có {given}", set.leaves().len()),
            format!(
                "{} declared values are needed, {given} given",
                set.leaves().len()
            ),
        ));
        return Err(problems);
    }
    let mut score = match &input.data {
        UnitData::Parts {
            direct,
            survey,
            max,
        } => {
            let max = max.unwrap_or(set.total);
            if max <= Decimal::ZERO || max > set.total {
                problems.push(Problem::new(
                    at("max"),
                    format!(
                        "điểm tối đa của đơn vị {max} phải dương và không quá {}",
                        set.total
                    ),
                    format!(
                        "the unit's maximum {max} must be positive and at most {}",
                        set.total
                    ),
                ));
            }
            for (field, v) in [("direct", *direct), ("survey", *survey)] {
                if v.is_sign_negative() {
                    problems.push(Problem::new(
                        at(field),
                        format!("điểm {v} không được âm"),
                        format!("points {v} may not be negative"),
                    ));
                }
            }
            if *direct + *survey > max {
                problems.push(Problem::new(
                    at("direct"),
                    format!("tổng điểm {} vượt điểm tối đa {max}", *direct + *survey),
                    format!("points {} exceed the maximum {max}", *direct + *survey),
                ));
            }
            UnitScore {
                unit: input.unit.clone(),
                name: input.name.clone(),
                group: input.group.clone(),
                leaf_scores: Vec::new(),
                node_points: Vec::new(),
                node_max: Vec::new(),
                max,
                direct: *direct,
                survey: *survey,
                bonus,
                penalty,
                total: Decimal::ZERO,
            }
        }
        data => {
            let leaves = set.leaves();
            let mut node_points = vec![Decimal::ZERO; set.nodes.len()];
            let mut node_max = vec![Decimal::ZERO; set.nodes.len()];
            let mut leaf_scores = Vec::with_capacity(leaves.len());
            let (mut direct, mut survey) = (Decimal::ZERO, Decimal::ZERO);
            for (pos, &node_idx) in leaves.iter().enumerate() {
                let node = &set.nodes[node_idx];
                let Some(rule) = &node.rule else { continue };
                let max = node.max_for(level);
                let scored = match data {
                    UnitData::Declared(values) => rule
                        .score(&values[pos], max, node.allow_na)
                        .map_err(|e| (e.vi, e.en)),
                    UnitData::Appraised { declared, points } => match points[pos] {
                        Some(p) if p.is_sign_negative() || p > max => Err((
                            format!("điểm {p} phải từ 0 đến {max}"),
                            format!("points {p} must be between 0 and {max}"),
                        )),
                        Some(p) => Ok(Score::Points(p)),
                        None => rule
                            .score(&declared[pos], max, node.allow_na)
                            .map_err(|e| (e.vi, e.en)),
                    },
                    UnitData::Points(points) => match points[pos] {
                        Score::Points(p) if p.is_sign_negative() || p > max => Err((
                            format!("điểm {p} phải từ 0 đến {max}"),
                            format!("points {p} must be between 0 and {max}"),
                        )),
                        Score::NotApplicable if !node.allow_na => Err((
                            "tiêu chí này không được khai \"không áp dụng\"".to_string(),
                            "this sub-criterion may not be declared not applicable".to_string(),
                        )),
                        s => Ok(s),
                    },
                    UnitData::Parts { .. } => Ok(Score::Points(Decimal::ZERO)),
                };
                match scored {
                    Ok(s) => {
                        if let Score::Points(p) = s {
                            node_points[node_idx] = p;
                            node_max[node_idx] = max;
                            for &a in set.ancestors(node_idx) {
                                node_points[a] += p;
                                node_max[a] += max;
                            }
                            if rule.is_survey() {
                                survey += p;
                            } else {
                                direct += p;
                            }
                        }
                        leaf_scores.push(s);
                    }
                    Err((vi, en)) => {
                        let code = node.code.to_string();
                        problems.push(Problem::new(
                            Location::default().with_node(code.clone()).with_field(code),
                            vi,
                            en,
                        ));
                        leaf_scores.push(Score::Points(Decimal::ZERO));
                    }
                }
            }
            let max: Decimal = set.areas_indices().map(|a| node_max[a]).sum();
            if max.is_zero() {
                problems.push(Problem::new(
                    Location::default(),
                    "mọi tiêu chí đều \"không áp dụng\": không thể tính chỉ số",
                    "every sub-criterion is not applicable: no index can be computed",
                ));
            }
            UnitScore {
                unit: input.unit.clone(),
                name: input.name.clone(),
                group: input.group.clone(),
                leaf_scores,
                node_points,
                node_max,
                max,
                direct,
                survey,
                bonus,
                penalty,
                total: Decimal::ZERO,
            }
        }
    };
    score.total = (score.direct + score.survey + score.bonus - score.penalty).max(Decimal::ZERO);
    problems.into_result(score)
}
