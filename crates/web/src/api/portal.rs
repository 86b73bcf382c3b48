//! The portal's JSON API: public reads of news (search ignoring diacritics, ranked, paginated),
//! categories, attachments, the work calendar and linked websites; the secretariat's writes of
//! all of them. Attachments are checked by content like evidence (PDF, DOCX, XLSX, JPG, PNG).

use crate::api::evidence::{
    FieldReader, Stopped, broken, file_response, multipart_error, multipart_form,
};
use crate::api::secretariat;
use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::views::ErrorBody;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use parindex_store::portal::{
    Attachment, Category, Event, EventInput, Link, NewsInput, NewsItem, NewsPage, NewsQuery,
};
use parindex_store::{Actor, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(max_upload: u64) -> OpenApiRouter<AppState> {
    let limit = usize::try_from(max_upload.saturating_add(64 * 1024)).unwrap_or(usize::MAX);
    let uploads = OpenApiRouter::new()
        .routes(routes!(attach))
        .layer(DefaultBodyLimit::max(limit));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(search))
        .routes(routes!(news_one))
        .routes(routes!(download))
        .routes(routes!(categories))
        .routes(routes!(calendar))
        .routes(routes!(links))
        .routes(routes!(create_news))
        .routes(routes!(update_news, delete_news))
        .routes(routes!(detach))
        .routes(routes!(put_category))
        .routes(routes!(add_event))
        .routes(routes!(delete_event))
        .routes(routes!(add_link))
        .routes(routes!(delete_link))
}

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub name: String,
}

