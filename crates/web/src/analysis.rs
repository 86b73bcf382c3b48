//! The analysis of a stored round, for the JSON API and the pages alike: a unit's scores among
//! its group's, its declared data as the planner's input, the survey's estimates for the Monte
//! Carlo, self versus appraised points, and last year's round for year over year. The
//! computations are parindex-core's (docs/analysis.md); this module only gathers their inputs.

use crate::error::{Error, Result};
use parindex_core::analysis::inflation::{Assessment, InflationReport, inflation};
use parindex_core::analysis::planner::{PlanOptions, Standing, Target, plan, standing};
use parindex_core::analysis::uncertainty::{
    McResult, McSettings, McUnit, SurveyEstimate, simulate,
};
use parindex_core::analysis::yoy::{YoyReport, compare_years};
use parindex_core::engine::{UnitData, UnitInput, UnitScore};
use parindex_core::rules::{Rule, Score};
use parindex_core::set::CriteriaSet;
use parindex_store::Db;
use parindex_store::compute::SetResults;
use parindex_store::survey::SurveyState;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most replicates one request may ask for (a 100-unit group runs 10,000 in well under a
/// second; more is for the command line).
pub const MAX_REPLICATES: u32 = 20_000;

/// A group of a round: its set and its units' scores.
pub struct GroupData {
    pub year: i32,
    pub group: String,
    pub set: Arc<CriteriaSet>,
    pub scores: Vec<UnitScore>,
    /// The round's closed-survey results, per unit and indicator, as the scores used them.
    pub survey: Arc<BTreeMap<String, BTreeMap<String, Decimal>>>,
}

/// One unit among its group.
pub struct UnitAnalysis {
    pub group: GroupData,
    pub score: UnitScore,
    /// The unit's declared data per sub-criterion with the appraisers' points where they differ
    /// (the planner's and what-if's input, scoring to the sheet's total).
    pub input: UnitInput,
}

fn no_group(year: i32, group: &str) -> Error {
    Error::not_found(
        format!("kỳ {year} không có khối \"{group}\" hoặc khối chưa có phiếu đánh giá"),
        format!("round {year} has no group \"{group}\", or the group has no sheets"),
    )
}

fn pick(results: Vec<SetResults>, year: i32, group: &str) -> Result<GroupData> {
    for sr in results {
        if sr.set.groups.iter().any(|g| g.code == group) {
            let scores: Vec<UnitScore> =
                sr.scores.into_iter().filter(|s| s.group == group).collect();
            if scores.is_empty() {
                break;
            }
            return Ok(GroupData {
                year,
                group: group.to_string(),
                set: sr.set,
                scores,
                survey: sr.survey,
            });
        }
    }
    Err(no_group(year, group))
}

/// A group's scores as they stand (final points of every sheet).
pub async fn group(db: &Db, year: i32, group: &str) -> Result<GroupData> {
    db.round(year).await?;
    pick(db.round_results(year).await?, year, group)
}

/// A unit's scores, its group's, and its declared data.
pub async fn unit(db: &Db, year: i32, unit: &str) -> Result<UnitAnalysis> {
    let sheet = db.sheet(year, unit).await?;
    let g = group(db, year, &sheet.group).await?;
    let score = g
        .scores
        .iter()
        .find(|s| s.unit == unit)
        .cloned()
        .ok_or_else(|| no_group(year, &sheet.group))?;
    let entries = db.entries(year, unit).await?;
    let survey = g.survey.get(unit).cloned().unwrap_or_default();
    let by_code: BTreeMap<&str, &parindex_store::sheets::Entry> =
        entries.iter().map(|e| (e.code.as_str(), e)).collect();
    let level = sheet.level.as_deref();
    let (declared, points): (Vec<String>, Vec<Option<Decimal>>) = g
        .set
        .leaves()
        .iter()
        .map(|&i| {
            let node = &g.set.nodes[i];
            // A survey result the round's results count: declared as such, so that the
            // planner's survey steps start from it.
            if let Some(Rule::Survey { indicator, .. }) = &node.rule
                && let Some(value) = survey.get(indicator)
            {
                return (value.normalize().to_string(), None);
            }
            let Some(e) = by_code.get(node.code.to_string().as_str()) else {
                // Nothing on the sheet: the round's results count 0, and so does the planner.
                return (String::new(), Some(Decimal::ZERO));
            };
            if e.counts_as_not_applicable() {
                return ("na".to_string(), None);
            }
            let max = node.max_for(level);
            let value = match (&node.rule, e.final_points()) {
                // Where the sheet's points are not the declared figure's (survey results
                // come from the survey, manual points from the appraisers), declare what
                // gives those points, so the planner's options start from the right value.
                (Some(Rule::Manual), Some(p)) => p.normalize().to_string(),
                (Some(Rule::Survey { from, to, .. }), Some(p)) if !max.is_zero() => (*from
                    + p / max * (*to - *from))
                    .round_dp(6)
                    .normalize()
                    .to_string(),
                _ => e.declared.clone(),
            };
            // Where the appraisers' points are not what the declared value gives, they count
            // (pinned), exactly as in the round's results: the planner starts from the sheet.
            let sheet_points = e.final_points().unwrap_or(Decimal::ZERO);
            let by_rule = node
                .rule
                .as_ref()
                .and_then(|r| r.score(&value, max, node.allow_na).ok());
            let pin = (by_rule != Some(Score::Points(sheet_points))).then_some(sheet_points);
            (value, pin)
        })
        .unzip();
    let input = UnitInput {
        unit: unit.to_string(),
        name: sheet.unit_name.clone(),
        group: sheet.group.clone(),
        level: sheet.level.clone(),
        data: UnitData::Appraised { declared, points },
        bonus: score.bonus,
        penalty: score.penalty,
    };
    Ok(UnitAnalysis {
        group: g,
        score,
        input,
    })
}

impl UnitAnalysis {
    /// The other units of the group (held fixed by the planner).
    pub fn others(&self) -> Vec<UnitScore> {
        self.group
            .scores
            .iter()
            .filter(|s| s.unit != self.score.unit)
            .cloned()
            .collect()
    }

    pub fn standing(&self) -> Standing {
        standing(&self.group.set, &self.score, &self.others())
    }

    /// Parses a target (`next-class`, `class:Tốt`, `rank:3`, `points:85`) for this unit.
    pub fn target(&self, text: &str) -> Result<Target> {
        let current = self.standing().class;
        Target::parse(&self.group.set, current, text)
            .map_err(|p| Error::Invalid(parindex_core::diag::Problems(vec![p])))
    }

    /// The smallest plan to reach `target` (see parindex-core's planner).
    pub fn plan(
        &self,
        target: Target,
        options: &PlanOptions,
    ) -> Result<parindex_core::analysis::planner::Plan> {
        plan(
            &self.group.set,
            &self.input,
            &self.others(),
            target,
            options,
        )
        .map_err(Error::Invalid)
    }
}

/// The survey's estimates per unit and indicator (rate and design-based standard error, in
/// percent), from the round's closed surveys, the ones the round's results count:
/// `<prefix>.overall` and `<prefix>.element.<n>`. The rate is `exact`, the result the round's
/// results used (`GroupData::survey`), so that the simulation's deterministic ranking is the
/// round's.
pub async fn survey_estimates(
    db: &Db,
    year: i32,
    exact: &BTreeMap<String, BTreeMap<String, Decimal>>,
) -> Result<BTreeMap<String, BTreeMap<String, SurveyEstimate>>> {
    let mut out: BTreeMap<String, BTreeMap<String, SurveyEstimate>> = BTreeMap::new();
    for s in db.surveys(year).await? {
        if s.state != SurveyState::Closed {
            continue;
        }
        let report = db.survey_report(year, &s.code).await?;
        let prefix = &s.settings.indicator_prefix;
        for u in &report.units {
            let Some(rates) = exact.get(&u.unit) else {
                continue;
            };
            let map = out.entry(u.unit.clone()).or_default();
            let mut add = |indicator: String, e: &parindex_core::survey_stats::Estimate| {
                if let Some(&rate) = rates.get(&indicator)
                    && e.se.is_finite()
                    && let Some(se) = Decimal::from_f64(e.se)
                {
                    map.insert(
                        indicator,
                        SurveyEstimate::Rate {
                            rate,
                            se: se.round_dp(6),
                        },
                    );
                }
            };
            add(format!("{prefix}.overall"), &u.official.overall);
            for el in &u.official.elements {
                add(format!("{prefix}.element.{}", el.code), &el.estimate);
            }
        }
    }
    Ok(out)
}

/// The Monte Carlo over a group: survey sampling error where the survey gives it, weights and
/// class thresholds as `settings` says.
pub async fn uncertainty(db: &Db, g: &GroupData, settings: &McSettings) -> Result<McResult> {
    if settings.replicates == 0 || settings.replicates > MAX_REPLICATES {
        return Err(Error::invalid(
            "replicates",
            format!(
                "số lần lặp {} phải từ 1 đến {MAX_REPLICATES}",
                settings.replicates
            ),
            format!(
                "replicates {} must be from 1 to {MAX_REPLICATES}",
                settings.replicates
            ),
        ));
    }
    if !(0.0..=0.5).contains(&settings.weight_jitter) {
        return Err(Error::invalid(
            "weight_jitter",
            "biên độ thay đổi trọng số phải từ 0 đến 0,5 (50 %)",
            "the weight jitter must be from 0 to 0.5 (50 %)",
        ));
    }
    let estimates = survey_estimates(db, g.year, &g.survey).await?;
    let empty = BTreeMap::new();
    let mut units = Vec::new();
    for s in &g.scores {
        units.push(
            McUnit::from_score(&g.set, s, estimates.get(&s.unit).unwrap_or(&empty))
                .map_err(Error::Invalid)?,
        );
    }
    let set = g.set.clone();
    let settings = settings.clone();
    // CPU-bound: off the async workers.
    tokio::task::spawn_blocking(move || simulate(&set, &units, &settings))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("uncertainty worker: {e}")))?
        .map_err(Error::Invalid)
}

