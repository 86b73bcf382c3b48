//! The JSON API called in-process: every write of the pages goes through the API's own handler,
//! as the signed-in caller, so the rules of who may change what live in one place. A refusal
//! comes back with its status and problems (in both languages, with field and node), for the page
//! to show where they belong.

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{Rendered, problem};
use crate::pages::guard::PageError;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use parindex_core::diag::Problems;
use serde_json::Value;
use tower::ServiceExt;

/// The API's router with its state, built once.
#[derive(Clone)]
pub(crate) struct Api(Router);

/// Why the API refused a write.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub code: String,
    pub problems: Problems,
}

impl Refusal {
    /// The messages meant for one form field (`field`), or for a criteria node.
    pub fn for_field(&self, field: &str) -> Vec<&parindex_core::diag::Problem> {
        self.problems
            .iter()
            .filter(|p| p.location.field.as_deref() == Some(field))
            .collect()
    }
    /// Validation refusals are shown in place; anything else is an error page.
    pub fn in_place(&self) -> bool {
        matches!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY
                | StatusCode::CONFLICT
                | StatusCode::BAD_REQUEST
                | StatusCode::FORBIDDEN
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
                | StatusCode::NOT_FOUND
        ) && self.code != "unauthenticated"
    }
}

impl From<Refusal> for PageError {
    fn from(r: Refusal) -> PageError {
        if r.status == StatusCode::UNAUTHORIZED {
            PageError::SignIn
        } else {
            PageError::Page(r.status, r.problems)
        }
    }
}

impl Api {
    pub fn new(state: &AppState) -> Api {
        // The survey's secretariat routes too: the survey pages write through them.
        let (router, _) = crate::api::router(state)
            .merge(crate::survey::admin::api(state))
            .split_for_parts();
        Api(router.with_state(state.clone()))
    }

    /// Sends a request to the API as `caller`.
    pub async fn send(&self, caller: &Caller, mut req: Request) -> Response {
        req.extensions_mut().insert(caller.clone());
        match self.0.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }

    /// Sends a request to the API as the public (no caller).
    pub async fn send_anonymous(&self, req: Request) -> Response {
        match self.0.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }

    /// A JSON request; the JSON answer, or the refusal.
    pub async fn json(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Refusal> {
        let mut b = Request::builder().method(method).uri(path);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&v).unwrap_or_default())
            }
            None => Body::empty(),
        };
        let req = b.body(body).map_err(|e| Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request".into(),
            problems: Problems(vec![problem(
                format!("địa chỉ không hợp lệ: {e}"),
                format!("invalid address: {e}"),
            )]),
        })?;
        let res = self.send(caller, req).await;
        read(res).await
    }

    /// Forwards a request (an upload's stream, a download) to an API path, keeping its body and
    /// content headers.
    pub async fn forward(&self, caller: &Caller, req: Request, path: &str) -> Response {
        let (parts, body) = req.into_parts();
        let mut b = Request::builder().method(parts.method).uri(path);
        for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
            if let Some(v) = parts.headers.get(&name) {
                b = b.header(name, v.clone());
            }
        }
        match b.body(body) {
            Ok(req) => self.send(caller, req).await,
            Err(_) => {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = StatusCode::BAD_REQUEST;
                res
            }
        }
    }
}

/// The JSON of a successful answer, or the refusal it carries.
pub(crate) async fn read(res: Response) -> Result<Value, Refusal> {
    let status = res.status();
    if status.is_success() {
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap_or_default();
        return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
    }
    Err(refusal(res).await)
}

pub(crate) async fn refusal(res: Response) -> Refusal {
    let status = res.status();
    if let Some(r) = res.extensions().get::<Rendered>() {
        return Refusal {
            status,
            code: r.code.to_string(),
            problems: r.problems.clone(),
        };
    }
    // axum's own rejections (a wrong method, an unreadable body) come as plain text.
    let detail = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    Refusal {
        status,
        code: "bad_request".into(),
        problems: Problems(vec![problem(
            format!("yêu cầu không hợp lệ: {detail}"),
            format!("bad request: {detail}"),
        )]),
    }
}
