//! Survey reports from the running statistics alone (a few hundred integers per unit, whatever the
//! number of responses): per unit the item, element and overall indices with 95 % intervals,
//! small-sample flags and expectation tallies, with and without quarantined responses; rankings
//! per group with rank intervals; segment breakdowns; and the link to the PAR Index.

use super::tally::{Layout, Tally};
use super::{SurveyContext, SurveySettings, SurveyState};
use crate::db::{Db, q};
use crate::{Error, Result};
use parindex_core::rules::{Rule, Score};
use parindex_core::survey_stats::{
    Estimate, ItemCounts, Measure, RankedEstimate, SCALE, rank_estimates,
};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    pub code: String,
    pub element: u32,
    /// Answers per code: `[none, 1, 2, 3, 4, 5]`.
    pub counts: [u64; SCALE + 1],
    pub estimate: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementResult {
    pub code: u32,
    pub estimate: Estimate,
    pub small_sample: bool,
}

/// The figures of one unit (or segment, or the province) from one set of responses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub respondents: u64,
    pub items: Vec<ItemResult>,
    pub elements: Vec<ElementResult>,
    pub overall: Estimate,
    pub small_sample: bool,
    /// Per expectation area (questionnaire order), the count of each option.
    pub expectations: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitResult {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// Accepted responses only: the official figures.
    pub official: View,
    /// Accepted and quarantined responses.
    pub with_quarantined: View,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRanking {
    pub group: String,
    pub official: Vec<RankedEstimate>,
    pub with_quarantined: Vec<RankedEstimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyReport {
    pub year: i32,
    pub code: String,
    pub title: String,
    pub measure: Measure,
    pub weights: Option<Vec<f64>>,
    /// Element codes and names (Vietnamese, English), questionnaire order.
    pub elements: Vec<(u32, String, Option<String>)>,
    pub items: Vec<String>,
    pub expectation_areas: Vec<String>,
    pub expectation_options: Vec<String>,
    /// Every unit of the round, by code.
    pub units: Vec<UnitResult>,
    /// Ranked on the overall index, per unit group.
    pub rankings: Vec<GroupRanking>,
    /// All units' responses together.
    pub province: UnitResult,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentResult {
    /// `field:<code>` or `profile:<question>=<option>`.
    pub segment: String,
    pub official: View,
    pub with_quarantined: View,
}

/// A survey-derived sub-criterion's points for one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyPoints {
    pub code: String,
    pub indicator: String,
    /// The unit's survey result (percent), when the survey supplies it.
    pub value: Option<Decimal>,
    pub max: Decimal,
    pub points: Option<Decimal>,
}

fn view(t: &Tally, ctx: &SurveyContext) -> View {
    let s: &SurveySettings = &ctx.survey.settings;
    let layout: &Layout = &ctx.layout;
    let q = &ctx.questionnaire;
    let items = q
        .items
        .iter()
        .zip(&t.items)
        .map(|(item, c): (_, &ItemCounts)| ItemResult {
            code: item.code.clone(),
            element: item.element,
            counts: c.0,
            estimate: c.estimate(s.measure),
        })
        .collect();
    let elements = q
        .elements
        .iter()
        .enumerate()
        .map(|(e, el)| {
            let estimate = t.stats.element(e, s.measure);
            ElementResult {
                code: el.code,
                small_sample: s.small_sample.flags(&estimate),
                estimate,
            }
        })
        .collect();
    let overall = t.stats.overall(s.weights.as_deref(), s.measure);
    let n_opt = layout.options.len();
    View {
        respondents: t.respondents(),
        items,
        elements,
        small_sample: s.small_sample.flags(&overall),
        overall,
        expectations: (0..layout.areas.len())
            .map(|a| t.expectations[a * n_opt..(a + 1) * n_opt].to_vec())
            .collect(),
    }
}

fn both(
    ctx: &SurveyContext,
    accepted: Option<&Tally>,
    quarantined: Option<&Tally>,
) -> (View, View) {
    let layout = &ctx.layout;
    let zero = Tally::new(layout);
    let a = accepted.unwrap_or(&zero);
    let mut all = a.clone();
    if let Some(qt) = quarantined {
        all.merge(qt);
    }
    (view(a, ctx), view(&all, ctx))
}

/// Reads the statistics rows of one segment: (unit id, bucket) → tally.
async fn segment_rows(
    db: &Db,
    ctx: &SurveyContext,
    segment: &str,
) -> Result<HashMap<(i64, String), Tally>> {
    let rows = db
        .fetch_all(
            q(
                "SELECT unit_id, bucket, respondents, items, sums, cross_products, expectations \
               FROM survey_stats WHERE survey_id = $1 AND segment = $2",
            )
            .bind(ctx.survey.id)
            .bind(segment),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                (r.i64("unit_id")?, r.text("bucket")?),
                Tally::from_row(&ctx.layout, r)?,
            ))
        })
        .collect()
}

