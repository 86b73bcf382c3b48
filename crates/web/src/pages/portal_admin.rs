//! The secretariat's pages to manage the portal: news (with categories, flags, publication date
//! and attachments), the work calendar and linked websites. Plain forms (no script needed);
//! every write goes through the JSON API's handler (`internal::Api`).

use crate::app::AppState;
use crate::auth::Caller;
use crate::pages::form::Form;
use crate::pages::guard::{secretariat, see_other};
use crate::pages::internal::{Api, Refusal, refusal};
use crate::pages::layout::segment;
use crate::pages::portal::{CalendarDay, iso_day, week_days, week_start};
use crate::pages::{Ctx, Layout, PageResult, Signed, fmt, i18n, ok, render};
use axum::extract::{Path, Query, Request, State};
use axum::http::Method;
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_store::Timestamp;
use parindex_store::portal::NewsQuery;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const TEXTS: &[super::i18n::Entry] = &[
    ("nav.portal_admin", "Quản trị cổng", "Portal admin"),
    ("padmin.news", "Quản lý tin tức", "Manage news"),
    ("padmin.new_item", "Đăng tin mới", "Publish a news item"),
    ("padmin.edit_item", "Sửa tin", "Edit the news item"),
    ("padmin.title_field", "Tiêu đề", "Title"),
    ("padmin.summary", "Tóm tắt", "Summary"),
    (
        "padmin.body",
        "Nội dung (HTML được làm sạch khi lưu)",
        "Body (HTML, cleaned on save)",
    ),
    ("padmin.hot", "Tin nổi bật", "Hot"),
    ("padmin.featured", "Tin tiêu điểm", "Featured"),
    (
        "padmin.published_at",
        "Thời điểm đăng (để trống: ngay bây giờ)",
        "Publication time (empty: now)",
    ),
    ("padmin.save", "Lưu", "Save"),
    ("padmin.publish", "Đăng tin", "Publish"),
    ("padmin.delete", "Xoá", "Delete"),
    ("padmin.confirm_delete", "Xoá tin này?", "Delete this item?"),
    ("padmin.items", "Các tin đã đăng", "Items"),
    ("padmin.scheduled", "hẹn giờ đăng", "scheduled"),
    ("padmin.categories", "Chuyên mục", "Categories"),
    ("padmin.code", "Mã", "Code"),
    ("padmin.name", "Tên", "Name"),
    (
        "padmin.save_category",
        "Lưu chuyên mục",
        "Save the category",
    ),
    (
        "padmin.attach",
        "Đính kèm tệp (PDF, DOCX, XLSX, JPG, PNG)",
        "Attach a file (PDF, DOCX, XLSX, JPG, PNG)",
    ),
    ("padmin.upload", "Tải lên", "Upload"),
    (
        "padmin.calendar",
        "Quản lý lịch công tác",
        "Manage the work calendar",
    ),
    ("padmin.add_event", "Thêm lịch", "Add an event"),
    ("padmin.starts", "Bắt đầu", "Starts"),
    ("padmin.ends", "Kết thúc", "Ends"),
    (
        "padmin.links",
        "Quản lý liên kết website",
        "Manage linked websites",
    ),
    ("padmin.add_link", "Thêm liên kết", "Add a link"),
    ("padmin.url", "Địa chỉ (https://…)", "Address (https://…)"),
    ("padmin.position", "Thứ tự", "Position"),
    ("padmin.view", "Xem trên cổng", "View on the portal"),
    ("flash.deleted", "Đã xoá.", "Deleted."),
    (
        "flash.uploaded_file",
        "Đã tải tệp lên.",
        "The file was uploaded.",
    ),
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/quan-tri/tin-tuc", get(news_admin).post(create_news))
        .route("/quan-tri/tin-tuc/{slug}", get(edit_page).post(update_news))
        .route("/quan-tri/tin-tuc/{slug}/xoa", post(delete_news))
        .route("/quan-tri/tin-tuc/{slug}/tep", post(upload))
        .route("/quan-tri/tin-tuc/{slug}/tep/{id}/xoa", post(detach))
        .route("/quan-tri/chuyen-muc", post(put_category))
        .route("/quan-tri/lich", get(calendar_admin).post(add_event))
        .route("/quan-tri/lich/{id}/xoa", post(delete_event))
        .route("/quan-tri/lien-ket", get(links_admin).post(add_link))
        .route("/quan-tri/lien-ket/{id}/xoa", post(delete_link))
}

fn messages(ctx: &Ctx, r: &Refusal) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| match p.location.field.as_deref() {
            Some(f) => format!("{f}: {}", p.message(ctx.lang)),
            None => p.message(ctx.lang).to_string(),
        })
        .collect()
}

