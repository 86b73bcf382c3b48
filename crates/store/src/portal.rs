//! The public portal's content: news and announcements (categories, hot and featured flags,
//! bodies sanitized on save, search that ignores diacritics, ranked and paginated), the work
//! calendar, linked websites and the visit counter's daily counts.

use crate::audit::{self, Change};
use crate::db::{Backend, Row, q};
use crate::evidence::{EvidenceStore, Kind, claimed_kind, content_matches};
use crate::time::Timestamp;
use crate::{Actor, Db, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::text::{fold, nfc};
use tokio::io::AsyncRead;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// What the secretariat writes: the body may contain HTML, which is sanitized on save.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewsInput {
    pub category: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub hot: bool,
    pub featured: bool,
    pub published_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    pub id: i64,
    pub slug: String,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub summary: String,
    /// Sanitized HTML: safe to embed as is.
    pub body_html: String,
    pub hot: bool,
    pub featured: bool,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
    pub created_by: String,
}

/// A search: words (diacritics and case ignored), category, publication date range, flags, page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewsQuery {
    pub text: String,
    pub category: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub hot: bool,
    pub featured: bool,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsPage {
    pub items: Vec<NewsItem>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventInput {
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub title: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub title: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub position: i64,
}

/// Longest search text taken; more is cut, not refused.
const MAX_QUERY_CHARS: usize = 200;
const MAX_PER_PAGE: u32 = 100;

fn invalid(field: &str, vi: impl Into<String>, en: impl Into<String>, problems: &mut Problems) {
    problems.push(Problem::new(Location::default().with_field(field), vi, en));
}

/// Keeps paragraphs, emphasis, lists, links, tables and images; drops scripts, styles, event
/// handlers and `javascript:` URLs.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// The text of sanitized HTML, for search.
fn html_text(html: &str) -> String {
    let stripped = ammonia::Builder::empty().clean(html).to_string();
    stripped
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
}

/// `cai-cach-hanh-chinh-2019`: from the folded title, at most 80 characters.
fn slug_of(title: &str) -> String {
    let mut slug = String::new();
    for ch in fold(title).chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "tin".into() } else { slug }
}

