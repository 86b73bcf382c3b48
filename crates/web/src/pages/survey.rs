//! The secretariat's survey pages (SIPAS): the surveys of a round with their state, the dashboard
//! of one survey (progress against quota per unit, element indices with 95 % intervals, the
//! overall index, rankings per group with the "not significantly different" marks, with and
//! without quarantined responses, small-sample flags), the quarantine review queue, the token
//! sheet download and the import of a CSV/XLSX batch with its per-row problems shown in place.
//! Reads go to the store; every write goes through the survey API's handlers (`internal::Api`).
//! Every form works without JavaScript.

use crate::app::AppState;
use crate::auth::Caller;
use crate::locale::Lang;
use crate::pages::charts::{self, Interval, Progress, pct};
use crate::pages::form::Form;
use crate::pages::guard::{secretariat, see_other};
use crate::pages::internal::{Api, Refusal, refusal};
use crate::pages::layout::{encode, segment};
use crate::pages::{Ctx, Layout, PageError, PageResult, Signed, fmt, i18n, ok, render};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::locale::Locale;
use parindex_core::text;
use parindex_store::survey::{ResponseStatus, SurveyReport, SurveyState, View};
use parindex_store::users::Role;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const TEXTS: &[i18n::Entry] = &[
    (
        "svy.list_title",
        "Khảo sát sự hài lòng (SIPAS)",
        "Satisfaction surveys (SIPAS)",
    ),
    (
        "svy.none",
        "Kỳ đánh giá này chưa có cuộc khảo sát nào. Tạo khảo sát bằng lệnh parindex survey create.",
        "This round has no survey yet. Create one with parindex survey create.",
    ),
    ("svy.survey", "Cuộc khảo sát", "Survey"),
    ("svy.state", "Trạng thái", "State"),
    ("svy.open", "Đang nhận phiếu", "Open"),
    ("svy.closed", "Đã kết thúc", "Closed"),
    ("svy.accepted", "Phiếu hợp lệ", "Accepted"),
    ("svy.quarantined", "Phiếu tạm giữ", "Quarantined"),
    ("svy.rejected", "Phiếu bị loại", "Rejected"),
    ("svy.back_round", "Kỳ đánh giá", "Round"),
    ("svy.back_list", "Các cuộc khảo sát", "Surveys"),
    (
        "svy.close_action",
        "Kết thúc nhận phiếu",
        "Close the survey",
    ),
    ("svy.open_action", "Mở lại nhận phiếu", "Reopen the survey"),
    (
        "svy.public_link",
        "Trang khảo sát công khai",
        "Public survey page",
    ),
    (
        "svy.view_official",
        "Chỉ phiếu hợp lệ (chính thức)",
        "Accepted responses only (official)",
    ),
    (
        "svy.view_all",
        "Kể cả phiếu tạm giữ",
        "Including quarantined responses",
    ),
    ("svy.showing", "Đang xem", "Showing"),
    ("svy.measure", "Thước đo", "Measure"),
    (
        "svy.measure_satisfied",
        "tỷ lệ hài lòng (mức 4–5)",
        "share satisfied (levels 4–5)",
    ),
    (
        "svy.measure_mean",
        "điểm trung bình chia cho 5",
        "mean score divided by 5",
    ),
    (
        "svy.measure_top",
        "tỷ lệ rất hài lòng (mức 5)",
        "share very satisfied (level 5)",
    ),
    ("svy.province", "Toàn tỉnh", "Province"),
    ("svy.overall", "Chỉ số chung", "Overall index"),
    ("svy.respondents", "Số người trả lời", "Respondents"),
    ("svy.interval", "Khoảng tin cậy 95 %", "95 % interval"),
    ("svy.elements", "Chỉ số theo yếu tố", "Indices by element"),
    ("svy.element", "Yếu tố", "Element"),
    ("svy.index", "Chỉ số (%)", "Index (%)"),
    ("svy.small", "mẫu nhỏ", "small sample"),
    (
        "svy.small_note",
        "* mẫu nhỏ: ít người trả lời hoặc khoảng tin cậy quá rộng; không nên so sánh.",
        "* small sample: few respondents or too wide an interval; do not compare.",
    ),
    (
        "svy.progress",
        "Tiến độ thu phiếu so với chỉ tiêu",
        "Responses against quota",
    ),
    ("svy.unit", "Đơn vị", "Unit"),
    ("svy.quota", "Chỉ tiêu", "Quota"),
    ("svy.share", "Đạt", "Reached"),
    ("svy.ranking", "Xếp hạng theo nhóm", "Ranking by group"),
    ("svy.rank", "Hạng", "Rank"),
    ("svy.rank_range", "Khoảng hạng", "Rank range"),
    (
        "svy.rank_with_quarantined",
        "Hạng nếu tính cả phiếu tạm giữ",
        "Rank with quarantined responses",
    ),
    ("svy.rank_official", "Hạng chính thức", "Official rank"),
    (
        "svy.public_ranking",
        "Xếp hạng mức độ hài lòng",
        "Satisfaction ranking",
    ),
    (
        "svy.same_mark",
        "≈ không khác biệt có ý nghĩa thống kê với đơn vị liền sau",
        "≈ not significantly different from the next unit",
    ),
    ("svy.group", "Nhóm", "Group"),
    (
        "svy.review",
        "Phiếu tạm giữ cần xem xét",
        "Quarantined responses to review",
    ),
    (
        "svy.review_none",
        "Không có phiếu nào đang tạm giữ.",
        "No response is quarantined.",
    ),
    ("svy.flags", "Lý do tạm giữ", "Flags"),
    ("svy.channel", "Kênh", "Channel"),
    ("svy.received", "Nhận lúc", "Received"),
    (
        "svy.duration",
        "Thời gian trả lời (giây)",
        "Time to answer (s)",
    ),
    ("svy.answers", "Trả lời", "Answers"),
    ("svy.decision", "Quyết định", "Decision"),
    ("svy.reason", "Lý do", "Reason"),
    (
        "svy.release",
        "Chấp nhận (tính vào kết quả)",
        "Release (count it)",
    ),
    (
        "svy.reject",
        "Loại (không tính)",
        "Reject (count it nowhere)",
    ),
    ("svy.save_decision", "Ghi quyết định", "Record the decision"),
    ("svy.more", "Các phiếu tiếp theo", "Next responses"),
    (
        "svy.tokens",
        "Mã khảo sát in trên phiếu hẹn (QR)",
        "Survey tokens for receipts (QR)",
    ),
    (
        "svy.tokens_hint",
        "Mỗi mã dùng một lần; chỉ lưu mã băm, nên tờ in chỉ tải được một lần.",
        "Each token works once; only hashes are kept, so the sheet can be downloaded only once.",
    ),
    ("svy.count", "Số mã", "Number of tokens"),
    ("svy.format", "Định dạng", "Format"),
    (
        "svy.format_html",
        "Trang HTML để in (A4)",
        "HTML page to print (A4)",
    ),
    ("svy.format_svg", "Ảnh SVG", "SVG image"),
    (
        "svy.make_tokens",
        "Tạo và tải tờ mã",
        "Make and download the sheet",
    ),
    (
        "svy.import",
        "Nhập phiếu từ tệp CSV/XLSX",
        "Import responses from a CSV/XLSX file",
    ),
    ("svy.file", "Tệp", "File"),
    ("svy.mode", "Cách nhập", "Mode"),
    (
        "svy.mode_all",
        "Tất cả hoặc không gì (dừng nếu có dòng lỗi)",
        "All or nothing (stop on any bad row)",
    ),
    ("svy.mode_valid", "Chỉ các dòng hợp lệ", "Valid rows only"),
    ("svy.import_action", "Nhập", "Import"),
    ("svy.import_result", "Kết quả nhập", "Import result"),
    ("svy.rows", "Số dòng", "Rows"),
    ("svy.imported", "Đã thêm", "Added"),
    ("svy.already", "Đã có từ lần nhập trước", "Already imported"),
    ("svy.refused", "Dòng bị từ chối", "Rows refused"),
    (
        "svy.committed_no",
        "Không lưu dòng nào vì tệp có dòng lỗi. Sửa các lỗi dưới đây rồi nhập lại, hoặc chọn chỉ nhập các dòng hợp lệ.",
        "Nothing was stored because the file has bad rows. Fix the problems below and import again, or choose valid rows only.",
    ),
    (
        "svy.problems",
        "Lỗi theo dòng và cột",
        "Problems by line and column",
    ),
    (
        "svy.import_hint",
        "Cột: unit, channel, các mã tiêu chí (1.1…), tùy chọn token, service_field, started_at, submitted_at, câu hỏi thông tin người trả lời, expect.<lĩnh vực>, free_text. Nhập lại cùng một tệp không thêm gì.",
        "Columns: unit, channel, the item codes (1.1…), optionally token, service_field, started_at, submitted_at, the profile questions, expect.<area>, free_text. Importing the same file again adds nothing.",
    ),
    (
        "svy.leader_only_reads",
        "Chỉ cơ quan thường trực được xem xét phiếu, tạo mã và nhập phiếu.",
        "Only the secretariat may review responses, make tokens and import.",
    ),
    (
        "svy.no_quota",
        "Chưa đặt chỉ tiêu (parindex survey plan).",
        "No quota set yet (parindex survey plan).",
    ),
    (
        "flash.survey_state",
        "Đã cập nhật trạng thái cuộc khảo sát.",
        "The survey's state was updated.",
    ),
    (
        "flash.survey_reviewed",
        "Đã ghi quyết định cho phiếu.",
        "The decision was recorded.",
    ),
];

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let upload = usize::try_from(state.config().max_upload_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/ky/{year}/khao-sat", get(list))
        .route("/ky/{year}/khao-sat/{code}", get(dashboard))
        .route("/ky/{year}/khao-sat/{code}/trang-thai", post(set_state))
        .route("/ky/{year}/khao-sat/{code}/kiem-duyet", get(queue))
        .route("/ky/{year}/khao-sat/{code}/kiem-duyet/{id}", post(decide))
        .route("/ky/{year}/khao-sat/{code}/ma", post(tokens))
        .route("/khao-sat/{year}/{code}/xep-hang", get(public_ranking))
        .route(
            "/ky/{year}/khao-sat/{code}/nhap",
            get(import_form)
                .post(import)
                .layer(DefaultBodyLimit::max(upload.saturating_add(64 * 1024))),
        )
}

