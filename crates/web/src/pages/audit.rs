//! The audit trail of a sheet: every change to it, its entries, proposals and evidence, newest
//! first, for whoever may read the sheet. (One sub-criterion's trail is on its own page.)

use crate::api::readable_sheet;
use crate::api::sheets::may_audit;
use crate::app::AppState;
use crate::pages::sheet::{AuditRow, audit_rows};
use crate::pages::{Layout, PageResult, Signed, ok};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/ky/{year}/phieu/{unit}/nhat-ky", get(sheet_trail))
}

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    year: i32,
    unit_name: String,
    sheet_href: String,
    trail: Vec<AuditRow>,
}

async fn sheet_trail(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
) -> PageResult {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    may_audit(&c, &sheet)?;
    let trail = state.db().audit_of_sheet(year, &unit).await?;
    ok(&AuditPage {
        l: ctx.layout(format!(
            "{} — {}",
            crate::pages::i18n::t(ctx.lang, "audit.title"),
            sheet.unit_name
        )),
        year,
        sheet_href: format!("/ky/{year}/phieu/{unit}"),
        trail: audit_rows(ctx.lang, &trail, year, &unit),
        unit_name: sheet.unit_name,
    })
}
