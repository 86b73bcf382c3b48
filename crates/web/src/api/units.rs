//! Units (đơn vị): everyone signed in reads them; the secretariat creates and changes them.

use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::Result;
use crate::extract::{Json, Path};
use crate::views::{ErrorBody, UnitView};
use axum::extract::State;
use axum::http::StatusCode;
use parindex_store::Actor;
use parindex_store::units::UnitFields;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(set_active))
}

/// Every unit, by group then code.
#[utoipa::path(get, path = "/api/units", tag = "units",
    responses((status = 200, body = [UnitView]), (status = 401, body = ErrorBody)))]
async fn list(State(state): State<AppState>, _: SignedIn) -> Result<axum::Json<Vec<UnitView>>> {
    let units = state.db().units().await?;
    Ok(axum::Json(units.iter().map(UnitView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUnit {
    pub code: String,
    #[serde(flatten)]
    pub fields: UnitInput,
}

#[derive(Deserialize, ToSchema)]
pub struct UnitInput {
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// The ranking group (khối), a group code of the round's criteria sets.
    pub group: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
}

impl UnitInput {
    fn fields(self) -> UnitFields {
        UnitFields {
            name: self.name,
            name_en: self.name_en,
            group: self.group,
            level: self.level,
            parent: self.parent,
        }
    }
}

/// Creates a unit (secretariat).
#[utoipa::path(post, path = "/api/units", tag = "units", request_body = NewUnit,
    responses((status = 201, body = UnitView), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(req): Json<NewUnit>,
) -> Result<(StatusCode, axum::Json<UnitView>)> {
    secretariat(&c, "tạo đơn vị", "create units")?;
    let u = state
        .db()
        .create_unit(&req.code, &req.fields.fields(), &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(UnitView::from(&u))))
}

/// One unit.
#[utoipa::path(get, path = "/api/units/{code}", tag = "units", params(("code" = String, Path)),
    responses((status = 200, body = UnitView), (status = "4XX", body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    _: SignedIn,
    Path(code): Path<String>,
) -> Result<axum::Json<UnitView>> {
    Ok(axum::Json(UnitView::from(&state.db().unit(&code).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct UnitUpdate {
    /// The version read: a stale one is refused (409).
    pub version: i64,
    #[serde(flatten)]
    pub fields: UnitInput,
}

/// Changes a unit (secretariat).
#[utoipa::path(put, path = "/api/units/{code}", tag = "units", params(("code" = String, Path)),
    request_body = UnitUpdate,
    responses((status = 200, body = UnitView), (status = "4XX", body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(code): Path<String>,
    Json(req): Json<UnitUpdate>,
) -> Result<axum::Json<UnitView>> {
    secretariat(&c, "sửa đơn vị", "change units")?;
    let u = state
        .db()
        .update_unit(
            &code,
            req.version,
            &req.fields.fields(),
            &Actor::new(c.name()),
        )
        .await?;
    Ok(axum::Json(UnitView::from(&u)))
}

#[derive(Deserialize, ToSchema)]
pub struct ActiveUpdate {
    pub version: i64,
    pub active: bool,
}

/// Activates or deactivates a unit (secretariat); units are never deleted.
#[utoipa::path(put, path = "/api/units/{code}/active", tag = "units", params(("code" = String, Path)),
    request_body = ActiveUpdate,
    responses((status = 200, body = UnitView), (status = "4XX", body = ErrorBody)))]
async fn set_active(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(code): Path<String>,
    Json(req): Json<ActiveUpdate>,
) -> Result<axum::Json<UnitView>> {
    secretariat(
        &c,
        "ngừng hoặc kích hoạt đơn vị",
        "activate or deactivate units",
    )?;
    let u = state
        .db()
        .set_unit_active(&code, req.version, req.active, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(UnitView::from(&u)))
}