fn reader(c: &Caller) -> PageResult<()> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "chỉ cơ quan thường trực và lãnh đạo được xem kết quả khảo sát",
            "only the secretariat and leaders may see survey results",
        ))
    }
}

fn base(year: i32, code: &str) -> String {
    format!("/ky/{year}/khao-sat/{}", segment(code))
}

fn state_label(lang: Locale, s: SurveyState) -> &'static str {
    match s {
        SurveyState::Open => i18n::t(lang, "svy.open"),
        SurveyState::Closed => i18n::t(lang, "svy.closed"),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

struct SurveyRow {
    href: String,
    title: String,
    code: String,
    state: &'static str,
    state_code: &'static str,
    accepted: u64,
    quarantined: u64,
    rejected: u64,
}

#[derive(askama::Template)]
#[template(path = "survey_list.html")]
struct ListPage {
    l: Layout,
    year: i32,
    rows: Vec<SurveyRow>,
}

async fn list(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    reader(&c)?;
    state.db().round(year).await?;
    let db = state.db();
    let mut rows = Vec::new();
    for s in db.surveys(year).await? {
        let mut counts = [0u64; 3];
        for (st, n) in db.response_counts(year, &s.code).await? {
            counts[match st {
                ResponseStatus::Accepted => 0,
                ResponseStatus::Quarantined => 1,
                ResponseStatus::Rejected => 2,
            }] = n;
        }
        rows.push(SurveyRow {
            href: base(year, &s.code),
            state: state_label(ctx.lang, s.state),
            state_code: s.state.as_str(),
            title: s.title,
            code: s.code,
            accepted: counts[0],
            quarantined: counts[1],
            rejected: counts[2],
        });
    }
    rows.sort_by(|a, b| text::compare(&a.title, &b.title).then(a.code.cmp(&b.code)));
    ok(&ListPage {
        l: ctx.layout(format!("{} {year}", i18n::t(ctx.lang, "svy.list_title"))),
        year,
        rows,
    })
}

// ---------------------------------------------------------------------------------------------
// The dashboard

pub(crate) struct Cell {
    pub value: String,
    pub lo: String,
    pub hi: String,
    pub n: u64,
    pub small: bool,
}

pub(crate) fn cell(lang: Locale, e: &parindex_core::survey_stats::Estimate, small: bool) -> Cell {
    Cell {
        value: pct(lang, e.value),
        lo: pct(lang, e.lo),
        hi: pct(lang, e.hi),
        n: e.n,
        small,
    }
}

pub(crate) struct ElementRow {
    pub code: u32,
    pub name: String,
    pub c: Cell,
}

struct PlanRow {
    name: String,
    unit: String,
    accepted: u64,
    quarantined: u64,
    quota: String,
    share: String,
}

struct RankRow {
    rank: u32,
    /// The unit's rank in the other view (with quarantined responses in the official view, and
    /// the other way round), with ▲/▼ when it differs: how much the quarantine moves it.
    other_rank: String,
    range: String,
    name: String,
    c: Cell,
    same_as_next: bool,
}

struct RankGroup {
    group: String,
    rows: Vec<RankRow>,
}

#[derive(askama::Template)]
#[template(path = "survey_dashboard.html")]
struct DashboardPage {
    l: Layout,
    year: i32,
    base: String,
    title: String,
    state: &'static str,
    open: bool,
    is_secretariat: bool,
    public_href: String,
    all: bool,
    measure: &'static str,
    accepted: u64,
    quarantined: u64,
    rejected: u64,
    overall: Cell,
    element_svg: String,
    elements: Vec<ElementRow>,
    progress_svg: String,
    plan: Vec<PlanRow>,
    has_quota: bool,
    rankings: Vec<RankGroup>,
    /// The heading of the other view's rank column.
    other_rank_label: &'static str,
    show_other: bool,
    units: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ViewQuery {
    #[serde(default)]
    xem: Option<String>,
}

fn pick_view(u: &parindex_store::survey::UnitResult, all: bool) -> &View {
    if all {
        &u.with_quarantined
    } else {
        &u.official
    }
}

fn element_name(lang: Locale, r: &SurveyReport, code: u32) -> String {
    r.elements
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, vi, en)| match (lang, en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => vi.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

/// A view's element indices as table rows and as chart intervals (the overall index last); the
/// secretariat's dashboard and the public unit profile show the same.
pub(crate) fn element_rows(
    lang: Locale,
    report: &SurveyReport,
    view: &View,
) -> (Vec<ElementRow>, Vec<Interval>) {
    let rows = view
        .elements
        .iter()
        .map(|e| ElementRow {
            code: e.code,
            name: element_name(lang, report, e.code),
            c: cell(lang, &e.estimate, e.small_sample),
        })
        .collect();
    let mut chart: Vec<Interval> = view
        .elements
        .iter()
        .map(|e| Interval {
            label: format!("{} {}", i18n::t(lang, "svy.element"), e.code),
            title: element_name(lang, report, e.code),
            value: e.estimate.value,
            lo: e.estimate.lo,
            hi: e.estimate.hi,
            flagged: e.small_sample,
        })
        .collect();
    chart.push(Interval {
        label: i18n::t(lang, "svy.overall").to_string(),
        title: i18n::t(lang, "svy.overall").to_string(),
        value: view.overall.value,
        lo: view.overall.lo,
        hi: view.overall.hi,
        flagged: view.small_sample,
    });
    (rows, chart)
}

async fn dashboard(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, code)): Path<(i32, String)>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    reader(&c)?;
    let lang = ctx.lang;
    let db = state.db();
    let survey = db.survey(year, &code).await?;
    let report = db.survey_report(year, &code).await?;
    let plan = db.sample_plan(year, &code).await?;
    let all = q.xem.as_deref() == Some("tat-ca");
    let mut counts = [0u64; 3];
    for (st, n) in db.response_counts(year, &code).await? {
        counts[match st {
            ResponseStatus::Accepted => 0,
            ResponseStatus::Quarantined => 1,
            ResponseStatus::Rejected => 2,
        }] = n;
    }
    let province = pick_view(&report.province, all);
    let (elements, chart_rows) = element_rows(lang, &report, province);
    let element_svg = charts::intervals(
        lang,
        "svy-elements",
        &format!(
            "{} — {}",
            i18n::t(lang, "svy.elements"),
            i18n::t(lang, "svy.province")
        ),
        &chart_rows,
    );
    let mut plan_rows: Vec<&parindex_store::survey::SamplePlan> = plan.iter().collect();
    plan_rows.sort_by(|a, b| text::compare(&a.name, &b.name));
    let progress_svg = charts::progress(
        lang,
        "svy-progress",
        i18n::t(lang, "svy.progress"),
        &plan_rows
            .iter()
            .map(|p| Progress {
                label: p.unit.clone(),
                title: p.name.clone(),
                done: p.accepted,
                quota: p.quota,
            })
            .collect::<Vec<_>>(),
    );
    let has_quota = plan.iter().any(|p| p.quota.is_some());
    let plan: Vec<PlanRow> = plan_rows
        .iter()
        .map(|p| PlanRow {
            name: p.name.clone(),
            unit: p.unit.clone(),
            accepted: p.accepted,
            quarantined: p.quarantined,
            quota: p.quota.map_or_else(|| "—".into(), |q| q.to_string()),
            share: p
                .progress
                .map_or_else(|| "—".into(), |v| format!("{} %", pct(lang, v))),
        })
        .collect();
    let rankings = rank_groups(lang, &report, all);
    let b = base(year, &code);
    let mut units: Vec<(String, String)> = report
        .units
        .iter()
        .map(|u| (u.unit.clone(), u.name.clone()))
        .collect();
    units.sort_by(|a, b| text::compare(&a.1, &b.1));
    let measure = measure_key(report.measure);
    ok(&DashboardPage {
        l: ctx.layout(format!("{} {year}", report.title)),
        year,
        public_href: format!("/khao-sat/{year}/{}", segment(&code)),
        base: b,
        title: report.title.clone(),
        state: state_label(lang, survey.state),
        open: survey.state == SurveyState::Open,
        is_secretariat: c.is(Role::Secretariat),
        all,
        measure: i18n::t(lang, measure),
        accepted: counts[0],
        quarantined: counts[1],
        rejected: counts[2],
        overall: cell(lang, &province.overall, province.small_sample),
        element_svg,
        elements,
        progress_svg,
        plan,
        has_quota,
        rankings,
        show_other: true,
        other_rank_label: i18n::t(
            lang,
            if all {
                "svy.rank_official"
            } else {
                "svy.rank_with_quarantined"
            },
        ),
        units,
    })
}

/// The catalogue key of what a survey's index measures.
fn measure_key(m: parindex_core::survey_stats::Measure) -> &'static str {
    match m {
        parindex_core::survey_stats::Measure::Satisfied => "svy.measure_satisfied",
        parindex_core::survey_stats::Measure::MeanScore => "svy.measure_mean",
        parindex_core::survey_stats::Measure::TopBox => "svy.measure_top",
    }
}

