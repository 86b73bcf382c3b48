//! The public portal, without sign-in: its home (hot and featured news, this week's calendar,
//! linked websites, the way to the results), news with search (diacritics ignored, ranked,
//! paginated), a news item, the work calendar by week, a unit's profile across years, the Atom
//! feed and the sitemap; the visit counter's middleware. The secretariat's pages to manage them
//! are in `portal_admin`.

use crate::api::portal::{date_range, published_item};
use crate::app::AppState;
use crate::pages::cache::Cache;
use crate::pages::charts::{self, AreaPoints};
use crate::pages::survey::{self, Cell, ElementRow};
use crate::pages::{Ctx, Layout, PageError, PageResult, fmt, i18n, render, results};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use parindex_core::analysis::lost::points_lost;
use parindex_core::locale::Locale;
use parindex_store::portal::{Event, NewsItem, NewsQuery};
use parindex_store::sheets::SheetState;
use parindex_store::survey::SurveyState;
use parindex_store::{ErrorKind, Timestamp};
use rust_decimal::Decimal;
use serde::Deserialize;

pub(crate) const TEXTS: &[super::i18n::Entry] = &[
    ("nav.portal", "Cổng thông tin", "Portal"),
    ("nav.news", "Tin tức", "News"),
    ("nav.calendar", "Lịch công tác", "Work calendar"),
    (
        "portal.title",
        "Cổng thông tin cải cách hành chính",
        "Administrative reform portal",
    ),
    ("portal.hot", "Tin nổi bật", "Hot news"),
    ("portal.featured", "Tin tiêu điểm", "Featured"),
    ("portal.latest", "Tin mới", "Latest news"),
    (
        "portal.this_week",
        "Lịch công tác tuần này",
        "This week's work calendar",
    ),
    ("portal.links", "Liên kết website", "Linked websites"),
    ("portal.results", "Kết quả Chỉ số CCHC", "PAR Index results"),
    (
        "portal.results_intro",
        "Kết quả xếp hạng đã công bố theo năm và khối, hồ sơ từng đơn vị.",
        "Published rankings by year and group, and each unit's profile.",
    ),
    ("portal.all_news", "Tất cả tin tức", "All news"),
    ("portal.full_calendar", "Xem lịch cả tuần", "The whole week"),
    ("portal.no_news", "Chưa có tin.", "No news yet."),
    (
        "portal.no_events",
        "Không có lịch công tác.",
        "Nothing on the calendar.",
    ),
    ("portal.visits", "Lượt truy cập", "Visits"),
    ("portal.visits_today", "Hôm nay", "Today"),
    ("portal.visits_total", "Tổng số", "In all"),
    ("portal.feed", "Nguồn tin Atom", "Atom feed"),
    ("news.title", "Tin tức", "News"),
    ("news.search", "Tìm kiếm tin", "Search the news"),
    ("news.words", "Nội dung", "Words"),
    ("news.category", "Chuyên mục", "Category"),
    ("news.all_categories", "Tất cả chuyên mục", "All categories"),
    ("news.from", "Từ ngày", "From"),
    ("news.to", "Đến ngày", "To"),
    ("news.find", "Tìm", "Search"),
    ("news.found", "Số tin tìm thấy", "Items found"),
    ("news.none", "Không có tin nào phù hợp.", "No news matches."),
    (
        "news.past_last",
        "Trang này vượt quá trang cuối.",
        "This page is past the last one.",
    ),
    ("news.page", "Trang", "Page"),
    ("news.of", "trên", "of"),
    ("news.prev", "Trang trước", "Previous page"),
    ("news.next", "Trang sau", "Next page"),
    ("news.published", "Đăng ngày", "Published"),
    ("news.attachments", "Tệp đính kèm", "Attachments"),
    ("news.back", "Về danh sách tin", "Back to the news"),
    ("news.pages", "Phân trang", "Pages"),
    ("cal.title", "Lịch công tác", "Work calendar"),
    ("cal.week", "Tuần từ", "Week of"),
    ("cal.prev", "Tuần trước", "Previous week"),
    ("cal.next", "Tuần sau", "Next week"),
    ("cal.this", "Tuần này", "This week"),
    ("cal.time", "Thời gian", "Time"),
    ("cal.what", "Nội dung", "What"),
    ("cal.where", "Địa điểm", "Where"),
    ("cal.chair", "Chủ trì", "Chaired by"),
    ("cal.who", "Thành phần", "Participants"),
    ("cal.mon", "Thứ Hai", "Monday"),
    ("cal.tue", "Thứ Ba", "Tuesday"),
    ("cal.wed", "Thứ Tư", "Wednesday"),
    ("cal.thu", "Thứ Năm", "Thursday"),
    ("cal.fri", "Thứ Sáu", "Friday"),
    ("cal.sat", "Thứ Bảy", "Saturday"),
    ("cal.sun", "Chủ Nhật", "Sunday"),
    ("profile.title", "Hồ sơ đơn vị", "Unit profile"),
    (
        "profile.history",
        "Kết quả qua các năm",
        "Results across years",
    ),
    ("profile.year", "Năm", "Year"),
    ("profile.total", "Tổng điểm", "Total"),
    ("profile.percent", "Chỉ số (%)", "Index (%)"),
    ("profile.rank", "Xếp hạng", "Rank"),
    ("profile.class", "Xếp loại", "Class"),
    (
        "profile.survey",
        "Điểm khảo sát (SIPAS)",
        "Survey points (SIPAS)",
    ),
    (
        "profile.trend",
        "Tổng điểm qua các năm",
        "Total points across years",
    ),
    ("profile.areas", "Điểm theo lĩnh vực", "Points by area"),
    ("profile.area", "Lĩnh vực", "Area"),
    ("profile.max", "Điểm tối đa", "Maximum"),
    ("profile.points", "Điểm đạt", "Points"),
    (
        "profile.none",
        "Đơn vị chưa có kết quả được công bố.",
        "No published results for this unit yet.",
    ),
    (
        "profile.scorecard",
        "Bảng điểm chi tiết",
        "Detailed scorecard",
    ),
    (
        "profile.survey_elements",
        "Mức độ hài lòng theo yếu tố",
        "Satisfaction by element",
    ),
    (
        "profile.survey_hint",
        "Chỉ số hài lòng của từng yếu tố với khoảng tin cậy 95 %; phiếu đang chờ xem xét không được tính. Dấu *: mẫu nhỏ, cần thận trọng khi so sánh.",
        "Each element's satisfaction index with its 95 % confidence interval; responses under review are not counted. *: small sample, compare with care.",
    ),
    (
        "profile.survey_note",
        "Điểm khảo sát là phần điểm từ khảo sát sự hài lòng của người dân, tổ chức.",
        "Survey points come from the satisfaction survey of citizens and organisations.",
    ),
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/cong-thong-tin", get(home))
        .route("/tin-tuc", get(news_list))
        .route("/tin-tuc.atom", get(feed))
        .route("/tin-tuc/{slug}", get(news_item))
        .route("/tin-tuc/{slug}/tep/{id}", get(attachment))
        .route("/lich-cong-tac", get(calendar))
        .route("/ho-so-don-vi/{unit}", get(profile))
        .route("/sitemap.xml", get(sitemap))
}

