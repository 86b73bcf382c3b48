//! Analysis of a round as it stands: points lost by a unit and by a group, the improvement
//! planner, what-if on declared data, self versus appraised (inflation) and appraiser
//! consistency, rank uncertainty with its seed, and year over year. Those who may read a sheet
//! see its unit's analysis; group-wide analysis is for the secretariat and leaders, inflation and
//! appraiser consistency for the secretariat only. Bodies are parindex-core's reports
//! (docs/analysis.md), decimals as strings.

use crate::analysis::{self, GroupData};
use crate::api::{readable_sheet, secretariat};
use crate::app::AppState;
use crate::auth::{Caller, SignedIn};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::views::ErrorBody;
use axum::extract::State;
use parindex_core::analysis::lost::{group_losses_at_level, points_lost};
use parindex_core::analysis::planner::{PlanOptions, what_if};
use parindex_core::analysis::uncertainty::McSettings;
use parindex_core::num::parse_decimal;
use parindex_store::users::Role;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(unit_lost))
        .routes(routes!(group_lost))
        .routes(routes!(plan))
        .routes(routes!(unit_what_if))
        .routes(routes!(group_inflation))
        .routes(routes!(group_uncertainty))
        .routes(routes!(group_yoy))
}

/// The secretariat and leaders read group-wide analysis.
pub fn overseer(c: &Caller) -> Result<()> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "chỉ cơ quan thường trực và lãnh đạo được xem phân tích của cả khối",
            "only the secretariat and leaders may see a group's analysis",
        ))
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<axum::Json<Value>> {
    serde_json::to_value(v)
        .map(axum::Json)
        .map_err(|e| Error::Internal(e.into()))
}

/// Where a unit lost points: per area, criterion and sub-criterion, against the maximum and
/// against the group's best unit.
#[utoipa::path(get, path = "/api/rounds/{year}/analysis/units/{unit}/lost", tag = "analysis",
    params(("year" = i32, Path), ("unit" = String, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn unit_lost(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<axum::Json<Value>> {
    readable_sheet(&state, &c, year, &unit).await?;
    let u = analysis::unit(state.db(), year, &unit).await?;
    to_json(&points_lost(&u.group.set, &u.score, &u.group.scores))
}

#[derive(Deserialize, ToSchema)]
pub struct LevelQuery {
    /// 1 areas, 2 criteria, 3 sub-criteria (default).
    pub level: Option<usize>,
}

/// Where a group lost most: nodes of one level, most points lost first.
#[utoipa::path(get, path = "/api/rounds/{year}/analysis/groups/{group}/lost", tag = "analysis",
    params(("year" = i32, Path), ("group" = String, Path), ("level" = Option<usize>, Query)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn group_lost(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, group)): Path<(i32, String)>,
    crate::extract::Query(q): crate::extract::Query<LevelQuery>,
) -> Result<axum::Json<Value>> {
    overseer(&c)?;
    let level = q.level.unwrap_or(3);
    if !(1..=3).contains(&level) {
        return Err(Error::invalid(
            "level",
            format!(
                "cấp {level} không có: dùng 1 (lĩnh vực), 2 (tiêu chí) hoặc 3 (tiêu chí thành phần)"
            ),
            format!("there is no level {level}: use 1 (areas), 2 (criteria) or 3 (sub-criteria)"),
        ));
    }
    let g = analysis::group(state.db(), year, &group).await?;
    to_json(&group_losses_at_level(&g.set, &g.scores, level))
}

#[derive(Deserialize, ToSchema)]
pub struct PlanRequest {
    /// `next-class`, `class:LABEL`, `rank:N` or `points:X`.
    pub target: String,
    /// Effort of one step per sub-criterion code (1 where absent): cheaper steps are preferred.
    #[serde(default)]
    pub effort: BTreeMap<String, u32>,
    /// For survey-derived sub-criteria: how many percentage points the survey result may rise.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub survey_gain: BTreeMap<String, String>,
}

pub fn plan_options(
    effort: &BTreeMap<String, u32>,
    gain: &BTreeMap<String, String>,
) -> Result<PlanOptions> {
    let mut survey_gain = BTreeMap::new();
    for (code, text) in gain {
        let v: Decimal = parse_decimal(text)
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                Error::invalid(
                    &format!("survey_gain.{code}"),
                    format!(
                        "mức tăng kết quả khảo sát \"{text}\" của {code} không phải số không âm"
                    ),
                    format!("the survey gain \"{text}\" for {code} is not a non-negative number"),
                )
            })?;
        survey_gain.insert(code.clone(), v);
    }
    Ok(PlanOptions {
        effort: effort.clone(),
        survey_gain,
    })
}

/// The smallest set of sub-criterion improvements that reaches the target with the other units
/// of the group held fixed (from the unit's declared data).
#[utoipa::path(post, path = "/api/rounds/{year}/analysis/units/{unit}/plan", tag = "analysis",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = PlanRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn plan(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<PlanRequest>,
) -> Result<axum::Json<Value>> {
    readable_sheet(&state, &c, year, &unit).await?;
    let u = analysis::unit(state.db(), year, &unit).await?;
    let target = u.target(&req.target)?;
    let options = plan_options(&req.effort, &req.survey_gain)?;
    to_json(&u.plan(target, &options)?)
}