/// The survey's rankings per group, in the official view or with quarantined responses (`all`),
/// each unit with its rank in the other view.
fn rank_groups(lang: Locale, report: &SurveyReport, all: bool) -> Vec<RankGroup> {
    report
        .rankings
        .iter()
        .map(|g| {
            let (shown, other) = if all {
                (&g.with_quarantined, &g.official)
            } else {
                (&g.official, &g.with_quarantined)
            };
            let rows = shown
                .iter()
                .map(|r| {
                    let unit = report.units.iter().find(|u| u.unit == r.unit);
                    let small = unit.is_some_and(|u| pick_view(u, all).small_sample);
                    let other_rank = other.iter().find(|o| o.unit == r.unit).map_or_else(
                        || "—".to_string(),
                        |o| match o.rank.cmp(&r.rank) {
                            std::cmp::Ordering::Less => format!("{} ▲", o.rank),
                            std::cmp::Ordering::Greater => format!("{} ▼", o.rank),
                            std::cmp::Ordering::Equal => o.rank.to_string(),
                        },
                    );
                    RankRow {
                        rank: r.rank,
                        other_rank,
                        range: if r.best_rank == r.worst_rank {
                            r.best_rank.to_string()
                        } else {
                            format!("{}–{}", r.best_rank, r.worst_rank)
                        },
                        name: unit.map_or_else(|| r.unit.clone(), |u| u.name.clone()),
                        c: cell(lang, &r.estimate, small),
                        same_as_next: r.same_as_next,
                    }
                })
                .collect();
            RankGroup {
                group: g.group.clone(),
                rows,
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "survey_ranking.html")]
struct PublicRankingPage {
    l: Layout,
    title: String,
    measure: &'static str,
    rankings: Vec<RankGroup>,
    show_other: bool,
    other_rank_label: &'static str,
}

/// A closed survey's rankings for everyone (official view: accepted responses only). An open
/// survey's running figures are never public.
async fn public_ranking(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, code)): Path<(i32, String)>,
) -> PageResult {
    let db = state.db();
    let survey = db.survey(year, &code).await?;
    if survey.state != SurveyState::Closed {
        return Err(PageError::not_found(
            "kết quả khảo sát chỉ được công bố khi khảo sát đã kết thúc",
            "a survey's results are public only once it is closed",
        ));
    }
    let report = db.survey_report(year, &code).await?;
    let lang = ctx.lang;
    ok(&PublicRankingPage {
        l: ctx.layout(format!("{} {year}", report.title)),
        title: format!("{} {year}", report.title),
        measure: i18n::t(lang, measure_key(report.measure)),
        rankings: rank_groups(lang, &report, false),
        show_other: false,
        other_rank_label: "",
    })
}

