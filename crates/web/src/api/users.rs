//! Users (secretariat): accounts, roles and unit, activation, password resets and appraisers'
//! area assignments.

use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::{SignedIn, check_password, hash_password};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::views::{AreaView, ErrorBody, UserView};
use axum::extract::State;
use axum::http::StatusCode;
use parindex_core::locale::Locale;
use parindex_store::Actor;
use parindex_store::users::{Role, UserFields};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(set_active))
        .routes(routes!(reset_password))
        .routes(routes!(areas, assign))
        .routes(routes!(unassign))
}

#[derive(Deserialize, ToSchema)]
pub struct UserInput {
    pub display_name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// The unit of a unit officer.
    #[serde(default)]
    pub unit: Option<String>,
    /// `vi` (default) or `en`.
    #[serde(default)]
    pub locale: Option<String>,
    /// `secretariat`, `appraiser`, `unit_officer`, `leader`.
    pub roles: Vec<String>,
}

impl UserInput {
    fn fields(self) -> Result<UserFields> {
        let locale = match self.locale.as_deref() {
            None => Locale::Vi,
            Some(l) => Locale::parse(l).ok_or_else(|| {
                Error::invalid(
                    "locale",
                    format!("ngôn ngữ \"{l}\" không hỗ trợ: dùng vi hoặc en"),
                    format!("unsupported language \"{l}\": use vi or en"),
                )
            })?,
        };
        let roles = self
            .roles
            .iter()
            .map(|r| {
                Role::parse(r).ok_or_else(|| {
                    Error::invalid(
                        "roles",
                        format!("không có vai trò \"{r}\""),
                        format!("there is no role \"{r}\""),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if roles.contains(&Role::UnitOfficer) && self.unit.is_none() {
            return Err(Error::invalid(
                "unit",
                "cán bộ đơn vị cần có đơn vị",
                "a unit officer needs a unit",
            ));
        }
        Ok(UserFields {
            display_name: self.display_name,
            email: self.email,
            unit: self.unit,
            locale,
            roles,
        })
    }
}

/// Every user (secretariat).
#[utoipa::path(get, path = "/api/users", tag = "users",
    responses((status = 200, body = [UserView]), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
) -> Result<axum::Json<Vec<UserView>>> {
    secretariat(&c, "xem danh sách người dùng", "list users")?;
    Ok(axum::Json(
        state
            .db()
            .users()
            .await?
            .iter()
            .map(UserView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    #[serde(flatten)]
    pub fields: UserInput,
}

/// Creates a user (secretariat).
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(req): Json<NewUser>,
) -> Result<(StatusCode, axum::Json<UserView>)> {
    secretariat(&c, "tạo người dùng", "create users")?;
    check_password(&req.password)?;
    let fields = req.fields.fields()?;
    let hash = hash_password(&req.password).await;
    let u = state
        .db()
        .create_user(&req.username, &fields, &hash, &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(UserView::from(&u))))
}

/// One user (secretariat).
#[utoipa::path(get, path = "/api/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
) -> Result<axum::Json<UserView>> {
    secretariat(&c, "xem người dùng", "see users")?;
    Ok(axum::Json(UserView::from(
        &state.db().user(&username).await?,
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct UserUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub fields: UserInput,
}

/// Changes a user's name, unit, language and roles (secretariat).
#[utoipa::path(put, path = "/api/users/{username}", tag = "users", params(("username" = String, Path)),
    request_body = UserUpdate,
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
    Json(req): Json<UserUpdate>,
) -> Result<axum::Json<UserView>> {
    secretariat(&c, "sửa người dùng", "change users")?;
    let fields = req.fields.fields()?;
    let u = state
        .db()
        .update_user(&username, req.version, &fields, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(UserView::from(&u)))
}

#[derive(Deserialize, ToSchema)]
pub struct UserActive {
    pub version: i64,
    pub active: bool,
}

/// Activates or deactivates a user (secretariat); deactivating ends their sessions.
#[utoipa::path(put, path = "/api/users/{username}/active", tag = "users", params(("username" = String, Path)),
    request_body = UserActive,
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
async fn set_active(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
    Json(req): Json<UserActive>,
) -> Result<axum::Json<UserView>> {
    secretariat(&c, "khóa hoặc mở tài khoản", "activate or deactivate users")?;
    let u = state
        .db()
        .set_user_active(&username, req.version, req.active, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(UserView::from(&u)))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

/// Sets a new password for a user (secretariat); their sessions end.
#[utoipa::path(put, path = "/api/users/{username}/password", tag = "users", params(("username" = String, Path)),
    request_body = PasswordReset,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
    Json(req): Json<PasswordReset>,
) -> Result<StatusCode> {
    secretariat(&c, "đặt lại mật khẩu", "reset passwords")?;
    check_password(&req.password)?;
    state.db().user(&username).await?;
    let hash = hash_password(&req.password).await;
    state
        .db()
        .set_password_hash(&username, &hash, &Actor::new(c.name()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An appraiser's area assignments (secretariat).
#[utoipa::path(get, path = "/api/users/{username}/areas", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = [AreaView]), (status = "4XX", body = ErrorBody)))]
async fn areas(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
) -> Result<axum::Json<Vec<AreaView>>> {
    secretariat(&c, "xem phân công thẩm định", "see appraisal assignments")?;
    state.db().user(&username).await?;
    Ok(axum::Json(
        state
            .db()
            .areas_of(&username)
            .await?
            .iter()
            .map(AreaView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Assignment {
    pub year: i32,
    pub group: String,
    /// A level-1 code of the group's set (`2`).
    pub area: String,
}

/// Assigns an appraiser to an area of a group's set in a round (secretariat).
#[utoipa::path(post, path = "/api/users/{username}/areas", tag = "users", params(("username" = String, Path)),
    request_body = Assignment,
    responses((status = 201, body = [AreaView]), (status = "4XX", body = ErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(username): Path<String>,
    Json(req): Json<Assignment>,
) -> Result<(StatusCode, axum::Json<Vec<AreaView>>)> {
    secretariat(&c, "phân công thẩm định", "assign appraisers")?;
    state
        .db()
        .assign_area(
            &username,
            req.year,
            &req.group,
            &req.area,
            &Actor::new(c.name()),
        )
        .await?;
    let areas = state.db().areas_of(&username).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(areas.iter().map(AreaView::from).collect()),
    ))
}

/// Removes an assignment (secretariat).
#[utoipa::path(delete, path = "/api/users/{username}/areas/{year}/{group}/{area}", tag = "users",
    params(("username" = String, Path), ("year" = i32, Path), ("group" = String, Path), ("area" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn unassign(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((username, year, group, area)): Path<(String, i32, String, String)>,
) -> Result<StatusCode> {
    secretariat(&c, "bỏ phân công thẩm định", "remove appraisal assignments")?;
    state
        .db()
        .unassign_area(&username, year, &group, &area, &Actor::new(c.name()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
