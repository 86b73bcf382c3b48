//! Action plans: a unit's officers write their unit's tasks for a round (remedies aimed at
//! sub-criteria, owner, deadline, status, evidence) and may adopt the planner's smallest plan in
//! one go; the secretariat and leaders read every unit's plan and the round's progress; next
//! year's review says which planned sub-criteria gained points.

use crate::analysis;
use crate::api::analysis::{overseer, plan_options};
use crate::app::AppState;
use crate::auth::{Caller, SignedIn};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::views::ErrorBody;
use axum::extract::State;
use axum::http::StatusCode;
use parindex_store::Actor;
use parindex_store::plans::{Progress, ReviewLine, Status, Task, TaskInput, today};
use parindex_store::users::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(round_progress))
        .routes(routes!(unit_plan, add_task))
        .routes(routes!(update_task))
        .routes(routes!(task_status))
        .routes(routes!(task_evidence))
        .routes(routes!(adopt))
        .routes(routes!(review))
}

/// The unit's officers, the secretariat and leaders.
pub fn plan_reader(c: &Caller, unit: &str) -> Result<()> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) || c.officer_of(unit) {
        Ok(())
    } else {
        Err(Error::forbidden(
            format!("bạn không có quyền xem kế hoạch khắc phục của đơn vị {unit}"),
            format!("you may not see the action plan of unit {unit}"),
        ))
    }
}

