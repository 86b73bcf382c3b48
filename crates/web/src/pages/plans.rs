//! A unit's action plan and improvement planner (`/ky/{year}/ke-hoach/{unit}`: tasks with their
//! status, adding and editing one, the planner's smallest plan adopted in one go, what-if, next year's
//! review), and the secretariat's analysis of a group (`/ky/{year}/phan-tich/{group}`: where the
//! group lost most, self versus appraised, appraiser consistency, rank uncertainty with its seed
//! drawn as intervals, year over year, and every unit's plan progress). Reads use the analysis
//! module; writes go through the JSON API.

use crate::analysis;
use crate::api::analysis::{mc_settings, overseer};
use crate::api::plans::plan_reader;
use crate::app::AppState;
use crate::pages::form::Form;
use crate::pages::guard::see_other;
use crate::pages::internal::Api;
use crate::pages::{PageError, PageResult, Signed, fmt, ok};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::analysis::lost::group_losses;
use parindex_core::analysis::planner::{PlanOptions, what_if};
use parindex_core::locale::Locale;
use parindex_store::plans::today;
use parindex_store::users::Role;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashMap;
use std::fmt::Write;

pub(crate) const TEXTS: &[super::i18n::Entry] = &[
    ("plan.title", "Kế hoạch khắc phục", "Action plan"),
    ("plan.progress", "Tiến độ", "Progress"),
    ("plan.done_of", "việc đã xong trên tổng số", "tasks done of"),
    ("plan.overdue", "quá hạn", "overdue"),
    ("plan.tasks", "Các việc", "Tasks"),
    ("plan.none", "Chưa có việc nào.", "No tasks yet."),
    ("plan.remedy", "Giải pháp", "Remedy"),
    (
        "plan.codes",
        "Tiêu chí thành phần (mã, cách nhau bởi dấu phẩy)",
        "Sub-criteria (codes, comma-separated)",
    ),
    ("plan.division", "Phòng, ban chủ trì", "Division"),
    ("plan.owner", "Người phụ trách", "Owner"),
    (
        "plan.deadline",
        "Thời hạn (31/03/2020)",
        "Deadline (2020-03-31)",
    ),
    ("plan.status", "Trạng thái", "Status"),
    ("plan.add", "Thêm việc", "Add task"),
    ("plan.change", "Đổi", "Change"),
    ("plan.edit", "Sửa", "Edit"),
    ("plan.save", "Lưu thay đổi", "Save changes"),
    (
        "plan.planner",
        "Cần cải thiện gì để đạt mục tiêu",
        "What to improve to reach a target",
    ),
    (
        "plan.target",
        "Mục tiêu (next-class, class:Tốt, rank:3, points:85)",
        "Target (next-class, class:Good, rank:3, points:85)",
    ),
    ("plan.compute", "Tính", "Compute"),
    (
        "plan.adopt",
        "Đưa các việc này vào kế hoạch",
        "Add these tasks to the plan",
    ),
    ("plan.gain", "Điểm tăng", "Gain"),
    ("plan.from", "Kê khai hiện tại", "Declared now"),
    ("plan.to", "Cần đạt", "Needed"),
    (
        "plan.what_if",
        "Nếu thay đổi số liệu kê khai",
        "What if the declared data changed",
    ),
    ("plan.code", "Mã tiêu chí", "Code"),
    ("plan.value", "Giá trị kê khai mới", "New declared value"),
    ("plan.before", "Trước", "Before"),
    ("plan.after", "Sau", "After"),
    ("plan.review", "Đánh giá năm sau", "Next year's review"),
    ("plan.improved", "Có cải thiện", "Improved"),
    ("plan.not_improved", "Không cải thiện", "Not improved"),
    ("plan.no_data", "Chưa có số liệu", "No data yet"),
    (
        "plan.lost_link",
        "Xem điểm bị mất theo lĩnh vực",
        "See points lost by area",
    ),
    (
        "plan.note",
        "Bộ lập kế hoạch tính từ phiếu đã thẩm định: tiêu chí thành phần mà thẩm định viên đã sửa điểm giữ điểm thẩm định cho đến khi kê khai lại; các đơn vị khác giữ nguyên.",
        "The planner starts from the appraised sheet: a sub-criterion whose points the appraisers changed keeps the appraised points until it is declared anew; other units are held fixed.",
    ),
    ("an.title", "Phân tích kết quả", "Analysis of results"),
    (
        "an.most_lost",
        "Tiêu chí thành phần cả khối mất nhiều điểm nhất",
        "Sub-criteria where the group lost most",
    ),
    (
        "an.units_losing",
        "Số đơn vị mất điểm",
        "Units losing points",
    ),
    ("an.total_lost", "Tổng điểm mất", "Points lost in all"),
    (
        "an.inflation",
        "Tự chấm so với thẩm định (tự chấm − thẩm định)",
        "Self-assessed against appraised (self − appraised)",
    ),
    (
        "an.inflation_chart",
        "Mức tự chấm cao hơn điểm thẩm định theo đơn vị",
        "Self-assessment above appraisal, by unit",
    ),
    (
        "an.appraisers",
        "Độ nhất quán của thẩm định viên",
        "Consistency of appraisers",
    ),
    ("an.appraiser", "Thẩm định viên", "Appraiser"),
    ("an.mean_adj", "Điều chỉnh trung bình", "Mean adjustment"),
    ("an.spread", "Độ phân tán", "Spread"),
    ("an.changed", "Tỷ lệ mục bị sửa (%)", "Items changed (%)"),
    (
        "an.uncertainty",
        "Độ tin cậy của thứ hạng (Monte Carlo)",
        "How sure the ranks are (Monte Carlo)",
    ),
    ("an.seed", "Hạt giống ngẫu nhiên", "Seed"),
    ("an.replicates", "Số lần lặp", "Replicates"),
    (
        "an.jitter",
        "Trọng số lĩnh vực thay đổi ± (0,1 = 10 %)",
        "Area weights vary ± (0.1 = 10 %)",
    ),
    ("an.run", "Chạy mô phỏng", "Run the simulation"),
    ("an.running", "Đang tính…", "Computing…"),
    ("an.median", "Hạng trung vị", "Median rank"),
    ("an.interval", "Khoảng 5–95 %", "5–95 % interval"),
    ("an.classes", "Xác suất xếp loại", "Class probabilities"),
    (
        "an.indistinct",
        "Các nhóm đơn vị không phân biệt được",
        "Groups of units that cannot be told apart",
    ),
    (
        "an.none_indistinct",
        "Mọi đơn vị liền kề đều phân biệt được.",
        "Every pair of neighbours can be told apart.",
    ),
    (
        "an.reproduce",
        "Công bố kèm hạt giống: chạy lại với cùng hạt giống cho cùng kết quả.",
        "Published with its seed: running again with the same seed gives the same results.",
    ),
    (
        "an.interval_chart",
        "Khoảng thứ hạng 5–95 % và hạng trung vị",
        "Rank 5–95 % interval and median",
    ),
    ("an.yoy", "So với năm trước", "Against last year"),
    (
        "an.shared",
        "tiêu chí thành phần chung",
        "shared sub-criteria",
    ),
    (
        "an.set_effect",
        "Thay đổi do bộ chỉ số",
        "Change from the set itself",
    ),
    (
        "an.plans",
        "Tiến độ kế hoạch khắc phục",
        "Action plan progress",
    ),
    ("an.unit", "Đơn vị", "Unit"),
    ("an.rank", "Hạng", "Rank"),
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{year}/ke-hoach/{unit}", get(plan_page))
        .route("/ky/{year}/ke-hoach/{unit}/viec", post(add_task))
        .route("/ky/{year}/ke-hoach/{unit}/viec/{id}", post(edit_task))
        .route(
            "/ky/{year}/ke-hoach/{unit}/viec/{id}/trang-thai",
            post(set_status),
        )
        .route("/ky/{year}/ke-hoach/{unit}/ap-dung", post(adopt))
        .route("/ky/{year}/phan-tich/{group}", get(analysis_page))
}

