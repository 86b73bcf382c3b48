//! Bonus and penalty proposals: the unit proposes while self-assessing; the group's appraisers
//! appraise them in either appraisal round.

use crate::api::{check_open, group_appraiser, readable_sheet, unit_writer};
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, points};
use crate::views::{ErrorBody, ProposalView};
use axum::extract::State;
use axum::http::StatusCode;
use parindex_store::rounds::Phase;
use parindex_store::sheets::{ProposalKind, SheetState};
use parindex_store::{Action, Actor};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(propose))
        .routes(routes!(appraise))
}

#[derive(Deserialize, ToSchema)]
pub struct NewProposal {
    /// `bonus` or `penalty`.
    pub kind: String,
    #[serde(deserialize_with = "points")]
    #[schema(value_type = String)]
    pub points: Decimal,
    pub reason: String,
}

/// Proposes bonus or penalty points (the unit's officers, while self-assessing, within the
/// year's cap).
#[utoipa::path(post, path = "/api/rounds/{year}/sheets/{unit}/proposals", tag = "proposals",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = NewProposal,
    responses((status = 201, body = ProposalView), (status = "4XX", body = ErrorBody)))]
async fn propose(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<NewProposal>,
) -> Result<(StatusCode, axum::Json<ProposalView>)> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    let kind = ProposalKind::parse(&req.kind).ok_or_else(|| {
        Error::invalid(
            "kind",
            format!(
                "loại đề xuất \"{}\" không có: dùng bonus hoặc penalty",
                req.kind
            ),
            format!("no proposal kind \"{}\": use bonus or penalty", req.kind),
        )
    })?;
    check_open(
        &state,
        &c,
        year,
        Some(Phase::SelfAssessment),
        Action::ProposeBonusPenalty,
    )
    .await?;
    let p = state
        .db()
        .propose(
            year,
            &unit,
            kind,
            req.points,
            &req.reason,
            &Actor::new(c.name()),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ProposalView::from(&p))))
}

#[derive(Deserialize, ToSchema)]
pub struct ProposalAppraisal {
    pub version: i64,
    /// Points granted, from 0 (refused) to the proposed points.
    #[serde(deserialize_with = "points")]
    #[schema(value_type = String)]
    pub points: Decimal,
    #[serde(default)]
    pub note: String,
}

/// Appraises a proposal (appraisers of the group, in appraisal round 1 or 2, before that
/// round's deadline).
#[utoipa::path(put, path = "/api/rounds/{year}/sheets/{unit}/proposals/{id}/appraisal", tag = "proposals",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)),
    request_body = ProposalAppraisal,
    responses((status = 200, body = ProposalView), (status = "4XX", body = ErrorBody)))]
async fn appraise(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    Json(req): Json<ProposalAppraisal>,
) -> Result<axum::Json<ProposalView>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    group_appraiser(&c, &sheet)?;
    let p = state.db().proposal(id).await?;
    if p.year != year || p.unit != unit {
        return Err(Error::not_found(
            format!("phiếu {year}/{unit} không có đề xuất {id}"),
            format!("sheet {year}/{unit} has no proposal {id}"),
        ));
    }
    let phase = match sheet.state {
        SheetState::Appraisal2 => Phase::Appraisal2,
        _ => Phase::Appraisal1,
    };
    check_open(&state, &c, year, Some(phase), Action::AppraiseProposal).await?;
    let p = state
        .db()
        .appraise_proposal(
            id,
            req.version,
            req.points,
            &req.note,
            &Actor::new(c.name()),
        )
        .await?;
    Ok(axum::Json(ProposalView::from(&p)))
}
