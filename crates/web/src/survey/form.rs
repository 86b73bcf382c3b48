//! The public survey pages, without JavaScript and without a session: the survey's landing page
//! (type a token, or pick a unit), the questionnaire of a unit (`/khao-sat/{year}/{code}/{unit}`,
//! the open link, or with `?ma=` a one-time token), its form POST — refused answers shown in
//! place with kind messages, the answers kept — and the thank-you page (after a 303, so a reload
//! does not send the form again).

use super::submit::{Refusal, closed, submit, unit_not_in_round};
use super::view::{CSP, Frame, Opt, QuestionnaireView, segment};
use super::{DEVICE_COOKIE, RESPONSE_LIMIT};
use crate::app::AppState;
use crate::auth::{PeerAddr, random_hex};
use crate::locale::{Lang, request_locale};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use parindex_store::Timestamp;
use parindex_store::survey::{RawResponse, SurveyContext, SurveyState};
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/khao-sat/{year}/{code}", get(landing))
        .route("/khao-sat/{year}/{code}/{unit}", get(show).post(send))
        .route("/khao-sat/{year}/{code}/{unit}/cam-on", get(thanks))
        .layer(middleware::from_fn(page_layer))
}

/// The language of a survey page (`?lang=`, the `lang` cookie, `Accept-Language`, Vietnamese),
/// remembered when chosen; the security headers with a CSP that allows no script.
async fn page_layer(mut req: Request, next: Next) -> Response {
    let chosen = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Locale::parse(&v))
    });
    let lang = request_locale(req.headers(), req.uri().query(), Locale::Vi);
    req.extensions_mut().insert(Lang(lang));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    super::security_headers(h);
    if let Ok(v) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    res
}

/// The path and query without `lang` (the language switch adds its own).
fn here(uri: &Uri) -> String {
    let rest: Vec<String> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "lang")
                .map(|(k, v)| {
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair(&k, &v)
                        .finish()
                })
                .collect()
        })
        .unwrap_or_default();
    if rest.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), rest.join("&"))
    }
}

fn query(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty())
}

fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "survey page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "survey/message.html")]
struct MessagePage {
    f: Frame,
    messages: Vec<String>,
    /// A form to type a token again (its action).
    token_form: Option<String>,
    token: String,
    back: Option<String>,
}

fn message(
    lang: Locale,
    uri: &Uri,
    status: StatusCode,
    heading: &str,
    problems: &Problems,
    token_form: Option<String>,
) -> Response {
    let page = MessagePage {
        f: Frame::new(lang, heading.to_string(), heading.to_string(), &here(uri)),
        messages: problems
            .iter()
            .map(|p| p.message(lang).to_string())
            .collect(),
        token_form,
        token: String::new(),
        back: None,
    };
    render(status, &page)
}

fn not_found(lang: Locale, uri: &Uri) -> Response {
    let p = Problems(vec![crate::error::problem(
        "Không tìm thấy cuộc khảo sát này. Xin Ông/Bà kiểm tra lại đường dẫn.",
        "This survey was not found. Please check the link.",
    )]);
    let h = lang.pick("Không tìm thấy", "Not found");
    message(lang, uri, StatusCode::NOT_FOUND, h, &p, None)
}

fn system_error(lang: Locale, uri: &Uri, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "survey page failed");
    let p = Problems(vec![crate::error::problem(
        "Hệ thống đang gặp sự cố. Xin Ông/Bà vui lòng thử lại sau ít phút.",
        "Something went wrong on our side. Please try again in a few minutes.",
    )]);
    let h = lang.pick("Lỗi hệ thống", "System error");
    message(lang, uri, StatusCode::INTERNAL_SERVER_ERROR, h, &p, None)
}

/// The survey, or the page saying why not.
async fn load(
    state: &AppState,
    lang: Locale,
    uri: &Uri,
    year: &str,
    code: &str,
) -> Result<Arc<SurveyContext>, Response> {
    let Ok(year) = year.parse::<i32>() else {
        return Err(not_found(lang, uri));
    };
    match state.survey().context(state.db(), year, code).await {
        Ok(ctx) => Ok(ctx),
        Err(e) if e.kind() == parindex_store::ErrorKind::NotFound => Err(not_found(lang, uri)),
        Err(e) => Err(system_error(lang, uri, &e)),
    }
}