/// Opens or closes the survey (through the survey API).
async fn set_state(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path((year, code)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let to = if form.text("state") == "open" {
        "open"
    } else {
        "closed"
    };
    api.json(
        &c,
        Method::PUT,
        &format!("/api/survey/{year}/{}/state", segment(&code)),
        Some(json!({ "state": to })),
    )
    .await?;
    Ok(see_other(&format!("{}?ok=survey_state", base(year, &code))))
}

// ---------------------------------------------------------------------------------------------
// Review

struct ReviewRow {
    id: i64,
    action: String,
    unit: String,
    channel: String,
    received: String,
    duration: String,
    answers: String,
    flags: String,
    error: Option<String>,
    reason: String,
}

#[derive(askama::Template)]
#[template(path = "survey_review.html")]
struct ReviewPage {
    l: Layout,
    year: i32,
    base: String,
    title: String,
    rows: Vec<ReviewRow>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
struct QueueQuery {
    #[serde(default)]
    sau: Option<i64>,
}

const PAGE: i64 = 50;

async fn review_page(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    code: &str,
    after: i64,
    failed: Option<(i64, String, String)>,
) -> PageResult<ReviewPage> {
    let lang = ctx.lang;
    let db = state.db();
    let survey = db.survey(year, code).await?;
    let rows = db
        .responses_in_status(year, code, ResponseStatus::Quarantined, after, PAGE)
        .await?;
    let b = base(year, code);
    let next_href = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| format!("{b}/kiem-duyet?sau={}", r.id)))
        .flatten();
    let rows = rows
        .into_iter()
        .map(|r| {
            let (error, reason) = match &failed {
                Some((id, msg, reason)) if *id == r.id => (Some(msg.clone()), reason.clone()),
                _ => (None, String::new()),
            };
            ReviewRow {
                id: r.id,
                action: format!("{b}/kiem-duyet/{}", r.id),
                unit: r.unit,
                channel: r.channel,
                received: fmt::date_time(lang, r.received_at),
                duration: r
                    .duration_seconds
                    .map_or_else(|| "—".into(), |d| d.to_string()),
                answers: r
                    .answers
                    .iter()
                    .map(|a| if *a == 0 { '-' } else { char::from(b'0' + a) })
                    .collect(),
                flags: r
                    .flags
                    .iter()
                    .map(|f| lang.pick(f.vi(), f.en()))
                    .collect::<Vec<_>>()
                    .join("; "),
                error,
                reason,
            }
        })
        .collect();
    Ok(ReviewPage {
        l: ctx.layout(format!(
            "{} — {}",
            i18n::t(ctx.lang, "svy.review"),
            survey.title
        )),
        year,
        base: b,
        title: survey.title,
        rows,
        next_href,
    })
}

