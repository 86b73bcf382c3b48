//! The secretariat's survey API (session and CSRF like the rest of `/api`): a survey's summary
//! and state, one-time tokens for a unit (the plaintext returned once, as JSON or as a printable
//! sheet of QR codes), the quarantine review queue and decisions, the report with intervals and
//! rankings, and batch import of a CSV or XLSX file.

use super::public::read_body;
use super::view::segment;
use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result, problem};
use crate::extract::{Json, Path, Query};
use crate::locale::Lang;
use crate::views::ErrorBody;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parindex_core::locale::Locale;
use parindex_report::qr::{Card, Sheet, sheet_html, sheet_svg};
use parindex_store::Actor;
use parindex_store::Timestamp;
use parindex_store::survey::{
    CsvRows, Decision, ImportMode, ImportRows, ResponseStatus, ResponseSummary, SurveyState,
    VecRows, batch_id,
};
use parindex_store::users::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api(state: &AppState) -> OpenApiRouter<AppState> {
    let _ = state;
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(set_state))
        .routes(routes!(tokens))
        .routes(routes!(review_list))
        .routes(routes!(review))
        .routes(routes!(report))
        .routes(routes!(import))
}

fn reader(c: &crate::auth::Caller) -> Result<()> {
    if c.is(Role::Secretariat) || c.is(Role::Leader) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "chỉ cơ quan thường trực và lãnh đạo được xem kết quả khảo sát",
            "only the secretariat and leaders may see survey results",
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Counts {
    pub accepted: u64,
    pub quarantined: u64,
    pub rejected: u64,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCount {
    pub unit: String,
    pub made: u64,
    pub used: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyUnitView {
    pub code: String,
    pub name: String,
    pub group: String,
}

#[derive(Serialize, ToSchema)]
pub struct SurveySummary {
    pub year: i32,
    pub code: String,
    pub title: String,
    /// `open` or `closed`.
    pub state: String,
    pub version: i64,
    pub responses: Counts,
    pub tokens: Vec<TokenCount>,
    pub units: Vec<SurveyUnitView>,
    /// The public address of each unit's open link is `/khao-sat/{year}/{code}/{unit}`.
    pub link: String,
}

async fn summary_of(state: &AppState, year: i32, code: &str) -> Result<SurveySummary> {
    let db = state.db();
    let s = db.survey(year, code).await?;
    let mut counts = Counts {
        accepted: 0,
        quarantined: 0,
        rejected: 0,
    };
    for (st, n) in db.response_counts(year, code).await? {
        match st {
            ResponseStatus::Accepted => counts.accepted = n,
            ResponseStatus::Quarantined => counts.quarantined = n,
            ResponseStatus::Rejected => counts.rejected = n,
        }
    }
    let ctx = state.survey().context(db, year, code).await?;
    Ok(SurveySummary {
        year,
        link: format!("/khao-sat/{year}/{}", segment(&s.code)),
        code: s.code,
        title: s.title,
        state: s.state.as_str().into(),
        version: s.version,
        responses: counts,
        tokens: db
            .token_counts(year, code)
            .await?
            .into_iter()
            .map(|(unit, made, used)| TokenCount { unit, made, used })
            .collect(),
        units: ctx
            .units
            .iter()
            .map(|u| SurveyUnitView {
                code: u.code.clone(),
                name: u.name.clone(),
                group: u.group.clone(),
            })
            .collect(),
    })
}

/// A survey: state, responses per status, tokens per unit, units (secretariat, leaders).
#[utoipa::path(get, path = "/api/survey/{year}/{code}", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path)),
    responses((status = 200, body = SurveySummary), (status = "4XX", body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, code)): Path<(i32, String)>,
) -> Result<axum::Json<SurveySummary>> {
    reader(&c)?;
    Ok(axum::Json(summary_of(&state, year, &code).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateInput {
    /// `open` or `closed`.
    pub state: String,
}

/// Opens or closes a survey (secretariat). A closed survey refuses every response.
#[utoipa::path(put, path = "/api/survey/{year}/{code}/state", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path)), request_body = StateInput,
    responses((status = 200, body = SurveySummary), (status = "4XX", body = ErrorBody)))]
async fn set_state(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, code)): Path<(i32, String)>,
    Json(req): Json<StateInput>,
) -> Result<axum::Json<SurveySummary>> {
    secretariat(&c, "mở hoặc đóng khảo sát", "open or close surveys")?;
    let to = SurveyState::parse(req.state.trim()).ok_or_else(|| {
        Error::invalid(
            "state",
            "trạng thái phải là \"open\" hoặc \"closed\"",
            "the state must be \"open\" or \"closed\"",
        )
    })?;
    state
        .db()
        .set_survey_state(year, &code, to, &Actor::new(c.name()))
        .await?;
    state.survey().forget(year, &code);
    Ok(axum::Json(summary_of(&state, year, &code).await?))
}

/// Most tokens made at once, and most printed on one sheet.
const MAX_TOKENS: usize = 10_000;
const MAX_SHEET: usize = 1_200;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub count: usize,
    #[serde(default)]
    pub service_field: Option<String>,
    /// `json` (default): the tokens and their links; `svg`: the printable sheet as one SVG
    /// document (A4 pages one under the other); `html`: the sheet as an HTML page to print, one
    /// A4 page per twelve codes.
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
    /// The address the QR code opens.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokens {
    pub unit: String,
    pub unit_name: String,
    pub count: usize,
    pub service_field: Option<String>,
    /// The plaintext, shown this once: only the hashes are stored.
    pub tokens: Vec<NewToken>,
}

