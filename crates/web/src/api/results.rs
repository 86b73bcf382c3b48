//! Results: the secretariat (and leaders) preview a round's results computed from the sheets'
//! final points; the secretariat publishes a group once all its sheets are approved; anyone,
//! signed in or not, reads what was published.

use crate::api::evidence::content_disposition;
use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result, problem};
use crate::extract::{Json, Path};
use crate::locale::Lang;
use crate::views::{ErrorBody, GroupResultView, PublishedIndexItem, RankedView, SummaryView};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parindex_core::ranking::GroupResult;
use parindex_store::sheets::SheetState;
use parindex_store::users::Role;
use parindex_store::{Actor, ErrorKind};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .routes(routes!(publish))
        .routes(routes!(public_index))
        .routes(routes!(public_group))
        .routes(routes!(public_group_file))
}

fn group_view(year: i32, set: &str, decimals: u32, g: &GroupResult) -> GroupResultView {
    GroupResultView {
        year,
        group: g.group.code.clone(),
        set: set.to_string(),
        decimals,
        revision: None,
        reason: None,
        published_at: None,
        units: g.units.iter().map(RankedView::from).collect(),
        summary: g.summary.as_ref().map(SummaryView::from),
    }
}

/// The round's results as they stand, computed from every sheet's final points (round 2, else
/// round 1, else self-assessed) and appraised bonus and penalty; not published.
#[utoipa::path(get, path = "/api/rounds/{year}/results", tag = "results", params(("year" = i32, Path)),
    responses((status = 200, body = [GroupResultView]), (status = "4XX", body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
) -> Result<axum::Json<Vec<GroupResultView>>> {
    if !(c.is(Role::Secretariat) || c.is(Role::Leader)) {
        return Err(Error::forbidden(
            "chỉ cơ quan thường trực và lãnh đạo được xem kết quả chưa công bố",
            "only the secretariat and leaders may see unpublished results",
        ));
    }
    state.db().round(year).await?;
    let computed = state.db().round_results(year).await?;
    Ok(axum::Json(
        computed
            .iter()
            .flat_map(|s| {
                s.results
                    .groups
                    .iter()
                    .map(|g| group_view(year, &s.results.set, s.results.decimals, g))
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct PublishRequest {
    /// The decision announcing the results (or what a correction corrects); logged.
    pub reason: String,
    /// The groups to publish; default: every group of the round.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
}

/// Publishes groups of the round (secretariat): every sheet of each group must be approved (or
/// already published, for a correction); the results are computed, stored as the group's next
/// revision, and the approved sheets become published.
#[utoipa::path(post, path = "/api/rounds/{year}/results/publish", tag = "results",
    params(("year" = i32, Path)), request_body = PublishRequest,
    responses((status = 200, body = [GroupResultView]), (status = "4XX", body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(year): Path<i32>,
    Json(req): Json<PublishRequest>,
) -> Result<axum::Json<Vec<GroupResultView>>> {
    secretariat(&c, "công bố kết quả", "publish results")?;
    if req.reason.trim().is_empty() {
        return Err(Error::invalid(
            "reason",
            "cần ghi căn cứ công bố (số quyết định) hoặc lý do đính chính",
            "a reason is needed: the decision published, or what the correction corrects",
        ));
    }
    let db = state.db();
    let round = db.round(year).await?;
    let groups: Vec<String> = match req.groups {
        Some(g) => g,
        None => round.groups.iter().map(|(g, _)| g.clone()).collect(),
    };
    let sheets = db.sheets(year).await?;
    // Every check before the first write: a group not ready publishes nothing at all.
    for group in &groups {
        if !round.groups.iter().any(|(g, _)| g == group) {
            return Err(Error::NotFound(problem(
                format!("kỳ {year} không có khối \"{group}\""),
                format!("round {year} has no group \"{group}\""),
            )));
        }
        let members: Vec<_> = sheets.iter().filter(|s| &s.group == group).collect();
        let waiting: Vec<String> = members
            .iter()
            .filter(|s| !matches!(s.state, SheetState::Approved | SheetState::Published))
            .map(|s| s.unit.clone())
            .collect();
        if !waiting.is_empty() || !members.iter().any(|s| s.state == SheetState::Approved) {
            let list = waiting.join(", ");
            return Err(Error::Conflict(problem(
                if waiting.is_empty() {
                    format!("khối \"{group}\": không có phiếu nào mới được phê duyệt để công bố")
                } else {
                    format!("khối \"{group}\": các phiếu chưa được phê duyệt: {list}")
                },
                if waiting.is_empty() {
                    format!("group \"{group}\": no newly approved sheet to publish")
                } else {
                    format!("group \"{group}\": sheets not yet approved: {list}")
                },
            )));
        }
    }
    let computed = db.round_results(year).await?;
    let actor = Actor::new(c.name()).because(req.reason.trim());
    let mut out = Vec::new();
    for group in &groups {
        let results = computed
            .iter()
            .find(|s| s.results.groups.iter().any(|g| &g.group.code == group))
            .map(|s| &s.results)
            .ok_or_else(|| anyhow::anyhow!("group {group} missing from computed results"))?;
        let published = db.publish(results, group, &actor).await?;
        for s in sheets
            .iter()
            .filter(|s| &s.group == group && s.state == SheetState::Approved)
        {
            db.transition(year, &s.unit, s.version, SheetState::Published, &actor)
                .await?;
        }
        out.push(GroupResultView::from(&published));
    }
    Ok(axum::Json(out))
}

/// What has been published: every round and group with its latest revision. No sign-in.
#[utoipa::path(get, path = "/api/public/results", tag = "public",
    responses((status = 200, body = [PublishedIndexItem])))]
async fn public_index(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<PublishedIndexItem>>> {
    let mut out = Vec::new();
    for round in state.db().rounds().await? {
        for (group, _) in &round.groups {
            if let Some(last) = state.db().revisions(round.year, group).await?.last() {
                out.push(PublishedIndexItem {
                    year: round.year,
                    group: group.clone(),
                    revision: last.revision,
                    published_at: last.published_at.to_string(),
                    href: format!("/api/public/results/{}/{group}", round.year),
                });
            }
        }
    }
    Ok(axum::Json(out))
}

/// A group's published ranking (latest revision) as a file. `csv`: one row per unit, decimal
/// points, fixed English headers (as `parindex export results --format csv`); `xlsx`: the
/// announcement's table with its decision, in the caller's language. No sign-in.
#[utoipa::path(get, path = "/api/public/results/{year}/{group}/{format}", tag = "public",
    params(("year" = i32, Path), ("group" = String, Path),
        ("format" = String, Path, description = "csv or xlsx")),
    responses((status = 200, description = "The file, as an attachment"),
        (status = 404, body = ErrorBody)))]
async fn public_group_file(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, group, format)): Path<(i32, String, String)>,
) -> Result<Response> {
    let not_published = || {
        Error::not_found(
            format!("chưa công bố kết quả của khối \"{group}\" năm {year}"),
            format!("no results of group \"{group}\" for {year} have been published"),
        )
    };
    if format != "csv" && format != "xlsx" {
        return Err(Error::not_found(
            format!("không có định dạng \"{format}\" (có csv, xlsx)"),
            format!("no format \"{format}\" (there are csv and xlsx)"),
        ));
    }
    let db = state.db();
    let (set, results, reason) = match db.published_results(year, &group).await {
        Ok(r) => r,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(not_published()),
        Err(e) => return Err(e.into()),
    };
    let (bytes, content_type) = if format == "csv" {
        (
            parindex_core::ranking::results_csv(&results).into_bytes(),
            "text/csv; charset=utf-8",
        )
    } else {
        let bytes = parindex_report::results_xlsx::write_results_xlsx(
            &results,
            &set,
            Some(reason.as_str()).filter(|r| !r.is_empty()),
            lang,
        )
        .map_err(|e| Error::Internal(anyhow::anyhow!("results workbook: {e}")))?;
        (
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    let name = format!("ket-qua-{year}-{group}.{format}");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&name)),
        ],
        bytes,
    )
        .into_response())
}

/// A group's published ranking (latest revision). No sign-in.
#[utoipa::path(get, path = "/api/public/results/{year}/{group}", tag = "public",
    params(("year" = i32, Path), ("group" = String, Path)),
    responses((status = 200, body = GroupResultView), (status = 404, body = ErrorBody)))]
async fn public_group(
    State(state): State<AppState>,
    Path((year, group)): Path<(i32, String)>,
) -> Result<axum::Json<GroupResultView>> {
    match state.db().published(year, &group).await {
        Ok(p) => Ok(axum::Json(GroupResultView::from(&p))),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::not_found(
            format!("chưa công bố kết quả của khối \"{group}\" năm {year}"),
            format!("no results of group \"{group}\" for {year} have been published"),
        )),
        Err(e) => Err(e.into()),
    }
}
