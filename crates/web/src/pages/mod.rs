//! The server-rendered pages (askama templates, Vietnamese first with an English switch): sign-in
//! and account, the secretariat's rounds, units, users and criteria sets, the unit's
//! self-assessment and explanation, appraisal, results, scorecards and audit trails. htmx
//! enhances some forms (autosave of a row); every form also works as a plain POST.
//!
//! Reads go to the store directly, with the API's public authorization helpers. Writes go through
//! the JSON API's own handlers, called in-process (`internal::Api`), so one place decides who may
//! change what and every refusal comes back with its problems in both languages, to be shown in
//! place. The pages bring their own middleware (`guard`): they answer in HTML, send an expired
//! session to the sign-in page and back, and read the CSRF token from a form field.

use crate::app::AppState;
use axum::Router;

mod account;
mod admin;
mod assets;
mod audit;
mod cache;
mod charts;
mod fmt;
mod form;
mod guard;
mod i18n;
mod internal;
mod layout;
mod plans;
mod portal;
mod portal_admin;
mod results;
mod rounds;
mod sheet;
mod survey;

pub(crate) use guard::{Ctx, PageError, PageResult, Signed};
pub(crate) use layout::Layout;

/// Every page, with its middleware, and the static files. Merge it into the application's router
/// outside the API's session and error-rendering layers (the pages have their own).
pub fn router(state: &AppState) -> Router<AppState> {
    let api = internal::Api::new(state);
    let pages = Router::new()
        .merge(account::router())
        .merge(rounds::router())
        .merge(admin::router())
        .merge(sheet::router())
        .merge(results::router())
        .merge(audit::router())
        .merge(portal::router())
        .merge(portal_admin::router())
        .merge(survey::router(state))
        .merge(plans::router())
        .fallback(not_found)
        .layer(axum::Extension(api))
        .layer(axum::Extension(cache::Cache::default()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            portal::count,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ));
    Router::new().merge(pages).merge(assets::router())
}

/// Any address no router knows (outside `/api`): the error page, in the user's language.
async fn not_found() -> PageError {
    PageError::not_found(
        "không có địa chỉ này trong hệ thống",
        "there is no such address",
    )
}

/// Renders a template as an HTML response.
pub(crate) fn render<T: askama::Template>(status: axum::http::StatusCode, page: &T) -> PageResult {
    use axum::response::IntoResponse;
    match page.render() {
        Ok(html) => Ok((status, axum::response::Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template did not render");
            Err(PageError::Page(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                parindex_core::diag::Problems(vec![crate::error::problem(
                    "lỗi hệ thống; đã ghi nhật ký để kiểm tra",
                    "a system error occurred; it has been logged",
                )]),
            ))
        }
    }
}

/// Renders a template with 200 OK.
pub(crate) fn ok<T: askama::Template>(page: &T) -> PageResult {
    render(axum::http::StatusCode::OK, page)
}

/// The round people work in now: the newest open one, else the newest.
pub(crate) async fn current_year(state: &AppState) -> PageResult<Option<i32>> {
    let rounds = state.db().rounds().await?;
    let open = rounds
        .iter()
        .filter(|r| r.state == parindex_store::rounds::RoundState::Open)
        .map(|r| r.year)
        .max();
    Ok(open.or_else(|| rounds.iter().map(|r| r.year).max()))
}
