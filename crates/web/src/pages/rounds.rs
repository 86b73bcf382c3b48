//! Rounds (kỳ đánh giá): the list and a new round; the round's dashboard for the secretariat and
//! leaders (every unit's state, share filled, evidence, deadlines with countdown and overdue
//! marks); the round's settings (deadlines, opening and closing, criteria sets imported with
//! their validation errors shown in place); the criteria-set browser; the appraisers' queue.

use crate::app::AppState;
use crate::auth::Caller;
use crate::pages::form::Form;
use crate::pages::guard::{secretariat, secretariat_or_leader, see_other};
use crate::pages::internal::{Api, Refusal};
use crate::pages::{
    Ctx, Layout, PageError, PageResult, Signed, current_year, fmt, i18n, ok, render,
};
use axum::extract::{Multipart, Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::locale::Locale;
use parindex_core::rules::Rule;
use parindex_core::set::CriteriaSet;
use parindex_core::text;
use parindex_store::Timestamp;
use parindex_store::rounds::{Phase, Round, RoundState};
use parindex_store::sheets::{Sheet, SheetState};
use parindex_store::users::Role;
use serde_json::json;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky", get(list).post(create))
        .route("/ky/{year}", get(dashboard))
        .route("/ky/{year}/thiet-lap", get(settings))
        .route("/ky/{year}/han", post(deadlines))
        .route("/ky/{year}/mo", post(open))
        .route("/ky/{year}/dong", post(close))
        .route("/ky/{year}/bo-chi-so", post(import_set))
        .route("/ky/{year}/bo-chi-so/{group}", get(browse_set))
        .route("/tham-dinh", get(queue))
}

fn round_state(lang: Locale, s: RoundState) -> String {
    lang.pick(s.vi(), s.en()).to_string()
}

struct RoundLine {
    year: i32,
    title: String,
    state: String,
    href: String,
}

#[derive(askama::Template)]
#[template(path = "rounds.html")]
struct RoundsPage {
    l: Layout,
    rounds: Vec<RoundLine>,
    can_create: bool,
    errors: Vec<String>,
    year: String,
    title: String,
}

async fn rounds_page(
    state: &AppState,
    ctx: &Ctx,
    c: &Caller,
    errors: Vec<String>,
    year: String,
    title: String,
) -> PageResult<RoundsPage> {
    secretariat_or_leader(c)?;
    let mut rounds = state.db().rounds().await?;
    rounds.sort_by_key(|r| std::cmp::Reverse(r.year));
    Ok(RoundsPage {
        l: ctx.layout(i18n::t(ctx.lang, "rounds.title")),
        rounds: rounds
            .iter()
            .map(|r| RoundLine {
                year: r.year,
                title: r.title.clone(),
                state: round_state(ctx.lang, r.state),
                href: format!("/ky/{}", r.year),
            })
            .collect(),
        can_create: c.is(Role::Secretariat),
        errors,
        year,
        title,
    })
}

async fn list(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    ok(&rounds_page(&state, &ctx, &c, Vec::new(), String::new(), String::new()).await?)
}

fn messages(lang: Locale, r: &Refusal) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| {
            let at = p.location.render(lang);
            if at.is_empty()
                || p.location.field.is_some()
                    && p.location.file.is_none()
                    && p.location.node.is_none()
            {
                p.message(lang).to_string()
            } else {
                format!("{at}: {}", p.message(lang))
            }
        })
        .collect()
}