/// Only the unit's own officers write its plan.
pub fn plan_writer(c: &Caller, unit: &str) -> Result<()> {
    if c.officer_of(unit) {
        Ok(())
    } else {
        Err(Error::forbidden(
            format!("chỉ cán bộ của đơn vị {unit} được sửa kế hoạch khắc phục của đơn vị"),
            format!("only officers of unit {unit} may edit its action plan"),
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub year: i32,
    pub unit: String,
    pub remedy: String,
    pub codes: Vec<String>,
    pub division: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    /// `planned`, `in_progress`, `done` or `dropped`.
    pub status: String,
    pub overdue: bool,
    pub effort: Option<i64>,
    /// Ids of linked evidence.
    pub evidence: Vec<i64>,
    pub version: i64,
    pub created_by: String,
}

impl TaskView {
    pub fn new(t: &Task, today: &str) -> TaskView {
        TaskView {
            id: t.id,
            year: t.year,
            unit: t.unit.clone(),
            remedy: t.remedy.clone(),
            codes: t.codes.clone(),
            division: t.division.clone(),
            owner: t.owner.clone(),
            deadline: t.deadline.clone(),
            status: t.status.as_str().to_string(),
            overdue: t.overdue(today),
            effort: t.effort,
            evidence: t.evidence.clone(),
            version: t.version,
            created_by: t.created_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProgressView {
    pub unit: String,
    pub unit_name: String,
    /// Tasks not dropped.
    pub total: i64,
    pub planned: i64,
    pub in_progress: i64,
    pub done: i64,
    pub dropped: i64,
    pub overdue: i64,
}

impl From<Progress> for ProgressView {
    fn from(p: Progress) -> ProgressView {
        ProgressView {
            unit: p.unit,
            unit_name: p.unit_name,
            total: p.total,
            planned: p.planned,
            in_progress: p.in_progress,
            done: p.done,
            dropped: p.dropped,
            overdue: p.overdue,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanView {
    pub progress: ProgressView,
    pub tasks: Vec<TaskView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    pub code: String,
    pub tasks: Vec<i64>,
    pub done: bool,
    #[schema(value_type = Option<String>)]
    pub before: Option<rust_decimal::Decimal>,
    #[schema(value_type = Option<String>)]
    pub after: Option<rust_decimal::Decimal>,
    /// Null until next year's round has points for it.
    pub improved: Option<bool>,
}

impl From<&ReviewLine> for ReviewView {
    fn from(l: &ReviewLine) -> ReviewView {
        ReviewView {
            code: l.code.clone(),
            tasks: l.tasks.clone(),
            done: l.done,
            before: l.before,
            after: l.after,
            improved: l.improved(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TaskBody {
    pub remedy: String,
    /// Sub-criterion codes of the round's set.
    pub codes: Vec<String>,
    pub division: String,
    pub owner: String,
    /// `2020-03-31` or `31/03/2020`.
    pub deadline: String,
    pub effort: Option<i64>,
}

impl TaskBody {
    fn input(self) -> TaskInput {
        TaskInput {
            remedy: self.remedy,
            codes: self.codes,
            division: self.division,
            owner: self.owner,
            deadline: self.deadline,
            effort: self.effort,
        }
    }
}

async fn task_of(state: &AppState, year: i32, unit: &str, id: i64) -> Result<Task> {
    let t = state.db().task(id).await?;
    if t.year != year || t.unit != unit {
        return Err(Error::not_found(
            format!("kế hoạch {year} của đơn vị {unit} không có việc {id}"),
            format!("the {year} plan of unit {unit} has no task {id}"),
        ));
    }
    Ok(t)
}

/// Every unit's progress in the round (secretariat and leaders).
#[utoipa::path(get, path = "/api/rounds/{year}/plans", tag = "plans", params(("year" = i32, Path)),
    responses((status = 200, body = [ProgressView]), (status = "4XX", body = ErrorBody)))]
async fn round_progress(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<Vec<ProgressView>>> {
    overseer(&c)?;
    state.db().round(year).await?;
    let p = state.db().plan_progress(year, &today()).await?;
    Ok(axum::Json(p.into_iter().map(ProgressView::from).collect()))
}

/// A unit's plan: its progress and tasks.
#[utoipa::path(get, path = "/api/rounds/{year}/plans/{unit}", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path)),
    responses((status = 200, body = PlanView), (status = "4XX", body = ErrorBody)))]
async fn unit_plan(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<axum::Json<PlanView>> {
    plan_reader(&c, &unit)?;
    state.db().round(year).await?;
    state.db().unit(&unit).await?;
    let day = today();
    let tasks = state.db().tasks(year, &unit).await?;
    let progress = state.db().unit_progress(year, &unit, &day).await?;
    Ok(axum::Json(PlanView {
        progress: progress.into(),
        tasks: tasks.iter().map(|t| TaskView::new(t, &day)).collect(),
    }))
}

/// Adds a task to the unit's plan (its officers).
#[utoipa::path(post, path = "/api/rounds/{year}/plans/{unit}", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = TaskBody,
    responses((status = 201, body = TaskView), (status = "4XX", body = ErrorBody)))]
async fn add_task(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<TaskBody>,
) -> Result<(StatusCode, axum::Json<TaskView>)> {
    plan_writer(&c, &unit)?;
    let t = state
        .db()
        .add_task(year, &unit, &req.input(), &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(TaskView::new(&t, &today()))))
}

#[derive(Deserialize, ToSchema)]
pub struct TaskUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub task: TaskBody,
}

/// Changes a task (its unit's officers; not once dropped).
#[utoipa::path(put, path = "/api/rounds/{year}/plans/{unit}/tasks/{id}", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)), request_body = TaskUpdate,
    responses((status = 200, body = TaskView), (status = "4XX", body = ErrorBody)))]
async fn update_task(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    Json(req): Json<TaskUpdate>,
) -> Result<axum::Json<TaskView>> {
    plan_writer(&c, &unit)?;
    task_of(&state, year, &unit, id).await?;
    let t = state
        .db()
        .update_task(id, req.version, &req.task.input(), &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(TaskView::new(&t, &today())))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    pub version: i64,
    /// `planned`, `in_progress`, `done` or `dropped`.
    pub status: String,
}

pub fn parse_status(text: &str) -> Result<Status> {
    Status::parse(text).ok_or_else(|| {
        Error::invalid(
            "status",
            format!("trạng thái \"{text}\" không có: dùng planned, in_progress, done hoặc dropped"),
            format!("there is no status \"{text}\": use planned, in_progress, done or dropped"),
        )
    })
}

/// Moves a task to another status (its unit's officers). A dropped task stays dropped.
#[utoipa::path(put, path = "/api/rounds/{year}/plans/{unit}/tasks/{id}/status", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)), request_body = StatusChange,
    responses((status = 200, body = TaskView), (status = "4XX", body = ErrorBody)))]
async fn task_status(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    Json(req): Json<StatusChange>,
) -> Result<axum::Json<TaskView>> {
    plan_writer(&c, &unit)?;
    let status = parse_status(&req.status)?;
    task_of(&state, year, &unit, id).await?;
    let t = state
        .db()
        .set_task_status(id, req.version, status, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(TaskView::new(&t, &today())))
}

#[derive(Deserialize, ToSchema)]
pub struct EvidenceLink {
    /// The id of evidence uploaded to one of the unit's sheets.
    pub evidence: i64,
}

/// Links evidence from the unit's sheets to a task as proof (its unit's officers).
#[utoipa::path(post, path = "/api/rounds/{year}/plans/{unit}/tasks/{id}/evidence", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)), request_body = EvidenceLink,
    responses((status = 200, body = TaskView), (status = "4XX", body = ErrorBody)))]
async fn task_evidence(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    Json(req): Json<EvidenceLink>,
) -> Result<axum::Json<TaskView>> {
    plan_writer(&c, &unit)?;
    task_of(&state, year, &unit, id).await?;
    let t = state
        .db()
        .link_task_evidence(id, req.evidence, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(TaskView::new(&t, &today())))
}

#[derive(Deserialize, ToSchema)]
pub struct AdoptRequest {
    /// `next-class`, `class:LABEL`, `rank:N` or `points:X`.
    pub target: String,
    #[serde(default)]
    pub effort: BTreeMap<String, u32>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub survey_gain: BTreeMap<String, String>,
    /// Division, owner and deadline given to every suggested task (editable afterwards).
    pub division: String,
    pub owner: String,
    pub deadline: String,
}

/// The planner's suggestions as tasks, one per improvement of the smallest plan.
pub fn suggestions(
    set: &parindex_core::set::CriteriaSet,
    plan: &parindex_core::analysis::planner::Plan,
) -> Vec<TaskInput> {
    plan.changes
        .iter()
        .map(|ch| {
            let title = set
                .node(&ch.code)
                .map(|n| n.title.clone())
                .unwrap_or_else(|| ch.title.clone());
            TaskInput {
                remedy: format!(
                    "Nâng {} «{title}» từ \"{}\" lên \"{}\" (+{} điểm)",
                    ch.code,
                    ch.from_declared,
                    ch.to_declared,
                    parindex_core::locale::Locale::Vi.decimal(ch.gain, 2)
                ),
                codes: vec![ch.code.clone()],
                effort: Some(i64::from(ch.effort.clamp(1, 100))),
                ..Default::default()
            }
        })
        .collect()
}

/// Adds the planner's smallest plan for a target as tasks, all at once (the unit's officers).
#[utoipa::path(post, path = "/api/rounds/{year}/plans/{unit}/adopt", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path)), request_body = AdoptRequest,
    responses((status = 201, body = [TaskView]), (status = "4XX", body = ErrorBody)))]
