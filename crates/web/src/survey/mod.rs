//! Surveys over HTTP (SIPAS): the public questionnaire of each unit (open link, one-time tokens
//! from QR codes), the JSON ingest route, the secretariat's tokens with printable QR sheets, the
//! quarantine review, the report, batch import and the staff paper-entry screen.
//!
//! Every response is validated here with the store's `validate`, handed to the one writer
//! (`IngestHandle`, started by `Application::build`) and answered only once the batch holding it
//! is durable: a respondent who sees "thank you" has a committed response. Nothing partial is
//! stored: a refused response is refused whole.
//!
//! The public routes need no session (they bring their own middleware: language, security
//! headers, body limit); the secretariat's go through `auth::session_layer` (session and CSRF).
//!
//! Environment (read once at start):
//! `PARINDEX_SURVEY_RATE_BURST` (20; 0 turns the open-link limit off) and
//! `PARINDEX_SURVEY_RATE_PER_HOUR` (60): submissions per source without a token;
//! `PARINDEX_SURVEY_RATE_SOURCES` (100 000): sources remembered;
//! `PARINDEX_SURVEY_MAX_BATCH` (1024), `PARINDEX_SURVEY_MAX_WAIT_US` (2000),
//! `PARINDEX_SURVEY_QUEUE` (20 000): the writer's batching;
//! `PARINDEX_PUBLIC_URL`: the address printed in QR codes (else the request's host).

pub(crate) mod admin;
mod form;
pub mod limit;
mod paper;
mod public;
mod submit;
mod view;

use crate::app::AppState;
use crate::error::{Error, Rendered, problem};
use crate::locale::{Lang, request_locale};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use limit::{Limits, RateLimiter};
use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use parindex_store::Db;
use parindex_store::survey::{IngestHandle, IngestOptions, SurveyContext, spawn_ingest};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

pub use submit::Refusal;

/// How long a loaded survey (questionnaire, units, state) is reused before it is read again. The
/// writer checks the state in its own transaction, so a survey closed meanwhile still refuses.
const CONTEXT_TTL: Duration = Duration::from_secs(2);

/// The largest response body (JSON or form): a questionnaire with its free text fits easily.
pub const RESPONSE_LIMIT: usize = 64 * 1024;

/// The name of the per-device marker cookie: 256 random bits, only a salted hash is stored with
/// each response.
pub const DEVICE_COOKIE: &str = "parindex_device";

/// A loaded survey and when it was loaded.
struct Cached {
    at: Instant,
    ctx: Arc<SurveyContext>,
    /// A request is reloading it.
    refreshing: AtomicBool,
}

