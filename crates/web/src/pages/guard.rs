//! The pages' middleware and request context: the language (`?lang=` switch remembered in a
//! cookie), the signed-in caller, the CSRF check of forms, the way refusals become HTML (an
//! error page in the user's language, or the sign-in page with a way back), and the security
//! headers.

use crate::app::AppState;
use crate::auth::{CSRF_HEADER, Caller, SESSION_COOKIE, same};
use crate::error::problem;
use crate::locale::{cookie, request_locale};
use crate::pages::layout::{Layout, encode};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parindex_core::diag::{Problem, Problems};
use parindex_core::locale::Locale;
use parindex_store::users::Role;

/// What every page knows about its request.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub lang: Locale,
    pub caller: Option<Caller>,
    /// This request's path and query, without `lang` and `ok`: where to come back to.
    pub here: String,
    /// The flash message named by `?ok=` after a redirect.
    pub flash: Option<String>,
    /// Sent by htmx (`HX-Request`): answer with a fragment.
    pub htmx: bool,
    /// The visit counter (today, in all), on the public pages it counts.
    pub visits: Option<(i64, i64)>,
}

impl Ctx {
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::new(self, title.into())
    }
    pub fn pick(&self, vi: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(vi, en)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, Self::Rejection> {
        Ok(parts.extensions.get::<Ctx>().cloned().unwrap_or(Ctx {
            lang: Locale::Vi,
            caller: None,
            here: "/".into(),
            flash: None,
            htmx: false,
            visits: None,
        }))
    }
}

/// A signed-in caller, or off to the sign-in page (and back here afterwards).
pub(crate) struct Signed(pub Ctx, pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Signed, PageError> {
        let Ok(ctx) = Ctx::from_request_parts(parts, s).await;
        match ctx.caller.clone() {
            Some(c) => Ok(Signed(ctx, c)),
            None => Err(PageError::SignIn),
        }
    }
}

/// Why a page was not shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No session (or it expired): sign in, then come back.
    SignIn,
    /// Shown as an error page with this status.
    Page(StatusCode, Problems),
}

pub(crate) type PageResult<T = Response> = Result<T, PageError>;

/// Refuses a page to anyone but the secretariat.
pub(crate) fn secretariat(c: &Caller) -> PageResult<()> {
    if c.is(Role::Secretariat) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "trang này dành cho cơ quan thường trực (Sở Nội vụ)",
            "this page is for the secretariat",
        ))
    }
}

/// Refuses a page to anyone but the secretariat and leaders.
pub(crate) fn secretariat_or_leader(c: &Caller) -> PageResult<()> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "trang này dành cho cơ quan thường trực (Sở Nội vụ) và lãnh đạo",
            "this page is for the secretariat and leaders",
        ))
    }
}

impl PageError {
    pub fn forbidden(vi: impl Into<String>, en: impl Into<String>) -> PageError {
        PageError::Page(StatusCode::FORBIDDEN, Problems(vec![problem(vi, en)]))
    }
    pub fn not_found(vi: impl Into<String>, en: impl Into<String>) -> PageError {
        PageError::Page(StatusCode::NOT_FOUND, Problems(vec![problem(vi, en)]))
    }
    pub fn bad_request(vi: impl Into<String>, en: impl Into<String>) -> PageError {
        PageError::Page(StatusCode::BAD_REQUEST, Problems(vec![problem(vi, en)]))
    }
}

impl From<crate::error::Error> for PageError {
    fn from(e: crate::error::Error) -> PageError {
        if matches!(e, crate::error::Error::Unauthenticated) {
            return PageError::SignIn;
        }
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(error = %e, "page failed");
        }
        PageError::Page(status, e.problems())
    }
}

impl From<parindex_store::Error> for PageError {
    fn from(e: parindex_store::Error) -> PageError {
        PageError::from(crate::error::Error::from(e))
    }
}

/// Marks a response for the guard to replace with the error page.
#[derive(Clone)]
struct ErrorPage(StatusCode, Problems);

/// Marks a response for the guard to replace with the way to the sign-in page.
#[derive(Clone)]
struct NeedSignIn;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut res = match &self {
            PageError::SignIn => StatusCode::UNAUTHORIZED.into_response(),
            PageError::Page(status, _) => status.into_response(),
        };
        match self {
            PageError::SignIn => {
                res.extensions_mut().insert(NeedSignIn);
            }
            PageError::Page(status, problems) => {
                res.extensions_mut().insert(ErrorPage(status, problems));
            }
        }
        res
    }
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The path and query without the `lang` and `ok` parameters (a language chosen, a message
/// shown: neither belongs to the way back).
fn without_lang(path: &str, query: Option<&str>) -> String {
    let rest: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang=") && !kv.starts_with("ok="))
        .collect();
    if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    }
}

