//! The caller's language: `?lang=`, else the `lang` cookie, else `Accept-Language`, else the
//! configured default (Vietnamese).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use parindex_core::locale::Locale;
use std::convert::Infallible;

/// The language of this request, put in the request's extensions by the `localize` middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Infallible> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .copied()
            .unwrap_or(Lang(Locale::Vi)))
    }
}

/// One cookie's value from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

pub fn request_locale(headers: &HeaderMap, query: Option<&str>, default: Locale) -> Locale {
    let from_query = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Locale::parse(v))
    });
    if let Some(l) = from_query {
        return l;
    }
    if let Some(l) = cookie(headers, "lang").and_then(Locale::parse) {
        return l;
    }
    accept_language(headers).unwrap_or(default)
}

/// The supported language the client prefers most, by `q` weight.
fn accept_language(headers: &HeaderMap) -> Option<Locale> {
    let value = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)?
        .to_str()
        .ok()?;
    let mut best: Option<(f32, Locale)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next()?.trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Some(locale) = Locale::parse(primary) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, locale));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn picks_the_language() {
        let mut h = HeaderMap::new();
        assert_eq!(request_locale(&h, None, Locale::Vi), Locale::Vi);
        h.insert(
            "accept-language",
            HeaderValue::from_static("fr;q=1, en-US;q=0.8, vi;q=0.5"),
        );
        assert_eq!(request_locale(&h, None, Locale::Vi), Locale::En);
        h.insert("cookie", HeaderValue::from_static("a=b; lang=vi"));
        assert_eq!(request_locale(&h, None, Locale::En), Locale::Vi);
        assert_eq!(
            request_locale(&h, Some("x=1&lang=en"), Locale::Vi),
            Locale::En
        );
    }
}
