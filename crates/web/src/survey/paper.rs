//! The paper-entry screen for the secretariat (`/khao-sat/{year}/{code}/nhap-phieu`): one plain
//! form made for the keyboard — one box per element where the answers are typed as a row of
//! digits, the profile as selects, the expectations as one more row of digits; the first box has
//! the focus, Enter saves, and the next form starts with the same unit. Without JavaScript. Each
//! form goes through the same validation and writer as every other channel (`paper`), and is
//! answered after the commit.

use super::RESPONSE_LIMIT;
use super::form::read_form;
use super::submit::{Refusal, submit};
use super::view::{CSP, Frame, Opt, QuestionnaireView, segment};
use crate::app::AppState;
use crate::auth::{Caller, SESSION_COOKIE, same};
use crate::locale::{Lang, cookie, request_locale};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_store::survey::{Flags, RawResponse, ResponseStatus, SurveyContext};
use parindex_store::users::Role;
use std::collections::HashMap;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/khao-sat/{year}/{code}/nhap-phieu", get(show).post(save))
        .layer(middleware::from_fn(headers_layer))
}

async fn headers_layer(mut req: Request, next: Next) -> Response {
    let lang = request_locale(req.headers(), req.uri().query(), Locale::Vi);
    req.extensions_mut().insert(Lang(lang));
    let mut res = next.run(req).await;
    super::security_headers(res.headers_mut());
    if let Ok(v) = HeaderValue::from_str(&CSP) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

fn see_other(target: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(target) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn plain(status: StatusCode, lang: Locale, vi: &str, en: &str) -> Response {
    let f = Frame::new(
        lang,
        lang.pick(vi, en).to_string(),
        lang.pick(vi, en).to_string(),
        "/",
    );
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>{}</style></head><body><main><p class=\"errors\" role=\"alert\">{}</p>\
             <p><a href=\"/\">{}</a></p></main></body></html>",
            f.lang,
            askama_escape(&f.title),
            f.css,
            askama_escape(&f.title),
            lang.pick("Trang chủ", "Home")
        )),
    )
        .into_response()
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The signed-in secretariat member, or the response that sends the caller away: to the
/// sign-in page (and back here), or a refusal.
async fn staff(
    state: &AppState,
    lang: Locale,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Caller, Response> {
    let caller = match cookie(headers, SESSION_COOKIE) {
        Some(secret) => match state.caller(secret).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "could not read the session");
                None
            }
        },
        None => None,
    };
    let Some(c) = caller else {
        let next = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string());
        let target = format!(
            "/dang-nhap?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        return Err(see_other(&target));
    };
    if !c.is(Role::Secretariat) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            lang,
            "Chỉ cơ quan thường trực (Sở Nội vụ) được nhập phiếu giấy.",
            "Only the secretariat may enter paper forms.",
        ));
    }
    Ok(c)
}

#[derive(Template)]
#[template(path = "survey/paper.html")]
struct PaperPage {
    f: Frame,
    action: String,
    csrf: String,
    saved: Option<String>,
    units: Vec<Opt>,
    token: String,
    service_fields: Vec<Opt>,
    expect_digits: String,
    expect_error: String,
    v: QuestionnaireView,
}

fn query(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty())
}

async fn load(
    state: &AppState,
    lang: Locale,
    year: &str,
    code: &str,
) -> Result<Arc<SurveyContext>, Response> {
    let not_found = || {
        plain(
            StatusCode::NOT_FOUND,
            lang,
            "Không tìm thấy cuộc khảo sát này.",
            "This survey was not found.",
        )
    };
    let Ok(year) = year.parse::<i32>() else {
        return Err(not_found());
    };
    match state.survey().context(state.db(), year, code).await {
        Ok(c) => Ok(c),
        Err(e) if e.kind() == parindex_store::ErrorKind::NotFound => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %e, "paper entry failed");
            Err(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                "Lỗi hệ thống; đã ghi nhật ký để kiểm tra.",
                "A system error occurred; it has been logged.",
            ))
        }
    }
}

/// Marks typed as "no answer".
fn blank(c: char) -> bool {
    matches!(c, '0' | '-' | '.' | '_')
}