#[derive(Deserialize, ToSchema)]
pub struct WhatIfChange {
    pub code: String,
    pub declared: String,
}

#[derive(Deserialize, ToSchema)]
pub struct WhatIfRequest {
    pub changes: Vec<WhatIfChange>,
}

/// Re-scores the unit with some declared values changed: total, class and rank before and
/// after, the group held fixed.
#[utoipa::path(post, path = "/api/rounds/{year}/analysis/units/{unit}/what-if", tag = "analysis",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = WhatIfRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn unit_what_if(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<WhatIfRequest>,
) -> Result<axum::Json<Value>> {
    readable_sheet(&state, &c, year, &unit).await?;
    if req.changes.is_empty() {
        return Err(Error::invalid(
            "changes",
            "cần ít nhất một thay đổi số liệu kê khai",
            "at least one change of declared data is needed",
        ));
    }
    let u = analysis::unit(state.db(), year, &unit).await?;
    let changes: Vec<(String, String)> = req
        .changes
        .into_iter()
        .map(|ch| (ch.code.trim().to_string(), ch.declared))
        .collect();
    let r = what_if(&u.group.set, &u.input, &changes, &u.others()).map_err(Error::Invalid)?;
    Ok(axum::Json(json!({
        "unit": unit,
        "before": r.before,
        "after": r.after,
        "total": r.score.total,
        "changes": changes.iter().map(|(c, v)| json!({"code": c, "declared": v})).collect::<Vec<_>>(),
    })))
}

/// Self-assessed minus appraised points per unit and area, and each appraiser's consistency
/// across units (secretariat).
#[utoipa::path(get, path = "/api/rounds/{year}/analysis/groups/{group}/inflation", tag = "analysis",
    params(("year" = i32, Path), ("group" = String, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn group_inflation(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, group)): Path<(i32, String)>,
) -> Result<axum::Json<Value>> {
    secretariat(
        &c,
        "xem mức tự chấm cao hơn điểm thẩm định",
        "see self-assessment inflation",
    )?;
    let g = analysis::group(state.db(), year, &group).await?;
    to_json(&analysis::inflation_of(state.db(), &g).await?)
}

#[derive(Deserialize, ToSchema)]
pub struct UncertaintyRequest {
    /// The seed, published with the results: the same seed gives the same results.
    pub seed: u64,
    /// Default 10,000; at most 20,000 here.
    pub replicates: Option<u32>,
    /// Area weights vary within ±this share (0.1 = ±10 %); default 0.
    pub weight_jitter: Option<f64>,
    /// Alternative class minima, each as many as the set has classes, best first.
    #[serde(default)]
    #[schema(value_type = Vec<Vec<String>>)]
    pub class_minima: Vec<Vec<String>>,
}

pub fn mc_settings(
    g: &GroupData,
    seed: u64,
    replicates: Option<u32>,
    jitter: Option<f64>,
    minima: &[Vec<String>],
) -> Result<McSettings> {
    let classes = g.set.classes.classes.len();
    let mut class_minima = Vec::new();
    for (i, alt) in minima.iter().enumerate() {
        if alt.len() != classes {
            return Err(Error::invalid(
                &format!("class_minima[{i}]"),
                format!("cần {classes} ngưỡng xếp loại, có {}", alt.len()),
                format!("{classes} class minima are needed, got {}", alt.len()),
            ));
        }
        let mut row = Vec::new();
        for v in alt {
            row.push(parse_decimal(v).ok_or_else(|| {
                Error::invalid(
                    &format!("class_minima[{i}]"),
                    format!("ngưỡng \"{v}\" không phải số"),
                    format!("the minimum \"{v}\" is not a number"),
                )
            })?);
        }
        class_minima.push(row);
    }
    Ok(McSettings {
        replicates: replicates.unwrap_or(10_000),
        seed,
        weight_jitter: jitter.unwrap_or(0.0),
        class_minima,
        threads: 0,
    })
}

/// Monte Carlo over the survey's sampling error and methodology choices: per unit the median
/// rank, the 5–95 % rank interval and each class's probability, and the units that cannot be
/// told apart; with the seed.
#[utoipa::path(post, path = "/api/rounds/{year}/analysis/groups/{group}/uncertainty", tag = "analysis",
    params(("year" = i32, Path), ("group" = String, Path)), request_body = UncertaintyRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn group_uncertainty(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, group)): Path<(i32, String)>,
    Json(req): Json<UncertaintyRequest>,
) -> Result<axum::Json<Value>> {
    overseer(&c)?;
    let g = analysis::group(state.db(), year, &group).await?;
    let settings = mc_settings(
        &g,
        req.seed,
        req.replicates,
        req.weight_jitter,
        &req.class_minima,
    )?;
    to_json(&analysis::uncertainty(state.db(), &g, &settings).await?)
}

/// The group against last year: change per unit on the sub-criteria both years' sets share,
/// and how much of the change comes from the set itself.
#[utoipa::path(get, path = "/api/rounds/{year}/analysis/groups/{group}/yoy", tag = "analysis",
    params(("year" = i32, Path), ("group" = String, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn group_yoy(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, group)): Path<(i32, String)>,
) -> Result<axum::Json<Value>> {
    overseer(&c)?;
    let g = analysis::group(state.db(), year, &group).await?;
    to_json(&analysis::year_over_year(state.db(), &g).await?)
}