/// Paths the visit counter counts: the portal's public pages and the published results.
fn counted(path: &str) -> bool {
    path == "/"
        || path == "/cong-thong-tin"
        || path == "/tin-tuc"
        || path == "/lich-cong-tac"
        || path == "/xep-hang"
        || ["/tin-tuc/", "/ho-so-don-vi/", "/xep-hang/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// The visit counter's middleware (inside the pages' guard): counts a GET of a public page,
/// then lets the page show today's and the total count in its footer.
pub(crate) async fn count(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() == Method::GET && counted(req.uri().path()) {
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        let client = state.client_ip(req.headers(), peer);
        let ua = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        state.visits().hit(&client, ua);
        let shown = state.visits().snapshot();
        if let Some(ctx) = req.extensions_mut().get_mut::<Ctx>() {
            ctx.visits = Some(shown);
        }
    }
    next.run(req).await
}

/// A news item as lists show it.
pub(crate) struct NewsCard {
    pub href: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub date: String,
    pub hot: bool,
}

fn card(lang: Locale, n: &NewsItem) -> NewsCard {
    NewsCard {
        href: format!("/tin-tuc/{}", n.slug),
        title: n.title.clone(),
        summary: n.summary.clone(),
        category: n.category_name.clone(),
        date: fmt::date_time(lang, n.published_at),
        hot: n.hot,
    }
}

/// An event as the calendar shows it.
pub(crate) struct EventLine {
    pub id: i64,
    pub time: String,
    pub title: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
}

fn hh_mm(t: Timestamp) -> String {
    let s = Timestamp(t.0 + VN_MS).to_string();
    s[11..16].to_string()
}

fn event_line(e: &Event) -> EventLine {
    let time = match e.ends_at {
        Some(end) => format!("{}–{}", hh_mm(e.starts_at), hh_mm(end)),
        None => hh_mm(e.starts_at),
    };
    EventLine {
        id: e.id,
        time,
        title: e.title.clone(),
        location: e.location.clone(),
        chair: e.chair.clone(),
        participants: e.participants.clone(),
    }
}

const VN_MS: i64 = 7 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Monday 00:00 (Viet Nam's time) of the week holding `t`.
pub(crate) fn week_start(t: Timestamp) -> Timestamp {
    let local_days = (t.0 + VN_MS).div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday: Monday is 3 days before.
    let monday = local_days - (local_days + 3).rem_euclid(7);
    Timestamp(monday * DAY_MS - VN_MS)
}

/// `YYYY-MM-DD` of a moment in Viet Nam's time.
pub(crate) fn iso_day(t: Timestamp) -> String {
    Timestamp(t.0 + VN_MS).to_string()[..10].to_string()
}

/// `23/11/2026` (vi) or `2026-11-23` (en).
fn day_label(lang: Locale, t: Timestamp) -> String {
    let d = iso_day(t);
    match lang {
        Locale::Vi => format!("{}/{}/{}", &d[8..10], &d[5..7], &d[0..4]),
        Locale::En => d,
    }
}

const WEEKDAYS: [&str; 7] = [
    "cal.mon", "cal.tue", "cal.wed", "cal.thu", "cal.fri", "cal.sat", "cal.sun",
];

pub(crate) struct CalendarDay {
    pub label: String,
    pub date: String,
    pub events: Vec<EventLine>,
}

/// A week's days (Monday first) with their events.
pub(crate) fn week_days(lang: Locale, monday: Timestamp, events: &[Event]) -> Vec<CalendarDay> {
    (0..7)
        .map(|i| {
            let from = Timestamp(monday.0 + i * DAY_MS);
            let to = Timestamp(from.0 + DAY_MS);
            CalendarDay {
                label: i18n::t(lang, WEEKDAYS[i as usize]).to_string(),
                date: day_label(lang, from),
                events: events
                    .iter()
                    .filter(|e| e.starts_at >= from && e.starts_at < to)
                    .map(event_line)
                    .collect(),
            }
        })
        .collect()
}

pub(crate) struct LinkLine {
    pub title: String,
    pub url: String,
}

#[derive(askama::Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    l: Layout,
    hot: Vec<NewsCard>,
    featured: Vec<NewsCard>,
    latest: Vec<NewsCard>,
    week: Vec<CalendarDay>,
    links: Vec<LinkLine>,
}

async fn home(
    State(state): State<AppState>,
    Extension(cache): Extension<super::cache::Cache>,
    ctx: Ctx,
) -> PageResult {
    let lang = ctx.lang;
    let data = match cache.home() {
        Some(h) => h,
        None => {
            let db = state.db();
            let now = Timestamp::now();
            let pick = |hot: bool, featured: bool, per_page: u32| NewsQuery {
                hot,
                featured,
                page: 1,
                per_page,
                ..NewsQuery::default()
            };
            let monday = week_start(now);
            let h = std::sync::Arc::new(super::cache::PortalHome {
                hot: db.search_news(&pick(true, false, 5), now).await?.items,
                featured: db.search_news(&pick(false, true, 3), now).await?.items,
                latest: db.search_news(&pick(false, false, 6), now).await?.items,
                monday,
                events: db
                    .events_between(monday, Timestamp(monday.0 + 7 * DAY_MS))
                    .await?,
                links: db.links().await?,
            });
            cache.keep_home(h.clone());
            h
        }
    };
    super::ok(&HomePage {
        l: ctx.layout(i18n::t(lang, "portal.title")),
        hot: data.hot.iter().map(|n| card(lang, n)).collect(),
        featured: data.featured.iter().map(|n| card(lang, n)).collect(),
        latest: data.latest.iter().map(|n| card(lang, n)).collect(),
        week: week_days(lang, data.monday, &data.events)
            .into_iter()
            .filter(|d| !d.events.is_empty())
            .collect(),
        links: data
            .links
            .iter()
            .map(|l| LinkLine {
                title: l.title.clone(),
                url: l.url.clone(),
            })
            .collect(),
    })
}

#[derive(Deserialize, Default)]
struct NewsParams {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "chuyen-muc")]
    category: String,
    #[serde(default)]
    tu: String,
    #[serde(default)]
    den: String,
    #[serde(default)]
    trang: String,
}