/// The words of a search, folded, as FTS5 phrases (quoted, so operators and quotes typed by a
/// user are only text) or as a tsquery of prefix terms.
fn search_terms(text: &str) -> Vec<String> {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    fold(&text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(str::to_string)
        .collect()
}

impl NewsItem {
    fn from_row(r: &Row) -> Result<NewsItem> {
        Ok(NewsItem {
            id: r.i64("id")?,
            slug: r.text("slug")?,
            category: r.text("category_code")?,
            category_name: r.text("category_name")?,
            title: r.text("title")?,
            summary: r.text("summary")?,
            body_html: r.text("body_html")?,
            hot: r.bool("hot")?,
            featured: r.bool("featured")?,
            published_at: r.ts("published_at")?,
            updated_at: r.ts("updated_at")?,
            created_by: r.text("created_by")?,
        })
    }
}

const NEWS_SELECT: &str = "SELECT n.id, n.slug, c.code AS category_code, c.name AS category_name, n.title, n.summary, \
    n.body_html, n.hot, n.featured, n.published_at, n.updated_at, n.created_by \
    FROM news n JOIN news_categories c ON c.id = n.category_id";

/// A news item's stored text: title, summary, sanitized body and the folded search text.
struct PreparedNews {
    title: String,
    summary: String,
    body: String,
    search: String,
}

fn prepare_news(input: &NewsInput) -> PreparedNews {
    let title = nfc(input.title.trim());
    let body = sanitize_html(&nfc(&input.body_html));
    let summary = nfc(input.summary.trim());
    let search = fold(&format!("{title} {summary} {}", html_text(&body)));
    PreparedNews {
        title,
        summary,
        body,
        search,
    }
}

async fn category_id(tx: &mut crate::db::Tx, code: &str) -> Result<i64> {
    tx.fetch_optional(q("SELECT id FROM news_categories WHERE code = $1").bind(code))
        .await?
        .ok_or_else(|| Error::not_found(Entity::NewsCategory, code))?
        .i64("id")
}

impl Db {
    /// Creates or renames a category.
    pub async fn put_category(&self, code: &str, name: &str, by: &Actor) -> Result<Category> {
        let mut problems = Problems::default();
        crate::units::check_code("code", code, &mut problems);
        if name.trim().is_empty() {
            invalid(
                "name",
                "thiếu tên chuyên mục",
                "the category name is missing",
                &mut problems,
            );
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let existing = tx
            .fetch_optional(q("SELECT id FROM news_categories WHERE code = $1").bind(code))
            .await?;
        match existing {
            Some(_) => {
                tx.execute(
                    q("UPDATE news_categories SET name = $1 WHERE code = $2")
                        .bind(nfc(name.trim()))
                        .bind(code),
                )
                .await?
            }
            None => {
                tx.execute(
                    q("INSERT INTO news_categories (code, name) VALUES ($1, $2)")
                        .bind(code)
                        .bind(nfc(name.trim())),
                )
                .await?
            }
        };
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("put", "news_category", code).new_value(nfc(name.trim())),
        )
        .await?;
        tx.commit().await?;
        self.categories()
            .await?
            .into_iter()
            .find(|c| c.code == code)
            .ok_or_else(|| Error::not_found(Entity::NewsCategory, code))
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows = self
            .fetch_all(q("SELECT id, code, name FROM news_categories ORDER BY id"))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Category {
                    id: r.i64("id")?,
                    code: r.text("code")?,
                    name: r.text("name")?,
                })
            })
            .collect()
    }

    fn check_news(input: &NewsInput) -> Result<()> {
        let mut problems = Problems::default();
        if input.title.trim().is_empty() {
            invalid(
                "title",
                "thiếu tiêu đề",
                "the title is missing",
                &mut problems,
            );
        }
        if input.title.chars().count() > 300 {
            invalid(
                "title",
                "tiêu đề dài quá 300 ký tự",
                "the title is longer than 300 characters",
                &mut problems,
            );
        }
        if input.body_html.len() > 1_000_000 {
            invalid(
                "body",
                "nội dung dài quá 1 MB",
                "the body is larger than 1 MB",
                &mut problems,
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// Publishes a news item (sanitizing its body) and returns it; its slug comes from the title,
    /// made unique with a number when needed.
    pub async fn create_news(&self, input: &NewsInput, by: &Actor) -> Result<NewsItem> {
        Self::check_news(input)?;
        let now = Timestamp::now();
        let PreparedNews {
            title,
            summary,
            body,
            search,
        } = prepare_news(input);
        let mut tx = self.begin().await?;
        let category = category_id(&mut tx, &input.category).await?;
        let base = slug_of(&title);
        let mut slug = base.clone();
        let mut n = 1;
        while tx
            .fetch_optional(q("SELECT id FROM news WHERE slug = $1").bind(&slug))
            .await?
            .is_some()
        {
            n += 1;
            slug = format!("{base}-{n}");
        }
        tx.execute(
            q("INSERT INTO news (slug, category_id, title, summary, body_html, hot, featured, published_at, created_by, updated_at, search_text) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&slug)
            .bind(category)
            .bind(&title)
            .bind(&summary)
            .bind(&body)
            .bind(input.hot)
            .bind(input.featured)
            .bind(input.published_at.unwrap_or(now))
            .bind(by.name.as_str())
            .bind(now)
            .bind(search),
        )
        .await?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "news", &slug).new_value(title),
        )
        .await?;
        tx.commit().await?;
        self.news_item(&slug).await
    }

    pub async fn update_news(&self, slug: &str, input: &NewsInput, by: &Actor) -> Result<NewsItem> {
        Self::check_news(input)?;
        let old = self.news_item(slug).await?;
        let now = Timestamp::now();
        let PreparedNews {
            title,
            summary,
            body,
            search,
        } = prepare_news(input);
        let mut tx = self.begin().await?;
        let category = category_id(&mut tx, &input.category).await?;
        tx.execute(
            q("UPDATE news SET category_id = $1, title = $2, summary = $3, body_html = $4, hot = $5, featured = $6, \
               published_at = $7, updated_at = $8, search_text = $9 WHERE slug = $10")
            .bind(category)
            .bind(&title)
            .bind(&summary)
            .bind(&body)
            .bind(input.hot)
            .bind(input.featured)
            .bind(input.published_at.unwrap_or(old.published_at))
            .bind(now)
            .bind(search)
            .bind(slug),
        )
        .await?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("update", "news", slug).field("title", Some(old.title), Some(title)),
        )
        .await?;
        tx.commit().await?;
        self.news_item(slug).await
    }

    pub async fn delete_news(&self, slug: &str, by: &Actor) -> Result<()> {
        let old = self.news_item(slug).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        tx.execute(q("DELETE FROM news WHERE slug = $1").bind(slug))
            .await?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("delete", "news", slug).field("title", Some(old.title), None),
        )
        .await?;
        tx.commit().await
    }

    pub async fn news_item(&self, slug: &str) -> Result<NewsItem> {
        let sql = Self::owned_sql(format!("{NEWS_SELECT} WHERE n.slug = $1"));
        let row = self
            .fetch_optional(sql.bind(slug))
            .await?
            .ok_or_else(|| Error::not_found(Entity::News, slug))?;
        NewsItem::from_row(&row)
    }

    fn owned_sql(sql: String) -> crate::db::Q {
        crate::db::Q::owned(sql)
    }

    /// Published news (at or before `now`) matching the query: by relevance when there are
    /// words, else newest first. A page past the last is empty, with the true total.
    pub async fn search_news(&self, query: &NewsQuery, now: Timestamp) -> Result<NewsPage> {
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
        let page = query.page.max(1);
        let terms = search_terms(&query.text);
        let mut conditions = vec!["n.published_at <= $1".to_string()];
        let mut args: Vec<crate::db::Arg> = vec![now.into()];
        let mut arg = |conditions: &mut Vec<String>, sql: &str, v: crate::db::Arg| {
            args.push(v);
            conditions.push(sql.replace('?', &format!("${}", args.len())));
        };
        if let Some(c) = &query.category {
            arg(&mut conditions, "c.code = ?", c.clone().into());
        }
        if let Some(f) = query.from {
            arg(&mut conditions, "n.published_at >= ?", f.into());
        }
        if let Some(t) = query.to {
            arg(&mut conditions, "n.published_at <= ?", t.into());
        }
        if query.hot {
            conditions.push("n.hot = TRUE".into());
        }
        if query.featured {
            conditions.push("n.featured = TRUE".into());
        }
        let backend = self.backend();
        let (join, order) = if terms.is_empty() {
            (String::new(), "n.published_at DESC, n.id DESC".to_string())
        } else {
            match backend {
                Backend::Sqlite => {
                    // Each word a quoted prefix phrase: FTS5 operators typed by a user stay text.
                    let fts = terms
                        .iter()
                        .map(|t| format!("\"{t}\"*"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    arg(&mut conditions, "f.news_fts MATCH ?", fts.into());
                    (
                        "JOIN news_fts f ON f.rowid = n.id".to_string(),
                        "bm25(news_fts), n.published_at DESC".to_string(),
                    )
                }
                Backend::Postgres => {
                    let tsq = terms
                        .iter()
                        .map(|t| format!("{t}:*"))
                        .collect::<Vec<_>>()
                        .join(" & ");
                    arg(
                        &mut conditions,
                        "to_tsvector('simple', n.search_text) @@ to_tsquery('simple', ?)",
                        tsq.into(),
                    );
                    let n = args.len();
                    (
                        String::new(),
                        format!(
                            "ts_rank(to_tsvector('simple', n.search_text), to_tsquery('simple', ${n})) DESC, n.published_at DESC"
                        ),
                    )
                }
            }
        };
        let from = "FROM news n JOIN news_categories c ON c.id = n.category_id";
        let where_sql = conditions.join(" AND ");
        let mut count = crate::db::Q::owned(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n {from} {join} WHERE {where_sql}"
        ));
        for a in &args {
            count = count.bind_arg(a.clone());
        }
        let total = self.fetch_one(count).await?.i64("n")?;
        let select = NEWS_SELECT.split(" FROM ").next().unwrap_or(NEWS_SELECT);
        let offset = (page as i64 - 1) * per_page as i64;
        let mut list = crate::db::Q::owned(format!(
            "{select} {from} {join} WHERE {where_sql} ORDER BY {order} LIMIT {per_page} OFFSET {offset}"
        ));
        for a in args {
            list = list.bind_arg(a);
        }
        let items = self
            .fetch_all(list)
            .await?
            .iter()
            .map(NewsItem::from_row)
            .collect::<Result<Vec<_>>>()?;
        let pages = ((total + per_page as i64 - 1) / per_page as i64) as u32;
        Ok(NewsPage {
            items,
            total,
            page,
            per_page,
            pages,
        })
    }

    pub async fn add_event(&self, input: &EventInput, by: &Actor) -> Result<Event> {
        let mut problems = Problems::default();
        if input.title.trim().is_empty() {
            invalid(
                "title",
                "thiếu nội dung công việc",
                "the title is missing",
                &mut problems,
            );
        }
        let Some(starts) = input.starts_at else {
            invalid(
                "starts_at",
                "thiếu thời gian bắt đầu",
                "the start time is missing",
                &mut problems,
            );
            return Err(Error::Invalid(problems));
        };
        if input.ends_at.is_some_and(|e| e < starts) {
            invalid(
                "ends_at",
                "thời gian kết thúc trước thời gian bắt đầu",
                "the end is before the start",
                &mut problems,
            );
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let id = tx
            .fetch_one(
                q("INSERT INTO calendar_events (starts_at, ends_at, title, location, chair, participants, created_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(starts)
                .bind(input.ends_at)
                .bind(nfc(input.title.trim()))
                .bind(nfc(input.location.trim()))
                .bind(nfc(input.chair.trim()))
                .bind(nfc(input.participants.trim()))
                .bind(by.name.as_str()),
            )
            .await?
            .i64("id")?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "calendar_event", id.to_string())
                .new_value(nfc(input.title.trim())),
        )
        .await?;
        tx.commit().await?;
        Ok(Event {
            id,
            starts_at: starts,
            ends_at: input.ends_at,
            title: nfc(input.title.trim()),
            location: nfc(input.location.trim()),
            chair: nfc(input.chair.trim()),
            participants: nfc(input.participants.trim()),
        })
    }

    /// Events starting in [from, to), in time order.
    pub async fn events_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Event>> {
        let rows = self
            .fetch_all(
                q("SELECT id, starts_at, ends_at, title, location, chair, participants FROM calendar_events \
                   WHERE starts_at >= $1 AND starts_at < $2 ORDER BY starts_at, id")
                .bind(from)
                .bind(to),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    id: r.i64("id")?,
                    starts_at: r.ts("starts_at")?,
                    ends_at: r.opt_i64("ends_at")?.map(Timestamp::from_millis),
                    title: r.text("title")?,
                    location: r.text("location")?,
                    chair: r.text("chair")?,
                    participants: r.text("participants")?,
                })
            })
            .collect()
    }

    pub async fn delete_event(&self, id: i64, by: &Actor) -> Result<()> {
        self.delete_by_id(
            "DELETE FROM calendar_events WHERE id = $1",
            Entity::CalendarEvent,
            "calendar_event",
            id,
            by,
        )
        .await
    }

    pub async fn put_link(
        &self,
        title: &str,
        url: &str,
        position: i64,
        by: &Actor,
    ) -> Result<Link> {
        let mut problems = Problems::default();
        if title.trim().is_empty() {
            invalid(
                "title",
                "thiếu tên trang liên kết",
                "the link title is missing",
                &mut problems,
            );
        }
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 500
            || url.contains(char::is_whitespace)
        {
            invalid(
                "url",
                "địa chỉ phải bắt đầu bằng http:// hoặc https://",
                "the address must start with http:// or https://",
                &mut problems,
            );
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let id = tx
            .fetch_one(
                q("INSERT INTO links (title, url, position) VALUES ($1, $2, $3) RETURNING id")
                    .bind(nfc(title.trim()))
                    .bind(url)
                    .bind(position),
            )
            .await?
            .i64("id")?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "link", id.to_string()).new_value(url.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(Link {
            id,
            title: nfc(title.trim()),
            url: url.to_string(),
            position,
        })
    }

    pub async fn links(&self) -> Result<Vec<Link>> {
        let rows = self
            .fetch_all(q(
                "SELECT id, title, url, position FROM links ORDER BY position, id",
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Link {
                    id: r.i64("id")?,
                    title: r.text("title")?,
                    url: r.text("url")?,
                    position: r.i64("position")?,
                })
            })
            .collect()
    }

    /// Adds counted visits to a day (`YYYY-MM-DD`, the province's local date). The web layer
    /// counts in memory and flushes here, so a page view costs no database write.
    pub async fn add_visits(&self, day: &str, count: i64) -> Result<()> {
        if count <= 0 {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let n = tx
            .execute(
                q("UPDATE visits SET count = count + $1 WHERE day = $2")
                    .bind(count)
                    .bind(day),
            )
            .await?;
        if n == 0 {
            tx.execute(
                q("INSERT INTO visits (day, count) VALUES ($1, $2)")
                    .bind(day)
                    .bind(count),
            )
            .await?;
        }
        tx.commit().await
    }

    /// (visits on `day`, visits in all).
    pub async fn visit_counts(&self, day: &str) -> Result<(i64, i64)> {
        let today = self
            .fetch_optional(q("SELECT count FROM visits WHERE day = $1").bind(day))
            .await?;
        let today = match today {
            Some(r) => r.i64("count")?,
            None => 0,
        };
        let total = self
            .fetch_one(q(
                "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) AS n FROM visits",
            ))
            .await?
            .i64("n")?;
        Ok((today, total))
    }
}

