//! The OpenAPI document of the JSON API, served at `/api/openapi.json`. The paths come from the
//! same annotations that route the handlers (utoipa-axum), so a route cannot be missing from it.

use crate::app::AppState;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

/// Adds the title, version and the two security schemes (session cookie, CSRF header).
pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info = InfoBuilder::new()
        .title("parindex API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "PAR Index of a province: rounds, sheets, self-assessment, two-round appraisal, \
             evidence, results. Sign in with POST /api/session; send the returned csrf_token in \
             X-CSRF-Token with every POST, PUT, PATCH and DELETE. Errors: \
             {\"error\": {\"code\", \"message\", \"problems\": [{\"field\", \"node\", \"message\"}]}} \
             in the language of ?lang=, the lang cookie or Accept-Language (Vietnamese by default).",
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            crate::auth::SESSION_COOKIE,
        ))),
    );
    components.add_security_scheme(
        "csrf",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))),
    );
    doc
}

/// The complete document, built from the same routes the server serves.
pub fn document(state: &AppState) -> OpenApi {
    finish(
        crate::api::router(state)
            .into_openapi()
            .merge_from(crate::survey::api_doc(state)),
    )
}

pub fn router(doc: OpenApi) -> Router<AppState> {
    let json = doc.to_json().unwrap_or_else(|_| "{}".to_string());
    Router::new().route(
        "/api/openapi.json",
        get(move || {
            let json = json.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    json,
                )
            }
        }),
    )
}