pub(crate) struct CategoryOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(askama::Template)]
#[template(path = "portal_news.html")]
struct NewsListPage {
    l: Layout,
    q: String,
    from: String,
    to: String,
    categories: Vec<CategoryOption>,
    errors: Vec<String>,
    items: Vec<NewsCard>,
    total: i64,
    page: u32,
    pages: u32,
    past_last: bool,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// The longest search text kept in the form (the store reads at most 200 characters).
const MAX_Q: usize = 200;

async fn news_list(
    State(state): State<AppState>,
    ctx: Ctx,
    params: Result<Query<NewsParams>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let q: String = p.q.chars().take(MAX_Q).collect();
    let page = match p.trang.trim() {
        "" => 1,
        t => match t.parse::<u32>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push(lang.pick(
                    "số trang phải là số nguyên từ 1",
                    "the page must be a whole number from 1",
                ));
                1
            }
        },
    };
    let mut errors: Vec<String> = errors.into_iter().map(str::to_string).collect();
    let range = match date_range(&p.tu, &p.den) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.extend(e.problems().iter().map(|pr| date_field_message(lang, pr)));
            None
        }
    };
    let db = state.db();
    let cats = db.categories().await?;
    let category = Some(p.category.trim().to_string()).filter(|c| !c.is_empty());
    if let Some(c) = &category
        && !cats.iter().any(|x| &x.code == c)
    {
        errors.push(match lang {
            Locale::Vi => "chuyên mục không tồn tại".into(),
            Locale::En => "there is no such category".into(),
        });
    }
    let mut categories: Vec<CategoryOption> = cats
        .iter()
        .map(|c| CategoryOption {
            selected: category.as_deref() == Some(c.code.as_str()),
            code: c.code.clone(),
            name: c.name.clone(),
        })
        .collect();
    categories.sort_by(|a, b| parindex_core::text::compare(&a.name, &b.name));
    let (items, total, pages) = match (&range, errors.is_empty()) {
        (Some((from, to)), true) => {
            let found = db
                .search_news(
                    &NewsQuery {
                        text: q.clone(),
                        category: category.clone(),
                        from: *from,
                        to: *to,
                        page,
                        per_page: 10,
                        ..NewsQuery::default()
                    },
                    Timestamp::now(),
                )
                .await?;
            (
                found.items.iter().map(|n| card(lang, n)).collect(),
                found.total,
                found.pages,
            )
        }
        _ => (Vec::new(), 0, 0),
    };
    let link = |n: u32| {
        let mut href = format!("/tin-tuc?q={}", super::layout::encode(&q));
        if let Some(c) = &category {
            href.push_str(&format!("&chuyen-muc={}", super::layout::encode(c)));
        }
        for (k, v) in [("tu", &p.tu), ("den", &p.den)] {
            if !v.trim().is_empty() {
                href.push_str(&format!("&{k}={}", super::layout::encode(v.trim())));
            }
        }
        format!("{href}&trang={n}")
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let prev_href = (page > 1).then(|| link(page.min(pages.max(1) + 1) - 1));
    let next_href = (page < pages).then(|| link(page + 1));
    let page_view = NewsListPage {
        l: ctx.layout(i18n::t(lang, "news.title")),
        from: p.tu.chars().take(40).collect(),
        to: p.den.chars().take(40).collect(),
        q,
        categories,
        errors,
        items,
        total,
        past_last: page > pages.max(1) && total > 0,
        prev_href,
        next_href,
        page,
        pages,
    };
    render(status, &page_view)
}

