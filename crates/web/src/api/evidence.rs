//! Evidence (tài liệu kiểm chứng): multipart uploads streamed into the content-addressed store
//! (size limited, type checked by content), downloads with the right type and a UTF-8 file
//! name, and removal while the stage is open. A refused or interrupted upload leaves neither a
//! file nor a row: the store writes both only once the whole file has arrived and passed.

use crate::api::{check_open, readable_sheet, unit_writer};
use crate::app::AppState;
use crate::auth::{Caller, SignedIn};
use crate::error::{Error, Result};
use crate::extract::{Path, Query};
use crate::views::{ErrorBody, EvidenceView};
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use parindex_store::evidence::{Attach, Stage};
use parindex_store::rounds::Phase;
use parindex_store::sheets::{Sheet, SheetState};
use parindex_store::{Action, Actor};
use serde::Deserialize;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Room for the multipart framing and text fields around the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

pub fn router(max_upload: u64) -> OpenApiRouter<AppState> {
    let limit = usize::try_from(max_upload.saturating_add(FORM_OVERHEAD)).unwrap_or(usize::MAX);
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_for_entry))
        .routes(routes!(upload_for_proposal))
        .layer(DefaultBodyLimit::max(limit));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(download, remove))
}

#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// Where in the document the proof is (`tr. 3`, `mục 2.1`); may also be a `page_ref` form
    /// field placed before the file.
    pub page_ref: Option<String>,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// Optional, before `file`.
    page_ref: Option<String>,
    /// PDF, DOCX, XLSX, JPG or PNG; its content must match its name's extension.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The stage an upload belongs to, by the sheet's state (anything else is refused by the store).
fn stage_of(sheet: &Sheet) -> Stage {
    match sheet.state {
        SheetState::ExplanationRequested => Stage::Explanation,
        _ => Stage::SelfAssessment,
    }
}

fn phase_of(stage: Stage) -> Phase {
    match stage {
        Stage::SelfAssessment => Phase::SelfAssessment,
        Stage::Explanation => Phase::Explanation,
    }
}

/// Evidence for a sub-criterion (the unit's officers, while self-assessing or answering an
/// explanation request, before that phase's deadline).
#[utoipa::path(post, path = "/api/rounds/{year}/sheets/{unit}/entries/{code}/evidence", tag = "evidence",
    params(("year" = i32, Path), ("unit" = String, Path), ("code" = String, Path), UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceView), (status = "4XX", body = ErrorBody)))]
async fn upload_for_entry(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, code)): Path<(i32, String, String)>,
    Query(q): Query<UploadQuery>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, axum::Json<EvidenceView>)> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    let stage = stage_of(&sheet);
    check_open(
        &state,
        &c,
        year,
        Some(phase_of(stage)),
        Action::AttachEvidence,
    )
    .await?;
    let to = Attach {
        year,
        unit: &unit,
        code: Some(&code),
        proposal: None,
        stage,
    };
    receive(&state, &c, &to, q.page_ref, form).await
}

/// Evidence for a bonus or penalty proposal (same rules as for a sub-criterion).
#[utoipa::path(post, path = "/api/rounds/{year}/sheets/{unit}/proposals/{id}/evidence", tag = "evidence",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path), UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceView), (status = "4XX", body = ErrorBody)))]
async fn upload_for_proposal(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    Query(q): Query<UploadQuery>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, axum::Json<EvidenceView>)> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    let stage = stage_of(&sheet);
    check_open(
        &state,
        &c,
        year,
        Some(phase_of(stage)),
        Action::AttachEvidence,
    )
    .await?;
    let to = Attach {
        year,
        unit: &unit,
        code: None,
        proposal: Some(id),
        stage,
    };
    receive(&state, &c, &to, q.page_ref, form).await
}

/// Why reading the upload stopped, when it was the client's doing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stopped {
    TooLarge,
    Broken,
}

pub(crate) fn multipart_error(e: &MultipartError, limit: u64) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge { limit }
    } else {
        broken(&e.body_text())
    }
}

pub(crate) fn broken(detail: &str) -> Error {
    Error::bad_request(
        format!("tải tệp lên bị gián đoạn hoặc dữ liệu gửi lên hỏng: {detail}"),
        format!("the upload was interrupted or its form data is broken: {detail}"),
    )
}

async fn receive(
    state: &AppState,
    c: &Caller,
    to: &Attach<'_>,
    page_ref: Option<String>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, axum::Json<EvidenceView>)> {
    let limit = state.config().max_upload_bytes;
    let mut form = multipart_form(form)?;
    let mut page_ref = page_ref.unwrap_or_default();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| multipart_error(&e, limit))?;
        let Some(field) = field else { break };
        match field.name() {
            Some("page_ref") => {
                page_ref = field.text().await.map_err(|e| multipart_error(&e, limit))?;
            }
            Some("file") => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        Error::invalid("file", "tệp gửi lên không có tên", "the file has no name")
                    })?;
                if page_ref.chars().count() > 200 {
                    return Err(Error::invalid(
                        "page_ref",
                        "vị trí trong tài liệu dài quá 200 ký tự",
                        "the page reference is longer than 200 characters",
                    ));
                }
                let stopped = Arc::new(Mutex::new(None));
                let reader = FieldReader {
                    field,
                    buf: Bytes::new(),
                    read: 0,
                    limit,
                    stopped: stopped.clone(),
                };
                let put = state
                    .evidence()
                    .put(
                        state.db(),
                        to,
                        &name,
                        &page_ref,
                        reader,
                        &Actor::new(c.name()),
                    )
                    .await;
                return match put {
                    Ok(ev) => {
                        state.metrics().uploaded();
                        Ok((StatusCode::CREATED, axum::Json(EvidenceView::from(&ev))))
                    }
                    Err(e) => {
                        let why = stopped.lock().ok().and_then(|s| *s);
                        Err(match why {
                            Some(Stopped::TooLarge) => Error::TooLarge { limit },
                            Some(Stopped::Broken) => broken(&e.to_string()),
                            None => e.into(),
                        })
                    }
                };
            }
            _ => {
                // Unknown fields are skipped.
                let mut field = field;
                while field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(&e, limit))?
                    .is_some()
                {}
            }
        }
    }
    Err(Error::invalid(
        "file",
        "chưa chọn tệp để tải lên (trường \"file\")",
        "no file was sent (field \"file\")",
    ))
}

