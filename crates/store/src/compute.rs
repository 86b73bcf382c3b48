//! A round's results from its sheets: each unit scored on its sub-criteria's final points
//! (round-2 appraisal, else round-1, else self-assessed; a "not applicable" claim stands unless an
//! appraiser gave points; survey-derived ones from the closed surveys' results where they have
//! them), bonus and penalty as appraised, ranked per group with the change against last year's
//! published results.

use crate::sheets::ProposalKind;
use crate::{Db, Error, Result};
use parindex_core::engine::{UnitData, UnitInput, UnitScore, score_unit};
use parindex_core::ranking::{Previous, Results, rank};
use parindex_core::rules::{Rule, Score};
use parindex_core::set::{CriteriaSet, Node};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The results of one criteria set's groups in a round, with the set they were computed by.
#[derive(Debug, Clone)]
pub struct SetResults {
    pub set: Arc<CriteriaSet>,
    pub results: Results,
    /// The scores behind the results, per unit (points per node for scorecards and analysis).
    pub scores: Vec<UnitScore>,
    /// The round's closed-survey results their survey-derived points came from, per unit code
    /// and indicator (`Db::survey_results_for_index`, read once per round).
    pub survey: Arc<BTreeMap<String, BTreeMap<String, Decimal>>>,
}

impl Db {
    /// Scores every sheet of the round and ranks each set's groups. A survey-derived
    /// sub-criterion takes its points from the round's closed surveys where they supply its
    /// indicator for the unit, else from the sheet like any other. Only proposals that were
    /// appraised count; a sub-criterion with no points yet counts 0.
    pub async fn round_results(&self, year: i32) -> Result<Vec<SetResults>> {
        let sheets = self.sheets(year).await?;
        let survey_results = Arc::new(self.survey_results_for_index(year).await?);
        let mut by_set: BTreeMap<String, (Arc<CriteriaSet>, Vec<UnitScore>)> = BTreeMap::new();
        for sheet in &sheets {
            let set = self.criteria_set(year, &sheet.group).await?;
            let entries = self.entries(year, &sheet.unit).await?;
            let by_code: BTreeMap<&str, _> = entries.iter().map(|e| (e.code.as_str(), e)).collect();
            let survey = survey_results.get(&sheet.unit);
            let points = set
                .leaves()
                .iter()
                .map(|&i| {
                    let node = &set.nodes[i];
                    if let Some(p) = survey.and_then(|values| {
                        survey_score(node, sheet.level.as_deref(), values).transpose()
                    }) {
                        return p;
                    }
                    match by_code.get(node.code.to_string().as_str()) {
                        Some(e) if e.counts_as_not_applicable() => Ok(Score::NotApplicable),
                        Some(e) => Ok(Score::Points(e.final_points().unwrap_or(Decimal::ZERO))),
                        None => Ok(Score::Points(Decimal::ZERO)),
                    }
                })
                .collect::<Result<Vec<Score>>>()?;
            let (mut bonus, mut penalty) = (Decimal::ZERO, Decimal::ZERO);
            for p in self.proposals(year, &sheet.unit).await? {
                let points = p.appraised_points.unwrap_or(Decimal::ZERO);
                match p.kind {
                    ProposalKind::Bonus => bonus += points,
                    ProposalKind::Penalty => penalty += points,
                }
            }
            let input = UnitInput {
                unit: sheet.unit.clone(),
                name: sheet.unit_name.clone(),
                group: sheet.group.clone(),
                level: sheet.level.clone(),
                data: UnitData::Points(points),
                bonus,
                penalty,
            };
            let score = score_unit(&set, &input).map_err(Error::Invalid)?;
            by_set
                .entry(set.code.clone())
                .or_insert_with(|| (set.clone(), Vec::new()))
                .1
                .push(score);
        }
        let mut out = Vec::new();
        for (_, (set, scores)) in by_set {
            let mut previous = Vec::new();
            for group in &set.groups {
                match self.published(year - 1, &group.code).await {
                    Ok(p) => previous.extend(p.units.iter().map(|u| Previous {
                        unit: u.unit.clone(),
                        total: u.total,
                        rank: u.rank,
                    })),
                    Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            let mut results = rank(&set, &scores, &previous);
            // A set may serve several rounds (the 2019 set for 2018 too): results are the round's.
            results.year = year;
            out.push(SetResults {
                set,
                results,
                scores,
                survey: survey_results.clone(),
            });
        }
        Ok(out)
    }
}

/// The score of a survey-derived sub-criterion from the unit's survey results (its rule on the
/// indicator's value, with the unit's level maximum), or `None` when it is not survey-derived or
/// the results do not include its indicator.
pub fn survey_score(
    node: &Node,
    level: Option<&str>,
    values: &BTreeMap<String, Decimal>,
) -> Result<Option<Score>> {
    let Some(rule @ Rule::Survey { indicator, .. }) = &node.rule else {
        return Ok(None);
    };
    let Some(value) = values.get(indicator) else {
        return Ok(None);
    };
    rule.score(&value.to_string(), node.max_for(level), false)
        .map(Some)
        .map_err(|e| Error::Corrupt(format!("survey value {value} for {}: {}", node.code, e.en)))
}
