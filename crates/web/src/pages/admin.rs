//! The secretariat's registers: units (code, name, ranking group, level, parent) and users
//! (roles, unit, language, activation, password reset, the areas an appraiser is assigned to).
//! A refused form comes back with each message beside its field and what was typed kept.

use crate::app::AppState;
use crate::pages::form::Form;
use crate::pages::guard::{secretariat, see_other};
use crate::pages::internal::{Api, Refusal};
use crate::pages::{Ctx, Layout, PageResult, Signed, i18n, ok, render};
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::locale::Locale;
use parindex_core::text;
use parindex_store::units::Unit;
use parindex_store::users::{Role, User};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/don-vi", get(units).post(create_unit))
        .route("/don-vi/{code}", get(unit_page).post(update_unit))
        .route("/don-vi/{code}/trang-thai", post(unit_active))
        .route("/nguoi-dung", get(users).post(create_user))
        .route("/nguoi-dung/{username}", get(user_page).post(update_user))
        .route("/nguoi-dung/{username}/trang-thai", post(user_active))
        .route("/nguoi-dung/{username}/mat-khau", post(reset_password))
        .route("/nguoi-dung/{username}/phan-cong", post(assign))
        .route("/nguoi-dung/{username}/phan-cong/xoa", post(unassign))
}

/// Messages of a refused form: by field, and the rest.
#[derive(Default)]
pub(crate) struct FieldErrors {
    by_field: Vec<(String, String)>,
    pub general: Vec<String>,
}

impl FieldErrors {
    fn from(lang: Locale, r: &Refusal, fields: &[&str]) -> FieldErrors {
        let mut e = FieldErrors::default();
        for p in r.problems.iter() {
            let msg = p.message(lang).to_string();
            match p.location.field.as_deref() {
                Some(f) if fields.contains(&f) => e.by_field.push((f.to_string(), msg)),
                _ => e.general.push(msg),
            }
        }
        e
    }
    /// The message for a field, if it was refused.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.by_field
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn any(&self) -> bool {
        !self.by_field.is_empty() || !self.general.is_empty()
    }
}

fn opt(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The unit fields of a form, as the API takes them.
fn unit_body(form: &Form) -> Value {
    json!({
        "name": form.text("name"),
        "name_en": opt(form.text("name_en")),
        "group": form.text("group"),
        "level": opt(form.text("level")),
        "parent": opt(form.text("parent")),
    })
}

/// What the unit form shows: a unit's values, or what was typed.
#[derive(Default)]
struct UnitInput {
    code: String,
    name: String,
    name_en: String,
    group: String,
    level: String,
    parent: String,
    version: i64,
    active: bool,
}

impl UnitInput {
    fn of(u: &Unit) -> UnitInput {
        UnitInput {
            code: u.code.clone(),
            name: u.name.clone(),
            name_en: u.name_en.clone().unwrap_or_default(),
            group: u.group.clone(),
            level: u.level.clone().unwrap_or_default(),
            parent: u.parent.clone().unwrap_or_default(),
            version: u.version,
            active: u.active,
        }
    }
    fn posted(form: &Form, code: String) -> UnitInput {
        UnitInput {
            code,
            name: form.text("name"),
            name_en: form.text("name_en"),
            group: form.text("group"),
            level: form.text("level"),
            parent: form.text("parent"),
            version: form.int("version").unwrap_or(0),
            active: true,
        }
    }
}

struct UnitLine {
    code: String,
    name: String,
    group: String,
    level: String,
    active: bool,
    href: String,
}

#[derive(askama::Template)]
#[template(path = "units.html")]
struct UnitsPage {
    l: Layout,
    lines: Vec<UnitLine>,
    groups: Vec<String>,
    u: UnitInput,
    fe: FieldErrors,
}

async fn known_groups(state: &AppState) -> PageResult<Vec<String>> {
    let mut set: BTreeSet<String> = state
        .db()
        .units()
        .await?
        .into_iter()
        .map(|u| u.group)
        .collect();
    for r in state.db().rounds().await? {
        set.extend(r.groups.into_iter().map(|(g, _)| g));
    }
    Ok(set.into_iter().collect())
}

async fn units_page(
    state: &AppState,
    ctx: &Ctx,
    u: UnitInput,
    fe: FieldErrors,
) -> PageResult<UnitsPage> {
    let mut all = state.db().units().await?;
    all.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then_with(|| text::compare(&a.name, &b.name))
    });
    Ok(UnitsPage {
        l: ctx.layout(i18n::t(ctx.lang, "units.title")),
        lines: all
            .iter()
            .map(|x| UnitLine {
                href: format!("/don-vi/{}", x.code),
                code: x.code.clone(),
                name: x.name.clone(),
                group: x.group.clone(),
                level: x.level.clone().unwrap_or_default(),
                active: x.active,
            })
            .collect(),
        groups: known_groups(state).await?,
        u,
        fe,
    })
}