/// A file attached to a news item (PDF, DOCX, XLSX, JPG or PNG), stored by content in the
/// evidence directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub news_slug: String,
    pub sha256: String,
    pub original_name: String,
    pub kind: Kind,
    pub size: i64,
}

fn attachment_from_row(r: &Row) -> Result<Attachment> {
    let k = r.text("kind")?;
    Ok(Attachment {
        id: r.i64("id")?,
        news_slug: r.text("slug")?,
        sha256: r.text("sha256")?,
        original_name: r.text("original_name")?,
        kind: Kind::parse(&k).ok_or_else(|| Error::Corrupt(format!("attachment kind '{k}'")))?,
        size: r.i64("size")?,
    })
}

const ATTACHMENT_SELECT: &str = "SELECT a.id, n.slug, a.sha256, a.original_name, a.kind, a.size \
    FROM news_attachments a JOIN news n ON n.id = a.news_id";

impl EvidenceStore {
    /// Attaches a file to a news item: streamed, size-limited and checked by content like
    /// evidence (the name's extension must agree with the bytes); a refused file leaves no row
    /// and no file.
    pub async fn put_news_attachment<R: AsyncRead + Unpin>(
        &self,
        db: &Db,
        slug: &str,
        original_name: &str,
        reader: R,
        by: &Actor,
    ) -> Result<Attachment> {
        let claimed = claimed_kind(original_name)?;
        let news = db.news_item(slug).await?;
        let staged = self.stage(reader).await?;
        let sniffed = self.sniff_staged(&staged).await?;
        content_matches(original_name, claimed, sniffed)?;
        let now = Timestamp::now();
        let sha = staged.sha256.clone();
        let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
        let mut tx = db.begin().await?;
        let id = tx
            .fetch_one(
                q(
                    "INSERT INTO news_attachments (news_id, sha256, original_name, kind, size) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(news.id)
                .bind(&sha)
                .bind(nfc(original_name))
                .bind(claimed.as_str())
                .bind(size),
            )
            .await?
            .i64("id")?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "news_attachment", id.to_string())
                .new_value(format!("{slug}: {original_name} ({sha})")),
        )
        .await?;
        // Files are shared by content: one already there (evidence or another attachment) stays.
        self.place(staged).await?;
        tx.commit().await?;
        db.news_attachment(slug, id).await
    }
}