/// A date error named by the field as the form labels it.
fn date_field_message(lang: Locale, p: &parindex_core::diag::Problem) -> String {
    let label = match p.location.field.as_deref() {
        Some("from") => i18n::t(lang, "news.from"),
        Some("to") => i18n::t(lang, "news.to"),
        _ => "",
    };
    if label.is_empty() {
        p.message(lang).to_string()
    } else {
        format!("{label}: {}", p.message(lang))
    }
}

pub(crate) struct AttachmentLine {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub size: String,
}

#[derive(askama::Template)]
#[template(path = "portal_item.html")]
struct ItemPage {
    l: Layout,
    title: String,
    summary: String,
    category: String,
    category_href: String,
    date: String,
    /// Sanitized when saved (ammonia): embedded as is.
    body_html: String,
    attachments: Vec<AttachmentLine>,
}

fn size_label(lang: Locale, bytes: i64) -> String {
    if bytes >= 1_048_576 {
        format!(
            "{} MB",
            lang.decimal(Decimal::from(bytes) / Decimal::from(1_048_576), 1)
        )
    } else {
        format!(
            "{} KB",
            lang.decimal(Decimal::from(bytes.max(1)) / Decimal::from(1024), 0)
        )
    }
}

async fn news_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> PageResult {
    let n = published_item(&state, &slug).await?;
    let files = state.db().news_attachments(&slug).await?;
    let lang = ctx.lang;
    super::ok(&ItemPage {
        l: ctx.layout(n.title.clone()),
        summary: n.summary.clone(),
        category: n.category_name.clone(),
        category_href: format!("/tin-tuc?chuyen-muc={}", super::layout::encode(&n.category)),
        date: fmt::date_time(lang, n.published_at),
        body_html: n.body_html.clone(),
        attachments: files
            .iter()
            .map(|a| AttachmentLine {
                href: format!("/tin-tuc/{}/tep/{}", n.slug, a.id),
                name: a.original_name.clone(),
                kind: a.kind.as_str().to_uppercase(),
                size: size_label(lang, a.size),
            })
            .collect(),
        title: n.title,
    })
}

