//! Results: the published rankings (anyone, no sign-in), a unit's scorecard (points and points
//! lost by area as charts, the sub-criteria where most was lost, and a link to the unit's action
//! plan with its progress for those who may read it), and for the secretariat and
//! leaders the round's results as they stand, with publication by group.

use crate::api::can_read;
use crate::app::AppState;
use crate::pages::cache::Cache;
use crate::pages::charts::{self, AreaPoints};
use crate::pages::form::Form;
use crate::pages::guard::see_other;
use crate::pages::internal::Api;
use crate::pages::{Ctx, Layout, PageError, PageResult, Signed, fmt, i18n, ok, render};
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::analysis::lost::points_lost;
use parindex_core::locale::Locale;
use parindex_core::ranking::{RankedUnit, Summary};
use parindex_core::set::CriteriaSet;
use parindex_store::ErrorKind;
use parindex_store::sheets::SheetState;
use parindex_store::users::Role;
use rust_decimal::Decimal;
use serde_json::json;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/xep-hang", get(index))
        .route("/xep-hang/{year}/{group}", get(ranking))
        .route("/xep-hang/{year}/{group}/{unit}", get(scorecard))
        .route("/ky/{year}/ket-qua", get(preview))
        .route("/ky/{year}/cong-bo", post(publish))
}

/// A ranked unit as the tables show it.
pub(crate) struct RankRow {
    pub rank: u32,
    pub name: String,
    pub href: String,
    pub direct: String,
    pub survey: String,
    pub bonus: String,
    pub penalty: String,
    pub total: String,
    pub max: String,
    pub percent: String,
    pub class_label: String,
    pub class_slot: usize,
    pub delta_total: String,
    pub delta_rank: String,
    /// 1 up, -1 down, 0 same or unknown.
    pub trend: i8,
}

pub(crate) struct SummaryView {
    pub count: usize,
    pub average_total: String,
    pub average_percent: String,
    pub min_total: String,
    pub max_total: String,
    pub spread: String,
}

/// Colour slot of a class: the best classes first, the last class always the warning colour.
fn class_slot(class: Option<usize>, count: usize) -> usize {
    match class {
        Some(c) if count > 1 && c + 1 == count => 4,
        Some(c) => c.min(3),
        None => 4,
    }
}

pub(crate) fn class_label(lang: Locale, set: Option<&CriteriaSet>, u: &RankedUnit) -> String {
    let from_set = set
        .zip(u.class)
        .and_then(|(s, c)| s.classes.classes.get(c))
        .map(|c| match (lang, &c.label_en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => c.label.clone(),
        });
    from_set
        .or_else(|| u.class_label.clone())
        .unwrap_or_else(|| "—".into())
}

pub(crate) fn rank_rows(
    lang: Locale,
    set: Option<&CriteriaSet>,
    units: &[RankedUnit],
    decimals: u32,
    year: i32,
    group: &str,
) -> Vec<RankRow> {
    let classes = set.map_or(5, |s| s.classes.classes.len());
    units
        .iter()
        .map(|u| {
            let (delta_rank, trend) = match u.delta_rank {
                Some(d) if d > 0 => (format!("▲ {d}"), 1),
                Some(d) if d < 0 => (format!("▼ {}", -d), -1),
                Some(_) => ("=".into(), 0),
                None => ("—".into(), 0),
            };
            let delta_total = match u.delta_total {
                Some(d) if d > Decimal::ZERO => format!("+{}", lang.decimal(d, decimals)),
                Some(d) => lang.decimal(d, decimals),
                None => "—".into(),
            };
            RankRow {
                rank: u.rank,
                name: u.name.clone(),
                href: format!("/xep-hang/{year}/{group}/{}", u.unit),
                direct: lang.decimal(u.direct, decimals),
                survey: lang.decimal(u.survey, decimals),
                bonus: lang.decimal(u.bonus, decimals),
                penalty: lang.decimal(u.penalty, decimals),
                total: lang.decimal(u.total, decimals),
                max: fmt::pts(lang, u.max),
                percent: lang.decimal(u.percent, decimals),
                class_label: class_label(lang, set, u),
                class_slot: class_slot(u.class, classes),
                delta_total,
                delta_rank,
                trend,
            }
        })
        .collect()
}

pub(crate) fn summary_view(lang: Locale, s: &Summary, decimals: u32) -> SummaryView {
    SummaryView {
        count: s.count,
        average_total: lang.decimal(s.average_total, decimals),
        average_percent: lang.decimal(s.average_percent, decimals),
        min_total: lang.decimal(s.min_total, decimals),
        max_total: lang.decimal(s.max_total, decimals),
        spread: lang.decimal(s.spread, decimals),
    }
}