impl Db {
    /// A news item's attachments, in the order they were added.
    pub async fn news_attachments(&self, slug: &str) -> Result<Vec<Attachment>> {
        let sql = crate::db::Q::owned(format!(
            "{ATTACHMENT_SELECT} WHERE n.slug = $1 ORDER BY a.id"
        ));
        self.fetch_all(sql.bind(slug))
            .await?
            .iter()
            .map(attachment_from_row)
            .collect()
    }

    /// One attachment, reached through its news item (another item's id is not found).
    pub async fn news_attachment(&self, slug: &str, id: i64) -> Result<Attachment> {
        let sql = crate::db::Q::owned(format!(
            "{ATTACHMENT_SELECT} WHERE n.slug = $1 AND a.id = $2"
        ));
        let row = self
            .fetch_optional(sql.bind(slug).bind(id))
            .await?
            .ok_or_else(|| Error::not_found(Entity::NewsAttachment, id.to_string()))?;
        attachment_from_row(&row)
    }

    /// Detaches a file from a news item; the file stays (shared by content, maybe in a backup).
    pub async fn delete_news_attachment(&self, slug: &str, id: i64, by: &Actor) -> Result<()> {
        let old = self.news_attachment(slug, id).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        tx.execute(q("DELETE FROM news_attachments WHERE id = $1").bind(id))
            .await?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("delete", "news_attachment", id.to_string()).field(
                "sha256",
                Some(old.sha256),
                None,
            ),
        )
        .await?;
        tx.commit().await
    }

    /// Every published news item's slug and last change, newest first (the sitemap and feed).
    pub async fn news_index(&self, now: Timestamp, limit: i64) -> Result<Vec<(String, Timestamp)>> {
        let rows = self
            .fetch_all(
                q(
                    "SELECT slug, updated_at FROM news WHERE published_at <= $1 \
                   ORDER BY published_at DESC, id DESC LIMIT $2",
                )
                .bind(now)
                .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("slug")?, r.ts("updated_at")?)))
            .collect()
    }

    pub async fn delete_link(&self, id: i64, by: &Actor) -> Result<()> {
        self.delete_by_id(
            "DELETE FROM links WHERE id = $1",
            Entity::Link,
            "link",
            id,
            by,
        )
        .await
    }

    /// Deletes one row by id with its audit entry, or says the row does not exist.
    async fn delete_by_id(
        &self,
        sql: &'static str,
        entity: Entity,
        kind: &'static str,
        id: i64,
        by: &Actor,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let n = tx.execute(q(sql).bind(id)).await?;
        if n == 0 {
            return Err(Error::not_found(entity, id.to_string()));
        }
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("delete", kind, id.to_string()),
        )
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_terms() {
        assert_eq!(
            slug_of("Cải cách hành chính năm 2019: kết quả!"),
            "cai-cach-hanh-chinh-nam-2019-ket-qua"
        );
        assert_eq!(slug_of("!!!"), "tin");
        assert_eq!(
            search_terms("\"Đồng Nai\" OR NEAR(x) *"),
            vec!["dong", "nai", "or", "near", "x"]
        );
        assert!(search_terms(&"a ".repeat(10_000)).len() <= 12);
    }

    #[test]
    fn sanitizing_drops_scripts_and_handlers() {
        let clean = sanitize_html(
            "<p onclick=\"x()\">Chào <b>bạn</b><script>alert(1)</script><a href=\"javascript:alert(1)\">x</a></p>",
        );
        assert!(
            !clean.contains("script")
                && !clean.contains("onclick")
                && !clean.contains("javascript"),
            "{clean}"
        );
        assert!(clean.contains("<b>bạn</b>"));
    }
}