/// What the news form holds (as typed, to show again after a refusal).
#[derive(Default, Clone)]
pub(crate) struct NewsFields {
    pub category: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub hot: bool,
    pub featured: bool,
    pub published_at: String,
}

impl NewsFields {
    fn posted(form: &Form) -> NewsFields {
        NewsFields {
            category: form.text("category"),
            title: form.text("title"),
            summary: form.text("summary"),
            body: form.get("body").unwrap_or("").to_string(),
            hot: form.get("hot").is_some(),
            featured: form.get("featured").is_some(),
            published_at: form.text("published_at"),
        }
    }
    fn body(&self) -> Value {
        let published = if self.published_at.is_empty() {
            Value::Null
        } else {
            // A datetime-local value is Viet Nam's time; anything else goes as typed, for the
            // API to refuse with the field named.
            json!(fmt::from_datetime_local(&self.published_at).unwrap_or(self.published_at.clone()))
        };
        json!({
            "category": self.category, "title": self.title, "summary": self.summary,
            "body_html": self.body, "hot": self.hot, "featured": self.featured,
            "published_at": published,
        })
    }
}

pub(crate) struct AdminItem {
    pub title: String,
    pub href: String,
    pub public_href: String,
    pub category: String,
    pub date: String,
    pub scheduled: bool,
    pub hot: bool,
    pub featured: bool,
}

pub(crate) struct CategoryLine {
    pub code: String,
    pub name: String,
}

#[derive(askama::Template)]
#[template(path = "portal_admin_news.html")]
struct NewsAdminPage {
    l: Layout,
    items: Vec<AdminItem>,
    categories: Vec<CategoryLine>,
    f: NewsFields,
    errors: Vec<String>,
}

async fn news_admin_page(
    state: &AppState,
    ctx: &Ctx,
    f: NewsFields,
    errors: Vec<String>,
) -> PageResult<NewsAdminPage> {
    let db = state.db();
    let now = Timestamp::now();
    // Scheduled items too: the secretariat sees everything.
    let all = db
        .search_news(
            &NewsQuery {
                page: 1,
                per_page: 100,
                ..NewsQuery::default()
            },
            Timestamp(i64::MAX),
        )
        .await?;
    let mut categories: Vec<CategoryLine> = db
        .categories()
        .await?
        .into_iter()
        .map(|c| CategoryLine {
            code: c.code,
            name: c.name,
        })
        .collect();
    categories.sort_by(|a, b| parindex_core::text::compare(&a.name, &b.name));
    Ok(NewsAdminPage {
        l: ctx.layout(i18n::t(ctx.lang, "padmin.news")),
        items: all
            .items
            .iter()
            .map(|n| AdminItem {
                title: n.title.clone(),
                href: format!("/quan-tri/tin-tuc/{}", n.slug),
                public_href: format!("/tin-tuc/{}", n.slug),
                category: n.category_name.clone(),
                date: fmt::date_time(ctx.lang, n.published_at),
                scheduled: n.published_at > now,
                hot: n.hot,
                featured: n.featured,
            })
            .collect(),
        categories,
        f,
        errors,
    })
}

async fn news_admin(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    secretariat(&c)?;
    ok(&news_admin_page(&state, &ctx, NewsFields::default(), Vec::new()).await?)
}