/// An attachment, relayed from the public API (same checks, same headers).
async fn attachment(
    Extension(api): Extension<super::internal::Api>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    let req = axum::http::Request::builder()
        .uri(format!(
            "/api/public/news/{}/attachments/{id}",
            super::layout::segment(&slug)
        ))
        .body(axum::body::Body::empty())
        .map_err(|_| PageError::bad_request("địa chỉ không hợp lệ", "invalid address"))?;
    let res = api.send_anonymous(req).await;
    if res.status().is_success() {
        return Ok(res);
    }
    Err(super::internal::refusal(res).await.into())
}

#[derive(Deserialize, Default)]
struct WeekParams {
    #[serde(default)]
    tuan: String,
}

#[derive(askama::Template)]
#[template(path = "portal_calendar.html")]
struct CalendarPage {
    l: Layout,
    week_of: String,
    days: Vec<CalendarDay>,
    prev_href: String,
    next_href: String,
    this_href: String,
    error: Option<String>,
}

async fn calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    params: Result<Query<WeekParams>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let lang = ctx.lang;
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let (day, error) = match crate::api::portal::parse_day("tuan", &p.tuan, false) {
        Ok(Some(d)) => (d, None),
        Ok(None) => (Timestamp::now(), None),
        Err(e) => (
            Timestamp::now(),
            e.problems()
                .iter()
                .next()
                .map(|pr| format!("{}: {}", i18n::t(lang, "cal.week"), pr.message(lang))),
        ),
    };
    let monday = week_start(day);
    let events = state
        .db()
        .events_between(monday, Timestamp(monday.0 + 7 * DAY_MS))
        .await?;
    let href = |t: Timestamp| format!("/lich-cong-tac?tuan={}", iso_day(t));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &CalendarPage {
            l: ctx.layout(format!(
                "{} — {} {}",
                i18n::t(lang, "cal.title"),
                i18n::t(lang, "cal.week"),
                day_label(lang, monday)
            )),
            week_of: day_label(lang, monday),
            days: week_days(lang, monday, &events),
            prev_href: href(Timestamp(monday.0 - 7 * DAY_MS)),
            next_href: href(Timestamp(monday.0 + 7 * DAY_MS)),
            this_href: "/lich-cong-tac".into(),
            error,
        },
    )
}