fn title(ctx: &SurveyContext, lang: Locale) -> String {
    match (lang, &ctx.questionnaire.title_en) {
        (Locale::En, Some(t)) if !t.trim().is_empty() => t.clone(),
        _ => ctx.survey.title.clone(),
    }
}

fn base(ctx: &SurveyContext) -> String {
    format!(
        "/khao-sat/{}/{}",
        ctx.survey.year,
        segment(&ctx.survey.code)
    )
}

/// The page for a refusal that is not about one answer.
fn refusal_page(ctx: &SurveyContext, lang: Locale, uri: &Uri, r: &Refusal) -> Response {
    let heading = title(ctx, lang);
    let token_form = matches!(r, Refusal::TokenUnknown(_)).then(|| base(ctx));
    let status = match r {
        Refusal::UnitNotInRound(_) => StatusCode::NOT_FOUND,
        r => r.status(),
    };
    if let Refusal::Other(e) = r
        && status.is_server_error()
    {
        return system_error(lang, uri, e);
    }
    message(lang, uri, status, &heading, &r.problems(), token_form)
}

#[derive(Template)]
#[template(path = "survey/landing.html")]
struct LandingPage {
    f: Frame,
    action: String,
    units: Vec<(String, String)>,
}

/// The survey's page: with `?ma=` the questionnaire the token opens; otherwise a box to type a
/// token and the units' open links.
async fn landing(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let ctx = match load(&state, lang, &uri, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(token) = query(&uri, "ma").or_else(|| query(&uri, "token")) {
        return match state
            .db()
            .check_token(ctx.survey.year, &ctx.survey.code, &token)
            .await
        {
            Ok(info) => form_page(
                &ctx,
                lang,
                &uri,
                &info.unit,
                &token,
                &RawResponse::default(),
                &Problems::default(),
                StatusCode::OK,
            ),
            Err(e @ (parindex_store::Error::Invalid(_) | parindex_store::Error::Token(_))) => {
                let r = token_refusal(&ctx, e);
                refusal_page(&ctx, lang, &uri, &r)
            }
            Err(e) => system_error(lang, &uri, &e),
        };
    }
    if ctx.survey.state != SurveyState::Open {
        return refusal_page(&ctx, lang, &uri, &Refusal::Closed(closed(&ctx)));
    }
    let b = base(&ctx);
    let page = LandingPage {
        f: Frame::new(lang, title(&ctx, lang), title(&ctx, lang), &here(&uri)),
        action: b.clone(),
        units: ctx
            .units
            .iter()
            .map(|u| (format!("{b}/{}", segment(&u.code)), u.name.clone()))
            .collect(),
    };
    render(StatusCode::OK, &page)
}

/// A token refused when the page opens (the same words as when the form is sent).
fn token_refusal(ctx: &SurveyContext, e: parindex_store::Error) -> Refusal {
    super::submit::from_store(ctx, e)
}

#[derive(Template)]
#[template(path = "survey/form.html")]
struct FormPage {
    f: Frame,
    unit_name: String,
    action: String,
    token: String,
    t0: i64,
    service_fields: Vec<Opt>,
    v: QuestionnaireView,
}

/// A new device marker when the browser has none: 256 random bits, `HttpOnly`, a year long.
fn device_cookie(state: &AppState, headers: &HeaderMap) -> Option<(String, HeaderValue)> {
    if super::device_marker(headers).is_some() {
        return None;
    }
    let value = random_hex();
    let secure = if super::secure(state, headers) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
    ))
    .ok()
    .map(|h| (value, h))
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    ctx: &SurveyContext,
    lang: Locale,
    uri: &Uri,
    unit: &str,
    token: &str,
    raw: &RawResponse,
    problems: &Problems,
    status: StatusCode,
) -> Response {
    let Some(u) = ctx.unit(unit) else {
        let r = Refusal::UnitNotInRound(unit_not_in_round(ctx, unit));
        return refusal_page(ctx, lang, uri, &r);
    };
    let fields = &ctx.survey.settings.service_fields;
    let chosen = raw.service_field.as_deref().unwrap_or("");
    let page = FormPage {
        f: Frame::new(lang, title(ctx, lang), title(ctx, lang), &here(uri)),
        unit_name: u.name.clone(),
        action: format!("{}/{}", base(ctx), segment(&u.code)),
        token: token.trim().to_string(),
        t0: raw.started_at.unwrap_or_else(Timestamp::now).millis(),
        service_fields: fields
            .iter()
            .map(|f| Opt {
                code: f.clone(),
                label: f.clone(),
                checked: f == chosen,
            })
            .collect(),
        v: QuestionnaireView::new(ctx, lang, raw, problems),
    };
    render(status, &page)
}