struct TaskRow {
    id: i64,
    remedy: String,
    codes: String,
    division: String,
    owner: String,
    deadline: String,
    status: String,
    status_code: String,
    overdue: bool,
    version: i64,
    dropped: bool,
    /// The edit form: the task's own values, or what was posted when it was refused.
    edit: TaskFields,
    /// The edit form is open (it was refused, with its messages).
    edit_open: bool,
    edit_errors: Vec<String>,
}

/// A task's editable fields as the form writes them.
#[derive(Clone, Default)]
struct TaskFields {
    remedy: String,
    codes: String,
    division: String,
    owner: String,
    deadline: String,
    effort: String,
}

/// A refused edit of task `id`, shown in place with the posted values.
struct RefusedEdit {
    id: i64,
    fields: TaskFields,
    errors: Vec<String>,
}

/// What a refused write shows: nothing, messages at the top, or a task's edit form reopened.
enum Refusal {
    None,
    Top(Vec<String>),
    Edit(RefusedEdit),
}

struct ChangeRow {
    code: String,
    title: String,
    from: String,
    to: String,
    gain: String,
}

struct ReviewRow {
    code: String,
    before: String,
    after: String,
    verdict: String,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    l: crate::pages::Layout,
    year: i32,
    unit: String,
    unit_name: String,
    writer: bool,
    done: i64,
    total: i64,
    overdue: i64,
    tasks: Vec<TaskRow>,
    statuses: Vec<(String, String)>,
    errors: Vec<String>,
    target: String,
    plan_message: Option<String>,
    changes: Vec<ChangeRow>,
    wi_code: String,
    wi_value: String,
    wi_result: Option<(String, String)>,
    review: Vec<ReviewRow>,
    scorecard_href: String,
}