async fn units(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    secretariat(&c)?;
    ok(&units_page(&state, &ctx, UnitInput::default(), FieldErrors::default()).await?)
}

const UNIT_FIELDS: [&str; 6] = ["code", "name", "name_en", "group", "level", "parent"];

async fn create_unit(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let code = form.text("code");
    let mut body = unit_body(&form);
    body["code"] = json!(code);
    match api.json(&c, Method::POST, "/api/units", Some(body)).await {
        Ok(_) => Ok(see_other("/don-vi?ok=created")),
        Err(r) if r.in_place() => {
            let fe = FieldErrors::from(ctx.lang, &r, &UNIT_FIELDS);
            let page = units_page(&state, &ctx, UnitInput::posted(&form, code), fe).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "unit.html")]
struct UnitPage {
    l: Layout,
    u: UnitInput,
    groups: Vec<String>,
    fe: FieldErrors,
}

async fn unit_page(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(code): Path<String>,
) -> PageResult {
    secretariat(&c)?;
    let u = state.db().unit(&code).await?;
    ok(&UnitPage {
        l: ctx.layout(u.name.clone()),
        u: UnitInput::of(&u),
        groups: known_groups(&state).await?,
        fe: FieldErrors::default(),
    })
}

async fn update_unit(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(code): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let mut body = unit_body(&form);
    body["version"] = json!(form.int("version").unwrap_or(0));
    match api
        .json(
            &c,
            Method::PUT,
            &format!("/api/units/{}", crate::pages::layout::segment(&code)),
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/don-vi/{code}?ok=saved"))),
        Err(r) if r.in_place() => {
            let fe = FieldErrors::from(ctx.lang, &r, &UNIT_FIELDS);
            let mut u = UnitInput::posted(&form, code);
            u.active = state
                .db()
                .unit(&u.code)
                .await
                .map(|x| x.active)
                .unwrap_or(true);
            let page = UnitPage {
                l: ctx.layout(u.name.clone()),
                u,
                groups: known_groups(&state).await?,
                fe,
            };
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn unit_active(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(code): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let body = json!({ "version": form.int("version").unwrap_or(0), "active": form.text("active") == "true" });
    api.json(
        &c,
        Method::PUT,
        &format!("/api/units/{}/active", crate::pages::layout::segment(&code)),
        Some(body),
    )
    .await?;
    Ok(see_other(&format!("/don-vi/{code}?ok=saved")))
}

/// What the user form shows.
#[derive(Default)]
struct UserInput {
    username: String,
    display_name: String,
    email: String,
    unit: String,
    locale: String,
    roles: Vec<String>,
    version: i64,
    active: bool,
}

impl UserInput {
    fn of(u: &User) -> UserInput {
        UserInput {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone().unwrap_or_default(),
            unit: u.unit.clone().unwrap_or_default(),
            locale: u.locale.code().into(),
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
            version: u.version,
            active: u.active,
        }
    }
    fn posted(form: &Form, username: String) -> UserInput {
        UserInput {
            username,
            display_name: form.text("display_name"),
            email: form.text("email"),
            unit: form.text("unit"),
            locale: form.text("locale"),
            roles: form.all("roles").into_iter().map(str::to_string).collect(),
            version: form.int("version").unwrap_or(0),
            active: true,
        }
    }
    fn has(&self, role: &&str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

fn user_body(form: &Form) -> Value {
    json!({
        "display_name": form.text("display_name"),
        "email": opt(form.text("email")),
        "unit": opt(form.text("unit")),
        "locale": opt(form.text("locale")),
        "roles": form.all("roles"),
    })
}

const USER_FIELDS: [&str; 8] = [
    "username",
    "password",
    "display_name",
    "email",
    "unit",
    "locale",
    "roles",
    "version",
];

/// The roles, with their labels in the page's language.
fn role_options(lang: Locale) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), lang.pick(r.vi(), r.en())))
        .collect()
}

struct UserLine {
    username: String,
    display_name: String,
    roles: String,
    unit: String,
    active: bool,
    href: String,
}

#[derive(askama::Template)]
#[template(path = "users.html")]
struct UsersPage {
    l: Layout,
    lines: Vec<UserLine>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    u: UserInput,
    fe: FieldErrors,
}

async fn unit_options(state: &AppState) -> PageResult<Vec<(String, String)>> {
    let mut all = state.db().units().await?;
    all.sort_by(|a, b| text::compare(&a.name, &b.name));
    Ok(all.into_iter().map(|u| (u.code, u.name)).collect())
}

async fn users_page(
    state: &AppState,
    ctx: &Ctx,
    u: UserInput,
    fe: FieldErrors,
) -> PageResult<UsersPage> {
    let lang = ctx.lang;
    let mut all = state.db().users().await?;
    all.sort_by(|a, b| text::compare(&a.display_name, &b.display_name));
    Ok(UsersPage {
        l: ctx.layout(i18n::t(lang, "users.title")),
        lines: all
            .iter()
            .map(|x| UserLine {
                href: format!("/nguoi-dung/{}", x.username),
                username: x.username.clone(),
                display_name: x.display_name.clone(),
                roles: x
                    .roles
                    .iter()
                    .map(|r| lang.pick(r.vi(), r.en()))
                    .collect::<Vec<_>>()
                    .join(", "),
                unit: x.unit.clone().unwrap_or_default(),
                active: x.active,
            })
            .collect(),
        roles: role_options(lang),
        units: unit_options(state).await?,
        u,
        fe,
    })
}

async fn users(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    secretariat(&c)?;
    let u = UserInput {
        locale: "vi".into(),
        ..Default::default()
    };
    ok(&users_page(&state, &ctx, u, FieldErrors::default()).await?)
}

async fn create_user(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let username = form.text("username");
    let mut body = user_body(&form);
    body["username"] = json!(username);
    body["password"] = json!(form.get("password").unwrap_or(""));
    match api.json(&c, Method::POST, "/api/users", Some(body)).await {
        Ok(_) => Ok(see_other(&format!("/nguoi-dung/{username}?ok=created"))),
        Err(r) if r.in_place() => {
            let fe = FieldErrors::from(ctx.lang, &r, &USER_FIELDS);
            let page = users_page(&state, &ctx, UserInput::posted(&form, username), fe).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

struct AreaLine {
    year: i32,
    group: String,
    area: String,
}

#[derive(askama::Template)]
#[template(path = "user.html")]
struct UserPage {
    l: Layout,
    u: UserInput,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    areas: Vec<AreaLine>,
    fe: FieldErrors,
    area_errors: Vec<String>,
    password_errors: Vec<String>,
    current_year: i32,
    groups: Vec<String>,
}

#[derive(Default)]
struct UserErrors {
    fe: FieldErrors,
    area: Vec<String>,
    password: Vec<String>,
}

async fn user_view(
    state: &AppState,
    ctx: &Ctx,
    username: &str,
    posted: Option<UserInput>,
    errs: UserErrors,
) -> PageResult<UserPage> {
    let user = state.db().user(username).await?;
    let areas = state.db().areas_of(username).await?;
    let mut u = posted.unwrap_or_else(|| UserInput::of(&user));
    u.active = user.active;
    u.version = if errs.fe.any() {
        u.version
    } else {
        user.version
    };
    Ok(UserPage {
        l: ctx.layout(user.display_name.clone()),
        roles: role_options(ctx.lang),
        units: unit_options(state).await?,
        areas: areas
            .into_iter()
            .map(|a| AreaLine {
                year: a.year,
                group: a.group,
                area: a.area,
            })
            .collect(),
        fe: errs.fe,
        area_errors: errs.area,
        password_errors: errs.password,
        current_year: crate::pages::current_year(state).await?.unwrap_or(0),
        groups: known_groups(state).await?,
        u,
    })
}

async fn user_page(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(username): Path<String>,
) -> PageResult {
    secretariat(&c)?;
    ok(&user_view(&state, &ctx, &username, None, UserErrors::default()).await?)
}

fn user_path(username: &str, rest: &str) -> String {
    format!(
        "/api/users/{}{rest}",
        crate::pages::layout::segment(username)
    )
}

async fn update_user(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(username): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let mut body = user_body(&form);
    body["version"] = json!(form.int("version").unwrap_or(0));
    match api
        .json(&c, Method::PUT, &user_path(&username, ""), Some(body))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/nguoi-dung/{username}?ok=saved"))),
        Err(r) if r.in_place() => {
            let errs = UserErrors {
                fe: FieldErrors::from(ctx.lang, &r, &USER_FIELDS),
                ..Default::default()
            };
            let posted = UserInput::posted(&form, username.clone());
            let page = user_view(&state, &ctx, &username, Some(posted), errs).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn user_active(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(username): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let body = json!({ "version": form.int("version").unwrap_or(0), "active": form.text("active") == "true" });
    api.json(
        &c,
        Method::PUT,
        &user_path(&username, "/active"),
        Some(body),
    )
    .await?;
    Ok(see_other(&format!("/nguoi-dung/{username}?ok=saved")))
}

async fn reset_password(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(username): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let body = json!({ "password": form.get("password").unwrap_or("") });
    match api
        .json(
            &c,
            Method::PUT,
            &user_path(&username, "/password"),
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/nguoi-dung/{username}?ok=saved"))),
        Err(r) if r.in_place() => {
            let errs = UserErrors {
                password: r
                    .problems
                    .iter()
                    .map(|p| p.message(ctx.lang).to_string())
                    .collect(),
                ..Default::default()
            };
            let page = user_view(&state, &ctx, &username, None, errs).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn assign(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(username): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let year = form.int("year").unwrap_or(0);
    let body = json!({ "year": year, "group": form.text("group"), "area": form.text("area") });
    match api
        .json(
            &c,
            Method::POST,
            &user_path(&username, "/areas"),
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/nguoi-dung/{username}?ok=saved#areas"))),
        Err(r) if r.in_place() => {
            let errs = UserErrors {
                area: r
                    .problems
                    .iter()
                    .map(|p| p.message(ctx.lang).to_string())
                    .collect(),
                ..Default::default()
            };
            let page = user_view(&state, &ctx, &username, None, errs).await?;
            render(
                if r.status.is_success() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    r.status
                },
                &page,
            )
        }
        Err(r) => Err(r.into()),
    }
}

async fn unassign(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(username): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let path = user_path(
        &username,
        &format!(
            "/areas/{}/{}/{}",
            form.int("year").unwrap_or(0),
            crate::pages::layout::segment(&form.text("group")),
            crate::pages::layout::segment(&form.text("area"))
        ),
    );
    api.json(&c, Method::DELETE, &path, None).await?;
    Ok(see_other(&format!("/nguoi-dung/{username}?ok=saved#areas")))
}