impl From<&Category> for CategoryView {
    fn from(c: &Category) -> Self {
        CategoryView {
            code: c.code.clone(),
            name: c.name.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub size: i64,
    /// Where to download it (no sign-in).
    pub href: String,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        AttachmentView {
            id: a.id,
            name: a.original_name.clone(),
            kind: a.kind.as_str().into(),
            size: a.size,
            href: format!("/api/public/news/{}/attachments/{}", a.news_slug, a.id),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NewsView {
    pub slug: String,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub summary: String,
    /// Sanitized on save: no scripts, styles, event handlers or `javascript:` links.
    pub body_html: String,
    pub hot: bool,
    pub featured: bool,
    /// RFC 3339, UTC.
    pub published_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentView>>,
}

impl NewsView {
    fn of(n: &NewsItem, attachments: Option<&[Attachment]>) -> NewsView {
        NewsView {
            slug: n.slug.clone(),
            category: n.category.clone(),
            category_name: n.category_name.clone(),
            title: n.title.clone(),
            summary: n.summary.clone(),
            body_html: n.body_html.clone(),
            hot: n.hot,
            featured: n.featured,
            published_at: n.published_at.to_string(),
            updated_at: n.updated_at.to_string(),
            attachments: attachments.map(|a| a.iter().map(AttachmentView::from).collect()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NewsPageView {
    pub items: Vec<NewsView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
}

impl From<&NewsPage> for NewsPageView {
    fn from(p: &NewsPage) -> Self {
        NewsPageView {
            items: p.items.iter().map(|n| NewsView::of(n, None)).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            pages: p.pages,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub title: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        EventView {
            id: e.id,
            starts_at: e.starts_at.to_string(),
            ends_at: e.ends_at.map(|t| t.to_string()),
            title: e.title.clone(),
            location: e.location.clone(),
            chair: e.chair.clone(),
            participants: e.participants.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub position: i64,
}

impl From<&Link> for LinkView {
    fn from(l: &Link) -> Self {
        LinkView {
            id: l.id,
            title: l.title.clone(),
            url: l.url.clone(),
            position: l.position,
        }
    }
}

/// Viet Nam's offset: dates people type are local days.
const VN_OFFSET: &str = "+07:00";

/// A date as people type it (`2019-12-10`, the province's day) or an RFC 3339 moment. `end`
/// takes the last millisecond of a day.
pub(crate) fn parse_day(field: &str, text: &str, end: bool) -> Result<Option<Timestamp>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parsed = if t.len() == 10 {
        Timestamp::parse_rfc3339(&format!("{t}T00:00:00{VN_OFFSET}"))
            .map(|d| if end { d.plus_seconds(86_400 - 1) } else { d })
    } else {
        Timestamp::parse_rfc3339(t)
    };
    parsed.map(Some).ok_or_else(|| {
        let shown: String = t.chars().take(40).collect();
        Error::invalid(
            field,
            format!("\"{shown}\" không phải ngày hợp lệ (dạng 2019-12-31)"),
            format!("\"{shown}\" is not a valid date (like 2019-12-31)"),
        )
    })
}

/// A search's date range, checked: both well formed, the start not after the end.
pub(crate) fn date_range(from: &str, to: &str) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
    let from = parse_day("from", from, false)?;
    let to = parse_day("to", to, true)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Error::invalid(
            "to",
            "ngày kết thúc trước ngày bắt đầu",
            "the end date is before the start date",
        ));
    }
    Ok((from, to))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (diacritics and case ignored; operators and quotes are plain text).
    #[serde(default)]
    pub q: String,
    pub category: Option<String>,
    /// First day (`YYYY-MM-DD`, Viet Nam's time) or an RFC 3339 moment.
    #[serde(default)]
    pub from: String,
    /// Last day, included.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub hot: bool,
    #[serde(default)]
    pub featured: bool,
    /// 1-based; a page past the last is empty.
    pub page: Option<u32>,
    /// 1–100 (default 10).
    pub per_page: Option<u32>,
}

impl SearchQuery {
    pub(crate) fn to_query(&self) -> Result<NewsQuery> {
        let (from, to) = date_range(&self.from, &self.to)?;
        Ok(NewsQuery {
            text: self.q.clone(),
            category: self.category.clone().filter(|c| !c.trim().is_empty()),
            from,
            to,
            hot: self.hot,
            featured: self.featured,
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(10),
        })
    }
}

/// Published news: by relevance when there are words, else newest first. No sign-in.
#[utoipa::path(get, path = "/api/public/news", tag = "portal", params(SearchQuery),
    responses((status = 200, body = NewsPageView), (status = "4XX", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<axum::Json<NewsPageView>> {
    let page = state
        .db()
        .search_news(&q.to_query()?, Timestamp::now())
        .await?;
    Ok(axum::Json(NewsPageView::from(&page)))
}

/// A published news item and its attachments (an item dated in the future is not found for
/// the public).
#[utoipa::path(get, path = "/api/public/news/{slug}", tag = "portal", params(("slug" = String, Path)),
    responses((status = 200, body = NewsView), (status = "4XX", body = ErrorBody)))]
async fn news_one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<axum::Json<NewsView>> {
    let n = published_item(&state, &slug).await?;
    let files = state.db().news_attachments(&slug).await?;
    Ok(axum::Json(NewsView::of(&n, Some(&files))))
}

pub(crate) async fn published_item(state: &AppState, slug: &str) -> Result<NewsItem> {
    let n = state.db().news_item(slug).await?;
    if n.published_at > Timestamp::now() {
        return Err(Error::not_found(
            format!("không có tin \"{slug}\""),
            format!("there is no news item \"{slug}\""),
        ));
    }
    Ok(n)
}

/// Downloads an attachment of a published news item.
#[utoipa::path(get, path = "/api/public/news/{slug}/attachments/{id}", tag = "portal",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = "4XX", body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response> {
    published_item(&state, &slug).await?;
    let a = state.db().news_attachment(&slug, id).await?;
    let file = state.evidence().open_file(&a.sha256).await?;
    Ok(file_response(
        file,
        a.kind.mime(),
        a.size,
        &a.original_name,
        "public, max-age=3600",
    ))
}

/// The news categories.
#[utoipa::path(get, path = "/api/public/news-categories", tag = "portal",
    responses((status = 200, body = [CategoryView])))]
async fn categories(State(state): State<AppState>) -> Result<axum::Json<Vec<CategoryView>>> {
    let cats = state.db().categories().await?;
    Ok(axum::Json(cats.iter().map(CategoryView::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day (`YYYY-MM-DD`); default today.
    #[serde(default)]
    pub from: String,
    /// Last day, included; default a week after `from`.
    #[serde(default)]
    pub to: String,
}

/// The work calendar between two days (at most 92 days).
#[utoipa::path(get, path = "/api/public/calendar", tag = "portal", params(CalendarQuery),
    responses((status = 200, body = [EventView]), (status = "4XX", body = ErrorBody)))]
async fn calendar(
    State(state): State<AppState>,
    Query(q): Query<CalendarQuery>,
) -> Result<axum::Json<Vec<EventView>>> {
    let (from, to) = date_range(&q.from, &q.to)?;
    let from = from.unwrap_or_else(Timestamp::now);
    let to = to.unwrap_or_else(|| from.plus_seconds(7 * 86_400));
    if to.millis() - from.millis() > 92 * 86_400_000 {
        return Err(Error::invalid(
            "to",
            "chỉ xem được lịch tối đa 92 ngày một lần",
            "at most 92 days of the calendar can be read at once",
        ));
    }
    let events = state.db().events_between(from, to.plus_seconds(1)).await?;
    Ok(axum::Json(events.iter().map(EventView::from).collect()))
}

/// Linked websites, in their order.
#[utoipa::path(get, path = "/api/public/links", tag = "portal",
    responses((status = 200, body = [LinkView])))]
async fn links(State(state): State<AppState>) -> Result<axum::Json<Vec<LinkView>>> {
    let links = state.db().links().await?;
    Ok(axum::Json(links.iter().map(LinkView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewsBody {
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// HTML; sanitized on save.
    #[serde(default)]
    pub body_html: String,
    #[serde(default)]
    pub hot: bool,
    #[serde(default)]
    pub featured: bool,
    /// RFC 3339 or `YYYY-MM-DD`; default now (a later date publishes then).
    #[serde(default)]
    pub published_at: Option<String>,
}

impl NewsBody {
    fn input(self) -> Result<NewsInput> {
        let published_at = match self.published_at.as_deref() {
            Some(t) => parse_day("published_at", t, false)?,
            None => None,
        };
        Ok(NewsInput {
            category: self.category,
            title: self.title,
            summary: self.summary,
            body_html: self.body_html,
            hot: self.hot,
            featured: self.featured,
            published_at,
        })
    }
}

/// Publishes a news item (secretariat).
#[utoipa::path(post, path = "/api/news", tag = "portal", request_body = NewsBody,
    responses((status = 201, body = NewsView), (status = "4XX", body = ErrorBody)))]
async fn create_news(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(body): Json<NewsBody>,
) -> Result<(StatusCode, axum::Json<NewsView>)> {
    secretariat(&c, "đăng tin", "publish news")?;
    let n = state
        .db()
        .create_news(&body.input()?, &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(NewsView::of(&n, Some(&[])))))
}

/// Changes a news item (secretariat).
#[utoipa::path(put, path = "/api/news/{slug}", tag = "portal", params(("slug" = String, Path)),
    request_body = NewsBody,
    responses((status = 200, body = NewsView), (status = "4XX", body = ErrorBody)))]
async fn update_news(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(slug): Path<String>,
    Json(body): Json<NewsBody>,
) -> Result<axum::Json<NewsView>> {
    secretariat(&c, "sửa tin", "change news")?;
    let n = state
        .db()
        .update_news(&slug, &body.input()?, &Actor::new(c.name()))
        .await?;
    let files = state.db().news_attachments(&slug).await?;
    Ok(axum::Json(NewsView::of(&n, Some(&files))))
}

/// Removes a news item and its attachments (secretariat).
#[utoipa::path(delete, path = "/api/news/{slug}", tag = "portal", params(("slug" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn delete_news(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(slug): Path<String>,
) -> Result<StatusCode> {
    secretariat(&c, "xoá tin", "remove news")?;
    state.db().delete_news(&slug, &Actor::new(c.name())).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The multipart form of an attachment.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// PDF, DOCX, XLSX, JPG or PNG; its content must match its name's extension.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attaches a file to a news item (secretariat), streamed and checked by content.
#[utoipa::path(post, path = "/api/news/{slug}/attachments", tag = "portal",
    params(("slug" = String, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = "4XX", body = ErrorBody)))]