/// The typed rows into a response, with the problems of rows that are too long (by element code;
/// `0` for the expectations).
fn read_rows(
    ctx: &SurveyContext,
    fields: &HashMap<String, String>,
    raw: &mut RawResponse,
    lang: Locale,
) -> HashMap<u32, String> {
    let q = &ctx.questionnaire;
    let mut extra = HashMap::new();
    for el in &q.elements {
        let typed: Vec<char> = fields
            .get(&format!("d_{}", el.code))
            .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default();
        let items: Vec<&str> = q
            .items_of_element(el.code)
            .map(|i| i.code.as_str())
            .collect();
        for (k, item) in items.iter().enumerate() {
            match typed.get(k) {
                Some(c) if !blank(*c) => {
                    raw.answers.insert((*item).to_string(), c.to_string());
                }
                _ => {}
            }
        }
        if typed.len() > items.len() {
            extra.insert(
                el.code,
                match lang {
                    Locale::Vi => format!(
                        "yếu tố này có {} tiêu chí, đã gõ {} chữ số",
                        items.len(),
                        typed.len()
                    ),
                    Locale::En => format!(
                        "this element has {} items, {} digits were typed",
                        items.len(),
                        typed.len()
                    ),
                },
            );
        }
    }
    if let Some(x) = &q.expectations {
        let typed: Vec<char> = fields
            .get("x")
            .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default();
        for (k, area) in x.areas.iter().enumerate() {
            if let Some(c) = typed.get(k).filter(|c| !blank(**c)) {
                let value = c
                    .to_digit(10)
                    .and_then(|d| x.options.get((d as usize).checked_sub(1)?))
                    .map_or_else(|| c.to_string(), |o| o.code.clone());
                raw.expectations.insert(area.code.clone(), value);
            }
        }
        if typed.len() > x.areas.len() {
            extra.insert(
                0,
                match lang {
                    Locale::Vi => format!(
                        "có {} nội dung mong đợi, đã gõ {} chữ số",
                        x.areas.len(),
                        typed.len()
                    ),
                    Locale::En => format!(
                        "there are {} expectation areas, {} digits were typed",
                        x.areas.len(),
                        typed.len()
                    ),
                },
            );
        }
    }
    extra
}