/// The questionnaire of a unit: the open link, or with `?ma=` a token's.
async fn show(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code, unit)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ctx = match load(&state, lang, &uri, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if ctx.survey.state != SurveyState::Open {
        return refusal_page(&ctx, lang, &uri, &Refusal::Closed(closed(&ctx)));
    }
    let token = query(&uri, "ma").or_else(|| query(&uri, "token"));
    if let Some(t) = &token {
        match state
            .db()
            .check_token(ctx.survey.year, &ctx.survey.code, t)
            .await
        {
            Ok(info) if info.unit == unit => {}
            Ok(info) => {
                let r = Refusal::TokenOtherUnit(Problems(vec![crate::error::problem(
                    format!(
                        "Mã khảo sát này dành cho đơn vị {}. Xin Ông/Bà mở đường dẫn in kèm mã.",
                        ctx.unit(&info.unit).map_or(info.unit.as_str(), |u| &u.name)
                    ),
                    format!(
                        "This survey code is for {}. Please open the link printed with the code.",
                        ctx.unit(&info.unit).map_or(info.unit.as_str(), |u| &u.name)
                    ),
                )]));
                return refusal_page(&ctx, lang, &uri, &r);
            }
            Err(e @ (parindex_store::Error::Invalid(_) | parindex_store::Error::Token(_))) => {
                let r = token_refusal(&ctx, e);
                return refusal_page(&ctx, lang, &uri, &r);
            }
            Err(e) => return system_error(lang, &uri, &e),
        }
    }
    let mut res = form_page(
        &ctx,
        lang,
        &uri,
        &unit,
        token.as_deref().unwrap_or(""),
        &RawResponse::default(),
        &Problems::default(),
        StatusCode::OK,
    );
    if res.status() == StatusCode::OK
        && let Some((_, c)) = device_cookie(&state, &headers)
    {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Whether a form post came from this site (the browser says where in `Origin`): a page
/// elsewhere must not post responses through its visitors' browsers.
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

/// Reads the form into a response. `Err` for form data that cannot be read: not UTF-8, or one
/// answer given twice.
pub(crate) fn read_form(body: &[u8], raw: &mut RawResponse) -> Result<(), ()> {
    if std::str::from_utf8(body).is_err() {
        return Err(());
    }
    for (k, v) in form_urlencoded::parse(body) {
        if k.contains('\u{fffd}') || v.contains('\u{fffd}') {
            return Err(());
        }
        let v = v.into_owned();
        let once = |m: &mut std::collections::BTreeMap<String, String>, key: &str, v: String| {
            if m.insert(key.to_string(), v).is_some() {
                Err(())
            } else {
                Ok(())
            }
        };
        if let Some(code) = k.strip_prefix("i_") {
            once(&mut raw.answers, code, v)?;
        } else if let Some(code) = k.strip_prefix("p_") {
            // Several boxes of one question: the options, space-separated.
            let e = raw.profile.entry(code.to_string()).or_default();
            if !e.is_empty() {
                e.push(' ');
            }
            e.push_str(v.trim());
        } else if let Some(code) = k.strip_prefix("e_") {
            once(&mut raw.expectations, code, v)?;
        } else if let Some(code) = k.strip_prefix("o_") {
            once(&mut raw.other, code, v)?;
        } else {
            match &*k {
                "free_text" => raw.free_text = Some(v),
                "ma" => raw.token = Some(v),
                "service_field" => raw.service_field = Some(v),
                "t0" => {
                    // When the page was shown; ignored unless plausible (a day at most, not
                    // in the future).
                    let now = Timestamp::now().millis();
                    raw.started_at = v
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|t| *t <= now && now - t < 86_400_000)
                        .map(Timestamp::from_millis);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn bad_form(lang: Locale, uri: &Uri, status: StatusCode) -> Response {
    let p = Problems(vec![match status {
        StatusCode::PAYLOAD_TOO_LARGE => crate::error::problem(
            "Phiếu gửi lên quá dài. Xin Ông/Bà rút gọn phần ý kiến khác rồi gửi lại.",
            "The form is too long. Please shorten your comments and send it again.",
        ),
        StatusCode::FORBIDDEN => crate::error::problem(
            "Phiếu phải được gửi từ trang khảo sát của hệ thống.",
            "The form must be sent from the survey's own page.",
        ),
        _ => crate::error::problem(
            "Không đọc được phiếu gửi lên. Xin Ông/Bà tải lại trang và gửi lại.",
            "The form could not be read. Please reload the page and send it again.",
        ),
    }]);
    let h = lang.pick("Không gửi được phiếu", "The form was not sent");
    message(lang, uri, status, h, &p, None)
}

/// The form is sent: stored (then to the thank-you page), or shown again with the problems in
/// place and nothing stored.
async fn send(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code, unit)): Path<(String, String, String)>,
    PeerAddr(peer): PeerAddr,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !same_origin(&headers) {
        return bad_form(lang, &uri, StatusCode::FORBIDDEN);
    }
    if !super::public::is_content(&headers, "application/x-www-form-urlencoded") {
        return bad_form(lang, &uri, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let bytes = match super::public::read_body(body, RESPONSE_LIMIT).await {
        Ok(b) => b,
        Err(e) => return bad_form(lang, &uri, e.status()),
    };
    let ctx = match load(&state, lang, &uri, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut raw = RawResponse {
        unit: unit.clone(),
        channel: "online".into(),
        ..Default::default()
    };
    if read_form(&bytes, &mut raw).is_err() {
        return bad_form(lang, &uri, StatusCode::BAD_REQUEST);
    }
    let new_device = device_cookie(&state, &headers);
    raw.device = match &new_device {
        Some((v, _)) => Some(v.clone()),
        None => super::device_marker(&headers),
    };
    let source = super::limit::source_key(&state.client_ip(&headers, peer));
    raw.source = Some(source.clone());
    let token = raw.token.clone().unwrap_or_default();
    let shown = raw.clone();
    let mut res = match submit(&state, &ctx, raw, Some(&source)).await {
        Ok(_) => {
            let target = format!("{}/{}/cam-on", base(&ctx), segment(&unit));
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&target) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(Refusal::Invalid(p)) => form_page(
            &ctx,
            lang,
            &uri,
            &unit,
            &token,
            &shown,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(r @ Refusal::RateLimited(_)) => {
            let mut page = form_page(
                &ctx,
                lang,
                &uri,
                &unit,
                &token,
                &shown,
                &r.problems(),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Refusal::RateLimited(wait) = r
                && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
            {
                page.headers_mut().insert(header::RETRY_AFTER, v);
            }
            page
        }
        Err(r) => refusal_page(&ctx, lang, &uri, &r),
    };
    if let Some((_, c)) = new_device {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[derive(Template)]
#[template(path = "survey/thanks.html")]
struct ThanksPage {
    f: Frame,
}

async fn thanks(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code, _unit)): Path<(String, String, String)>,
    uri: Uri,
) -> Response {
    let ctx = match load(&state, lang, &uri, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let page = ThanksPage {
        f: Frame::new(lang, title(&ctx, lang), title(&ctx, lang), &here(&uri)),
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_and_malformed_ones_refused() {
        let mut raw = RawResponse::default();
        read_form(
            b"i_1.1=4&i_1.2=5&p_gender=male&p_x=a&p_x=b&e_1=nhieu&free_text=T%E1%BB%91t&ma=abc&csrf=zz",
            &mut raw,
        )
        .unwrap();
        assert_eq!(raw.answers["1.1"], "4");
        assert_eq!(raw.profile["x"], "a b");
        assert_eq!(raw.expectations["1"], "nhieu");
        assert_eq!(raw.free_text.as_deref(), Some("Tốt"));
        assert_eq!(raw.token.as_deref(), Some("abc"));
        let mut raw = RawResponse::default();
        assert!(read_form(b"i_1.1=4&i_1.1=5", &mut raw).is_err());
        assert!(read_form(b"i_1.1=%FF", &mut RawResponse::default()).is_err());
        assert!(read_form(b"i_1.1=\xff", &mut RawResponse::default()).is_err());
    }
}