fn group_name(lang: Locale, set: Option<&CriteriaSet>, group: &str) -> String {
    set.and_then(|s| s.group(group))
        .map(|g| match (lang, &g.name_en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => g.name.clone(),
        })
        .unwrap_or_else(|| group.to_string())
}

struct IndexItem {
    year: i32,
    name: String,
    href: String,
    published_at: String,
    revision: i64,
}

#[derive(askama::Template)]
#[template(path = "results_index.html")]
struct IndexPage {
    l: Layout,
    items: Vec<IndexItem>,
    /// Closed surveys' public rankings: (address, title), newest round first.
    surveys: Vec<(String, String)>,
}

async fn index(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    ctx: Ctx,
) -> PageResult {
    let db = state.db();
    let mut items = Vec::new();
    let mut rounds = db.rounds().await?;
    rounds.sort_by_key(|r| std::cmp::Reverse(r.year));
    let mut surveys = Vec::new();
    for round in rounds {
        for s in db.surveys(round.year).await? {
            if s.state == parindex_store::survey::SurveyState::Closed {
                surveys.push((
                    format!("/khao-sat/{}/{}/xep-hang", round.year, s.code),
                    format!("{} {}", s.title, round.year),
                ));
            }
        }
        for (group, _) in &round.groups {
            if let Some(last) = db.revisions(round.year, group).await?.last() {
                let set = cache.set(db, &round, group).await.ok();
                items.push(IndexItem {
                    year: round.year,
                    name: group_name(ctx.lang, set.as_deref(), group),
                    href: format!("/xep-hang/{}/{group}", round.year),
                    published_at: fmt::date_time(ctx.lang, last.published_at),
                    revision: last.revision,
                });
            }
        }
    }
    items.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then_with(|| parindex_core::text::compare(&a.name, &b.name))
    });
    ok(&IndexPage {
        l: ctx.layout(i18n::t(ctx.lang, "results.index_title")),
        items,
        surveys,
    })
}

#[derive(askama::Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    l: Layout,
    year: i32,
    group_name: String,
    rows: Vec<RankRow>,
    summary: Option<SummaryView>,
    revision: i64,
    reason: String,
    published_at: String,
    /// The public API's address of this ranking as files (`/csv`, `/xlsx`).
    download: String,
}