/// What the survey routes share: the writer's handle, the loaded surveys, the open link's rate
/// limiter.
pub struct SurveyRuntime {
    options: IngestOptions,
    ingest: OnceLock<IngestHandle>,
    contexts: RwLock<HashMap<(i32, String), Cached>>,
    limiter: RateLimiter,
    public_url: Option<String>,
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl SurveyRuntime {
    pub fn new(options: IngestOptions, limits: Limits, public_url: Option<String>) -> Self {
        SurveyRuntime {
            options,
            ingest: OnceLock::new(),
            contexts: RwLock::default(),
            limiter: RateLimiter::new(limits),
            public_url: public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        }
    }

    /// Batching, limits and the public address from the `PARINDEX_SURVEY_*` and
    /// `PARINDEX_PUBLIC_URL` variables, defaults otherwise.
    pub fn from_env() -> Self {
        let d = Limits::default();
        let limits = Limits {
            burst: env_num("PARINDEX_SURVEY_RATE_BURST").unwrap_or(d.burst),
            per_hour: env_num("PARINDEX_SURVEY_RATE_PER_HOUR").unwrap_or(d.per_hour),
            max_sources: env_num("PARINDEX_SURVEY_RATE_SOURCES").unwrap_or(d.max_sources),
        };
        let options = IngestOptions {
            max_batch: env_num("PARINDEX_SURVEY_MAX_BATCH").unwrap_or(1024),
            max_wait: Duration::from_micros(env_num("PARINDEX_SURVEY_MAX_WAIT_US").unwrap_or(2000)),
            queue: env_num("PARINDEX_SURVEY_QUEUE").unwrap_or(20_000),
        };
        SurveyRuntime::new(options, limits, std::env::var("PARINDEX_PUBLIC_URL").ok())
    }

    /// Starts the writer (once; later calls do nothing). Must run inside the tokio runtime.
    pub fn start(&self, db: &Db) {
        self.ingest(db);
    }

    /// The writer's handle, started on first use if `start` was not called.
    pub fn ingest(&self, db: &Db) -> &IngestHandle {
        self.ingest.get_or_init(|| {
            tracing::info!(
                max_batch = self.options.max_batch,
                max_wait_us = self.options.max_wait.as_micros() as u64,
                "survey writer started"
            );
            // The task ends when the handle is dropped with the application state.
            spawn_ingest(db.clone(), self.options).0
        })
    }

    /// Whether the writer is running.
    pub fn started(&self) -> bool {
        self.ingest.get().is_some()
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    pub fn options(&self) -> IngestOptions {
        self.options
    }

    /// The survey's context, from the cache when fresh. When it is stale, one request reloads
    /// it while the others go on with the stale one (a burst of requests does not reload it a
    /// hundred times at once).
    pub async fn context(
        &self,
        db: &Db,
        year: i32,
        code: &str,
    ) -> parindex_store::Result<Arc<SurveyContext>> {
        let key = (year, code.to_string());
        if let Ok(map) = self.contexts.read()
            && let Some(c) = map.get(&key)
        {
            if c.at.elapsed() < CONTEXT_TTL {
                return Ok(c.ctx.clone());
            }
            // A reload that never finished (its request was dropped) does not block others.
            let stuck = c.at.elapsed() > CONTEXT_TTL * 5;
            if c.refreshing.swap(true, Ordering::AcqRel) && !stuck {
                return Ok(c.ctx.clone());
            }
        }
        let loaded = db.survey_context(year, code).await;
        let mut map = self
            .contexts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match loaded {
            Ok(ctx) => {
                // Only surveys that exist get here, so the map stays as small as the surveys.
                map.insert(
                    key,
                    Cached {
                        at: Instant::now(),
                        ctx: ctx.clone(),
                        refreshing: AtomicBool::new(false),
                    },
                );
                Ok(ctx)
            }
            Err(e) => {
                map.remove(&key);
                Err(e)
            }
        }
    }

    /// Drops a survey's cached context (after a change of its state).
    pub fn forget(&self, year: i32, code: &str) {
        if let Ok(mut map) = self.contexts.write() {
            map.remove(&(year, code.to_string()));
        }
    }

    /// The start of the addresses printed in QR codes: `PARINDEX_PUBLIC_URL`, else the scheme
    /// and host of the request.
    pub(crate) fn public_base(&self, state: &AppState, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .map_or_else(|| state.config().bind.to_string(), str::to_string);
        let scheme = if secure(state, headers) {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    }
}

/// The device marker a request carries (the cookie), if it looks like one of ours: 16 to 128
/// letters, digits, `-` or `_`. Anything else is ignored rather than refused.
pub(crate) fn device_marker(headers: &HeaderMap) -> Option<String> {
    crate::locale::cookie(headers, DEVICE_COOKIE)
        .filter(|v| {
            (16..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
}

/// Whether cookies should be `Secure`: as configured, else when a TLS proxy says so.
pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().secure_cookies.unwrap_or_else(|| {
        headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
            || headers
                .get(header::FORWARDED)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"))
    })
}

/// The OpenAPI paths of the survey's JSON routes (public ingest and the secretariat's), merged
/// into the main document `/api/openapi.json` and served alone at `/api/survey/openapi.json`.
pub fn api_doc(state: &AppState) -> utoipa::openapi::OpenApi {
    let (_, public_doc) = public::api().split_for_parts();
    let (_, admin_doc) = admin::api(state).split_for_parts();
    public_doc.merge_from(admin_doc)
}

/// Every survey route: the public pages and JSON ingest, the secretariat's API (with the session
/// layer), the paper-entry screen, and the survey API's OpenAPI document. Merge it into the
/// application's router outside the API's session layer.
pub fn router(state: &AppState) -> Router<AppState> {
    let (public_api, public_doc) = public::api().split_for_parts();
    let (admin_api, admin_doc) = admin::api(state).split_for_parts();
    let mut doc = crate::openapi::finish(public_doc.merge_from(admin_doc));
    doc.info.title = "parindex survey API".into();
    doc.info.description = Some(
        "SIPAS surveys: POST responses to /api/survey/{year}/{code}/responses without a session \
         (open link, or a one-time token); the secretariat's routes need the session cookie and \
         X-CSRF-Token. Errors as in /api/openapi.json."
            .into(),
    );
    let doc_json = doc.to_json().unwrap_or_else(|_| "{}".into());
    let admin_api = admin_api.layer(middleware::from_fn_with_state(
        state.clone(),
        crate::auth::session_layer,
    ));
    let json = Router::new()
        .merge(public_api)
        .merge(admin_api)
        .route(
            "/api/survey/openapi.json",
            axum::routing::get(move || {
                let json = doc_json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .layer(middleware::from_fn_with_state(state.clone(), json_layer));
    Router::new()
        .merge(json)
        .merge(form::router())
        .merge(paper::router())
}

/// Sets the request's language and renders every error in it (JSON routes), and adds the
/// security headers.
async fn json_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let lang = request_locale(
        req.headers(),
        req.uri().query(),
        state.config().default_locale,
    );
    req.extensions_mut().insert(Lang(lang));
    let res = next.run(req).await;
    let status = res.status();
    let mut res = if let Some(rendered) = res.extensions().get::<Rendered>().cloned() {
        if lang == Locale::Vi {
            res
        } else {
            let (mut parts, _) = res.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(rendered.json(lang)))
        }
    } else if (status.is_client_error() || status.is_server_error())
        && !res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    {
        // axum's own refusals (wrong method, bad path): the same JSON shape as ours.
        let allow = res.headers().get(header::ALLOW).cloned();
        let (code, vi, en) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "địa chỉ này không nhận phương thức này",
                "this address does not accept this method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "too_large",
                "dữ liệu gửi lên quá lớn",
                "the request is too large",
            ),
            StatusCode::NOT_FOUND => (
                "not_found",
                "không có địa chỉ này trong hệ thống",
                "there is no such address",
            ),
            s if s.is_server_error() => (
                "internal",
                "lỗi hệ thống; đã ghi nhật ký để kiểm tra",
                "a system error occurred; it has been logged",
            ),
            _ => ("bad_request", "yêu cầu không hợp lệ", "bad request"),
        };
        let mut out = Rendered {
            code,
            problems: Problems(vec![problem(vi, en)]),
        }
        .response(status, lang);
        if let Some(a) = allow {
            out.headers_mut().insert(header::ALLOW, a);
        }
        out
    } else {
        res
    };
    security_headers(res.headers_mut());
    res
}

pub(crate) fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// An error response with our own code (for refusals the shared `Error` has no code for).
pub(crate) fn refuse(
    status: StatusCode,
    code: &'static str,
    problems: Problems,
    lang: Locale,
) -> Response {
    Rendered { code, problems }.response(status, lang)
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Refusal {
        Refusal::Other(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.json(Locale::Vi)
    }
}