async fn create_news(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let f = NewsFields::posted(&form);
    match api
        .json(&c, Method::POST, "/api/news", Some(f.body()))
        .await
    {
        Ok(v) => {
            let slug = v["slug"].as_str().unwrap_or_default();
            Ok(see_other(&format!(
                "/quan-tri/tin-tuc/{}?ok=created",
                segment(slug)
            )))
        }
        Err(r) if r.in_place() => {
            let page = news_admin_page(&state, &ctx, f, messages(&ctx, &r)).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

pub(crate) struct FileLine {
    pub id: i64,
    pub name: String,
    pub href: String,
}

#[derive(askama::Template)]
#[template(path = "portal_admin_edit.html")]
struct EditPage {
    l: Layout,
    slug: String,
    f: NewsFields,
    categories: Vec<CategoryLine>,
    files: Vec<FileLine>,
    upload_action: String,
    errors: Vec<String>,
}

async fn edit_view(
    state: &AppState,
    ctx: &Ctx,
    c: &Caller,
    slug: &str,
    posted: Option<NewsFields>,
    errors: Vec<String>,
) -> PageResult<EditPage> {
    let db = state.db();
    let n = db.news_item(slug).await?;
    let f = posted.unwrap_or_else(|| NewsFields {
        category: n.category.clone(),
        title: n.title.clone(),
        summary: n.summary.clone(),
        body: n.body_html.clone(),
        hot: n.hot,
        featured: n.featured,
        published_at: fmt::datetime_local(n.published_at),
    });
    let categories = db
        .categories()
        .await?
        .into_iter()
        .map(|c| CategoryLine {
            code: c.code,
            name: c.name,
        })
        .collect();
    let files = db
        .news_attachments(slug)
        .await?
        .into_iter()
        .map(|a| FileLine {
            id: a.id,
            href: format!("/tin-tuc/{slug}/tep/{}", a.id),
            name: a.original_name,
        })
        .collect();
    Ok(EditPage {
        l: ctx.layout(format!(
            "{} — {}",
            i18n::t(ctx.lang, "padmin.edit_item"),
            n.title
        )),
        slug: slug.to_string(),
        f,
        categories,
        files,
        upload_action: format!("/quan-tri/tin-tuc/{}/tep?csrf={}", segment(slug), c.csrf),
        errors,
    })
}

async fn edit_page(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    Path(slug): Path<String>,
) -> PageResult {
    secretariat(&c)?;
    ok(&edit_view(&state, &ctx, &c, &slug, None, Vec::new()).await?)
}

async fn update_news(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(slug): Path<String>,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let f = NewsFields::posted(&form);
    let path = format!("/api/news/{}", segment(&slug));
    match api.json(&c, Method::PUT, &path, Some(f.body())).await {
        Ok(_) => Ok(see_other(&format!(
            "/quan-tri/tin-tuc/{}?ok=saved",
            segment(&slug)
        ))),
        Err(r) if r.in_place() && r.status.as_u16() != 404 => {
            let page = edit_view(&state, &ctx, &c, &slug, Some(f), messages(&ctx, &r)).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn delete_news(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(slug): Path<String>,
) -> PageResult {
    secretariat(&c)?;
    let path = format!("/api/news/{}", segment(&slug));
    api.json(&c, Method::DELETE, &path, None).await?;
    Ok(see_other("/quan-tri/tin-tuc?ok=deleted"))
}

/// A multipart upload, streamed through to the API (the CSRF token is in the query).
async fn upload(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path(slug): Path<String>,
    req: Request,
) -> PageResult {
    secretariat(&c)?;
    let path = format!("/api/news/{}/attachments", segment(&slug));
    let res = api.forward(&c, req, &path).await;
    if res.status().is_success() {
        return Ok(see_other(&format!(
            "/quan-tri/tin-tuc/{}?ok=uploaded_file",
            segment(&slug)
        )));
    }
    let r = refusal(res).await;
    if !r.in_place() || r.status.as_u16() == 404 {
        return Err(r.into());
    }
    let page = edit_view(&state, &ctx, &c, &slug, None, messages(&ctx, &r)).await?;
    render(r.status, &page)
}

async fn detach(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    secretariat(&c)?;
    let path = format!("/api/news/{}/attachments/{id}", segment(&slug));
    api.json(&c, Method::DELETE, &path, None).await?;
    Ok(see_other(&format!(
        "/quan-tri/tin-tuc/{}?ok=deleted",
        segment(&slug)
    )))
}

async fn put_category(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let code = form.text("code");
    let path = format!("/api/news-categories/{}", segment(&code));
    let body = json!({ "name": form.text("name") });
    match api.json(&c, Method::PUT, &path, Some(body)).await {
        Ok(_) => Ok(see_other("/quan-tri/tin-tuc?ok=saved")),
        Err(r) if r.in_place() => {
            let page =
                news_admin_page(&state, &ctx, NewsFields::default(), messages(&ctx, &r)).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

#[derive(Deserialize, Default)]
struct WeekParams {
    #[serde(default)]
    tuan: String,
}

#[derive(Default, Clone)]
pub(crate) struct EventFields {
    pub starts: String,
    pub ends: String,
    pub title: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
}

#[derive(askama::Template)]
#[template(path = "portal_admin_calendar.html")]
struct CalendarAdminPage {
    l: Layout,
    days: Vec<CalendarDay>,
    week: String,
    prev_href: String,
    next_href: String,
    f: EventFields,
    errors: Vec<String>,
}

async fn calendar_view(
    state: &AppState,
    ctx: &Ctx,
    tuan: &str,
    f: EventFields,
    mut errors: Vec<String>,
) -> PageResult<CalendarAdminPage> {
    let day = match crate::api::portal::parse_day("tuan", tuan, false) {
        Ok(d) => d.unwrap_or_else(Timestamp::now),
        Err(e) => {
            errors.extend(e.problems().iter().map(|p| p.message(ctx.lang).to_string()));
            Timestamp::now()
        }
    };
    let monday = week_start(day);
    let day_ms = 86_400_000;
    let events = state
        .db()
        .events_between(monday, Timestamp(monday.0 + 7 * day_ms))
        .await?;
    Ok(CalendarAdminPage {
        l: ctx.layout(i18n::t(ctx.lang, "padmin.calendar")),
        days: week_days(ctx.lang, monday, &events),
        week: iso_day(monday),
        prev_href: format!(
            "/quan-tri/lich?tuan={}",
            iso_day(Timestamp(monday.0 - 7 * day_ms))
        ),
        next_href: format!(
            "/quan-tri/lich?tuan={}",
            iso_day(Timestamp(monday.0 + 7 * day_ms))
        ),
        f,
        errors,
    })
}

async fn calendar_admin(
    State(state): State<AppState>,
    Signed(ctx, c): Signed,
    params: Result<Query<WeekParams>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    secretariat(&c)?;
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let page = calendar_view(&state, &ctx, &p.tuan, EventFields::default(), Vec::new()).await?;
    ok(&page)
}

async fn add_event(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let f = EventFields {
        starts: form.text("starts"),
        ends: form.text("ends"),
        title: form.text("title"),
        location: form.text("location"),
        chair: form.text("chair"),
        participants: form.text("participants"),
    };
    let moment = |t: &str| fmt::from_datetime_local(t).unwrap_or_else(|| t.to_string());
    let body = json!({
        "starts_at": moment(&f.starts),
        "ends_at": if f.ends.is_empty() { Value::Null } else { json!(moment(&f.ends)) },
        "title": f.title, "location": f.location, "chair": f.chair, "participants": f.participants,
    });
    match api
        .json(&c, Method::POST, "/api/calendar", Some(body))
        .await
    {
        Ok(v) => {
            let week = v["starts_at"]
                .as_str()
                .and_then(Timestamp::parse_rfc3339)
                .map(iso_day)
                .unwrap_or_default();
            Ok(see_other(&format!("/quan-tri/lich?tuan={week}&ok=created")))
        }
        Err(r) if r.in_place() => {
            let page = calendar_view(&state, &ctx, "", f, messages(&ctx, &r)).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn delete_event(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(id): Path<i64>,
) -> PageResult {
    secretariat(&c)?;
    api.json(&c, Method::DELETE, &format!("/api/calendar/{id}"), None)
        .await?;
    Ok(see_other("/quan-tri/lich?ok=deleted"))
}

pub(crate) struct LinkRow {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub position: i64,
}

#[derive(askama::Template)]
#[template(path = "portal_admin_links.html")]
struct LinksAdminPage {
    l: Layout,
    links: Vec<LinkRow>,
    title: String,
    url: String,
    errors: Vec<String>,
}

async fn links_view(
    state: &AppState,
    ctx: &Ctx,
    title: String,
    url: String,
    errors: Vec<String>,
) -> PageResult<LinksAdminPage> {
    Ok(LinksAdminPage {
        l: ctx.layout(i18n::t(ctx.lang, "padmin.links")),
        links: state
            .db()
            .links()
            .await?
            .into_iter()
            .map(|k| LinkRow {
                id: k.id,
                title: k.title,
                url: k.url,
                position: k.position,
            })
            .collect(),
        title,
        url,
        errors,
    })
}

async fn links_admin(State(state): State<AppState>, Signed(ctx, c): Signed) -> PageResult {
    secretariat(&c)?;
    ok(&links_view(&state, &ctx, String::new(), String::new(), Vec::new()).await?)
}

async fn add_link(
    State(state): State<AppState>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    form: Form,
) -> PageResult {
    secretariat(&c)?;
    let (title, url) = (form.text("title"), form.text("url"));
    let body = json!({ "title": title, "url": url, "position": form.int("position").unwrap_or(0) });
    match api.json(&c, Method::POST, "/api/links", Some(body)).await {
        Ok(_) => Ok(see_other("/quan-tri/lien-ket?ok=created")),
        Err(r) if r.in_place() => {
            let page = links_view(&state, &ctx, title, url, messages(&ctx, &r)).await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

async fn delete_link(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path(id): Path<i64>,
) -> PageResult {
    secretariat(&c)?;
    api.json(&c, Method::DELETE, &format!("/api/links/{id}"), None)
        .await?;
    Ok(see_other("/quan-tri/lien-ket?ok=deleted"))
}