async fn queue(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, code)): Path<(i32, String)>,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    secretariat(&c)?;
    let page = review_page(&state, &ctx, year, &code, q.sau.unwrap_or(0), None).await?;
    ok(&page)
}

/// Releases or rejects one response (through the survey API); a refusal is shown on its row.
async fn decide(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, code, id)): Path<(i32, String, i64)>,
    form: Form,
) -> PageResult {
    let decision = form.text("decision");
    let reason = form.text("reason");
    let res = api
        .json(
            &c,
            Method::POST,
            &format!("/api/survey/{year}/{}/review/{id}", segment(&code)),
            Some(json!({ "decision": decision, "reason": reason })),
        )
        .await;
    match res {
        Ok(_) => Ok(see_other(&format!(
            "{}/kiem-duyet?ok=survey_reviewed",
            base(year, &code)
        ))),
        Err(r) if r.in_place() && r.status != StatusCode::NOT_FOUND => {
            let msg = r.problems.render(ctx.lang);
            let page = review_page(&state, &ctx, year, &code, 0, Some((id, msg, reason))).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Makes tokens for a unit and sends the printable sheet as a download (through the survey API,
/// which returns the plaintext this once).
async fn tokens(
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, code)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let unit = form.text("unit");
    let format = if form.text("format") == "svg" {
        "svg"
    } else {
        "html"
    };
    let Some(count) = form.int("count").filter(|n| *n > 0) else {
        return Err(PageError::bad_request(
            "số mã phải là một số nguyên dương",
            "the number of tokens must be a positive whole number",
        ));
    };
    let body = json!({ "count": count, "format": format });
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/survey/{year}/{}/units/{}/tokens",
            segment(&code),
            segment(&unit)
        ))
        .header(header::CONTENT_TYPE, "application/json")
        .extension(Lang(ctx.lang))
        .body(Body::from(body.to_string()))
        .map_err(|_| PageError::bad_request("đơn vị không hợp lệ", "invalid unit"))?;
    let res = api.send(&c, req).await;
    if !res.status().is_success() {
        return Err(refusal(res).await.into());
    }
    let (mut parts, body) = res.into_parts();
    let name = format!("ma-khao-sat-{year}-{}.{format}", segment(&unit));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        parts.headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Response::from_parts(parts, body))
}