/// The expectation answers back as the row of digits typed.
fn expect_digits(ctx: &SurveyContext, raw: &RawResponse) -> String {
    let Some(x) = &ctx.questionnaire.expectations else {
        return String::new();
    };
    if raw.expectations.is_empty() {
        return String::new();
    }
    x.areas
        .iter()
        .map(|a| match raw.expectations.get(&a.code) {
            None => "0".to_string(),
            Some(v) => x
                .options
                .iter()
                .position(|o| &o.code == v)
                .map_or_else(|| v.clone(), |i| (i + 1).to_string()),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn page(
    ctx: &SurveyContext,
    lang: Locale,
    uri: &Uri,
    caller: &Caller,
    unit: &str,
    raw: &RawResponse,
    problems: &Problems,
    extra: &HashMap<u32, String>,
    saved: Option<String>,
    status: StatusCode,
) -> Response {
    let t = super::view::Texts::of(lang);
    let heading = format!("{} — {}", t.paper_title, ctx.survey.code);
    let mut v = QuestionnaireView::new(ctx, lang, raw, problems);
    for el in &mut v.elements {
        if let Some(e) = extra.get(&el.code) {
            el.error = Some(match &el.error {
                Some(x) => format!("{e} · {x}"),
                None => e.clone(),
            });
            v.summary
                .push((el.id.clone(), format!("{}. {}: {e}", el.code, el.name)));
        }
        // The row holds what was typed, in place, even when it is wrong.
        if el.digits.chars().all(|c| c == '0') && raw.answers.is_empty() {
            el.digits.clear();
        }
    }
    for (anchor, _) in &mut v.summary {
        if let Some(code) = anchor.strip_prefix("q-") {
            // Item errors point at their element's row on this screen.
            if let Some(item) = ctx
                .questionnaire
                .items
                .iter()
                .find(|i| super::view::anchor("q", &i.code) == format!("q-{code}"))
            {
                *anchor = super::view::anchor("d", &item.element.to_string());
            }
        } else if anchor.starts_with("e-") {
            *anchor = "x".into();
        }
    }
    let mut expect_error: Vec<String> = Vec::new();
    if let Some(e) = extra.get(&0) {
        expect_error.push(e.clone());
    }
    if let Some(x) = &v.expectations {
        for (i, a) in x.areas.iter().enumerate() {
            if let Some(e) = &a.error {
                expect_error.push(format!("{}: {e}", i + 1));
            }
        }
    }
    let fields = &ctx.survey.settings.service_fields;
    let chosen = raw.service_field.as_deref().unwrap_or("");
    let p = PaperPage {
        f: Frame::new(lang, heading.clone(), heading, uri.path()),
        action: format!(
            "/khao-sat/{}/{}/nhap-phieu",
            ctx.survey.year,
            segment(&ctx.survey.code)
        ),
        csrf: caller.csrf.clone(),
        saved,
        units: ctx
            .units
            .iter()
            .map(|u| Opt {
                code: u.code.clone(),
                label: u.name.clone(),
                checked: u.code == unit,
            })
            .collect(),
        token: raw.token.clone().unwrap_or_default(),
        service_fields: fields
            .iter()
            .map(|f| Opt {
                code: f.clone(),
                label: f.clone(),
                checked: f == chosen,
            })
            .collect(),
        expect_digits: expect_digits(ctx, raw),
        expect_error: expect_error.join(" · "),
        v,
    };
    match p.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "paper page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn show(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let caller = match staff(&state, lang, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ctx = match load(&state, lang, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let unit = query(&uri, "unit").unwrap_or_default();
    let t = super::view::Texts::of(lang);
    let saved = query(&uri, "ok")
        .and_then(|id| id.parse::<i64>().ok())
        .map(|id| {
            let held = query(&uri, "held")
                .and_then(|h| Flags::parse(&h))
                .filter(|f| !f.is_empty())
                .map(|f| {
                    let why: Vec<&str> = f.iter().map(|x| lang.pick(x.vi(), x.en())).collect();
                    format!(" ({}: {})", t.paper_held, why.join(", "))
                })
                .unwrap_or_default();
            format!("{} #{id} — {unit}{held}", t.paper_saved)
        });
    page(
        &ctx,
        lang,
        &uri,
        &caller,
        &unit,
        &RawResponse::default(),
        &Problems::default(),
        &HashMap::new(),
        saved,
        StatusCode::OK,
    )
}

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

async fn save(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let caller = match staff(&state, lang, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !super::public::is_content(&headers, "application/x-www-form-urlencoded") {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            lang,
            "Phiếu phải được gửi từ màn hình nhập phiếu.",
            "The form must be sent from the entry screen.",
        );
    }
    let bytes = match super::public::read_body(body, RESPONSE_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            return plain(
                e.status(),
                lang,
                "Dữ liệu gửi lên quá lớn hoặc không đọc được.",
                "The form is too large or could not be read.",
            );
        }
    };
    let fields: HashMap<String, String> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let csrf_ok = fields.get("csrf").is_some_and(|t| same(t, &caller.csrf));
    if !csrf_ok || !same_origin(&headers) {
        return plain(
            StatusCode::FORBIDDEN,
            lang,
            "Mã chống giả mạo yêu cầu (CSRF) không đúng: tải lại trang rồi thử lại.",
            "The anti-forgery (CSRF) token is wrong: reload the page and try again.",
        );
    }
    let ctx = match load(&state, lang, &year, &code).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let unit = fields.get("unit").cloned().unwrap_or_default();
    let mut raw = RawResponse {
        unit: unit.clone(),
        channel: "paper".into(),
        ..Default::default()
    };
    // The profile, service field, free text, token and other answers as the public form names
    // them; the rows of digits read here.
    let named: Vec<u8> = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().filter(|(k, _)| {
            k.starts_with("p_")
                || k.starts_with("o_")
                || matches!(k.as_str(), "free_text" | "ma" | "service_field")
        }))
        .finish()
        .into_bytes();
    let mut form_raw = RawResponse::default();
    let _ = read_form(&named, &mut form_raw);
    raw.profile = form_raw.profile;
    raw.other = form_raw.other;
    raw.free_text = form_raw.free_text;
    raw.token = form_raw.token;
    raw.service_field = form_raw.service_field;
    let extra = read_rows(&ctx, &fields, &mut raw, lang);
    if !extra.is_empty() {
        let problems = parindex_store::survey::validate(&ctx, &raw)
            .err()
            .unwrap_or_default();
        return page(
            &ctx,
            lang,
            &uri,
            &caller,
            &unit,
            &raw,
            &problems,
            &extra,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let shown = raw.clone();
    match submit(&state, &ctx, raw, None).await {
        Ok(receipt) => {
            let held = if receipt.status == ResponseStatus::Quarantined {
                format!("&held={}", receipt.flags.to_text())
            } else {
                String::new()
            };
            see_other(&format!(
                "/khao-sat/{}/{}/nhap-phieu?unit={}&ok={}{held}",
                ctx.survey.year,
                segment(&ctx.survey.code),
                form_urlencoded::byte_serialize(unit.as_bytes()).collect::<String>(),
                receipt.id
            ))
        }
        Err(Refusal::Other(e)) if e.status().is_server_error() => {
            tracing::error!(error = %e, "paper entry failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                "Lỗi hệ thống; phiếu chưa được lưu. Xin thử lại.",
                "A system error occurred; the form was not saved. Please try again.",
            )
        }
        Err(r) => {
            let status = r.status();
            let problems = match r {
                Refusal::Invalid(p) => p,
                r => {
                    // Not about one answer (unit, token, closed): shown at the top.
                    Problems(
                        r.problems()
                            .iter()
                            .map(|p| Problem::new(Location::default(), p.vi.clone(), p.en.clone()))
                            .collect(),
                    )
                }
            };
            page(
                &ctx,
                lang,
                &uri,
                &caller,
                &unit,
                &shown,
                &problems,
                &HashMap::new(),
                None,
                status,
            )
        }
    }
}
