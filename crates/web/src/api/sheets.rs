//! Sheets (phiếu đánh giá): the list a caller may see, one sheet with everything in it, its
//! transitions by role, and its audit trail.

use crate::api::{can_read, check_open, group_appraiser, readable_sheet, secretariat, unit_writer};
use crate::app::AppState;
use crate::auth::{Caller, SignedIn};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::views::{
    AuditView, DeadlineView, EntryView, ErrorBody, EvidenceView, ProposalView, SheetSummary,
    SheetView, SurveyPointsView,
};
use axum::extract::State;
use parindex_store::rounds::Phase;
use parindex_store::sheets::{Sheet, SheetState, allowed, is_backward};
use parindex_store::users::Role;
use parindex_store::{Action, Actor};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one))
        .routes(routes!(transition))
        .routes(routes!(audit))
}

/// The round's sheets the caller may see: all for the secretariat and leaders, the groups they
/// appraise for appraisers, their own unit's for officers.
#[utoipa::path(get, path = "/api/rounds/{year}/sheets", tag = "sheets", params(("year" = i32, Path)),
    responses((status = 200, body = [SheetSummary]), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<Vec<SheetSummary>>> {
    state.db().round(year).await?;
    let sheets = state.db().sheets(year).await?;
    Ok(axum::Json(
        sheets
            .iter()
            .filter(|s| can_read(&c, s))
            .map(SheetSummary::from)
            .collect(),
    ))
}

/// A sheet's view: every sub-criterion (saved or not), proposals, evidence and the deadlines.
pub(crate) async fn sheet_view(state: &AppState, sheet: &Sheet) -> Result<SheetView> {
    let db = state.db();
    let set = db.criteria_set(sheet.year, &sheet.group).await?;
    let level = sheet.level.as_deref();
    let entries = db.entries(sheet.year, &sheet.unit).await?;
    let proposals = db.proposals(sheet.year, &sheet.unit).await?;
    let evidence = db.evidence_of(sheet.year, &sheet.unit).await?;
    let round = db.round(sheet.year).await?;
    let survey = db.survey_points(sheet.year, &sheet.unit).await?;
    Ok(SheetView {
        sheet: SheetSummary::from(sheet),
        entries: entries
            .iter()
            .map(|e| EntryView::new(e, set.node(&e.code), level))
            .collect(),
        survey: survey.iter().map(SurveyPointsView::from).collect(),
        proposals: proposals.iter().map(ProposalView::from).collect(),
        evidence: evidence.iter().map(EvidenceView::from).collect(),
        deadlines: round
            .deadlines
            .iter()
            .map(|(p, t)| DeadlineView {
                phase: p.as_str().into(),
                due: t.to_string(),
            })
            .collect(),
    })
}

/// One sheet with its entries, proposals and evidence.
#[utoipa::path(get, path = "/api/rounds/{year}/sheets/{unit}", tag = "sheets",
    params(("year" = i32, Path), ("unit" = String, Path)),
    responses((status = 200, body = SheetView), (status = "4XX", body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<axum::Json<SheetView>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    Ok(axum::Json(sheet_view(&state, &sheet).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// The state to move to (`self_assessing`, `submitted`, `appraisal_1`…).
    pub to: String,
    /// The sheet version read: a stale one is refused (409).
    pub version: i64,
    /// Required for a move back (returning, reopening), and logged.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Who may move a sheet from `from` to `to`, and the phase whose deadline binds the move.
fn may_move(c: &Caller, sheet: &Sheet, to: SheetState) -> Result<Option<Phase>> {
    use SheetState::*;
    let from = sheet.state;
    if is_backward(from, to) {
        secretariat(
            c,
            "trả lại hoặc mở lại phiếu đã khóa",
            "return or reopen a locked sheet",
        )?;
        return Ok(None);
    }
    match to {
        SelfAssessing | Submitted => {
            unit_writer(c, sheet)?;
            Ok(Some(Phase::SelfAssessment))
        }
        ExplanationSubmitted => {
            unit_writer(c, sheet)?;
            Ok(Some(Phase::Explanation))
        }
        Appraisal1 => {
            group_appraiser(c, sheet)?;
            Ok(None)
        }
        ExplanationRequested => {
            group_appraiser(c, sheet)?;
            Ok(Some(Phase::Appraisal1))
        }
        Appraisal2 => {
            group_appraiser(c, sheet)?;
            Ok(None)
        }
        Approved | Published => {
            secretariat(c, "phê duyệt hoặc công bố", "approve or publish")?;
            Ok(None)
        }
        NotStarted => Ok(None),
    }
}

/// Moves a sheet along the workflow. Officers start, submit and answer explanations for their
/// unit; appraisers of the group start appraisal, request explanations and start round 2; the
/// secretariat may do all of it, approve, publish, and move back with a logged reason.
#[utoipa::path(post, path = "/api/rounds/{year}/sheets/{unit}/transitions", tag = "sheets",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = TransitionRequest,
    responses((status = 200, body = SheetSummary), (status = "4XX", body = ErrorBody)))]
async fn transition(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<TransitionRequest>,
) -> Result<axum::Json<SheetSummary>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    let to = SheetState::parse(&req.to).ok_or_else(|| {
        Error::invalid(
            "to",
            format!("không có trạng thái phiếu \"{}\"", req.to),
            format!("there is no sheet state \"{}\"", req.to),
        )
    })?;
    if !allowed(sheet.state, to) {
        return Err(parindex_store::Error::Forbidden {
            from: sheet.state,
            to,
        }
        .into());
    }
    let phase = may_move(&c, &sheet, to)?;
    let action = match to {
        SheetState::NotStarted | SheetState::SelfAssessing | SheetState::Submitted => {
            Action::EditSelfAssessment
        }
        SheetState::Appraisal1 | SheetState::ExplanationRequested => Action::EditAppraisal1,
        SheetState::ExplanationSubmitted => Action::EditExplanation,
        _ => Action::EditAppraisal2,
    };
    check_open(&state, &c, year, phase, action).await?;
    let actor = Actor::new(c.name()).because(req.reason.unwrap_or_default());
    let moved = state
        .db()
        .transition(year, &unit, req.version, to, &actor)
        .await?;
    Ok(axum::Json(SheetSummary::from(&moved)))
}

/// Whether the caller may read the audit trail of a sheet: the secretariat, leaders, the unit's
/// officers and the group's appraisers (the same people who may read the sheet).
pub(crate) fn may_audit(c: &Caller, sheet: &Sheet) -> Result<()> {
    if can_read(c, sheet) || c.is(Role::Secretariat) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "bạn không có quyền xem nhật ký của phiếu này",
            "you may not see this sheet's audit trail",
        ))
    }
}

/// Everything the audit log says about a sheet, its entries, proposals and evidence.
#[utoipa::path(get, path = "/api/rounds/{year}/sheets/{unit}/audit", tag = "audit",
    params(("year" = i32, Path), ("unit" = String, Path)),
    responses((status = 200, body = [AuditView]), (status = "4XX", body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<axum::Json<Vec<AuditView>>> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    may_audit(&c, &sheet)?;
    let trail = state.db().audit_of_sheet(year, &unit).await?;
    Ok(axum::Json(trail.iter().map(AuditView::from).collect()))
}