async fn attach(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(slug): Path<String>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, axum::Json<AttachmentView>)> {
    secretariat(&c, "đính kèm tệp vào tin", "attach files to news")?;
    state.db().news_item(&slug).await?;
    let limit = state.config().max_upload_bytes;
    let mut form = multipart_form(form)?;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| multipart_error(&e, limit))?
    {
        if field.name() != Some("file") {
            while field
                .chunk()
                .await
                .map_err(|e| multipart_error(&e, limit))?
                .is_some()
            {}
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                Error::invalid("file", "tệp gửi lên không có tên", "the file has no name")
            })?;
        let stopped = Arc::new(Mutex::new(None));
        let reader = FieldReader::new(field, limit, stopped.clone());
        let put = state
            .evidence()
            .put_news_attachment(state.db(), &slug, &name, reader, &Actor::new(c.name()))
            .await;
        return match put {
            Ok(a) => Ok((StatusCode::CREATED, axum::Json(AttachmentView::from(&a)))),
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
    Err(Error::invalid(
        "file",
        "chưa chọn tệp để tải lên (trường \"file\")",
        "no file was sent (field \"file\")",
    ))
}

/// Removes an attachment (secretariat).
#[utoipa::path(delete, path = "/api/news/{slug}/attachments/{id}", tag = "portal",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn detach(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    secretariat(&c, "gỡ tệp đính kèm", "remove attachments")?;
    state
        .db()
        .delete_news_attachment(&slug, id, &Actor::new(c.name()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CategoryBody {
    pub name: String,
}

/// Creates or renames a news category (secretariat).
#[utoipa::path(put, path = "/api/news-categories/{code}", tag = "portal",
    params(("code" = String, Path)), request_body = CategoryBody,
    responses((status = 200, body = CategoryView), (status = "4XX", body = ErrorBody)))]