// ---------------------------------------------------------------------------------------------
// Import

struct ImportResult {
    rows: u64,
    imported: u64,
    quarantined: u64,
    already: u64,
    refused: u64,
    committed: bool,
    problems: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "survey_import.html")]
struct ImportPage {
    l: Layout,
    year: i32,
    base: String,
    title: String,
    action: String,
    valid_only: bool,
    errors: Vec<String>,
    result: Option<ImportResult>,
}

async fn import_page(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    code: &str,
    valid_only: bool,
    errors: Vec<String>,
    result: Option<ImportResult>,
) -> PageResult<ImportPage> {
    let survey = state.db().survey(year, code).await?;
    let b = base(year, code);
    let csrf = ctx
        .caller
        .as_ref()
        .map(|c| c.csrf.clone())
        .unwrap_or_default();
    Ok(ImportPage {
        l: ctx.layout(format!(
            "{} — {}",
            i18n::t(ctx.lang, "svy.import"),
            survey.title
        )),
        year,
        action: format!("{b}/nhap?csrf={}", encode(&csrf)),
        base: b,
        title: survey.title,
        valid_only,
        errors,
        result,
    })
}

async fn import_form(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, code)): Path<(i32, String)>,
) -> PageResult {
    secretariat(&c)?;
    ok(&import_page(&state, &ctx, year, &code, false, Vec::new(), None).await?)
}