/// Self-assessed against appraised points over a group, per unit and area, and how consistent
/// the appraisers are. Only sub-criteria that were appraised count; the appraiser of an entry is
/// whoever last wrote it after appraisal.
pub async fn inflation_of(db: &Db, g: &GroupData) -> Result<InflationReport> {
    let mut rows = Vec::new();
    let mut levels = BTreeMap::new();
    for s in &g.scores {
        let sheet = db.sheet(g.year, &s.unit).await?;
        if let Some(l) = &sheet.level {
            levels.insert(s.unit.clone(), l.clone());
        }
        for e in db.entries(g.year, &s.unit).await? {
            let appraised = e.appraisal2_points.or(e.appraisal1_points);
            if let (Some(self_points), Some(appraised)) = (e.self_points, appraised)
                && !e.not_applicable
            {
                rows.push(Assessment {
                    unit: s.unit.clone(),
                    code: e.code.clone(),
                    self_points,
                    appraised,
                    appraiser: e.updated_by.clone(),
                });
            }
        }
    }
    inflation(&g.set, &rows, &levels).map_err(Error::Invalid)
}

/// This year's group against last year's results of the same units, on the sub-criteria both
/// sets share.
pub async fn year_over_year(db: &Db, g: &GroupData) -> Result<YoyReport> {
    let before = group(db, g.year - 1, &g.group).await.map_err(|_| {
        Error::not_found(
            format!(
                "không có số liệu năm {} của khối {} để so sánh",
                g.year - 1,
                g.group
            ),
            format!(
                "there is no {} data for group {} to compare with",
                g.year - 1,
                g.group
            ),
        )
    })?;
    Ok(compare_years(
        &before.set,
        &before.scores,
        &g.set,
        &g.scores,
    ))
}
