//! The audit log as a whole: recent entries and the chain check (secretariat).

use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::Result;
use crate::extract::Query;
use crate::views::{AuditView, ErrorBody};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(recent))
        .routes(routes!(verify))
}

#[derive(Deserialize, IntoParams)]
pub struct RecentQuery {
    /// How many entries (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// The newest audit entries, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(RecentQuery),
    responses((status = 200, body = [AuditView]), (status = "4XX", body = ErrorBody)))]
async fn recent(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Query(q): Query<RecentQuery>,
) -> Result<axum::Json<Vec<AuditView>>> {
    secretariat(&c, "xem nhật ký thay đổi", "read the audit log")?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.db().audit_recent(limit).await?;
    Ok(axum::Json(entries.iter().map(AuditView::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct VerifiedView {
    pub entries: i64,
    /// The hash of the last entry: write it down elsewhere to prove later that nothing before
    /// it was cut off or rewritten.
    pub head: String,
}

/// Checks the whole hash chain; a broken chain answers 500 naming the first bad entry in the
/// log (and a generic message to the client).
#[utoipa::path(get, path = "/api/audit/verify", tag = "audit",
    responses((status = 200, body = VerifiedView), (status = "4XX", body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
) -> Result<axum::Json<VerifiedView>> {
    secretariat(&c, "kiểm tra nhật ký thay đổi", "verify the audit log")?;
    let v = state.db().verify_audit().await?;
    Ok(axum::Json(VerifiedView {
        entries: v.entries,
        head: v.head,
    }))
}
