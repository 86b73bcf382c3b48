//! A urlencoded form as posted by a page: its fields in order, repeated names kept (checkboxes).
//! Pages read fields by name, so a field whose name carries a code (`d.1.1.4`) needs no schema.

use crate::pages::guard::{FORM_LIMIT, PageError};
use axum::extract::{FromRequest, Request};
use axum::http::header;

pub(crate) struct Form(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PageError;
    async fn from_request(req: Request, _: &S) -> Result<Form, PageError> {
        let urlencoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(PageError::bad_request(
                "biểu mẫu phải được gửi dạng application/x-www-form-urlencoded",
                "the form must be sent as application/x-www-form-urlencoded",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| {
                PageError::bad_request("không đọc được biểu mẫu", "the form could not be read")
            })?;
        Ok(Form(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The field trimmed, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_string()
    }
    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// A whole number, if the field holds one.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.trim().parse().ok()
    }
}