fn pts(lang: Locale, d: Decimal) -> String {
    fmt::pts(lang, d.round_dp(2))
}

async fn plan_view(
    state: &AppState,
    ctx: &crate::pages::Ctx,
    c: &crate::auth::Caller,
    year: i32,
    unit: &str,
    q: &HashMap<String, String>,
    refusal: Refusal,
) -> Result<PlanPage, PageError> {
    let (errors, refused) = match refusal {
        Refusal::None => (Vec::new(), None),
        Refusal::Top(e) => (e, None),
        Refusal::Edit(r) => (Vec::new(), Some(r)),
    };
    plan_reader(c, unit)?;
    let lang = ctx.lang;
    let db = state.db();
    let sheet = db.sheet(year, unit).await?;
    let day = today();
    let progress = db.unit_progress(year, unit, &day).await?;
    let tasks = db
        .tasks(year, unit)
        .await?
        .into_iter()
        .map(|t| {
            let own = TaskFields {
                remedy: t.remedy.clone(),
                codes: t.codes.join(", "),
                division: t.division.clone(),
                owner: t.owner.clone(),
                deadline: t.deadline.clone(),
                effort: t.effort.map(|e| e.to_string()).unwrap_or_default(),
            };
            let dropped = t.status == parindex_store::plans::Status::Dropped;
            let (edit, edit_open, edit_errors) = match &refused {
                Some(r) if r.id == t.id && !dropped => (r.fields.clone(), true, r.errors.clone()),
                _ => (own.clone(), false, Vec::new()),
            };
            TaskRow {
                id: t.id,
                overdue: t.overdue(&day),
                remedy: own.remedy,
                codes: own.codes,
                division: own.division,
                owner: own.owner,
                deadline: own.deadline,
                status: lang.pick(t.status.vi(), t.status.en()).to_string(),
                status_code: t.status.as_str().to_string(),
                version: t.version,
                dropped,
                edit,
                edit_open,
                edit_errors,
            }
        })
        .collect::<Vec<TaskRow>>();
    let mut errors = errors;
    // A refused edit of a task that has no open form (gone, or dropped meanwhile) is told at
    // the top of the page.
    if let Some(r) = refused
        && !tasks.iter().any(|t| t.edit_open)
    {
        errors.extend(r.errors);
    }
    let statuses = parindex_store::plans::Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                lang.pick(s.vi(), s.en()).to_string(),
            )
        })
        .collect();
    let target = q.get("target").cloned().unwrap_or_default();
    let wi_code = q.get("code").cloned().unwrap_or_default();
    let wi_value = q.get("value").cloned().unwrap_or_default();
    let (mut plan_message, mut changes, mut wi_result) = (None, Vec::new(), None);
    if !target.trim().is_empty() || !wi_code.trim().is_empty() {
        match analysis::unit(db, year, unit).await {
            Ok(u) => {
                if !target.trim().is_empty() {
                    match u
                        .target(&target)
                        .and_then(|t| u.plan(t, &PlanOptions::default()))
                    {
                        Ok(p) => {
                            plan_message = Some(p.message.pick(lang).to_string());
                            changes = p
                                .changes
                                .iter()
                                .map(|ch| ChangeRow {
                                    code: ch.code.clone(),
                                    title: ch.title.clone(),
                                    from: ch.from_declared.clone(),
                                    to: ch.to_declared.clone(),
                                    gain: pts(lang, ch.gain),
                                })
                                .collect();
                        }
                        Err(e) => {
                            errors.extend(e.problems().iter().map(|p| p.message(lang).to_string()))
                        }
                    }
                }
                if !wi_code.trim().is_empty() {
                    let changes = vec![(wi_code.trim().to_string(), wi_value.clone())];
                    match what_if(&u.group.set, &u.input, &changes, &u.others()) {
                        Ok(r) => {
                            let show = |s: &parindex_core::analysis::planner::Standing| {
                                format!(
                                    "{} — {} {}/{} — {}",
                                    pts(lang, s.total),
                                    lang.pick("hạng", "rank"),
                                    s.rank,
                                    s.of,
                                    s.class_label.clone().unwrap_or_default()
                                )
                            };
                            wi_result = Some((show(&r.before), show(&r.after)));
                        }
                        Err(p) => errors.extend(p.iter().map(|p| p.message(lang).to_string())),
                    }
                }
            }
            Err(e) => errors.extend(e.problems().iter().map(|p| p.message(lang).to_string())),
        }
    }
    let review = db
        .plan_review(year, unit)
        .await?
        .iter()
        .map(|r| ReviewRow {
            code: r.code.clone(),
            before: fmt::opt_pts(lang, r.before.map(|d| d.round_dp(2))),
            after: fmt::opt_pts(lang, r.after.map(|d| d.round_dp(2))),
            verdict: match r.improved() {
                Some(true) => super::i18n::t(lang, "plan.improved"),
                Some(false) => super::i18n::t(lang, "plan.not_improved"),
                None => super::i18n::t(lang, "plan.no_data"),
            }
            .to_string(),
        })
        .collect();
    Ok(PlanPage {
        l: ctx.layout(format!(
            "{} — {} {year}",
            super::i18n::t(lang, "plan.title"),
            sheet.unit_name
        )),
        year,
        unit: unit.to_string(),
        unit_name: sheet.unit_name.clone(),
        writer: c.officer_of(unit),
        done: progress.done,
        total: progress.total,
        overdue: progress.overdue,
        tasks,
        statuses,
        errors,
        target,
        plan_message,
        changes,
        wi_code,
        wi_value,
        wi_result,
        review,
        scorecard_href: format!("/xep-hang/{year}/{}/{unit}", sheet.group),
    })
}