fn num(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Reads the uploaded file and mode, sends the file to the survey API's import, and shows the
/// counts and every problem (line and column) on the page.
async fn import(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, code)): Path<(i32, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    secretariat(&c)?;
    let lang = ctx.lang;
    let unreadable = || {
        PageError::bad_request(
            "không đọc được tệp gửi lên; hãy chọn lại tệp",
            "the upload could not be read; choose the file again",
        )
    };
    let mut multipart = multipart.map_err(|_| unreadable())?;
    let mut valid_only = false;
    let mut file: Option<(String, axum::body::Bytes)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("mode") => valid_only = field.text().await.map_err(|_| unreadable())? == "valid",
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|_| unreadable())?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let errors = vec![
            lang.pick(
                "Hãy chọn một tệp CSV hoặc XLSX.",
                "Choose a CSV or XLSX file.",
            )
            .to_string(),
        ];
        let page = import_page(&state, &ctx, year, &code, valid_only, errors, None).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let uri = format!(
        "/api/survey/{year}/{}/import?mode={}&name={}",
        segment(&code),
        if valid_only { "valid" } else { "all" },
        encode(&name)
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .extension(Lang(lang))
        .body(Body::from(bytes))
        .map_err(|_| unreadable())?;
    let res = api.send(&c, req).await;
    let status = res.status();
    let is_report = status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY;
    // The import's own answer (200, or 422 when nothing was stored) is a report; any other
    // refusal (a header that does not fit, a file too large) is shown as the page's errors.
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let report: Option<Value> = if is_report {
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(|v| v.get("rows").is_some())
    } else {
        None
    };
    let (result, errors) = match report {
        Some(v) => (
            Some(ImportResult {
                rows: num(&v, "rows"),
                imported: num(&v, "imported"),
                quarantined: num(&v, "quarantined"),
                already: num(&v, "already"),
                refused: num(&v, "refused"),
                committed: v.get("committed").and_then(Value::as_bool).unwrap_or(false),
                problems: v
                    .get("problems")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            Vec::new(),
        ),
        None => {
            let r: Refusal = refusal(Response::from_parts(parts, Body::from(bytes))).await;
            if !r.in_place() {
                return Err(r.into());
            }
            (
                None,
                r.problems
                    .iter()
                    .map(|p| p.message(lang).to_string())
                    .collect(),
            )
        }
    };
    let page = import_page(&state, &ctx, year, &code, valid_only, errors, result).await?;
    render(
        if status.is_success() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &page,
    )
}
