//! The one error type of the handlers: an HTTP status, a stable code and problems in both
//! languages. The response carries them as an extension; the `localize` middleware renders the
//! JSON body in the caller's language. The cause of a 500 is logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_store::rounds::Phase;
use parindex_store::{ErrorKind, Timestamp};
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] parindex_store::Error),
    /// No valid session.
    #[error("sign-in required")]
    Unauthenticated,
    /// Signed in, but the role, unit or assignment does not allow it.
    #[error("forbidden: {}", .0.en)]
    Forbidden(Problem),
    #[error("CSRF token missing")]
    CsrfMissing,
    #[error("CSRF token invalid")]
    CsrfInvalid,
    /// The deadline of the phase this write belongs to has passed.
    #[error("the {} deadline {due} has passed", phase.en())]
    Deadline { phase: Phase, due: Timestamp },
    /// Malformed request: unreadable JSON, a bad multipart body, a bad path parameter.
    #[error("bad request: {0}")]
    BadRequest(Problems),
    #[error("request body over {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("unsupported media type")]
    UnsupportedMedia(Problem),
    /// Well-formed but wrong input (422).
    #[error("invalid: {0}")]
    Invalid(Problems),
    #[error("not found: {}", .0.en)]
    NotFound(Problem),
    #[error("state conflict: {}", .0.en)]
    Conflict(Problem),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("locked out for {minutes} more minutes")]
    LockedOut { minutes: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What an error response carries until the `localize` middleware renders it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub code: &'static str,
    pub problems: Problems,
}

#[derive(Serialize)]
struct Body<'a> {
    error: BodyInner<'a>,
}

#[derive(Serialize)]
struct BodyInner<'a> {
    code: &'a str,
    message: String,
    problems: Vec<BodyProblem<'a>>,
}

#[derive(Serialize)]
struct BodyProblem<'a> {
    field: Option<&'a str>,
    node: Option<&'a str>,
    message: &'a str,
}

impl Rendered {
    /// `{ "error": { "code", "message", "problems": [{ "field", "node", "message" }] } }`
    pub fn json(&self, locale: Locale) -> String {
        let body = Body {
            error: BodyInner {
                code: self.code,
                message: self
                    .problems
                    .iter()
                    .map(|p| p.render(locale))
                    .collect::<Vec<_>>()
                    .join("; "),
                problems: self
                    .problems
                    .iter()
                    .map(|p| BodyProblem {
                        field: p.location.field.as_deref(),
                        node: p.location.node.as_deref(),
                        message: p.message(locale),
                    })
                    .collect(),
            },
        };
        serde_json::to_string(&body).unwrap_or_else(|_| "{}".into())
    }

    pub fn response(self, status: StatusCode, locale: Locale) -> Response {
        let body = self.json(locale);
        let mut res = (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )],
            body,
        )
            .into_response();
        res.extensions_mut().insert(self);
        res
    }
}

pub fn problem(vi: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem::new(Location::default(), vi, en)
}

fn one(p: Problem) -> Problems {
    Problems(vec![p])
}

/// A moment as people in the province read it: `10/12/2019 23:59 (UTC+7)`.
pub fn local_time(t: Timestamp, locale: Locale) -> String {
    let shifted = Timestamp(t.0 + 7 * 3600 * 1000).to_string();
    // "YYYY-MM-DDTHH:MM:SS.mmmZ"
    let (y, mo, d, hm) = (
        &shifted[0..4],
        &shifted[5..7],
        &shifted[8..10],
        &shifted[11..16],
    );
    match locale {
        Locale::Vi => format!("{hm} ngày {d}/{mo}/{y} (giờ Việt Nam, UTC+7)"),
        Locale::En => format!("{y}-{mo}-{d} {hm} (UTC+7)"),
    }
}

impl Error {
    pub fn forbidden(vi: impl Into<String>, en: impl Into<String>) -> Error {
        Error::Forbidden(problem(vi, en))
    }

    pub fn bad_request(vi: impl Into<String>, en: impl Into<String>) -> Error {
        Error::BadRequest(one(problem(vi, en)))
    }