/// A group's published ranking (latest revision). No sign-in.
async fn ranking(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    ctx: Ctx,
    Path((year, group)): Path<(i32, String)>,
) -> PageResult {
    let db = state.db();
    let published = match db.published(year, &group).await {
        Ok(p) => p,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(PageError::not_found(
                format!("chưa công bố kết quả của khối \"{group}\" năm {year}"),
                format!("no results of group \"{group}\" for {year} have been published"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let set = match cache.round(db, year).await {
        Ok(round) => cache.set(db, &round, &group).await.ok(),
        Err(_) => None,
    };
    let lang = ctx.lang;
    let name = group_name(lang, set.as_deref(), &group);
    ok(&RankingPage {
        l: ctx.layout(format!(
            "{} {year} — {name}",
            i18n::t(lang, "results.ranking")
        )),
        year,
        rows: rank_rows(
            lang,
            set.as_deref(),
            &published.units,
            published.decimals,
            year,
            &group,
        ),
        summary: published
            .summary
            .as_ref()
            .map(|s| summary_view(lang, s, published.decimals)),
        revision: published.revision,
        reason: published.reason.clone(),
        published_at: fmt::date_time(lang, published.published_at),
        group_name: name,
        download: format!("/api/public/results/{year}/{group}"),
    })
}

/// One area's line in the scorecard table.
struct AreaLine {
    code: String,
    title: String,
    max: String,
    points: String,
    lost: String,
    percent: String,
    lost_vs_best: String,
}

/// A sub-criterion where points were lost.
struct LostLine {
    code: String,
    title: String,
    max: String,
    points: String,
    lost: String,
    href: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage {
    l: Layout,
    year: i32,
    unit_name: String,
    group_name: String,
    ranking_href: String,
    row: Option<RankRow>,
    of: usize,
    published: bool,
    areas: Vec<AreaLine>,
    lost: Vec<LostLine>,
    bar_svg: String,
    radar_svg: String,
    total_points: String,
    total_max: String,
    total_lost: String,
    sheet_href: Option<String>,
    /// The unit's action plan and its progress, for those who may read the plan.
    plan: Option<PlanLink>,
}

/// Where the scorecard links to the unit's action plan, with its progress.
struct PlanLink {
    href: String,
    done: i64,
    total: i64,
    overdue: i64,
}

/// A unit's scorecard: public once its sheet is published, else for whoever may read the sheet.
async fn scorecard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, group, unit)): Path<(i32, String, String)>,
) -> PageResult {
    let db = state.db();
    let sheet = db.sheet(year, &unit).await?;
    if sheet.group != group {
        return Err(PageError::not_found(
            format!("đơn vị {unit} không thuộc khối {group}"),
            format!("unit {unit} is not in group {group}"),
        ));
    }
    let published = sheet.state == SheetState::Published;
    let reader = ctx.caller.as_ref().is_some_and(|c| can_read(c, &sheet));
    if !published && !reader {
        return match ctx.caller {
            None => Err(PageError::SignIn),
            Some(_) => Err(PageError::forbidden(
                "kết quả của đơn vị này chưa được công bố",
                "this unit's results have not been published",
            )),
        };
    }
    let lang = ctx.lang;
    let computed = db.round_results(year).await?;
    let Some(sr) = computed
        .iter()
        .find(|s| s.scores.iter().any(|u| u.unit == unit))
    else {
        return Err(PageError::not_found(
            format!("chưa có kết quả của đơn vị {unit} năm {year}"),
            format!("no results for unit {unit} in {year}"),
        ));
    };
    let set = &sr.set;
    let score = sr
        .scores
        .iter()
        .find(|u| u.unit == unit)
        .ok_or_else(|| PageError::not_found("không có kết quả", "no results"))?;
    let peers: Vec<_> = sr
        .scores
        .iter()
        .filter(|u| u.group == group)
        .cloned()
        .collect();
    let report = points_lost(set, score, &peers);
    // The published row where there is one (what was announced), else the computed one.
    let decimals = set.scoring.decimals;
    let published_row = match db.published(year, &group).await {
        Ok(p) => p
            .units
            .iter()
            .position(|u| u.unit == unit)
            .map(|i| (p.units.clone(), i, p.decimals)),
        Err(_) => None,
    };
    let (row, of) = match published_row {
        Some((units, i, d)) => (
            rank_rows(lang, Some(set), &units[i..=i], d, year, &group).pop(),
            units.len(),
        ),
        None => {
            let g = sr.results.groups.iter().find(|g| g.group.code == group);
            let units = g.map(|g| g.units.clone()).unwrap_or_default();
            let row = units.iter().position(|u| u.unit == unit).and_then(|i| {
                rank_rows(lang, Some(set), &units[i..=i], decimals, year, &group).pop()
            });
            (row, units.len())
        }
    };
    let title = |code: &str, vi: &str| {
        set.node(code)
            .map(|n| match (lang, &n.title_en) {
                (Locale::En, Some(t)) => t.clone(),
                _ => n.title.clone(),
            })
            .unwrap_or_else(|| vi.to_string())
    };
    let mut chart_items = Vec::new();
    let mut areas = Vec::new();
    for n in report.nodes.iter().filter(|n| n.level == 1) {
        let t = title(&n.code, &n.title);
        chart_items.push(AreaPoints {
            code: n.code.clone(),
            title: t.clone(),
            points: n.points,
            max: n.max,
        });
        areas.push(AreaLine {
            code: n.code.clone(),
            title: t,
            max: fmt::pts(lang, n.max),
            points: fmt::pts(lang, n.points.round_dp(2)),
            lost: fmt::pts(lang, n.lost.round_dp(2)),
            percent: fmt::percent(lang, n.points, n.max),
            lost_vs_best: fmt::pts(lang, n.lost_vs_best.round_dp(2)),
        });
    }
    let mut leaves: Vec<_> = report
        .nodes
        .iter()
        .filter(|n| set.node(&n.code).is_some_and(|x| x.is_leaf()) && n.lost > Decimal::ZERO)
        .collect();
    leaves.sort_by(|a, b| b.lost.cmp(&a.lost).then_with(|| a.code.cmp(&b.code)));
    let may_open = reader;
    let lost = leaves
        .iter()
        .take(10)
        .map(|n| LostLine {
            code: n.code.clone(),
            title: title(&n.code, &n.title),
            max: fmt::pts(lang, n.max),
            points: fmt::pts(lang, n.points.round_dp(2)),
            lost: fmt::pts(lang, n.lost.round_dp(2)),
            href: may_open.then(|| format!("/ky/{year}/phieu/{unit}/muc/{}", n.code)),
        })
        .collect();
    let plan = match &ctx.caller {
        Some(c) if crate::api::plans::plan_reader(c, &unit).is_ok() => {
            let p = db
                .unit_progress(year, &unit, &parindex_store::plans::today())
                .await?;
            Some(PlanLink {
                href: format!("/ky/{year}/ke-hoach/{unit}"),
                done: p.done,
                total: p.total,
                overdue: p.overdue,
            })
        }
        _ => None,
    };
    let bar_title = format!(
        "{} — {}",
        i18n::t(lang, "scorecard.bar_title"),
        sheet.unit_name
    );
    let radar_title = format!(
        "{} — {}",
        i18n::t(lang, "scorecard.radar_title"),
        sheet.unit_name
    );
    ok(&ScorecardPage {
        l: ctx.layout(format!("{} — {year}", sheet.unit_name)),
        year,
        group_name: group_name(lang, Some(set), &group),
        ranking_href: format!("/xep-hang/{year}/{group}"),
        row,
        of,
        published,
        bar_svg: charts::bars(lang, "chart-bars", &bar_title, &chart_items),
        radar_svg: charts::radar(lang, "chart-radar", &radar_title, &chart_items),
        areas,
        lost,
        total_points: fmt::pts(lang, report.points.round_dp(2)),
        total_max: fmt::pts(lang, report.max),
        total_lost: fmt::pts(lang, report.lost.round_dp(2)),
        sheet_href: reader.then(|| format!("/ky/{year}/phieu/{unit}")),
        plan,
        unit_name: sheet.unit_name,
    })
}

/// A group of the round as it stands, with how many of its sheets are approved.
struct PreviewGroup {
    code: String,
    name: String,
    rows: Vec<RankRow>,
    summary: Option<SummaryView>,
    approved: usize,
    published: usize,
    sheets: usize,
    ready: bool,
    public_href: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "preview.html")]
struct PreviewPage {
    l: Layout,
    year: i32,
    groups: Vec<PreviewGroup>,
    can_publish: bool,
    errors: Vec<String>,
    reason: String,
}

async fn preview_page(
    state: &AppState,
    ctx: &Ctx,
    c: &crate::auth::Caller,
    year: i32,
    errors: Vec<String>,
    reason: String,
) -> PageResult<PreviewPage> {
    if !(c.is(Role::Secretariat) || c.is(Role::Leader)) {
        return Err(PageError::forbidden(
            "chỉ cơ quan thường trực và lãnh đạo được xem kết quả chưa công bố",
            "only the secretariat and leaders may see unpublished results",
        ));
    }
    let db = state.db();
    db.round(year).await?;
    let lang = ctx.lang;
    let sheets = db.sheets(year).await?;
    let computed = db.round_results(year).await?;
    let mut groups = Vec::new();
    for sr in &computed {
        for g in &sr.results.groups {
            let members: Vec<_> = sheets.iter().filter(|s| s.group == g.group.code).collect();
            let approved = members
                .iter()
                .filter(|s| s.state == SheetState::Approved)
                .count();
            let published = members
                .iter()
                .filter(|s| s.state == SheetState::Published)
                .count();
            let public = db.revisions(year, &g.group.code).await?.last().is_some();
            groups.push(PreviewGroup {
                code: g.group.code.clone(),
                name: group_name(lang, Some(&sr.set), &g.group.code),
                rows: rank_rows(
                    lang,
                    Some(&sr.set),
                    &g.units,
                    sr.results.decimals,
                    year,
                    &g.group.code,
                ),
                summary: g
                    .summary
                    .as_ref()
                    .map(|s| summary_view(lang, s, sr.results.decimals)),
                sheets: members.len(),
                ready: approved > 0 && approved + published == members.len(),
                approved,
                published,
                public_href: public.then(|| format!("/xep-hang/{year}/{}", g.group.code)),
            });
        }
    }
    groups.sort_by(|a, b| parindex_core::text::compare(&a.name, &b.name));
    Ok(PreviewPage {
        l: ctx.layout(format!("{} {year}", i18n::t(lang, "preview.title"))),
        year,
        groups,
        can_publish: c.is(Role::Secretariat),
        errors,
        reason,
    })
}

async fn preview(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
) -> PageResult {
    ok(&preview_page(&state, &ctx, &c, year, Vec::new(), String::new()).await?)
}

/// Publishes the chosen groups (the API checks every sheet is approved and records the reason).
async fn publish(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(year): Path<i32>,
    form: Form,
) -> PageResult {
    let reason = form.text("reason");
    let groups: Vec<String> = form.all("group").into_iter().map(str::to_string).collect();
    if groups.is_empty() {
        let msg = i18n::t(ctx.lang, "preview.no_group").to_string();
        let page = preview_page(&state, &ctx, &c, year, vec![msg], reason).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let body = json!({ "reason": reason, "groups": groups });
    let path = format!("/api/rounds/{year}/results/publish");
    match api.json(&c, Method::POST, &path, Some(body)).await {
        Ok(_) => {
            let first = &groups[0];
            Ok(see_other(&format!("/xep-hang/{year}/{first}?ok=published")))
        }
        Err(r) if r.in_place() => {
            let msgs = r
                .problems
                .iter()
                .map(|p| p.message(ctx.lang).to_string())
                .collect();
            let page = preview_page(&state, &ctx, &c, year, msgs, reason).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}