/// A unit's index per element and overall as exact decimals (percent), from integer counts.
fn exact_indices(t: &Tally, ctx: &SurveyContext) -> (Vec<Option<Decimal>>, Option<Decimal>) {
    let s = &ctx.survey.settings;
    let hundred = Decimal::ONE_HUNDRED;
    let (coord, scale) = match s.measure {
        Measure::Satisfied => (0, Decimal::ONE),
        Measure::TopBox => (1, Decimal::ONE),
        Measure::MeanScore => (2, Decimal::from(SCALE as u64)),
    };
    let elements: Vec<Option<Decimal>> = (0..ctx.layout.elements)
        .map(|e| {
            let num = Decimal::from(t.stats.sums[4 * e + coord]);
            let valid = Decimal::from(t.stats.sums[4 * e + 3]);
            (!valid.is_zero()).then(|| hundred * num / (valid * scale))
        })
        .collect();
    let weights: Vec<Decimal> = match &s.weights {
        Some(w) => w
            .iter()
            .map(|x| Decimal::try_from(*x).unwrap_or_default())
            .collect(),
        None => vec![Decimal::ONE; elements.len()],
    };
    let total: Decimal = weights.iter().copied().sum();
    let overall = if total.is_zero() {
        None
    } else {
        let mut acc = Decimal::ZERO;
        let mut ok = true;
        for (w, v) in weights.iter().zip(&elements) {
            if w.is_zero() {
                continue;
            }
            match v {
                Some(v) => acc += *w * *v,
                None => ok = false,
            }
        }
        ok.then(|| acc / total)
    };
    (elements, overall)
}

impl Db {
    /// The survey's report: every unit of the round with and without quarantined responses,
    /// rankings per group, the province as a whole. Reads only the statistics of the segment of
    /// all respondents.
    pub async fn survey_report(&self, year: i32, code: &str) -> Result<SurveyReport> {
        let ctx = self.survey_context(year, code).await?;
        let rows = segment_rows(self, &ctx, "").await?;
        let mut units = Vec::with_capacity(ctx.units.len());
        let layout = &ctx.layout;
        let mut prov_a = Tally::new(layout);
        let mut prov_q = Tally::new(layout);
        for u in &ctx.units {
            let a = rows.get(&(u.id, "accepted".to_string()));
            let qt = rows.get(&(u.id, "quarantined".to_string()));
            if let Some(a) = a {
                prov_a.merge(a);
            }
            if let Some(qt) = qt {
                prov_q.merge(qt);
            }
            let (official, with_quarantined) = both(&ctx, a, qt);
            units.push(UnitResult {
                unit: u.code.clone(),
                name: u.name.clone(),
                group: u.group.clone(),
                official,
                with_quarantined,
            });
        }
        let mut groups: BTreeMap<&str, Vec<&UnitResult>> = BTreeMap::new();
        for u in &units {
            groups.entry(u.group.as_str()).or_default().push(u);
        }
        let rankings = groups
            .into_iter()
            .map(|(g, us)| {
                let rank = |f: fn(&UnitResult) -> &View| {
                    let list: Vec<(String, Estimate)> =
                        us.iter().map(|u| (u.unit.clone(), f(u).overall)).collect();
                    rank_estimates(&list)
                };
                GroupRanking {
                    group: g.to_string(),
                    official: rank(|u| &u.official),
                    with_quarantined: rank(|u| &u.with_quarantined),
                }
            })
            .collect();
        let (official, with_quarantined) = both(&ctx, Some(&prov_a), Some(&prov_q));
        let q = &ctx.questionnaire;
        Ok(SurveyReport {
            year,
            code: ctx.survey.code.clone(),
            title: ctx.survey.title.clone(),
            measure: ctx.survey.settings.measure,
            weights: ctx.survey.settings.weights.clone(),
            elements: q
                .elements
                .iter()
                .map(|e| (e.code, e.name.clone(), e.name_en.clone()))
                .collect(),
            items: layout.item_codes.clone(),
            expectation_areas: layout.areas.clone(),
            expectation_options: layout.options.clone(),
            units,
            rankings,
            province: UnitResult {
                unit: String::new(),
                name: "Toàn tỉnh".into(),
                group: String::new(),
                official,
                with_quarantined,
            },
        })
    }