async fn create(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    let year_text = form.text("year");
    let title = form.text("title");
    let Ok(year) = year_text.parse::<i32>() else {
        let msg = i18n::t(ctx.lang, "rounds.bad_year").to_string();
        let page = rounds_page(&state, &ctx, &c, vec![msg], year_text, title).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    match api
        .json(
            &c,
            Method::POST,
            "/api/rounds",
            Some(json!({ "year": year, "title": title })),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/ky/{year}/thiet-lap?ok=created"))),
        Err(r) if r.in_place() => {
            let page =
                rounds_page(&state, &ctx, &c, messages(ctx.lang, &r), year_text, title).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

/// A deadline with its countdown.
struct DeadlineLine {
    phase: String,
    due: String,
    left: String,
    overdue: bool,
}

fn deadline_lines(lang: Locale, round: &Round) -> Vec<DeadlineLine> {
    let now = Timestamp::now();
    round
        .deadlines
        .iter()
        .map(|(p, due)| {
            let (left, overdue) = fmt::countdown(lang, *due, now);
            DeadlineLine {
                phase: fmt::capitalized(lang.pick(p.vi(), p.en())),
                due: fmt::date_time(lang, *due),
                left,
                overdue,
            }
        })
        .collect()
}

/// Whether a sheet is behind a deadline that has passed.
fn overdue(sheet: &Sheet, round: &Round, now: Timestamp) -> Option<Phase> {
    use SheetState::*;
    round
        .deadlines
        .iter()
        .filter(|(_, due)| now > *due)
        .map(|(p, _)| *p)
        .find(|p| match p {
            Phase::SelfAssessment => sheet.state < Submitted,
            Phase::Appraisal1 => matches!(sheet.state, Submitted | Appraisal1),
            Phase::Explanation => sheet.state == ExplanationRequested,
            Phase::Appraisal2 => matches!(sheet.state, ExplanationSubmitted | Appraisal2),
            Phase::Approval => sheet.state < Approved,
        })
}

struct SheetLine {
    name: String,
    href: String,
    state: String,
    state_code: &'static str,
    filled: usize,
    to_fill: usize,
    share: String,
    evidence: usize,
    updated: String,
    overdue: Option<String>,
}

struct GroupBlock {
    code: String,
    name: String,
    lines: Vec<SheetLine>,
    counts: Vec<(String, usize)>,
}

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    year: i32,
    title: String,
    state: String,
    deadlines: Vec<DeadlineLine>,
    groups: Vec<GroupBlock>,
    is_secretariat: bool,
    overdue_count: usize,
    /// Action plans of the round: (done, total, overdue) over every unit's tasks.
    plans: (i64, i64, i64),
}

fn group_name(lang: Locale, set: &CriteriaSet, code: &str) -> String {
    set.group(code)
        .map(|g| match (lang, &g.name_en) {
            (Locale::En, Some(e)) => e.clone(),
            _ => g.name.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

async fn dashboard(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    secretariat_or_leader(&c)?;
    let db = state.db();
    let lang = ctx.lang;
    let round = db.round(year).await?;
    let sheets = db.sheets(year).await?;
    let now = Timestamp::now();
    let mut groups: Vec<GroupBlock> = Vec::new();
    let mut overdue_count = 0;
    for (group, _) in &round.groups {
        let set = db.criteria_set(year, group).await?;
        let to_fill = set
            .leaves()
            .iter()
            .filter(|&&i| !set.nodes[i].rule.as_ref().is_some_and(Rule::is_survey))
            .count();
        let mut members: Vec<&Sheet> = sheets.iter().filter(|s| &s.group == group).collect();
        members.sort_by(|a, b| text::compare(&a.unit_name, &b.unit_name));
        let mut lines = Vec::new();
        let mut counts: Vec<(SheetState, usize)> = Vec::new();
        for s in members {
            let entries = db.entries(year, &s.unit).await?;
            let filled = entries
                .iter()
                .filter(|e| e.version > 0 && !e.declared.trim().is_empty())
                .count();
            let evidence = db.evidence_of(year, &s.unit).await?.len();
            let late = (round.state == RoundState::Open)
                .then(|| overdue(s, &round, now))
                .flatten();
            if late.is_some() {
                overdue_count += 1;
            }
            match counts.iter_mut().find(|(st, _)| *st == s.state) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.state, 1)),
            }
            lines.push(SheetLine {
                href: format!("/ky/{year}/phieu/{}", s.unit),
                name: s.unit_name.clone(),
                state: lang.pick(s.state.vi(), s.state.en()).to_string(),
                state_code: s.state.as_str(),
                filled: filled.min(to_fill),
                to_fill,
                share: fmt::percent(lang, filled.min(to_fill).into(), to_fill.into()),
                evidence,
                updated: fmt::date_time(lang, s.updated_at),
                overdue: late.map(|p| lang.pick(p.vi(), p.en()).to_string()),
            });
        }
        counts.sort_by_key(|(s, _)| *s);
        groups.push(GroupBlock {
            code: group.clone(),
            name: group_name(lang, &set, group),
            lines,
            counts: counts
                .into_iter()
                .map(|(s, n)| (lang.pick(s.vi(), s.en()).to_string(), n))
                .collect(),
        });
    }
    groups.sort_by(|a, b| text::compare(&a.name, &b.name));
    let plans = state
        .db()
        .plan_progress(year, &parindex_store::plans::today())
        .await?
        .iter()
        .fold((0, 0, 0), |(d, t, o), p| {
            (d + p.done, t + p.total, o + p.overdue)
        });
    ok(&DashboardPage {
        l: ctx.layout(format!("{} {year}", i18n::t(lang, "dashboard.title"))),
        year,
        title: round.title.clone(),
        state: round_state(lang, round.state),
        deadlines: deadline_lines(lang, &round),
        groups,
        is_secretariat: c.is(Role::Secretariat),
        overdue_count,
        plans,
    })
}

struct DeadlineInput {
    phase: &'static str,
    label: String,
    value: String,
    error: Option<String>,
}

struct SetLine {
    code: String,
    source: String,
    groups: Vec<(String, String)>,
    shape: String,
}

#[derive(askama::Template)]
#[template(path = "round_settings.html")]
struct SettingsPage {
    l: Layout,
    year: i32,
    title: String,
    state: String,
    draft: bool,
    open: bool,
    deadlines: Vec<DeadlineInput>,
    deadline_errors: Vec<String>,
    sets: Vec<SetLine>,
    import_errors: Vec<String>,
    import_action: String,
    state_errors: Vec<String>,
}

#[derive(Default)]
struct SettingsErrors {
    deadlines: Vec<String>,
    by_phase: Vec<(String, String)>,
    posted: Vec<(String, String)>,
    import: Vec<String>,
    state: Vec<String>,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    c: &Caller,
    year: i32,
    errs: SettingsErrors,
) -> PageResult<SettingsPage> {
    secretariat(c)?;
    let db = state.db();
    let lang = ctx.lang;
    let round = db.round(year).await?;
    let deadlines = Phase::ALL
        .iter()
        .map(|p| {
            let posted = errs
                .posted
                .iter()
                .find(|(k, _)| k == p.as_str())
                .map(|(_, v)| v.clone());
            let value = posted.unwrap_or_else(|| {
                round
                    .deadlines
                    .iter()
                    .find(|(q, _)| q == p)
                    .map(|(_, t)| fmt::datetime_local(*t))
                    .unwrap_or_default()
            });
            DeadlineInput {
                phase: p.as_str(),
                label: fmt::capitalized(lang.pick(p.vi(), p.en())),
                value,
                error: errs
                    .by_phase
                    .iter()
                    .find(|(k, _)| k == p.as_str())
                    .map(|(_, m)| m.clone()),
            }
        })
        .collect();
    let mut sets = Vec::new();
    for s in db.criteria_sets(year).await? {
        let parsed = match s.groups.first() {
            Some(g) => db.criteria_set(year, g).await.ok(),
            None => None,
        };
        let shape = parsed.as_ref().map_or_else(String::new, |set| {
            let sh = set.shape();
            format!(
                "{} {}, {} {}, {} {}, {} {}",
                sh.areas,
                lang.pick("lĩnh vực", "areas"),
                sh.criteria,
                lang.pick("tiêu chí", "criteria"),
                sh.sub_criteria,
                lang.pick("tiêu chí thành phần", "sub-criteria"),
                fmt::pts(lang, sh.total),
                lang.pick("điểm", "points")
            )
        });
        sets.push(SetLine {
            groups: s
                .groups
                .iter()
                .map(|g| {
                    let name = parsed
                        .as_ref()
                        .map_or_else(|| g.clone(), |set| group_name(lang, set, g));
                    (name, format!("/ky/{year}/bo-chi-so/{g}"))
                })
                .collect(),
            code: s.code,
            source: s.source,
            shape,
        });
    }
    Ok(SettingsPage {
        l: ctx.layout(format!("{} {year}", i18n::t(lang, "settings.title"))),
        year,
        title: round.title.clone(),
        state: round_state(lang, round.state),
        draft: round.state == RoundState::Draft,
        open: round.state == RoundState::Open,
        deadlines,
        deadline_errors: errs.deadlines,
        sets,
        import_errors: errs.import,
        import_action: format!("/ky/{year}/bo-chi-so?csrf={}", c.csrf),
        state_errors: errs.state,
    })
}

async fn settings(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    ok(&settings_page(&state, &ctx, &c, year, SettingsErrors::default()).await?)
}

/// Sets every phase's deadline from the form (empty: no deadline); each phase's refusal is shown
/// beside its field.
async fn deadlines(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let round = state.db().round(year).await?;
    let mut errs = SettingsErrors::default();
    let mut status = StatusCode::OK;
    for p in Phase::ALL {
        let Some(value) = form.get(p.as_str()).map(str::trim) else {
            continue;
        };
        let current = round
            .deadlines
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, t)| fmt::datetime_local(*t))
            .unwrap_or_default();
        if value == current {
            continue;
        }
        let due = if value.is_empty() {
            None
        } else {
            match fmt::from_datetime_local(value) {
                Some(rfc) => Some(rfc),
                None => {
                    errs.by_phase.push((
                        p.as_str().into(),
                        i18n::t(ctx.lang, "settings.bad_time").to_string(),
                    ));
                    errs.posted.push((p.as_str().into(), value.to_string()));
                    status = StatusCode::UNPROCESSABLE_ENTITY;
                    continue;
                }
            }
        };
        let path = format!("/api/rounds/{year}/deadlines/{}", p.as_str());
        if let Err(r) = api
            .json(&c, Method::PUT, &path, Some(json!({ "due": due })))
            .await
        {
            if !r.in_place() {
                return Err(r.into());
            }
            status = r.status;
            errs.by_phase
                .push((p.as_str().into(), messages(ctx.lang, &r).join(" ")));
            errs.posted.push((p.as_str().into(), value.to_string()));
        }
    }
    if errs.by_phase.is_empty() {
        return Ok(see_other(&format!("/ky/{year}/thiet-lap?ok=saved")));
    }
    errs.deadlines = vec![i18n::t(ctx.lang, "settings.deadlines_refused").to_string()];
    let page = settings_page(&state, &ctx, &c, year, errs).await?;
    render(status, &page)
}

async fn change_state(
    state: &AppState,
    api: &Api,
    ctx: &Ctx,
    c: &Caller,
    year: i32,
    action: &str,
) -> PageResult {
    let path = format!("/api/rounds/{year}/{action}");
    match api.json(c, Method::POST, &path, None).await {
        Ok(_) => Ok(see_other(&format!("/ky/{year}?ok=saved"))),
        Err(r) if r.in_place() => {
            let errs = SettingsErrors {
                state: messages(ctx.lang, &r),
                ..Default::default()
            };
            let page = settings_page(state, ctx, c, year, errs).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn open(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    change_state(&state, &api, &ctx, &c, year, "open").await
}

async fn close(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    change_state(&state, &api, &ctx, &c, year, "close").await
}

/// The largest criteria-set file accepted.
const SET_LIMIT: usize = 1024 * 1024;

/// Stores a criteria set from an uploaded TOML file; its validation problems (file, line, node,
/// field) are listed in place.
async fn import_set(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    secretariat(&c)?;
    let lang = ctx.lang;
    let bad = |vi: &str, en: &str| lang.pick(vi, en).to_string();
    let mut source = String::new();
    let mut text = String::new();
    let mut problem = None;
    match form {
        Err(_) => {
            problem = Some(bad(
                "cần chọn tệp bộ chỉ số (.toml)",
                "choose a criteria-set file (.toml)",
            ))
        }
        Ok(mut mp) => loop {
            match mp.next_field().await {
                Ok(Some(field)) if field.name() == Some("file") => {
                    source = field
                        .file_name()
                        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                        .unwrap_or_default();
                    match field.bytes().await {
                        Ok(b) if b.len() > SET_LIMIT => {
                            problem = Some(bad("tệp lớn quá 1 MB", "the file is over 1 MB"));
                        }
                        Ok(b) => match String::from_utf8(b.to_vec()) {
                            Ok(t) => text = t,
                            Err(_) => {
                                problem = Some(bad(
                                    "tệp không phải văn bản UTF-8",
                                    "the file is not UTF-8 text",
                                ));
                            }
                        },
                        Err(_) => {
                            problem = Some(bad("không đọc được tệp", "the file could not be read"))
                        }
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    problem = Some(bad("không đọc được tệp", "the file could not be read"));
                    break;
                }
            }
        },
    }
    if problem.is_none() && (source.is_empty() || text.trim().is_empty()) {
        problem = Some(bad(
            "cần chọn tệp bộ chỉ số (.toml)",
            "choose a criteria-set file (.toml)",
        ));
    }
    let refused = match problem {
        Some(p) => Some((StatusCode::UNPROCESSABLE_ENTITY, vec![p])),
        None => {
            let body = json!({ "source": source, "toml": text });
            let path = format!("/api/rounds/{year}/sets");
            match api.json(&c, Method::POST, &path, Some(body)).await {
                Ok(_) => None,
                Err(r) if r.in_place() => Some((r.status, messages(lang, &r))),
                Err(r) => return Err(r.into()),
            }
        }
    };
    match refused {
        None => Ok(see_other(&format!("/ky/{year}/thiet-lap?ok=imported"))),
        Some((status, import)) => {
            let errs = SettingsErrors {
                import,
                ..Default::default()
            };
            let page = settings_page(&state, &ctx, &c, year, errs).await?;
            render(status, &page)
        }
    }
}

/// A node of the criteria-set tree.
struct TreeNode {
    code: String,
    title: String,
    max: String,
    rule: String,
    declared: String,
    evidence: String,
    na: bool,
    children: Vec<TreeNode>,
}

#[derive(askama::Template)]
#[template(path = "set.html")]
struct SetPage {
    l: Layout,
    year: i32,
    title: String,
    code: String,
    source: String,
    group_name: String,
    shape: String,
    classes: Vec<(String, String)>,
    bonus: String,
    penalty: String,
    areas: Vec<TreeNode>,
}

fn tree(lang: Locale, set: &CriteriaSet, parent: Option<&str>, level: usize) -> Vec<TreeNode> {
    set.nodes
        .iter()
        .filter(|n| {
            n.code.level() == level
                && match parent {
                    None => true,
                    Some(p) => n.code.parent().is_some_and(|q| q.to_string() == p),
                }
        })
        .map(|n| {
            let code = n.code.to_string();
            TreeNode {
                title: match (lang, &n.title_en) {
                    (Locale::En, Some(t)) => t.clone(),
                    _ => n.title.clone(),
                },
                max: {
                    let mut m = fmt::pts(lang, n.max);
                    for (lv, v) in &n.max_by_level {
                        m.push_str(&format!(" ({lv}: {})", fmt::pts(lang, *v)));
                    }
                    m
                },
                rule: n
                    .rule
                    .as_ref()
                    .map(|r| r.describe(lang))
                    .unwrap_or_default(),
                declared: n.declared.clone().unwrap_or_default(),
                evidence: n.evidence.clone().unwrap_or_default(),
                na: n.allow_na,
                children: tree(lang, set, Some(&code), level + 1),
                code,
            }
        })
        .collect()
}

/// The criteria set a group is assessed with, as a tree with rules and maxima.
async fn browse_set(
    State(state): State<AppState>,
    Signed(ctx, _): Signed,
    Path((year, group)): Path<(i32, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let set = state.db().criteria_set(year, &group).await?;
    let sh = set.shape();
    let classes = set
        .classes
        .classes
        .iter()
        .map(|c| {
            (
                match (lang, &c.label_en) {
                    (Locale::En, Some(e)) => e.clone(),
                    _ => c.label.clone(),
                },
                format!(
                    "{} {}",
                    if c.min_inclusive { "≥" } else { ">" },
                    fmt::pts(lang, c.min)
                ),
            )
        })
        .collect();
    ok(&SetPage {
        l: ctx.layout(set.title.clone()),
        year,
        title: match (lang, &set.title_en) {
            (Locale::En, Some(t)) => t.clone(),
            _ => set.title.clone(),
        },
        code: set.code.clone(),
        source: set.source.clone(),
        group_name: group_name(lang, &set, &group),
        shape: format!(
            "{} {}, {} {}, {} {}, {} {}",
            sh.areas,
            lang.pick("lĩnh vực", "areas"),
            sh.criteria,
            lang.pick("tiêu chí", "criteria"),
            sh.sub_criteria,
            lang.pick("tiêu chí thành phần", "sub-criteria"),
            fmt::pts(lang, sh.total),
            lang.pick("điểm", "points")
        ),
        classes,
        bonus: fmt::pts(lang, set.bonus_max),
        penalty: fmt::pts(lang, set.penalty_max),
        areas: tree(lang, &set, None, 1),
    })
}

struct QueueLine {
    name: String,
    group: String,
    href: String,
    state: String,
    state_code: &'static str,
    action: bool,
    areas: String,
    overdue: bool,
}

#[derive(askama::Template)]
#[template(path = "queue.html")]
struct QueuePage {
    l: Layout,
    year: Option<i32>,
    lines: Vec<QueueLine>,
    waiting: usize,
}

/// The sheets of the groups an appraiser is assigned to in the current round, those waiting for
/// them first.
async fn queue(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    if !c.is(Role::Appraiser) && !c.is(Role::Secretariat) {
        return Err(PageError::forbidden(
            "trang này dành cho thẩm định viên",
            "this page is for appraisers",
        ));
    }
    let lang = ctx.lang;
    let year = current_year(&state).await?;
    let mut lines = Vec::new();
    if let Some(year) = year {
        let round = state.db().round(year).await?;
        let now = Timestamp::now();
        for s in state.db().sheets(year).await? {
            let areas: Vec<&str> = c
                .areas
                .iter()
                .filter(|a| a.year == year && a.group == s.group)
                .map(|a| a.area.as_str())
                .collect();
            // Nobody appraises their own unit's sheet.
            if (areas.is_empty() || c.of_unit(&s.unit)) && !c.is(Role::Secretariat) {
                continue;
            }
            let action = matches!(
                s.state,
                SheetState::Submitted
                    | SheetState::Appraisal1
                    | SheetState::ExplanationSubmitted
                    | SheetState::Appraisal2
            );
            lines.push(QueueLine {
                href: format!("/ky/{year}/phieu/{}", s.unit),
                name: s.unit_name.clone(),
                group: s.group.clone(),
                state: lang.pick(s.state.vi(), s.state.en()).to_string(),
                state_code: s.state.as_str(),
                action,
                areas: areas.join(", "),
                overdue: overdue(&s, &round, now).is_some(),
            });
        }
    }
    lines.sort_by(|a, b| {
        b.action
            .cmp(&a.action)
            .then_with(|| a.group.cmp(&b.group))
            .then_with(|| text::compare(&a.name, &b.name))
    });
    let waiting = lines.iter().filter(|l| l.action).count();
    ok(&QueuePage {
        l: ctx.layout(i18n::t(lang, "queue.title")),
        year,
        lines,
        waiting,
    })
}