async fn put_category(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(code): Path<String>,
    Json(body): Json<CategoryBody>,
) -> Result<axum::Json<CategoryView>> {
    secretariat(&c, "quản lý chuyên mục", "manage categories")?;
    let cat = state
        .db()
        .put_category(&code, &body.name, &Actor::new(c.name()))
        .await?;
    Ok(axum::Json(CategoryView::from(&cat)))
}

#[derive(Deserialize, ToSchema)]
pub struct EventBody {
    /// RFC 3339.
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: Option<String>,
    pub title: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub chair: String,
    #[serde(default)]
    pub participants: String,
}

fn moment(field: &str, text: &str) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(text).ok_or_else(|| {
        let shown: String = text.chars().take(40).collect();
        Error::invalid(
            field,
            format!("\"{shown}\" không phải thời điểm hợp lệ (dạng 2019-12-10T08:00:00+07:00)"),
            format!("\"{shown}\" is not a valid time (like 2019-12-10T08:00:00+07:00)"),
        )
    })
}

/// Adds an event to the work calendar (secretariat).
#[utoipa::path(post, path = "/api/calendar", tag = "portal", request_body = EventBody,
    responses((status = 201, body = EventView), (status = "4XX", body = ErrorBody)))]
async fn add_event(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(body): Json<EventBody>,
) -> Result<(StatusCode, axum::Json<EventView>)> {
    secretariat(&c, "quản lý lịch công tác", "manage the work calendar")?;
    let input = EventInput {
        starts_at: Some(moment("starts_at", &body.starts_at)?),
        ends_at: match body.ends_at.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(moment("ends_at", t)?),
            None => None,
        },
        title: body.title,
        location: body.location,
        chair: body.chair,
        participants: body.participants,
    };
    let e = state.db().add_event(&input, &Actor::new(c.name())).await?;
    Ok((StatusCode::CREATED, axum::Json(EventView::from(&e))))
}

/// Removes an event (secretariat).
#[utoipa::path(delete, path = "/api/calendar/{id}", tag = "portal", params(("id" = i64, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn delete_event(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    secretariat(&c, "quản lý lịch công tác", "manage the work calendar")?;
    state.db().delete_event(id, &Actor::new(c.name())).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct LinkBody {
    pub title: String,
    /// `http://` or `https://`.
    pub url: String,
    #[serde(default)]
    pub position: i64,
}

/// Adds a linked website (secretariat).
#[utoipa::path(post, path = "/api/links", tag = "portal", request_body = LinkBody,
    responses((status = 201, body = LinkView), (status = "4XX", body = ErrorBody)))]
async fn add_link(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Json(body): Json<LinkBody>,
) -> Result<(StatusCode, axum::Json<LinkView>)> {
    secretariat(&c, "quản lý liên kết website", "manage linked websites")?;
    let l = state
        .db()
        .put_link(&body.title, &body.url, body.position, &Actor::new(c.name()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(LinkView::from(&l))))
}

/// Removes a linked website (secretariat).
#[utoipa::path(delete, path = "/api/links/{id}", tag = "portal", params(("id" = i64, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
async fn delete_link(
    State(state): State<AppState>,
    SignedIn(c): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    secretariat(&c, "quản lý liên kết website", "manage linked websites")?;
    state.db().delete_link(id, &Actor::new(c.name())).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_days_and_checked() {
        let from = parse_day("from", "2019-12-10", false).unwrap().unwrap();
        assert_eq!(from.to_string(), "2019-12-09T17:00:00.000Z");
        let to = parse_day("to", "2019-12-10", true).unwrap().unwrap();
        assert_eq!(to.millis() - from.millis(), 86_399_000);
        assert!(parse_day("from", "10/12/2019", false).is_err());
        assert!(parse_day("from", "2019-13-40", false).is_err());
        assert_eq!(parse_day("from", " ", false).unwrap(), None);
        assert!(date_range("2019-12-10", "2019-12-01").is_err());
        assert!(date_range("2019-12-01", "2019-12-10").is_ok());
    }
}
