//! The application: shared state, the router with its middleware, binding and serving with a
//! graceful shutdown.

use crate::auth::{self, Throttle};
use crate::config::{Config, redact_url};
use crate::error::{Error, Rendered, problem};
use crate::locale::{Lang, request_locale};
use crate::metrics::Metrics;
use crate::{api, openapi};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_store::Db;
use parindex_store::evidence::EvidenceStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// What every handler can reach: the database, the evidence files, the settings, the sign-in
/// throttle and the metrics registry. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: Db,
    evidence: EvidenceStore,
    config: Config,
    throttle: Throttle,
    metrics: Metrics,
    survey: crate::survey::SurveyRuntime,
    visits: crate::visits::Visits,
}

impl AppState {
    pub fn new(db: Db, evidence: EvidenceStore, config: Config) -> AppState {
        let throttle = Throttle::new(
            config.login_max_failures,
            Duration::from_secs(u64::from(config.login_lockout_minutes) * 60),
        );
        AppState(Arc::new(Inner {
            db,
            evidence,
            config,
            throttle,
            metrics: Metrics::default(),
            survey: crate::survey::SurveyRuntime::from_env(),
            visits: crate::visits::Visits::default(),
        }))
    }
    pub fn db(&self) -> &Db {
        &self.0.db
    }
    pub fn evidence(&self) -> &EvidenceStore {
        &self.0.evidence
    }
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    pub fn throttle(&self) -> &Throttle {
        &self.0.throttle
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    /// The survey routes' shared parts: the one ingest writer, loaded surveys, the open link's
    /// rate limit.
    pub fn survey(&self) -> &crate::survey::SurveyRuntime {
        &self.0.survey
    }
    /// The portal's visit counter (in memory, flushed to the database).
    pub fn visits(&self) -> &crate::visits::Visits {
        &self.0.visits
    }
}

/// Opens what the configuration names: creates the data directory (for the default SQLite
/// file), connects to the database and brings its schema up to date, and opens the evidence
/// directory with the configured upload limit. The CLI's `users`, `audit`, `backup` and
/// `restore` use this too, so they find the same database as `serve`.
pub async fn open_store(config: &Config) -> Result<(Db, EvidenceStore), Problem> {
    let url = config.database_url();
    if let Some(path) = url.strip_prefix("sqlite:")
        && !path.contains(":memory:")
        && let Some(parent) = std::path::Path::new(path.split('?').next().unwrap_or(path))
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            Problem::new(
                Location::file(parent.display().to_string()),
                format!("không tạo được thư mục dữ liệu: {e}"),
                format!("cannot create the data directory: {e}"),
            )
        })?;
    }
    let db = Db::open(&url).await.map_err(|e| {
        Problem::new(
            Location::default().with_field("database_url"),
            format!("không mở được cơ sở dữ liệu {}: {e}", redact_url(&url)),
            format!("cannot open the database {}: {e}", redact_url(&url)),
        )
    })?;
    let dir = config.evidence_dir();
    let evidence = EvidenceStore::open(&dir)
        .map_err(|e| {
            Problem::new(
                Location::file(dir.display().to_string()),
                format!("không mở được thư mục tài liệu kiểm chứng: {e}"),
                format!("cannot open the evidence directory: {e}"),
            )
        })?
        .with_max_size(config.max_upload_bytes);
    Ok((db, evidence))
}

/// A built server: database open and migrated, listener bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects and migrates (creating the SQLite database on first start), opens the evidence
    /// store and binds `config.bind` (`127.0.0.1:0` picks a free port).
    pub async fn build(config: Config) -> Result<Application, Problem> {
        let (db, evidence) = open_store(&config).await?;
        let listener = TcpListener::bind(config.bind).await.map_err(|e| {
            Problem::new(
                Location::default().with_field("bind"),
                format!("không mở được cổng {}: {e}", config.bind),
                format!("cannot listen on {}: {e}", config.bind),
            )
        })?;
        let state = AppState::new(db, evidence, config);
        // The one writer of survey responses (group commit), for the life of the server.
        state.survey().start(state.db());
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config().bind)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until ctrl-c or SIGTERM, then finishes the requests in flight and closes the
    /// database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes (tests, or a CLI with its own signal handling).
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let app = router(state.clone());
        tracing::info!(addr = %self.local_addr(), "serving");
        let sweeper = tokio::spawn(sweep_sessions(state.clone()));
        // Read the stored counts, then write the counter's visits every few seconds.
        let _ = state.visits().flush(state.db()).await;
        let flusher = tokio::spawn(flush_visits(state.clone()));
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await;
        sweeper.abort();
        flusher.abort();
        if let Err(e) = state.visits().flush(state.db()).await {
            tracing::warn!(error = %e, "could not write the last visit counts");
        }
        state.db().close().await;
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn flush_visits(state: AppState) {
    let mut every = tokio::time::interval(crate::visits::FLUSH_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(e) = state.visits().flush(state.db()).await {
            tracing::warn!(error = %e, "could not write visit counts");
        }
    }
}

