//! Signing in and out, the account page with the password change, and the front page, which
//! sends a signed-in user to where their work is.

use crate::app::AppState;
use crate::auth::{PeerAddr, session_cookie, sign_in};
use crate::error::Error;
use crate::pages::form::Form;
use crate::pages::guard::{safe_next, see_other};
use crate::pages::internal::Api;
use crate::pages::{Ctx, Layout, PageError, PageResult, Signed, current_year, i18n, ok, render};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_store::users::Role;
use serde::Deserialize;
use serde_json::json;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dang-nhap", get(sign_in_form).post(sign_in_post))
        .route("/dang-xuat", post(sign_out))
        .route("/tai-khoan", get(account))
        .route("/tai-khoan/mat-khau", post(change_password))
        .route("/phieu", get(my_sheet))
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
}

/// Where a user's work is: their unit's sheet, the appraisal queue, or the round.
async fn home_of(state: &AppState, c: &crate::auth::Caller) -> PageResult<String> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) {
        return Ok(match current_year(state).await? {
            Some(y) => format!("/ky/{y}"),
            None => "/ky".into(),
        });
    }
    if c.is(Role::Appraiser) {
        return Ok("/tham-dinh".into());
    }
    if c.is(Role::UnitOfficer) {
        return Ok("/phieu".into());
    }
    Ok("/xep-hang".into())
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    if let Some(c) = &ctx.caller {
        return Ok(see_other(&home_of(&state, c).await?));
    }
    ok(&HomePage {
        l: ctx.layout(i18n::t(ctx.lang, "home.title")),
    })
}

#[derive(askama::Template)]
#[template(path = "signin.html")]
struct SignInPage {
    l: Layout,
    next: String,
    username: String,
    error: Option<String>,
    expired: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let next = q.next.as_deref().map(safe_next).unwrap_or("").to_string();
    if let Some(c) = &ctx.caller {
        let to = if next.is_empty() {
            home_of(&state, c).await?
        } else {
            next
        };
        return Ok(see_other(&to));
    }
    ok(&SignInPage {
        l: ctx.layout(i18n::t(ctx.lang, "signin.title")),
        expired: !next.is_empty(),
        next,
        username: String::new(),
        error: None,
    })
}

async fn sign_in_post(
    State(state): State<AppState>,
    ctx: Ctx,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    form: Form,
) -> PageResult {
    let username = form.text("username");
    let password = form.get("password").unwrap_or("").to_string();
    let next = safe_next(form.get("next").unwrap_or("")).to_string();
    let ip = state.client_ip(&headers, peer);
    match sign_in(&state, &username, &password, &ip).await {
        Ok((user, secret, _csrf)) => {
            let target = if next.is_empty() || next == "/" || next.starts_with("/dang-nhap") {
                let caller = state.caller(&secret).await?.ok_or(PageError::SignIn)?;
                home_of(&state, &caller).await?
            } else {
                next
            };
            let mut res = see_other(&target);
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &headers, Some(&secret))) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            // The user's own language, unless they chose one on this device.
            if crate::locale::cookie(&headers, "lang").is_none()
                && let Ok(v) = HeaderValue::from_str(&format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    user.locale.code()
                ))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e @ (Error::BadCredentials | Error::LockedOut { .. })) => {
            let status = e.status();
            let message = e
                .problems()
                .iter()
                .map(|p| p.message(ctx.lang).to_string())
                .collect::<Vec<_>>()
                .join(" ");
            render(
                status,
                &SignInPage {
                    l: ctx.layout(i18n::t(ctx.lang, "signin.title")),
                    next,
                    username,
                    error: Some(message),
                    expired: false,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    Signed(_, c): Signed,
    headers: HeaderMap,
) -> PageResult {
    state.db().delete_session(c.session_hash()).await?;
    let mut res = see_other("/?ok=signed_out");
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &headers, None)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    username: String,
    display_name: String,
    roles: String,
    unit: Option<String>,
    areas: String,
    errors: Vec<String>,
    current_bad: bool,
    new_bad: bool,
    repeat_bad: bool,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    c: &crate::auth::Caller,
    errors: Vec<String>,
    bad: (bool, bool, bool),
) -> PageResult<AccountPage> {
    let unit = match &c.user.unit {
        Some(code) => Some(match state.db().unit(code).await {
            Ok(u) => format!("{} ({code})", u.name),
            Err(_) => code.clone(),
        }),
        None => None,
    };
    let roles = c
        .user
        .roles
        .iter()
        .map(|r| ctx.lang.pick(r.vi(), r.en()))
        .collect::<Vec<_>>()
        .join(", ");
    let areas = c
        .areas
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {}",
                a.year,
                a.group,
                ctx.pick("lĩnh vực", "area"),
                a.area
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok(AccountPage {
        l: ctx.layout(i18n::t(ctx.lang, "account.title")),
        username: c.user.username.clone(),
        display_name: c.user.display_name.clone(),
        roles,
        unit,
        areas,
        errors,
        current_bad: bad.0,
        new_bad: bad.1,
        repeat_bad: bad.2,
    })
}

async fn account(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    ok(&account_page(&state, &ctx, &c, Vec::new(), (false, false, false)).await?)
}

async fn change_password(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    let current = form.get("current_password").unwrap_or("").to_string();
    let new = form.get("new_password").unwrap_or("").to_string();
    let repeat = form.get("repeat_password").unwrap_or("").to_string();
    if new != repeat {
        let msg = i18n::t(ctx.lang, "account.repeat_mismatch").to_string();
        let page = account_page(&state, &ctx, &c, vec![msg], (false, false, true)).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let body = json!({ "current_password": current, "new_password": new });
    match api
        .json(&c, Method::PUT, "/api/me/password", Some(body))
        .await
    {
        // Every session of the user ended with the change: sign in with the new password.
        Ok(_) => Ok(see_other("/dang-nhap?ok=password_changed")),
        Err(r) if r.in_place() => {
            let bad = (
                !r.for_field("current_password").is_empty(),
                !r.for_field("password").is_empty(),
                false,
            );
            let msgs = r
                .problems
                .iter()
                .map(|p| p.message(ctx.lang).to_string())
                .collect();
            let page = account_page(&state, &ctx, &c, msgs, bad).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(r) => Err(r.into()),
    }
}

/// An officer's way to their unit's sheet in the current round.
async fn my_sheet(State(state): State<AppState>, Signed(_, c): Signed) -> PageResult<Response> {
    let Some(unit) = c.user.unit.clone().filter(|_| c.is(Role::UnitOfficer)) else {
        return Err(PageError::forbidden(
            "trang này dành cho cán bộ đơn vị",
            "this page is for unit officers",
        ));
    };
    match current_year(&state).await? {
        Some(y) => Ok(see_other(&format!("/ky/{y}/phieu/{unit}")).into_response()),
        None => Err(PageError::not_found(
            "chưa có kỳ đánh giá nào",
            "there is no round yet",
        )),
    }
}