async fn plan_page(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    ok(&plan_view(&state, &ctx, &c, year, &unit, &q, Refusal::None).await?)
}

/// Sends a write to the API; on a refusal shown in place, the plan page with its messages (next
/// to the task's edit form, with what was posted, when `edit` says which task was edited).
async fn write(
    state: &AppState,
    api: &Api,
    ctx: &crate::pages::Ctx,
    c: &crate::auth::Caller,
    (year, unit): (i32, &str),
    (method, path, body): (Method, String, serde_json::Value),
    edit: Option<(i64, TaskFields)>,
) -> PageResult {
    match api.json(c, method, &path, Some(body)).await {
        Ok(_) => Ok(see_other(&format!("/ky/{year}/ke-hoach/{unit}?ok=saved"))),
        Err(r) if r.in_place() => {
            let msgs: Vec<String> = r
                .problems
                .iter()
                .map(|p| p.message(ctx.lang).to_string())
                .collect();
            let refusal = match edit {
                Some((id, fields)) => Refusal::Edit(RefusedEdit {
                    id,
                    fields,
                    errors: msgs,
                }),
                None => Refusal::Top(msgs),
            };
            let page = plan_view(state, ctx, c, year, unit, &HashMap::new(), refusal).await?;
            crate::pages::render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

/// The sub-criterion codes a form lists, separated by commas, semicolons or spaces.
fn form_codes(form: &Form) -> Vec<String> {
    form.text("codes")
        .split([',', ';', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string())
        .collect()
}

async fn add_task(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let codes = form_codes(&form);
    let body = json!({
        "remedy": form.text("remedy"), "codes": codes, "division": form.text("division"),
        "owner": form.text("owner"), "deadline": form.text("deadline"),
    });
    let path = format!("/api/rounds/{year}/plans/{unit}");
    write(
        &state,
        &api,
        &ctx,
        &c,
        (year, &unit),
        (Method::POST, path, body),
        None,
    )
    .await
}

async fn set_status(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    form: Form,
) -> PageResult {
    let body = json!({"version": form.int("version").unwrap_or(0), "status": form.text("status")});
    let path = format!("/api/rounds/{year}/plans/{unit}/tasks/{id}/status");
    write(
        &state,
        &api,
        &ctx,
        &c,
        (year, &unit),
        (Method::PUT, path, body),
        None,
    )
    .await
}

/// Changes a task's remedy, sub-criteria, division, owner and deadline (through the API's
/// update, which checks them, refuses a dropped task and audits the change).
async fn edit_task(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    form: Form,
) -> PageResult {
    let fields = TaskFields {
        remedy: form.text("remedy"),
        codes: form.text("codes"),
        division: form.text("division"),
        owner: form.text("owner"),
        deadline: form.text("deadline"),
        effort: form.text("effort"),
    };
    // The form does not edit the effort estimate: it carries the task's own back unchanged.
    let effort: Option<i64> = fields.effort.trim().parse().ok();
    let body = json!({
        "version": form.int("version").unwrap_or(0),
        "remedy": fields.remedy, "codes": form_codes(&form), "division": fields.division,
        "owner": fields.owner, "deadline": fields.deadline, "effort": effort,
    });
    let path = format!("/api/rounds/{year}/plans/{unit}/tasks/{id}");
    write(
        &state,
        &api,
        &ctx,
        &c,
        (year, &unit),
        (Method::PUT, path, body),
        Some((id, fields)),
    )
    .await
}

async fn adopt(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let body = json!({
        "target": form.text("target"), "division": form.text("division"),
        "owner": form.text("owner"), "deadline": form.text("deadline"),
    });
    let path = format!("/api/rounds/{year}/plans/{unit}/adopt");
    write(
        &state,
        &api,
        &ctx,
        &c,
        (year, &unit),
        (Method::POST, path, body),
        None,
    )
    .await
}

struct LostRow {
    code: String,
    title: String,
    units_losing: usize,
    total_lost: String,
    mean_lost: String,
}

struct InflRow {
    unit: String,
    inflation: String,
    percent: String,
    changed: String,
}

struct ApprRow {
    name: String,
    units: usize,
    items: usize,
    mean: String,
    spread: String,
    changed: String,
}

struct McRow {
    unit: String,
    rank: u32,
    median: u32,
    interval: String,
    classes: String,
}

struct ProgressRow {
    name: String,
    href: String,
    done: i64,
    total: i64,
    overdue: i64,
}

#[derive(Template)]
#[template(path = "analysis.html")]
struct AnalysisPage {
    l: crate::pages::Layout,
    year: i32,
    group: String,
    lost: Vec<LostRow>,
    secretariat: bool,
    inflation: Vec<InflRow>,
    inflation_svg: String,
    appraisers: Vec<ApprRow>,
    seed: String,
    replicates: String,
    jitter: String,
    mc: Vec<McRow>,
    mc_svg: String,
    mc_seed: Option<u64>,
    indistinct: Vec<String>,
    errors: Vec<String>,
    yoy: Option<String>,
    progress: Vec<ProgressRow>,
}

/// Rank intervals as horizontal segments (5–95 %) with the median as a dot, rank 1 on the left.
fn intervals_svg(lang: Locale, title: &str, rows: &[(String, u32, u32, u32)], of: u32) -> String {
    let (left, right, top, row) = (150.0, 20.0, 30.0, 22.0);
    let width = 560.0;
    let plot = width - left - right;
    let height = top + row * rows.len() as f64 + 10.0;
    let of = f64::from(of.max(2));
    let x = |r: u32| left + plot * (f64::from(r) - 1.0) / (of - 1.0);
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut s = String::new();
    let desc: Vec<String> = rows
        .iter()
        .map(|(u, lo, m, hi)| format!("{u}: {} {m}, {lo}–{hi}", lang.pick("trung vị", "median")))
        .collect();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="mc-t mc-d"><title id="mc-t">{}</title><desc id="mc-d">{}</desc>"##,
        esc(title),
        esc(&desc.join("; "))
    );
    let _ = write!(
        s,
        r##"<text x="{left}" y="16" font-size="12" fill="#222">{} 1</text><text x="{}" y="16" font-size="12" text-anchor="end" fill="#222">{} {}</text>"##,
        lang.pick("hạng", "rank"),
        left + plot,
        lang.pick("hạng", "rank"),
        of
    );
    for (i, (u, lo, m, hi)) in rows.iter().enumerate() {
        let y = top + row * i as f64 + 8.0;
        let name: String = u.chars().take(22).collect();
        let _ = write!(
            s,
            r##"<g><title>{}</title><text x="{}" y="{}" font-size="12" text-anchor="end" fill="#222">{}</text><line x1="{:.1}" y1="{y}" x2="{:.1}" y2="{y}" stroke="#1f5fa8" stroke-width="4"/><circle cx="{:.1}" cy="{y}" r="5" fill="#b3261e"/></g>"##,
            esc(&format!("{u}: {lo}–{hi}, {m}")),
            left - 8.0,
            y + 4.0,
            esc(&name),
            x(*lo),
            x(*hi).max(x(*lo) + 2.0),
            x(*m)
        );
    }
    s.push_str("</svg>");
    s
}

async fn analysis_page(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, group)): Path<(i32, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    overseer(&c)?;
    let lang = ctx.lang;
    let db = state.db();
    let g = analysis::group(db, year, &group).await?;
    let names: HashMap<String, String> = g
        .scores
        .iter()
        .map(|s| (s.unit.clone(), s.name.clone()))
        .collect();
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let lost = group_losses(&g.set, &g.scores)
        .into_iter()
        .filter(|l| l.total_lost > Decimal::ZERO)
        .take(10)
        .map(|l| LostRow {
            code: l.code,
            title: l.title,
            units_losing: l.units_losing,
            total_lost: pts(lang, l.total_lost),
            mean_lost: pts(lang, l.mean_lost),
        })
        .collect();
    let secretariat = c.is(Role::Secretariat);
    let (mut inflation, mut appraisers, mut inflation_svg) =
        (Vec::new(), Vec::new(), String::new());
    if secretariat {
        let r = analysis::inflation_of(db, &g)
            .await
            .map_err(PageError::from)?;
        let mut items = Vec::new();
        for u in &r.units {
            inflation.push(InflRow {
                unit: name(&u.unit),
                inflation: pts(lang, u.figures.inflation),
                percent: pts(lang, u.figures.inflation_percent),
                changed: format!("{}/{}", u.figures.items_changed, u.figures.items),
            });
            items.push(super::charts::AreaPoints {
                code: u.unit.clone(),
                title: name(&u.unit),
                points: u.figures.appraised,
                max: u.figures.self_points.max(u.figures.appraised),
            });
        }
        inflation_svg = super::charts::bars(
            lang,
            "chart-inflation",
            super::i18n::t(lang, "an.inflation_chart"),
            &items,
        );
        appraisers = r
            .appraisers
            .iter()
            .map(|a| ApprRow {
                name: a.appraiser.clone(),
                units: a.units,
                items: a.items,
                mean: pts(lang, a.mean_adjustment),
                spread: pts(lang, a.spread),
                changed: pts(lang, a.changed_percent),
            })
            .collect();
    }
    let seed = q.get("seed").cloned().unwrap_or_default();
    let replicates = q
        .get("replicates")
        .cloned()
        .unwrap_or_else(|| "10000".into());
    let jitter = q.get("jitter").cloned().unwrap_or_else(|| "0".into());
    let (mut mc, mut mc_svg, mut mc_seed, mut indistinct, mut errors) =
        (Vec::new(), String::new(), None, Vec::new(), Vec::new());
    if !seed.trim().is_empty() {
        let parsed = (
            seed.trim().parse::<u64>(),
            replicates.trim().parse::<u32>(),
            jitter.trim().replace(',', ".").parse::<f64>(),
        );
        match parsed {
            (Ok(s), Ok(r), Ok(j)) => {
                let run = match mc_settings(&g, s, Some(r), Some(j), &[]) {
                    Ok(settings) => analysis::uncertainty(db, &g, &settings).await,
                    Err(e) => Err(e),
                };
                match run {
                    Ok(res) => {
                        mc_seed = Some(res.seed);
                        let mut rows: Vec<&parindex_core::analysis::uncertainty::McUnitResult> =
                            res.units.iter().collect();
                        rows.sort_by_key(|u| (u.rank, u.median_rank));
                        let svg_rows: Vec<(String, u32, u32, u32)> = rows
                            .iter()
                            .map(|u| (name(&u.unit), u.rank_p05, u.median_rank, u.rank_p95))
                            .collect();
                        mc_svg = intervals_svg(
                            lang,
                            super::i18n::t(lang, "an.interval_chart"),
                            &svg_rows,
                            rows.len() as u32,
                        );
                        mc = rows
                            .iter()
                            .map(|u| McRow {
                                unit: name(&u.unit),
                                rank: u.rank,
                                median: u.median_rank,
                                interval: format!("{}–{}", u.rank_p05, u.rank_p95),
                                classes: res
                                    .classes
                                    .iter()
                                    .zip(&u.class_probability)
                                    .filter(|(_, p)| **p > 0.0)
                                    .map(|(c, p)| {
                                        format!(
                                            "{c} {}",
                                            lang.decimal(
                                                Decimal::from_f64_retain(p * 100.0)
                                                    .unwrap_or_default(),
                                                1
                                            )
                                        )
                                    })
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            })
                            .collect();
                        indistinct = res
                            .indistinct
                            .iter()
                            .map(|run| run.iter().map(|u| name(u)).collect::<Vec<_>>().join(", "))
                            .collect();
                    }
                    Err(e) => {
                        errors.extend(e.problems().iter().map(|p| p.message(lang).to_string()))
                    }
                }
            }
            _ => errors.push(
                lang.pick(
                    "hạt giống, số lần lặp và biên độ trọng số phải là số",
                    "the seed, replicates and weight jitter must be numbers",
                )
                .to_string(),
            ),
        }
    }
    let yoy = match analysis::year_over_year(db, &g).await {
        Ok(r) => Some(format!(
            "{} {}: {} {}",
            r.units.len(),
            lang.pick("đơn vị", "units"),
            r.shared,
            super::i18n::t(lang, "an.shared")
        )),
        Err(_) => None,
    };
    let members: std::collections::HashSet<&str> =
        g.scores.iter().map(|s| s.unit.as_str()).collect();
    let progress = db
        .plan_progress(year, &today())
        .await?
        .into_iter()
        .filter(|p| members.contains(p.unit.as_str()))
        .map(|p| ProgressRow {
            href: format!("/ky/{year}/ke-hoach/{}", p.unit),
            name: p.unit_name,
            done: p.done,
            total: p.total,
            overdue: p.overdue,
        })
        .collect();
    ok(&AnalysisPage {
        l: ctx.layout(format!(
            "{} — {group} {year}",
            super::i18n::t(lang, "an.title")
        )),
        year,
        group,
        lost,
        secretariat,
        inflation,
        inflation_svg,
        appraisers,
        seed,
        replicates,
        jitter,
        mc,
        mc_svg,
        mc_seed,
        indistinct,
        errors,
        yoy,
        progress,
    })
}