async fn adopt(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
    Json(req): Json<AdoptRequest>,
) -> Result<(StatusCode, axum::Json<Vec<TaskView>>)> {
    plan_writer(&c, &unit)?;
    let u = analysis::unit(state.db(), year, &unit).await?;
    let target = u.target(&req.target)?;
    let plan = u.plan(target, &plan_options(&req.effort, &req.survey_gain)?)?;
    if plan.changes.is_empty() {
        return Err(Error::invalid(
            "target",
            "đơn vị đã đạt mục tiêu này: không có việc nào cần thêm",
            "the unit already meets this target: there is nothing to add",
        ));
    }
    let mut tasks = suggestions(&u.group.set, &plan);
    for t in &mut tasks {
        t.division = req.division.clone();
        t.owner = req.owner.clone();
        t.deadline = req.deadline.clone();
    }
    let ids = state
        .db()
        .add_tasks(year, &unit, &tasks, &Actor::new(c.name()))
        .await?;
    let day = today();
    let mut out = Vec::new();
    for id in ids {
        out.push(TaskView::new(&state.db().task(id).await?, &day));
    }
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// Next year's review: each planned sub-criterion's points in the plan's year and the year after.
#[utoipa::path(get, path = "/api/rounds/{year}/plans/{unit}/review", tag = "plans",
    params(("year" = i32, Path), ("unit" = String, Path)),
    responses((status = 200, body = [ReviewView]), (status = "4XX", body = ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<axum::Json<Vec<ReviewView>>> {
    plan_reader(&c, &unit)?;
    state.db().round(year).await?;
    let lines = state.db().plan_review(year, &unit).await?;
    Ok(axum::Json(lines.iter().map(ReviewView::from).collect()))
}
