//! Static files, compiled into the binary: the stylesheet and htmx (vendored from npm
//! `htmx.org` 2.x, with the gzip copy its package ships). Addresses carry a content hash, so
//! browsers keep the files for a year and fetch them again only when they change.

use crate::app::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

struct Asset {
    mime: &'static str,
    body: &'static [u8],
    gzip: Option<&'static [u8]>,
    hash: String,
}

/// A file as compiled in: name, type, bytes, and a gzip copy when there is one.
type File = (
    &'static str,
    &'static str,
    &'static [u8],
    Option<&'static [u8]>,
);

const FILES: [File; 2] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
        None,
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx.min.js"),
        Some(include_bytes!("../../static/htmx.min.js.gz")),
    ),
];

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|&(name, mime, body, gzip)| {
                let digest = Sha256::digest(body);
                let hash = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                (
                    name,
                    Asset {
                        mime,
                        body,
                        gzip,
                        hash,
                    },
                )
            })
            .collect()
    })
}

/// `/static/app.css?v=<hash>`.
pub(crate) fn href(name: &str) -> String {
    match assets().get(name) {
        Some(a) => format!("/static/{name}?v={}", a.hash),
        None => format!("/static/{name}"),
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/static/{name}", get(serve))
}

async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = assets().get(name.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let (body, gz) = match asset.gzip {
        Some(g) if gzip_ok => (g, true),
        _ => (asset.body, false),
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gz {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    res
}
