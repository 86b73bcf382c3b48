//! Rounds (kỳ đánh giá): everyone signed in reads them and their criteria sets; the secretariat
//! creates them, sets deadlines, stores the sets and opens or closes them.

use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::views::{ErrorBody, RoundView, SetView};
use axum::extract::State;
use axum::http::StatusCode;
use parindex_store::rounds::Phase;
use parindex_store::{Actor, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(set_deadline))
        .routes(routes!(put_set))
        .routes(routes!(get_set))
        .routes(routes!(open))
        .routes(routes!(close))
}

/// Every round, newest first.
#[utoipa::path(get, path = "/api/rounds", tag = "rounds",
    responses((status = 200, body = [RoundView]), (status = 401, body = ErrorBody)))]
async fn list(State(state): State<AppState>, _: SignedIn) -> Result<axum::Json<Vec<RoundView>>> {
    let rounds = state.db().rounds().await?;
    Ok(axum::Json(rounds.iter().map(RoundView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewRound {
    pub year: i32,
    pub title: String,
}

/// Creates a round as a draft (secretariat).
#[utoipa::path(post, path = "/api/rounds", tag = "rounds", request_body = NewRound,
    responses((status = 201, body = RoundView), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(req): Json<NewRound>,
) -> Result<(StatusCode, axum::Json<RoundView>)> {
    secretariat(&c, "tạo kỳ đánh giá", "create rounds")?;
    let r = state
        .db()
        .create_round(req.year, &req.title, &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(RoundView::from(&r))))
}

/// One round with its deadlines and the set of each group.
#[utoipa::path(get, path = "/api/rounds/{year}", tag = "rounds", params(("year" = i32, Path)),
    responses((status = 200, body = RoundView), (status = "4XX", body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    _: SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<RoundView>> {
    Ok(axum::Json(RoundView::from(&state.db().round(year).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct DeadlineUpdate {
    /// RFC 3339 (`2019-12-10T23:59:00+07:00`), or null to remove the deadline.
    pub due: Option<String>,
}

/// Sets or removes the deadline of a phase (secretariat). The server refuses officers' and
/// appraisers' writes of that phase after it.
#[utoipa::path(put, path = "/api/rounds/{year}/deadlines/{phase}", tag = "rounds",
    params(("year" = i32, Path), ("phase" = String, Path, description = "self_assessment, appraisal_1, explanation, appraisal_2 or approval")),
    request_body = DeadlineUpdate,
    responses((status = 200, body = RoundView), (status = "4XX", body = ErrorBody)))]
async fn set_deadline(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, phase)): Path<(i32, String)>,
    Json(req): Json<DeadlineUpdate>,
) -> Result<axum::Json<RoundView>> {
    secretariat(&c, "đặt hạn chót", "set deadlines")?;
    let phase = Phase::parse(&phase).ok_or_else(|| {
        Error::not_found(
            format!("không có giai đoạn \"{phase}\""),
            format!("there is no phase \"{phase}\""),
        )
    })?;
    let due = match req.due.as_deref() {
        None => None,
        Some(text) => Some(Timestamp::parse_rfc3339(text).ok_or_else(|| {
            Error::invalid(
                "due",
                format!(
                    "\"{text}\" không phải thời điểm dạng RFC 3339 (vd. 2019-12-10T23:59:00+07:00)"
                ),
                format!("\"{text}\" is not an RFC 3339 time (e.g. 2019-12-10T23:59:00+07:00)"),
            )
        })?),
    };
    let r = state
        .db()
        .set_deadline(year, phase, due, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(RoundView::from(&r)))
}

#[derive(Deserialize, ToSchema)]
pub struct SetUpload {
    /// The file name it came from, for messages (`so-2019.set.toml`).
    pub source: String,
    /// The criteria set in its TOML format.
    pub toml: String,
}

#[derive(Serialize, ToSchema)]
pub struct StoredSetView {
    pub code: String,
    pub source: String,
    pub sha256: String,
    pub groups: Vec<String>,
}

/// Stores a criteria set for the round's groups it declares (secretariat, while a draft).
#[utoipa::path(post, path = "/api/rounds/{year}/sets", tag = "rounds", params(("year" = i32, Path)),
    request_body = SetUpload,
    responses((status = 201, body = StoredSetView), (status = "4XX", body = ErrorBody)))]
async fn put_set(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
    Json(req): Json<SetUpload>,
) -> Result<(StatusCode, axum::Json<StoredSetView>)> {
    secretariat(&c, "nạp bộ chỉ số", "store criteria sets")?;
    let s = state
        .db()
        .put_criteria_set(year, &req.source, &req.toml, &Actor::new(c.name()))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(StoredSetView {
            code: s.code,
            source: s.source,
            sha256: s.sha256,
            groups: s.groups,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct LevelQuery {
    /// Show maxima for this unit level.
    pub level: Option<String>,
}

/// The criteria set a group is assessed with: areas, criteria, sub-criteria with their maxima
/// and rule types.
#[utoipa::path(get, path = "/api/rounds/{year}/sets/{group}", tag = "rounds",
    params(("year" = i32, Path), ("group" = String, Path), LevelQuery),
    responses((status = 200, body = SetView), (status = "4XX", body = ErrorBody)))]
async fn get_set(
    State(state): State<AppState>,
    _: SignedIn,
    Path((year, group)): Path<(i32, String)>,
    Query(q): Query<LevelQuery>,
) -> Result<axum::Json<SetView>> {
    let set = state.db().criteria_set(year, &group).await?;
    Ok(axum::Json(SetView::new(&set, q.level.as_deref())))
}

/// Opens the round (secretariat): every active unit gets a sheet.
#[utoipa::path(post, path = "/api/rounds/{year}/open", tag = "rounds", params(("year" = i32, Path)),
    responses((status = 200, body = RoundView), (status = "4XX", body = ErrorBody)))]
async fn open(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<RoundView>> {
    secretariat(&c, "mở kỳ đánh giá", "open rounds")?;
    let r = state.db().open_round(year, &Actor::new(c.name())).await?;
    Ok(axum::Json(RoundView::from(&r)))
}

/// Closes the round (secretariat): its sheets stay readable and take no more changes.
#[utoipa::path(post, path = "/api/rounds/{year}/close", tag = "rounds", params(("year" = i32, Path)),
    responses((status = 200, body = RoundView), (status = "4XX", body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<RoundView>> {
    secretariat(&c, "đóng kỳ đánh giá", "close rounds")?;
    let r = state.db().close_round(year, &Actor::new(c.name())).await?;
    Ok(axum::Json(RoundView::from(&r)))
}
