//! Signing in and out: `POST /api/session` (returns the CSRF token), `GET` (who am I, and the
//! token again after a reload), `DELETE` (sign out).

use crate::app::AppState;
use crate::auth::{PeerAddr, SignedIn, session_cookie, sign_in};
use crate::error::{Error, Result};
use crate::extract::Json;
use crate::views::{AreaView, ErrorBody, UserView};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login, current, logout))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    pub areas: Vec<AreaView>,
    /// Send it back in `X-CSRF-Token` with every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
}

/// Refuses a sign-in posted from another site's page (a browser always says where it came from
/// in `Origin`; API clients usually send none).
fn same_origin(headers: &HeaderMap) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    if origin_host == host {
        Ok(())
    } else {
        Err(Error::CsrfInvalid)
    }
}

/// Sign in.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody),
              (status = 429, description = "Locked out after too many failures", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response> {
    same_origin(&headers)?;
    let ip = state.client_ip(&headers, peer);
    let (user, secret, csrf) = sign_in(&state, &req.username, &req.password, &ip).await?;
    let areas = state.db().areas_of(&user.username).await?;
    let body = SessionView {
        user: UserView::from(&user),
        areas: areas.iter().map(AreaView::from).collect(),
        csrf_token: csrf,
    };
    let cookie = session_cookie(&state, &headers, Some(&secret));
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

/// The signed-in user and the CSRF token.
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody)))]
async fn current(SignedIn(c): SignedIn) -> axum::Json<SessionView> {
    axum::Json(SessionView {
        user: UserView::from(&c.user),
        areas: c.areas.iter().map(AreaView::from).collect(),
        csrf_token: c.csrf.clone(),
    })
}

/// Sign out: the session is deleted and the cookie cleared.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(c): SignedIn,
) -> Result<Response> {
    state.db().delete_session(c.session_hash()).await?;
    let cookie = session_cookie(&state, &headers, None);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