    pub fn invalid(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Error {
        Error::Invalid(one(Problem::new(
            Location::default().with_field(field),
            vi,
            en,
        )))
    }

    pub fn not_found(vi: impl Into<String>, en: impl Into<String>) -> Error {
        Error::NotFound(problem(vi, en))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Store(e) => match e.kind() {
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict | ErrorKind::Forbidden => StatusCode::CONFLICT,
                ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Error::Unauthenticated | Error::BadCredentials => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::CsrfMissing | Error::CsrfInvalid => StatusCode::FORBIDDEN,
            Error::Deadline { .. } => StatusCode::FORBIDDEN,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => match e {
                parindex_store::Error::NotFound { .. } => "not_found",
                parindex_store::Error::Duplicate { .. } => "duplicate",
                parindex_store::Error::Conflict { .. } => "stale",
                parindex_store::Error::Forbidden { .. } => "transition_not_allowed",
                parindex_store::Error::SheetState { .. } => "sheet_state",
                parindex_store::Error::RoundState { .. } => "round_state",
                parindex_store::Error::Invalid(_) => "invalid",
                parindex_store::Error::Token(t) => match t {
                    parindex_store::TokenRefusal::Unknown => "token_unknown",
                    parindex_store::TokenRefusal::Used => "token_used",
                    parindex_store::TokenRefusal::OtherUnit { .. } => "token_other_unit",
                },
                _ => "internal",
            },
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::CsrfMissing => "csrf_missing",
            Error::CsrfInvalid => "csrf_invalid",
            Error::Deadline { .. } => "deadline_passed",
            Error::BadRequest(_) => "bad_request",
            Error::TooLarge { .. } => "too_large",
            Error::UnsupportedMedia(_) => "unsupported_media_type",
            Error::Invalid(_) => "invalid",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::BadCredentials => "bad_credentials",
            Error::LockedOut { .. } => "locked_out",
            Error::Internal(_) => "internal",
        }
    }

    /// The problems to show, in both languages. Internal faults give a generic message.
    pub fn problems(&self) -> Problems {
        match self {
            Error::Store(e) => e.problems(),
            Error::Unauthenticated => one(problem(
                "cần đăng nhập để thực hiện thao tác này",
                "you need to sign in to do this",
            )),
            Error::Forbidden(p) | Error::NotFound(p) | Error::Conflict(p) => one(p.clone()),
            Error::UnsupportedMedia(p) => one(p.clone()),
            Error::CsrfMissing => one(problem(
                "thiếu mã chống giả mạo yêu cầu (CSRF): tải lại trang rồi thử lại",
                "the anti-forgery (CSRF) token is missing: reload the page and try again",
            )),
            Error::CsrfInvalid => one(problem(
                "mã chống giả mạo yêu cầu (CSRF) không đúng: tải lại trang rồi thử lại",
                "the anti-forgery (CSRF) token is wrong: reload the page and try again",
            )),
            Error::Deadline { phase, due } => one(problem(
                format!(
                    "đã quá hạn {} lúc {}",
                    phase.vi(),
                    local_time(*due, Locale::Vi)
                ),
                format!(
                    "the {} deadline passed at {}",
                    phase.en(),
                    local_time(*due, Locale::En)
                ),
            )),
            Error::BadRequest(p) | Error::Invalid(p) => p.clone(),
            Error::TooLarge { limit } => one(problem(
                format!(
                    "dữ liệu gửi lên quá lớn (tối đa {} byte)",
                    Locale::Vi.integer(i64::try_from(*limit).unwrap_or(i64::MAX))
                ),
                format!(
                    "the request is too large (at most {} bytes)",
                    Locale::En.integer(i64::try_from(*limit).unwrap_or(i64::MAX))
                ),
            )),
            Error::BadCredentials => one(problem(
                "tên đăng nhập hoặc mật khẩu không đúng",
                "wrong username or password",
            )),
            Error::LockedOut { minutes } => one(problem(
                format!("đăng nhập sai quá nhiều lần: hãy thử lại sau {minutes} phút"),
                format!("too many failed sign-ins: try again in {minutes} minutes"),
            )),
            Error::Internal(_) => one(problem(
                "lỗi hệ thống; đã ghi nhật ký để kiểm tra",
                "a system error occurred; it has been logged",
            )),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The cause goes to the log only: it may name tables, paths or hosts.
            tracing::error!(error = %self, "request failed");
        }
        let rendered = Rendered {
            code: self.code(),
            problems: self.problems(),
        };
        rendered.response(status, Locale::Vi)
    }
}
