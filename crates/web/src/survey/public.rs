//! The public JSON ingest route: `POST /api/survey/{year}/{code}/responses`, without a session,
//! for the open link of a unit or with a one-time token (`?token=`, `?ma=` or the `token` field).
//! Answers 201 only once the response is committed.

use super::RESPONSE_LIMIT;
use super::submit::{Refusal, submit};
use crate::app::AppState;
use crate::auth::PeerAddr;
use crate::error::{Error, problem};
use crate::extract::Path;
use crate::locale::Lang;
use crate::views::ErrorBody;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use parindex_store::Timestamp;
use parindex_store::survey::{Channel, RawResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_response))
}

/// An answer as JSON: a number or a string (`4`, `"4"`); `null` or `""` for none.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Num(serde_json::Number),
    Text(String),
    Many(Vec<String>),
    None(()),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Num(n) => n.to_string(),
            Scalar::Text(s) => s,
            Scalar::Many(v) => v.join(" "),
            Scalar::None(()) => String::new(),
        }
    }
}

fn texts(m: BTreeMap<String, Scalar>) -> BTreeMap<String, String> {
    m.into_iter().map(|(k, v)| (k, v.text())).collect()
}

/// A response as sent by a client (a kiosk, an app, the form's own script).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// The unit's code; optional with a token (the token names its unit).
    #[serde(default)]
    pub unit: Option<String>,
    /// The one-time token (or `?token=` / `?ma=`).
    #[serde(default)]
    pub token: Option<String>,
    /// `online` (default), `counter`, `phone` or `door`; paper forms are entered by staff.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub service_field: Option<String>,
    /// When the respondent opened the form (RFC 3339); a response completed too fast is held
    /// for review.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Item code → answer 1–5 (number or string).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) answers: BTreeMap<String, Scalar>,
    /// Profile question code → option code (a list where several are allowed).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) profile: BTreeMap<String, Scalar>,
    /// Expectation area code → option code.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) expectations: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub free_text: Option<String>,
    /// Other question code → answer.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) other: BTreeMap<String, Scalar>,
}

/// What a respondent learns: that the response is stored (not how it was screened).
#[derive(Serialize, ToSchema)]
pub struct Received {
    /// Always `received`.
    pub status: &'static str,
}

fn query_token(uri: &Uri) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == "token" || k == "ma")
        .map(|(_, v)| v.into_owned())
}

/// Reads a body up to `limit` bytes; 413 beyond it.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, Error> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // http-body-util's `LengthLimitError`, somewhere in the chain.
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            if s.to_string().contains("length limit exceeded") {
                return Error::TooLarge {
                    limit: limit as u64,
                };
            }
            src = s.source();
        }
        Error::bad_request(
            "không đọc được dữ liệu gửi lên",
            "the request body could not be read",
        )
    })
}

pub(crate) fn is_content(headers: &HeaderMap, want: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
}

fn parse_input(bytes: &[u8]) -> Result<ResponseInput, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde::Deserialize::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e: serde_json::Error| {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => Error::bad_request(
                format!("dữ liệu JSON không đúng dạng: {e}"),
                format!("the JSON does not have the expected shape: {e}"),
            ),
            _ => Error::bad_request(
                format!("JSON hỏng ở dòng {line}, cột {column}"),
                format!("malformed JSON at line {line}, column {column}"),
            ),
        }
    })
}

/// Submits one response (no session needed). The answer comes after the commit.
#[utoipa::path(post, path = "/api/survey/{year}/{code}/responses", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path),
        ("token" = Option<String>, Query, description = "a one-time token (also `ma`)")),
    request_body = ResponseInput,
    responses((status = 201, body = Received),
        (status = 400, body = ErrorBody, description = "malformed JSON or a wrong shape"),
        (status = 404, body = ErrorBody, description = "no such survey"),
        (status = 409, body = ErrorBody, description = "`survey_closed`, `token_used`"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`invalid` (unknown item, off the scale, a required answer missing, a unit not in the round…), `token_unknown`, `token_other_unit`"),
        (status = 429, body = ErrorBody, description = "`rate_limited` (open link, per source)")))]
async fn post_response(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((year, code)): Path<(i32, String)>,
    PeerAddr(peer): PeerAddr,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle(&state, year, &code, peer, &uri, &headers, body).await {
        Ok(()) => (
            StatusCode::CREATED,
            axum::Json(Received { status: "received" }),
        )
            .into_response(),
        Err(r) => r.json(lang),
    }
}

async fn handle(
    state: &AppState,
    year: i32,
    code: &str,
    peer: Option<std::net::SocketAddr>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), Refusal> {
    if !is_content(headers, "application/json") {
        return Err(Error::UnsupportedMedia(problem(
            "dữ liệu gửi lên phải là JSON (Content-Type: application/json)",
            "the request body must be JSON (Content-Type: application/json)",
        ))
        .into());
    }
    let bytes = read_body(body, RESPONSE_LIMIT).await?;
    let input = parse_input(&bytes)?;
    let ctx = state
        .survey()
        .context(state.db(), year, code)
        .await
        .map_err(Error::from)?;
    let channel = input.channel.unwrap_or_else(|| "online".into());
    if Channel::parse(&channel) == Some(Channel::Paper) {
        return Err(Refusal::Invalid(parindex_core::diag::Problems(vec![
            parindex_core::diag::Problem::new(
                parindex_core::diag::Location::default().with_field("channel"),
                "phiếu giấy do cán bộ nhập qua màn hình nhập phiếu",
                "paper forms are entered by staff on the paper-entry screen",
            ),
        ])));
    }
    let started_at = match input.started_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(Timestamp::parse_rfc3339(t).ok_or_else(|| {
            Refusal::Invalid(parindex_core::diag::Problems(vec![
                parindex_core::diag::Problem::new(
                    parindex_core::diag::Location::default().with_field("started_at"),
                    format!("thời điểm \"{t}\" không đúng dạng RFC 3339"),
                    format!("the time \"{t}\" is not RFC 3339"),
                ),
            ]))
        })?),
    };
    let source = state.client_ip(headers, peer);
    let raw = RawResponse {
        unit: input.unit.unwrap_or_default(),
        channel,
        service_field: input.service_field,
        token: query_token(uri).or(input.token),
        device: super::device_marker(headers),
        source: Some(super::limit::source_key(&source)),
        started_at,
        submitted_at: None,
        answers: texts(input.answers),
        profile: texts(input.profile),
        expectations: texts(input.expectations),
        free_text: input.free_text,
        other: texts(input.other),
    };
    let key = raw.source.clone();
    submit(state, &ctx, raw, key.as_deref()).await?;
    Ok(())
}
