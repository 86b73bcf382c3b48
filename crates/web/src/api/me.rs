//! The signed-in user: who they are, and changing their own password.

use crate::app::AppState;
use crate::auth::{SignedIn, check_password, hash_password, verify_password};
use crate::error::{Error, Result};
use crate::extract::Json;
use crate::views::{AreaView, ErrorBody, UserView};
use axum::extract::State;
use axum::http::StatusCode;
use parindex_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub areas: Vec<AreaView>,
}

/// The signed-in user with their appraisal assignments.
#[utoipa::path(get, path = "/api/me", tag = "me",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(SignedIn(c): SignedIn) -> axum::Json<MeView> {
    axum::Json(MeView {
        user: UserView::from(&c.user),
        areas: c.areas.iter().map(AreaView::from).collect(),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes one's own password; every session of the user ends (sign in again).
#[utoipa::path(put, path = "/api/me/password", tag = "me", request_body = ChangePassword,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(req): Json<ChangePassword>,
) -> Result<StatusCode> {
    let creds = state
        .db()
        .credentials(c.name())
        .await?
        .ok_or(Error::Unauthenticated)?;
    if !verify_password(&req.current_password, &creds.password_hash).await {
        return Err(Error::invalid(
            "current_password",
            "mật khẩu hiện tại không đúng",
            "the current password is wrong",
        ));
    }
    check_password(&req.new_password)?;
    let hash = hash_password(&req.new_password).await;
    state
        .db()
        .set_password_hash(c.name(), &hash, &Actor::new(c.name()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