/// A same-site path from a full URL the browser sent (`Referer`, `HX-Current-URL`), if it is on
/// this host.
fn local_path(headers: &HeaderMap, name: &str) -> Option<String> {
    let url = headers.get(name)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = url.split_once("://")?.1;
    let (h, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if h != host || !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    Some(without_lang(p, q))
}

/// Only paths of this site may be a `next` target (never `//host` or `https://…`).
pub(crate) fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

/// Whether a form post came from this site's pages (the browser says where in `Origin`).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split("://").nth(1).unwrap_or(origin) == host
}

fn is_content(headers: &HeaderMap, prefix: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(prefix))
}

/// The CSRF token a state-changing request carries: the `X-CSRF-Token` header (htmx), the `csrf`
/// field of a urlencoded form (read here and put back), or for a multipart upload the `csrf`
/// query parameter (the file is streamed, so its fields cannot be read ahead).
async fn csrf_token(req: Request, limit: usize) -> Result<(Request, Option<String>), Request> {
    if let Some(t) = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    {
        return Ok((req, Some(t)));
    }
    if is_content(req.headers(), "multipart/form-data") {
        let t = query_param(req.uri().query(), "csrf").map(str::to_string);
        return Ok((req, t));
    }
    if is_content(req.headers(), "application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return Err(Request::from_parts(parts, Body::empty()));
        };
        let token = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        return Ok((Request::from_parts(parts, Body::from(bytes)), token));
    }
    Ok((req, None))
}

/// The largest urlencoded form accepted (a criteria set pasted as text fits).
pub(crate) const FORM_LIMIT: usize = 2 * 1024 * 1024;

pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let chosen = query_param(req.uri().query(), "lang").and_then(Locale::parse);
    let caller = match cookie(req.headers(), SESSION_COOKIE) {
        Some(secret) => match state.caller(secret).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "could not read the session");
                None
            }
        },
        None => None,
    };
    let explicit = chosen.or_else(|| cookie(req.headers(), "lang").and_then(Locale::parse));
    let lang = match (explicit, &caller) {
        (Some(l), _) => l,
        (None, Some(c)) => c.user.locale,
        (None, None) => request_locale(req.headers(), None, state.config().default_locale),
    };
    let htmx = req.headers().contains_key("hx-request");
    let here = without_lang(req.uri().path(), req.uri().query());
    let flash = query_param(req.uri().query(), "ok").map(str::to_string);
    let mut ctx = Ctx {
        lang,
        caller,
        here,
        flash,
        htmx,
        visits: None,
    };

    if htmx && let Some(page) = local_path(req.headers(), "hx-current-url") {
        // A fragment's way back is the page it was on.
        ctx.here = page;
    }
    let mut req = req;
    if unsafe_method(req.method()) {
        // Where the user was when they posted: a POST has no page of its own to come back to.
        ctx.here = local_path(req.headers(), "hx-current-url")
            .or_else(|| local_path(req.headers(), header::REFERER.as_str()))
            .unwrap_or_else(|| "/".into());
        let signing_in = req.method() == Method::POST && req.uri().path() == "/dang-nhap";
        if signing_in {
            if !same_origin(req.headers()) {
                return finish(chosen, csrf_refused(&ctx, true));
            }
        } else {
            let Some(c) = ctx.caller.clone() else {
                return finish(chosen, sign_in_redirect(&ctx));
            };
            let (r, token) = match csrf_token(req, FORM_LIMIT).await {
                Ok(x) => x,
                Err(_) => {
                    let p = PageError::Page(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        Problems(vec![problem(
                            "dữ liệu gửi lên quá lớn",
                            "the form is too large",
                        )]),
                    );
                    return finish(chosen, render_error(&ctx, p));
                }
            };
            req = r;
            match token {
                Some(t) if same(&t, &c.csrf) => {}
                t => return finish(chosen, csrf_refused(&ctx, t.is_some())),
            }
        }
    }
    req.extensions_mut().insert(ctx.clone());
    let mut res = next.run(req).await;
    if let Some(ErrorPage(status, problems)) = res.extensions_mut().remove::<ErrorPage>() {
        res = render_error(&ctx, PageError::Page(status, problems));
    } else if res.extensions().get::<NeedSignIn>().is_some() {
        res = sign_in_redirect(&ctx);
    } else if let Some(p) = framework_refusal(&res) {
        // axum's own plain-text refusals (a wrong method, a malformed path or query) as pages.
        res = render_error(&ctx, PageError::Page(res.status(), Problems(vec![p])));
    }
    finish(chosen, res)
}