/// The file field as an `AsyncRead` for the store, counting bytes against the limit and noting
/// why it stopped if the client is to blame (so that is not reported as a server fault).
pub(crate) struct FieldReader<'a> {
    field: Field<'a>,
    buf: Bytes,
    read: u64,
    limit: u64,
    stopped: Arc<Mutex<Option<Stopped>>>,
}

impl<'a> FieldReader<'a> {
    pub(crate) fn new(field: Field<'a>, limit: u64, stopped: Arc<Mutex<Option<Stopped>>>) -> Self {
        FieldReader {
            field,
            buf: Bytes::new(),
            read: 0,
            limit,
            stopped,
        }
    }

    fn stop(&self, why: Stopped) -> io::Error {
        if let Ok(mut s) = self.stopped.lock() {
            *s = Some(why);
        }
        io::Error::other(match why {
            Stopped::TooLarge => "upload over the size limit",
            Stopped::Broken => "upload interrupted",
        })
    }
}

impl AsyncRead for FieldReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.buf.is_empty() {
                let n = out.remaining().min(self.buf.len());
                let chunk = self.buf.split_to(n);
                out.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut self.field).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => {
                    let why = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        Stopped::TooLarge
                    } else {
                        Stopped::Broken
                    };
                    return Poll::Ready(Err(self.stop(why)));
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.limit {
                        return Poll::Ready(Err(self.stop(Stopped::TooLarge)));
                    }
                    self.buf = chunk;
                }
            }
        }
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_graphic() && ch != '"' && ch != '\\' || ch == ' ' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn evidence_of_sheet(
    state: &AppState,
    sheet: &Sheet,
    id: i64,
) -> Result<parindex_store::evidence::Evidence> {
    let ev = state.db().evidence(id).await?;
    if ev.year != sheet.year || ev.unit != sheet.unit {
        // Evidence of another sheet, reached through this one's address.
        return Err(Error::not_found(
            format!(
                "phiếu {}/{} không có tài liệu kiểm chứng {id}",
                sheet.year, sheet.unit
            ),
            format!("sheet {}/{} has no evidence {id}", sheet.year, sheet.unit),
        ));
    }
    Ok(ev)
}

/// Downloads a piece of evidence (whoever may read the sheet).
#[utoipa::path(get, path = "/api/rounds/{year}/sheets/{unit}/evidence/{id}", tag = "evidence",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The file, with its type and name", content_type = "application/octet-stream"),
              (status = "4XX", body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
) -> Result<Response> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    let ev = evidence_of_sheet(&state, &sheet, id).await?;
    let file = state.evidence().open_file(&ev.sha256).await?;
    Ok(file_response(
        file,
        ev.kind.mime(),
        ev.size,
        &ev.original_name,
        "private, no-store",
    ))
}

/// A stored file as a download, streamed in 64 KiB reads: its type, length, name (for saving)
/// The multipart body of an upload, or 415 when the request is not one.
pub(crate) fn multipart_form(
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Multipart> {
    form.map_err(|_| {
        Error::UnsupportedMedia(crate::error::problem(
            "tệp phải được gửi dạng multipart/form-data (trường \"file\")",
            "the file must be sent as multipart/form-data (field \"file\")",
        ))
    })
}

/// and caching. Evidence and news attachments share the file store.
pub(crate) fn file_response(
    file: tokio::fs::File,
    mime: &str,
    size: i64,
    name: &str,
    cache_control: &'static str,
) -> Response {
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, io::Error>(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(name)),
            (header::CACHE_CONTROL, cache_control.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Removes a piece of evidence while its stage is open (the unit's officers); the file stays
/// (files are shared by content), the row goes.
#[utoipa::path(delete, path = "/api/rounds/{year}/sheets/{unit}/evidence/{id}", tag = "evidence",
    params(("year" = i32, Path), ("unit" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((year, unit, id)): Path<(i32, String, i64)>,
) -> Result<StatusCode> {
    let sheet = readable_sheet(&state, &c, year, &unit).await?;
    unit_writer(&c, &sheet)?;
    let ev = evidence_of_sheet(&state, &sheet, id).await?;
    check_open(
        &state,
        &c,
        year,
        Some(phase_of(ev.stage)),
        Action::RemoveEvidence,
    )
    .await?;
    state
        .db()
        .remove_evidence(id, &Actor::new(c.name()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_in_both_forms() {
        assert_eq!(
            super::content_disposition("Báo cáo CCHC 2019.pdf"),
            "attachment; filename=\"B_o c_o CCHC 2019.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20CCHC%202019.pdf"
        );
    }
}