/// Makes one-time tokens for a unit (secretariat) and returns them once: as JSON, or as a sheet
/// of QR codes to print (`format` `svg` or `html`), each code opening
/// `{public address}/khao-sat/{year}/{code}?ma={token}`.
#[utoipa::path(post, path = "/api/survey/{year}/{code}/units/{unit}/tokens", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path), ("unit" = String, Path)),
    request_body = TokenRequest,
    responses((status = 201, body = NewTokens, description = "JSON, or image/svg+xml, or text/html"),
        (status = "4XX", body = ErrorBody)))]
async fn tokens(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Lang(lang): Lang,
    Path((year, code, unit)): Path<(i32, String, String)>,
    headers: HeaderMap,
    Json(req): Json<TokenRequest>,
) -> Result<Response> {
    secretariat(&c, "tạo mã khảo sát", "make survey tokens")?;
    let format = req
        .format
        .as_deref()
        .unwrap_or("json")
        .trim()
        .to_ascii_lowercase();
    let limit = match format.as_str() {
        "json" => MAX_TOKENS,
        "svg" | "html" => MAX_SHEET,
        _ => {
            return Err(Error::invalid(
                "format",
                "định dạng phải là json, svg hoặc html",
                "the format must be json, svg or html",
            ));
        }
    };
    if req.count == 0 || req.count > limit {
        return Err(Error::invalid(
            "count",
            format!("số mã mỗi lần phải từ 1 đến {limit}"),
            format!("the number of tokens must be between 1 and {limit}"),
        ));
    }
    let ctx = state.survey().context(state.db(), year, &code).await?;
    let made = state
        .db()
        .create_tokens(
            year,
            &code,
            &unit,
            req.count,
            req.service_field.as_deref(),
            &Actor::new(c.name()),
        )
        .await?;
    let base = state.survey().public_base(&state, &headers);
    let unit_name = ctx
        .unit(&unit)
        .map_or_else(|| unit.clone(), |u| u.name.clone());
    let link = |t: &str| format!("{base}/khao-sat/{year}/{}?ma={t}", segment(&code));
    if format == "json" {
        let body = NewTokens {
            unit: unit.clone(),
            unit_name,
            count: made.len(),
            service_field: req.service_field,
            tokens: made
                .iter()
                .map(|t| NewToken {
                    url: link(t),
                    token: t.clone(),
                })
                .collect(),
        };
        return Ok((StatusCode::CREATED, axum::Json(body)).into_response());
    }
    let cards: Vec<Card> = made
        .iter()
        .map(|t| Card {
            url: link(t),
            token: t.clone(),
            caption: unit_name.clone(),
        })
        .collect();
    let sheet = Sheet {
        title: match lang {
            Locale::Vi => format!("Khảo sát sự hài lòng năm {year} — {unit_name}"),
            Locale::En => format!("Satisfaction survey {year} — {unit_name}"),
        },
        note: lang
            .pick(
                "Quét mã để đánh giá · mỗi mã dùng một lần",
                "Scan to rate our service · one use per code",
            )
            .into(),
        ..Default::default()
    };
    let fail = |e: parindex_report::qr::QrTooLong| Error::Internal(anyhow::anyhow!(e.to_string()));
    let file = format!(
        "ma-khao-sat-{year}-{}",
        unit.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let (body, content_type, ext) = if format == "svg" {
        (
            sheet_svg(&sheet, &cards).map_err(fail)?,
            "image/svg+xml",
            "svg",
        )
    } else {
        (
            sheet_html(&sheet, &cards, lang.code()).map_err(fail)?,
            "text/html; charset=utf-8",
            "html",
        )
    };
    let mut res = (StatusCode::CREATED, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // Generated and escaped here; the sheet's own print styles are its only style.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    );
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewQuery {
    /// `quarantined` (default), `accepted` or `rejected`.
    #[serde(default)]
    pub status: Option<String>,
    /// Responses after this id (0 to start).
    #[serde(default)]
    pub after: Option<i64>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct FlagView {
    pub code: &'static str,
    /// In the caller's language.
    pub text: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewItem {
    pub id: i64,
    pub unit: String,
    pub channel: String,
    pub submitted_at: String,
    pub received_at: String,
    pub duration_seconds: Option<i64>,
    /// Answer per item in questionnaire order (0: none).
    pub answers: Vec<u8>,
    pub flags: Vec<FlagView>,
    pub status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
}

fn item(r: ResponseSummary, lang: Locale) -> ReviewItem {
    ReviewItem {
        id: r.id,
        unit: r.unit,
        channel: r.channel,
        submitted_at: r.submitted_at.to_string(),
        received_at: r.received_at.to_string(),
        duration_seconds: r.duration_seconds,
        answers: r.answers,
        flags: r
            .flags
            .iter()
            .map(|f| FlagView {
                code: f.as_str(),
                text: lang.pick(f.vi(), f.en()),
            })
            .collect(),
        status: r.status.as_str().into(),
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at.map(|t: Timestamp| t.to_string()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewPage {
    pub responses: Vec<ReviewItem>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

/// The review queue: responses in one status, oldest first, with their flags (secretariat).
#[utoipa::path(get, path = "/api/survey/{year}/{code}/review", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path),
        ("status" = Option<String>, Query), ("after" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = ReviewPage), (status = "4XX", body = ErrorBody)))]
async fn review_list(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Lang(lang): Lang,
    Path((year, code)): Path<(i32, String)>,
    Query(q): Query<ReviewQuery>,
) -> Result<axum::Json<ReviewPage>> {
    secretariat(&c, "xem xét phiếu khảo sát", "review survey responses")?;
    let status = match q.status.as_deref() {
        None | Some("") => ResponseStatus::Quarantined,
        Some(s) => ResponseStatus::parse(s.trim()).ok_or_else(|| {
            Error::bad_request(
                "trạng thái phải là quarantined, accepted hoặc rejected",
                "the status must be quarantined, accepted or rejected",
            )
        })?,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state
        .db()
        .responses_in_status(year, &code, status, q.after.unwrap_or(0).max(0), limit)
        .await?;
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(axum::Json(ReviewPage {
        responses: rows.into_iter().map(|r| item(r, lang)).collect(),
        next_after,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `release` (count it), `reject` (count it nowhere) or `quarantine` (hold it).
    pub decision: String,
    /// Why; kept in the audit log.
    pub reason: String,
}

/// Releases, rejects or quarantines a response, with a reason (secretariat). Its statistics move
/// with it in the same transaction.
#[utoipa::path(post, path = "/api/survey/{year}/{code}/review/{id}", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path), ("id" = i64, Path)),
    request_body = ReviewInput,
    responses((status = 200, body = ReviewItem), (status = "4XX", body = ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Lang(lang): Lang,
    Path((year, code, id)): Path<(i32, String, i64)>,
    Json(req): Json<ReviewInput>,
) -> Result<axum::Json<ReviewItem>> {
    secretariat(&c, "xem xét phiếu khảo sát", "review survey responses")?;
    let decision = Decision::parse(req.decision.trim()).ok_or_else(|| {
        Error::invalid(
            "decision",
            "quyết định phải là release, reject hoặc quarantine",
            "the decision must be release, reject or quarantine",
        )
    })?;
    if req.reason.trim().is_empty() {
        return Err(Error::invalid(
            "reason",
            "cần ghi lý do",
            "a reason is required",
        ));
    }
    let r = state
        .db()
        .review_response(
            year,
            &code,
            id,
            decision,
            &Actor::new(c.name()).because(req.reason.trim()),
        )
        .await?;
    Ok(axum::Json(item(r, lang)))
}

#[derive(Deserialize, ToSchema)]
pub struct ReportQuery {
    /// Add the results per service field and respondent segment.
    #[serde(default)]
    pub segments: Option<bool>,
}

/// The survey report from the running statistics: per unit the item, element and overall indices
/// with 95 % intervals and small-sample flags, official (accepted) and with quarantined
/// responses; rankings per group with rank intervals and `same_as_next` where neighbours are not
/// significantly different; the province (secretariat, leaders).
#[utoipa::path(get, path = "/api/survey/{year}/{code}/report", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path), ("segments" = Option<bool>, Query)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, code)): Path<(i32, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    reader(&c)?;
    let r = state.db().survey_report(year, &code).await?;
    let mut v = serde_json::to_value(&r).map_err(anyhow::Error::from)?;
    if q.segments.unwrap_or(false) {
        let s = state.db().survey_segments(year, &code, None).await?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "segments".into(),
                serde_json::to_value(&s).map_err(anyhow::Error::from)?,
            );
        }
    }
    Ok(axum::Json(v).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ImportQuery {
    /// `all` (default: nothing unless every row is valid) or `valid` (the valid rows).
    #[serde(default)]
    pub mode: Option<String>,
    /// The file's name, shown in messages (`.xlsx` for a workbook).
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub file: String,
    pub batch: String,
    pub rows: u64,
    pub imported: u64,
    pub quarantined: u64,
    /// Rows stored by an earlier import of the same file (nothing added).
    pub already: u64,
    pub refused: u64,
    pub committed: bool,
    /// The refused rows' problems (line and column), at most 200, in the caller's language.
    pub problems: Vec<String>,
}

/// Imports a batch of responses (secretariat): the file as the body, CSV (`text/csv`) or XLSX.
/// The same file twice adds nothing. With `mode=all` a file with a refused row stores nothing
/// (422 with the problems).
#[utoipa::path(post, path = "/api/survey/{year}/{code}/import", tag = "survey",
    params(("year" = i32, Path), ("code" = String, Path), ("mode" = Option<String>, Query), ("name" = Option<String>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportView), (status = 422, body = ImportView), (status = "4XX", body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Lang(lang): Lang,
    Path((year, code)): Path<(i32, String)>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    secretariat(&c, "nhập phiếu khảo sát", "import survey responses")?;
    let mode = match q.mode.as_deref().map(str::trim) {
        None | Some("") | Some("all") => ImportMode::AllOrNothing,
        Some("valid") => ImportMode::ValidOnly,
        Some(_) => {
            return Err(Error::bad_request(
                "mode phải là all hoặc valid",
                "mode must be all or valid",
            ));
        }
    };
    let limit = usize::try_from(state.config().max_upload_bytes).unwrap_or(usize::MAX);
    let bytes = read_body(body, limit).await?;
    if bytes.is_empty() {
        return Err(Error::bad_request("tệp rỗng", "the file is empty"));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let xlsx = bytes.starts_with(b"PK\x03\x04");
    let name = q
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| if xlsx { "upload.xlsx" } else { "upload.csv" }.into());
    let text_like = ct.starts_with("text/csv")
        || ct.starts_with("text/plain")
        || ct.starts_with("application/octet-stream")
        || ct.is_empty();
    if !xlsx && !text_like {
        return Err(Error::UnsupportedMedia(problem(
            "tệp phải là CSV (text/csv) hoặc bảng tính Excel (.xlsx)",
            "the file must be CSV (text/csv) or an Excel workbook (.xlsx)",
        )));
    }
    let mut rows: Box<dyn ImportRows> = if xlsx {
        let sheet =
            parindex_report::xlsform::read_sheet_rows(&name, &bytes).map_err(Error::Invalid)?;
        Box::new(VecRows::new(
            &name,
            &batch_id(&bytes),
            sheet.header,
            sheet.rows,
        ))
    } else {
        Box::new(CsvRows::from_bytes(&name, bytes.to_vec()).map_err(Error::Invalid)?)
    };
    let rep = state
        .db()
        .import_responses(year, &code, rows.as_mut(), mode, &mut |_| {})
        .await?;
    let status = if rep.refused > 0 && !rep.committed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ImportView {
        problems: rep
            .problems
            .iter()
            .take(200)
            .map(|p| p.render(lang))
            .collect(),
        file: rep.file,
        batch: rep.batch,
        rows: rep.rows,
        imported: rep.imported,
        quarantined: rep.quarantined,
        already: rep.already,
        refused: rep.refused,
        committed: rep.committed,
    };
    Ok((status, axum::Json(view)).into_response())
}