/// What an error response made by axum rather than by a page means, in both languages: those
/// are plain text (pages answer in HTML, downloads carry their own type).
fn framework_refusal(res: &Response) -> Option<Problem> {
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return None;
    }
    Some(match status {
        StatusCode::NOT_FOUND => problem(
            "không có địa chỉ này trong hệ thống",
            "there is no such address",
        ),
        StatusCode::METHOD_NOT_ALLOWED => problem(
            "địa chỉ này không nhận phương thức này",
            "this address does not accept this method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            problem("dữ liệu gửi lên quá lớn", "the request is too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => problem(
            "kiểu dữ liệu gửi lên không được hỗ trợ",
            "unsupported content type",
        ),
        s if s.is_server_error() => problem(
            "lỗi hệ thống; đã ghi nhật ký để kiểm tra",
            "a system error occurred; it has been logged",
        ),
        _ => problem(
            "yêu cầu không hợp lệ: địa chỉ hoặc tham số không đúng",
            "bad request: the address or a parameter is malformed",
        ),
    })
}

fn csrf_refused(ctx: &Ctx, wrong: bool) -> Response {
    let p = if wrong {
        problem(
            "mã chống giả mạo yêu cầu (CSRF) không đúng: tải lại trang rồi thử lại",
            "the anti-forgery (CSRF) token is wrong: reload the page and try again",
        )
    } else {
        problem(
            "thiếu mã chống giả mạo yêu cầu (CSRF): tải lại trang rồi thử lại",
            "the anti-forgery (CSRF) token is missing: reload the page and try again",
        )
    };
    render_error(
        ctx,
        PageError::Page(StatusCode::FORBIDDEN, Problems(vec![p])),
    )
}

/// To the sign-in page, and back to `ctx.here` afterwards. htmx follows `HX-Redirect` with a full
/// page load, so a row saved after the session expired also lands on the sign-in page.
fn sign_in_redirect(ctx: &Ctx) -> Response {
    let target = format!("/dang-nhap?next={}", encode(safe_next(&ctx.here)));
    if ctx.htmx {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            res.headers_mut().insert("hx-redirect", v);
        }
        res
    } else {
        see_other(&target)
    }
}

/// A 303 to a path of this site.
pub(crate) fn see_other(target: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(target) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    l: Layout,
    status: u16,
    heading: &'static str,
    messages: Vec<String>,
    signed_in: bool,
}

fn render_error(ctx: &Ctx, e: PageError) -> Response {
    let (status, problems) = match e {
        PageError::SignIn => return sign_in_redirect(ctx),
        PageError::Page(s, p) => (s, p),
    };
    let heading = match status {
        StatusCode::NOT_FOUND => "error.not_found",
        StatusCode::FORBIDDEN => "error.forbidden",
        StatusCode::CONFLICT => "error.conflict",
        s if s.is_server_error() => "error.internal",
        _ => "error.bad_request",
    };
    let l = ctx.layout(crate::pages::i18n::t(ctx.lang, heading));
    let messages = problems
        .iter()
        .map(|p: &Problem| p.message(ctx.lang).to_string())
        .collect();
    let page = ErrorTemplate {
        status: status.as_u16(),
        heading,
        messages,
        signed_in: ctx.caller.is_some(),
        l,
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "error page did not render");
            (status, "error").into_response()
        }
    }
}

/// Remembers a language chosen with `?lang=`, and adds the security headers.
fn finish(chosen: Option<Locale>, mut res: Response) -> Response {
    let h = res.headers_mut();
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    // The same URL answers with a page or a fragment.
    h.append(header::VARY, HeaderValue::from_static("HX-Request"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_the_site() {
        assert_eq!(safe_next("/ky/2019"), "/ky/2019");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }

    #[test]
    fn the_lang_parameter_is_dropped_from_the_way_back() {
        assert_eq!(without_lang("/a", Some("lang=en&x=1")), "/a?x=1");
        assert_eq!(without_lang("/a", Some("x=1&ok=saved")), "/a?x=1");
        assert_eq!(without_lang("/a", Some("lang=en")), "/a");
        assert_eq!(without_lang("/a", None), "/a");
    }
}