/// Removes expired sessions every hour.
async fn sweep_sessions(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        if let Err(e) = state
            .db()
            .delete_expired_sessions(parindex_store::Timestamp::now())
            .await
        {
            tracing::warn!(error = %e, "could not remove expired sessions");
        }
        state.throttle().prune();
    }
}

/// The whole router: the JSON API, its OpenAPI document, health and metrics, with the
/// middleware (outermost first): metrics and logging, language and error rendering, security
/// headers, session and CSRF; then the pages and the survey's public pages with their own
/// middleware. An unknown address under `/api` gets the API's JSON 404; any other gets the
/// pages' HTML error page in the user's language. Every response carries the security headers
/// (`baseline_headers`, outermost).
pub fn router(state: AppState) -> Router {
    let (api, doc) = api::router(&state).split_for_parts();
    // One document for every JSON route, the survey's included.
    let doc = openapi::finish(doc.merge_from(crate::survey::api_doc(&state)));
    let json_limit = state.config().max_json_bytes;
    Router::new()
        .merge(api)
        .merge(openapi::router(doc))
        .merge(crate::health::router())
        .route("/api", axum::routing::any(not_found))
        .route("/api/", axum::routing::any(not_found))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), localize))
        .merge(crate::pages::router(&state))
        .merge(crate::survey::router(&state))
        .layer(middleware::from_fn(baseline_headers))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// The policy of responses that name none (JSON, files): nothing may load from them and no page
/// may frame them. Pages set their own, stricter for what they need.
const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The security headers every response carries, whichever router answered it: those a router
/// set itself are kept (the pages' and the survey's own CSP), the others are added.
async fn baseline_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_CSP));
    res
}

async fn not_found() -> Error {
    Error::not_found(
        "không có địa chỉ này trong hệ thống",
        "there is no such address",
    )
}

async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let start = Instant::now();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    state
        .metrics()
        .observe(method.as_str(), &route, res.status().as_u16(), elapsed);
    tracing::debug!(%method, route, status = res.status().as_u16(), ms = elapsed.as_millis() as u64, "request");
    res
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
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
    res
}

/// Finds the caller's language, and renders every error response in it: ours (carrying
/// `Rendered`) and axum's own plain-text rejections (bad path parameters, wrong method).
async fn localize(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let locale = request_locale(
        req.headers(),
        req.uri().query(),
        state.config().default_locale,
    );
    req.extensions_mut().insert(Lang(locale));
    let res = next.run(req).await;
    let status = res.status();
    if let Some(rendered) = res.extensions().get::<Rendered>().cloned() {
        if locale == Locale::Vi {
            return res;
        }
        let (mut parts, _) = res.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(rendered.json(locale)));
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let detail = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (vi, en) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "địa chỉ này không nhận phương thức này".to_string(),
            "this address does not accept this method".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "dữ liệu gửi lên quá lớn".to_string(),
            "the request is too large".to_string(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "kiểu dữ liệu gửi lên không được hỗ trợ".to_string(),
            "unsupported content type".to_string(),
        ),
        s if s.is_server_error() => {
            tracing::error!(status = s.as_u16(), detail, "unhandled server error");
            (
                "lỗi hệ thống; đã ghi nhật ký để kiểm tra".to_string(),
                "a system error occurred; it has been logged".to_string(),
            )
        }
        _ if detail.is_empty() => (
            "yêu cầu không hợp lệ".to_string(),
            "bad request".to_string(),
        ),
        _ => (
            format!("yêu cầu không hợp lệ: {detail}"),
            format!("bad request: {detail}"),
        ),
    };
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let rendered = Rendered {
        code,
        problems: Problems(vec![problem(vi, en)]),
    };
    let mut out = rendered.response(status, locale);
    for (name, value) in parts.headers.iter() {
        if name == header::ALLOW {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out.into_response()
}