/// A year of a unit's published history.
pub(crate) struct HistoryLine {
    pub year: i32,
    pub total: String,
    pub max: String,
    pub percent: String,
    pub rank: String,
    pub class_label: String,
    pub survey: String,
    pub href: String,
}

pub(crate) struct AreaRow {
    pub title: String,
    pub max: String,
    pub points: String,
    pub percent: String,
}

#[derive(askama::Template)]
#[template(path = "portal_unit.html")]
struct ProfilePage {
    l: Layout,
    unit_name: String,
    history: Vec<HistoryLine>,
    trend_svg: String,
    areas_year: Option<i32>,
    areas: Vec<AreaRow>,
    areas_svg: String,
    radar_svg: String,
    has_survey: bool,
    survey: Option<ProfileSurvey>,
}

/// A unit's public profile: its published results across years (total, index, rank, class,
/// survey points) as a table and a chart, and the points by area of its latest published sheet.
async fn profile(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> PageResult {
    let db = state.db();
    let lang = ctx.lang;
    let unit = db.unit(&code).await?;
    let mut rounds = db.rounds().await?;
    rounds.sort_by_key(|r| r.year);
    let mut history = Vec::new();
    let mut trend = Vec::new();
    let mut has_survey = false;
    for round in &rounds {
        for (group, _) in &round.groups {
            let published = match db.published(round.year, group).await {
                Ok(p) => p,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(u) = published.units.iter().find(|u| u.unit == code) else {
                continue;
            };
            let d = published.decimals;
            has_survey |= u.survey > Decimal::ZERO;
            let set = cache.set(db, round, group).await.ok();
            trend.push(AreaPoints {
                code: round.year.to_string(),
                title: round.year.to_string(),
                points: u.total,
                max: u.max,
            });
            history.push(HistoryLine {
                year: round.year,
                total: lang.decimal(u.total, d),
                max: fmt::pts(lang, u.max),
                percent: lang.decimal(u.percent, d),
                rank: format!("{}/{}", u.rank, published.units.len()),
                class_label: results::class_label(lang, set.as_deref(), u),
                survey: lang.decimal(u.survey, d),
                href: format!("/xep-hang/{}/{group}/{code}", round.year),
            });
        }
    }
    // Points by area from the latest year whose sheet is published.
    let mut areas = Vec::new();
    let mut area_points = Vec::new();
    let mut areas_year = None;
    for line in history.iter().rev() {
        let sheet = match db.sheet(line.year, &code).await {
            Ok(s) => s,
            Err(_) => continue,
        };
        if sheet.state != SheetState::Published {
            continue;
        }
        let computed = db.round_results(line.year).await?;
        let Some(sr) = computed
            .iter()
            .find(|s| s.scores.iter().any(|u| u.unit == code))
        else {
            continue;
        };
        let Some(score) = sr.scores.iter().find(|u| u.unit == code) else {
            continue;
        };
        let peers: Vec<_> = sr
            .scores
            .iter()
            .filter(|u| u.group == sheet.group)
            .cloned()
            .collect();
        let report = points_lost(&sr.set, score, &peers);
        for n in report.nodes.iter().filter(|n| n.level == 1) {
            let title = sr
                .set
                .node(&n.code)
                .and_then(|x| match lang {
                    Locale::En => x.title_en.clone(),
                    Locale::Vi => None,
                })
                .unwrap_or_else(|| n.title.clone());
            areas.push(AreaRow {
                title: format!("{}. {title}", n.code),
                max: fmt::pts(lang, n.max),
                points: fmt::pts(lang, n.points.round_dp(2)),
                percent: fmt::percent(lang, n.points, n.max),
            });
            area_points.push(AreaPoints {
                code: n.code.clone(),
                title,
                points: n.points,
                max: n.max,
            });
        }
        areas_year = Some(line.year);
        break;
    }
    let survey = profile_survey(db, lang, &code, &history).await?;
    let name = unit.name.clone();
    let trend_title = format!("{} — {name}", i18n::t(lang, "profile.trend"));
    let areas_title = format!("{} — {name}", i18n::t(lang, "profile.areas"));
    history.reverse();
    super::ok(&ProfilePage {
        l: ctx.layout(format!("{} — {name}", i18n::t(lang, "profile.title"))),
        trend_svg: if trend.is_empty() {
            String::new()
        } else {
            charts::bars(lang, "chart-trend", &trend_title, &trend)
        },
        areas_svg: if area_points.is_empty() {
            String::new()
        } else {
            charts::bars(lang, "chart-areas", &areas_title, &area_points)
        },
        radar_svg: if area_points.len() < 3 {
            String::new()
        } else {
            charts::radar(lang, "chart-radar", &areas_title, &area_points)
        },
        unit_name: name,
        history,
        areas_year,
        areas,
        has_survey,
        survey,
    })
}

/// The survey elements of a unit's profile: from the latest closed survey of a year whose results
/// the unit has published (a survey still open is not public), the official view (quarantined
/// responses left out).
pub(crate) struct ProfileSurvey {
    pub year: i32,
    pub title: String,
    pub respondents: u64,
    pub overall: Cell,
    pub elements: Vec<ElementRow>,
    pub svg: String,
}

async fn profile_survey(
    db: &parindex_store::Db,
    lang: Locale,
    unit: &str,
    history: &[HistoryLine],
) -> Result<Option<ProfileSurvey>, PageError> {
    // `history` runs from the latest year.
    for line in history {
        let mut surveys = db.surveys(line.year).await?;
        surveys.retain(|s| s.state == SurveyState::Closed);
        surveys.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        for s in surveys {
            let report = db.survey_report(line.year, &s.code).await?;
            let Some(u) = report.units.iter().find(|u| u.unit == unit) else {
                continue;
            };
            let view = &u.official;
            if view.respondents == 0 {
                continue;
            }
            let (elements, chart) = survey::element_rows(lang, &report, view);
            let title = format!(
                "{} {} — {}",
                i18n::t(lang, "profile.survey_elements"),
                line.year,
                u.name
            );
            return Ok(Some(ProfileSurvey {
                year: line.year,
                title: s.title.clone(),
                respondents: view.respondents,
                overall: survey::cell(lang, &view.overall, view.small_sample),
                elements,
                svg: charts::intervals(lang, "chart-survey", &title, &chart),
            }));
        }
    }
    Ok(None)
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `https://host` of this request (the scheme from a trusted TLS proxy's headers).
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let tls = state.config().behind_proxy && crate::auth::over_tls(headers);
    format!("{}://{host}", if tls { "https" } else { "http" })
}

fn xml_response(content_type: &'static str, body: String) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// The Atom feed of the latest 30 published news items.
async fn feed(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let base = origin(&state, &headers);
    let found = state
        .db()
        .search_news(
            &NewsQuery {
                page: 1,
                per_page: 30,
                ..NewsQuery::default()
            },
            Timestamp::now(),
        )
        .await?;
    let updated = found
        .items
        .iter()
        .map(|n| n.updated_at.max(n.published_at))
        .max()
        .unwrap_or(Timestamp(0));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    xml.push_str(&format!(
        "<title>{}</title>\n<id>{base}/tin-tuc</id>\n<link rel=\"self\" href=\"{base}/tin-tuc.atom\"/>\n<link href=\"{base}/tin-tuc\"/>\n<updated>{updated}</updated>\n",
        xml_escape(i18n::t(Locale::Vi, "portal.title")),
    ));
    for n in &found.items {
        let href = format!("{base}/tin-tuc/{}", n.slug);
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{href}</id>\n<link href=\"{href}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n<category term=\"{}\" label=\"{}\"/>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&n.title),
            n.published_at,
            n.updated_at.max(n.published_at),
            xml_escape(&n.created_by),
            xml_escape(&n.category),
            xml_escape(&n.category_name),
            xml_escape(&n.summary),
            xml_escape(&n.body_html),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(xml_response("application/atom+xml; charset=utf-8", xml))
}

/// The sitemap: the portal's pages, every published news item, ranking and unit profile.
async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let base = origin(&state, &headers);
    let db = state.db();
    let mut urls: Vec<(String, Option<Timestamp>)> = [
        "/",
        "/cong-thong-tin",
        "/tin-tuc",
        "/lich-cong-tac",
        "/xep-hang",
    ]
    .iter()
    .map(|p| (p.to_string(), None))
    .collect();
    for (slug, updated) in db.news_index(Timestamp::now(), 10_000).await? {
        urls.push((format!("/tin-tuc/{slug}"), Some(updated)));
    }
    let mut units = std::collections::BTreeSet::new();
    for round in db.rounds().await? {
        for (group, _) in &round.groups {
            if let Ok(p) = db.published(round.year, group).await {
                urls.push((
                    format!("/xep-hang/{}/{group}", round.year),
                    Some(p.published_at),
                ));
                units.extend(p.units.iter().map(|u| u.unit.clone()));
            }
        }
    }
    for u in units {
        urls.push((
            format!("/ho-so-don-vi/{}", super::layout::segment(&u)),
            None,
        ));
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, modified) in urls {
        xml.push_str(&format!(
            "<url><loc>{}</loc>",
            xml_escape(&format!("{base}{path}"))
        ));
        if let Some(t) = modified {
            xml.push_str(&format!("<lastmod>{}</lastmod>", &t.to_string()[..10]));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    Ok(xml_response("application/xml; charset=utf-8", xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_in_viet_nam() {
        // Sunday 2026-11-29 23:30 in Viet Nam is still in the week of Monday 2026-11-23.
        let t = Timestamp::parse_rfc3339("2026-11-29T23:30:00+07:00").unwrap();
        assert_eq!(iso_day(week_start(t)), "2026-11-23");
        let t = Timestamp::parse_rfc3339("2026-11-30T00:10:00+07:00").unwrap();
        assert_eq!(iso_day(week_start(t)), "2026-11-30");
        assert_eq!(hh_mm(week_start(t)), "00:00");
    }

    #[test]
    fn only_public_pages_are_counted() {
        assert!(counted("/tin-tuc/abc"));
        assert!(counted("/xep-hang/2019/so"));
        assert!(!counted("/ky/2019"));
        assert!(!counted("/dang-nhap"));
    }
}