    /// Results per segment (service field, profile option), for one unit or, with `None`, all
    /// units together; segments in code order.
    pub async fn survey_segments(
        &self,
        year: i32,
        code: &str,
        unit: Option<&str>,
    ) -> Result<Vec<SegmentResult>> {
        let ctx = self.survey_context(year, code).await?;
        let unit_id = match unit {
            Some(u) => Some(*ctx.unit_ids.get(u).ok_or_else(|| {
                Error::invalid(
                    "unit",
                    format!("đơn vị \"{u}\" không thuộc kỳ đánh giá {year}"),
                    format!("unit \"{u}\" is not in round {year}"),
                )
            })?),
            None => None,
        };
        let rows = self
            .fetch_all(
                q("SELECT unit_id, segment, bucket, respondents, items, sums, cross_products, expectations \
                   FROM survey_stats WHERE survey_id = $1 AND segment <> ''")
                .bind(ctx.survey.id),
            )
            .await?;
        let layout = &ctx.layout;
        let mut by_seg: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
        for r in &rows {
            if unit_id.is_some_and(|id| r.i64("unit_id").ok() != Some(id)) {
                continue;
            }
            let t = Tally::from_row(layout, r)?;
            let e = by_seg
                .entry(r.text("segment")?)
                .or_insert_with(|| (Tally::new(layout), Tally::new(layout)));
            if r.text("bucket")? == "accepted" {
                e.0.merge(&t);
            } else {
                e.1.merge(&t);
            }
        }
        Ok(by_seg
            .into_iter()
            .map(|(segment, (a, qt))| {
                let (official, with_quarantined) = both(&ctx, Some(&a), Some(&qt));
                SegmentResult {
                    segment,
                    official,
                    with_quarantined,
                }
            })
            .collect())
    }

    /// The survey results that feed the PAR Index, per unit code and indicator name: for each
    /// **closed** survey of the round (an open survey's running figures never count),
    /// `<prefix>.overall` and `<prefix>.element.<n>` (prefix `sipas` by default), in percent,
    /// exact, from accepted responses only. An element without valid answers (and then the
    /// overall) is left out.
    pub async fn survey_results_for_index(
        &self,
        year: i32,
    ) -> Result<BTreeMap<String, BTreeMap<String, Decimal>>> {
        let mut out: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        for s in self.surveys(year).await? {
            if s.state != SurveyState::Closed {
                continue;
            }
            let ctx = self.survey_context(year, &s.code).await?;
            let code_of: HashMap<i64, &str> = ctx
                .unit_ids
                .iter()
                .map(|(code, &id)| (id, code.as_str()))
                .collect();
            let rows = self
                .fetch_all(
                    q(
                        "SELECT unit_id, respondents, items, sums, cross_products, expectations \
                       FROM survey_stats \
                       WHERE survey_id = $1 AND segment = '' AND bucket = 'accepted'",
                    )
                    .bind(ctx.survey.id),
                )
                .await?;
            let prefix = &ctx.survey.settings.indicator_prefix;
            for row in &rows {
                let Some(&unit) = code_of.get(&row.i64("unit_id")?) else {
                    continue;
                };
                let t = Tally::from_row(&ctx.layout, row)?;
                let (elements, overall) = exact_indices(&t, &ctx);
                let values = out.entry(unit.to_string()).or_default();
                for (el, v) in ctx.questionnaire.elements.iter().zip(elements) {
                    if let Some(v) = v {
                        values.insert(format!("{prefix}.element.{}", el.code), v);
                    }
                }
                if let Some(v) = overall {
                    values.insert(format!("{prefix}.overall"), v);
                }
            }
        }
        Ok(out)
    }

    /// [`Db::survey_results_for_index`] of one unit.
    pub async fn survey_indicator_values(
        &self,
        year: i32,
        unit: &str,
    ) -> Result<BTreeMap<String, Decimal>> {
        Ok(self
            .survey_results_for_index(year)
            .await?
            .remove(unit)
            .unwrap_or_default())
    }

    /// The points of every survey-derived sub-criterion of the unit's criteria set, from its
    /// survey results and each sub-criterion's rule (and the unit's level maximum).
    pub async fn survey_points(&self, year: i32, unit: &str) -> Result<Vec<SurveyPoints>> {
        let u = self.unit(unit).await?;
        let set = self.criteria_set(year, &u.group).await?;
        let values = self.survey_indicator_values(year, unit).await?;
        let mut out = Vec::new();
        for &i in set.leaves() {
            let node = &set.nodes[i];
            let Some(Rule::Survey { indicator, .. }) = &node.rule else {
                continue;
            };
            let points = match crate::compute::survey_score(node, u.level.as_deref(), &values)? {
                Some(Score::Points(p)) => Some(p),
                _ => None,
            };
            out.push(SurveyPoints {
                code: node.code.to_string(),
                indicator: indicator.clone(),
                value: values.get(indicator).copied(),
                max: node.max_for(u.level.as_deref()),
                points,
            });
        }
        Ok(out)
    }
}
