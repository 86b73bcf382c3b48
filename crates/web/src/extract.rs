//! Request extractors whose refusals speak the user's language: JSON bodies (400 for malformed,
//! 413 for oversized, 415 for another content type) and path parameters (400).

use crate::app::AppState;
use crate::error::{Error, problem};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use parindex_core::diag::Problems;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

/// A JSON request body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Json<T>, Error> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !is_json {
            return Err(Error::UnsupportedMedia(problem(
                "dữ liệu gửi lên phải là JSON (Content-Type: application/json)",
                "the request body must be JSON (Content-Type: application/json)",
            )));
        }
        let limit = state.config().max_json_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                Error::TooLarge {
                    limit: limit as u64,
                }
            }
            _ => Error::bad_request(
                "không đọc được dữ liệu gửi lên",
                "the request body could not be read",
            ),
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = T::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
        value.map(Json).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let detail = e.to_string();
            match e.classify() {
                serde_json::error::Category::Data => Error::bad_request(
                    format!("dữ liệu JSON không đúng dạng: {detail}"),
                    format!("the JSON does not have the expected shape: {detail}"),
                ),
                _ => Error::bad_request(
                    format!("JSON hỏng ở dòng {line}, cột {column}"),
                    format!("malformed JSON at line {line}, column {column}"),
                ),
            }
        })
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| {
                let detail = e.body_text();
                Error::BadRequest(Problems(vec![problem(
                    format!("địa chỉ không hợp lệ: {detail}"),
                    format!("invalid address: {detail}"),
                )]))
            })
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Query<T>, Error> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| {
                let detail = e.body_text();
                Error::bad_request(
                    format!("tham số không hợp lệ: {detail}"),
                    format!("invalid query parameters: {detail}"),
                )
            })
    }
}

/// Reads points given as a JSON string (`"1.25"`, exact) or number (`1.25`).
pub fn points<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let text = match &v {
        serde_json::Value::String(s) => s.trim().replace(',', "."),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(serde::de::Error::custom("points must be a decimal number")),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| serde::de::Error::custom(format!("\"{text}\" is not a decimal number")))
}
