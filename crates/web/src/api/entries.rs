//! Entries: one sub-criterion of a sheet. Officers declare data and notes while self-assessing
//! and answer with explanations when asked; appraisers enter round-1 and round-2 points for the
//! areas assigned to them.

use crate::api::sheets::may_audit;
use crate::api::{area_appraiser, check_open, readable_sheet, unit_writer};
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, points};
use crate::views::{AuditView, EntryView, ErrorBody};
use axum::extract::State;
use parindex_store::rounds::Phase;
use parindex_store::sheets::{AppraisalRound, EntryKey, Sheet};
use parindex_store::{Action, Actor};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_one))
        .routes(routes!(save_self))
        .routes(routes!(save_appraisal))
        .routes(routes!(save_explanation))
        .routes(routes!(audit))
}

async fn view(state: &AppState, sheet: &Sheet, code: &str) -> Result<EntryView> {
    let e = state
        .db()
        .entry(&EntryKey::new(sheet.year, &sheet.unit, code))
        .await?;
    let set = state.db().criteria_set(sheet.year, &sheet.group).await?;
    Ok(EntryView::new(&e, set.node(code), sheet.level.as_deref()))
}

/// One sub-criterion of a sheet.
#[utoipa::path(get, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}", tag = "entries",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path)),
    responses((status = 200, body = EntryView), (status = "4XX", body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code)): Path<(i32, String, String)>,
) -> Result<axum::Json<EntryView>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    Ok(axum::Json(view(&state, &sheet, &code).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SelfAssessment {
    /// The entry version read (0 if never saved).
    pub version: i64,
    /// What the unit declares, as the rule reads it (`yes`, `12/15`, `na`…).
    pub declared: String,
    #[serde(default)]
    pub note: String,
}

/// Saves the unit's declaration and note (the unit's officers, while self-assessing, before the
/// self-assessment deadline). The self points come from the sub-criterion's rule.
#[utoipa::path(put, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}/self", tag = "entries",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path)),
    request_body = SelfAssessment,
    responses((status = 200, body = EntryView), (status = "4XX", body = ErrorBody)))]
async fn save_self(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code)): Path<(i32, String, String)>,
    Json(req): Json<SelfAssessment>,
) -> Result<axum::Json<EntryView>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    check_open(
        &state,
        &c,
        year,
        Some(Phase::SelfAssessment),
        Action::EditSelfAssessment,
    )
    .await?;
    state
        .db()
        .save_self_assessment(
            &EntryKey::new(year, &unit, &code),
            req.version,
            &req.declared,
            &req.note,
            &Actor::new(c.name()),
        )
        .await?;
    Ok(axum::Json(view(&state, &sheet, &code).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Appraisal {
    pub version: i64,
    /// Points between 0 and the sub-criterion's maximum, as a decimal string (`"1.25"`) or number.
    #[serde(deserialize_with = "points")]
    #[schema(value_type = String)]
    pub points: Decimal,
    #[serde(default)]
    pub note: String,
}

/// Saves appraised points and a note for round 1 or 2 (appraisers assigned to the
/// sub-criterion's area, in the matching appraisal state, before that round's deadline).
#[utoipa::path(put, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}/appraisal/{round}", tag = "entries",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path), ("round" = u8, Path, description = "1 or 2")),
    request_body = Appraisal,
    responses((status = 200, body = EntryView), (status = "4XX", body = ErrorBody)))]
async fn save_appraisal(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code, round)): Path<(i32, String, String, u8)>,
    Json(req): Json<Appraisal>,
) -> Result<axum::Json<EntryView>> {
    let (round, phase, action) = match round {
        1 => (
            AppraisalRound::First,
            Phase::Appraisal1,
            Action::EditAppraisal1,
        ),
        2 => (
            AppraisalRound::Second,
            Phase::Appraisal2,
            Action::EditAppraisal2,
        ),
        _ => {
            return Err(Error::not_found(
                format!("không có vòng thẩm định {round}: chỉ có 1 và 2"),
                format!("there is no appraisal round {round}: only 1 and 2"),
            ));
        }
    };
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    area_appraiser(&c, &sheet, &code)?;
    check_open(&state, &c, year, Some(phase), action).await?;
    state
        .db()
        .save_appraisal(
            &EntryKey::new(year, &unit, &code),
            round,
            req.version,
            req.points,
            &req.note,
            &Actor::new(c.name()),
        )
        .await?;
    Ok(axum::Json(view(&state, &sheet, &code).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Explanation {
    pub version: i64,
    pub explanation: String,
}

/// Saves the unit's explanation (its officers, while an explanation is requested, before the
/// explanation deadline).
#[utoipa::path(put, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}/explanation", tag = "entries",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path)),
    request_body = Explanation,
    responses((status = 200, body = EntryView), (status = "4XX", body = ErrorBody)))]
async fn save_explanation(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code)): Path<(i32, String, String)>,
    Json(req): Json<Explanation>,
) -> Result<axum::Json<EntryView>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    check_open(
        &state,
        &c,
        year,
        Some(Phase::Explanation),
        Action::EditExplanation,
    )
    .await?;
    state
        .db()
        .save_explanation(
            &EntryKey::new(year, &unit, &code),
            req.version,
            &req.explanation,
            &Actor::new(c.name()),
        )
        .await?;
    Ok(axum::Json(view(&state, &sheet, &code).await?))
}

/// The audit trail of one sub-criterion of a sheet.
#[utoipa::path(get, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}/audit", tag = "audit",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path)),
    responses((status = 200, body = [AuditView]), (status = "4XX", body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code)): Path<(i32, String, String)>,
) -> Result<axum::Json<Vec<AuditView>>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    may_audit(&c, &sheet)?;
    // 404 for a sub-criterion the set does not have.
    state.db().entry(&EntryKey::new(year, &unit, &code)).await?;
    let trail = state
        .db()
        .audit_of("entry", &format!("{year}/{unit}/{code}"))
        .await?;
    Ok(axum::Json(trail.iter().map(AuditView::from).collect()))
}
