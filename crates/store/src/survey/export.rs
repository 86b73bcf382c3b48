//! Streaming export of raw responses: a cursor over one consistent snapshot, read a page at a
//! time by id, so memory stays flat whatever the number of responses. The columns are those the
//! import reads back, plus informational ones (`id`, `received_at`, `status`, `flags`).

use super::tally::{Flags, parse_answers};
use super::{ResponseStatus, SurveyContext};
use crate::db::{Db, Tx, q};
use crate::time::Timestamp;
use crate::{Error, Result};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

/// One stored response, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    pub id: i64,
    pub unit: String,
    pub channel: String,
    pub service_field: Option<String>,
    pub started_at: Option<Timestamp>,
    pub submitted_at: Timestamp,
    pub received_at: Timestamp,
    /// Per item, questionnaire order; 0 for none.
    pub answers: Vec<u8>,
    /// Per profile question: the chosen option codes, space-separated (empty: none).
    pub profile: Vec<String>,
    /// Per expectation area: the chosen option code (empty: none).
    pub expectations: Vec<String>,
    pub free_text: Option<String>,
    /// Per other question that takes an answer: the answer (empty: none).
    pub other: Vec<String>,
    pub status: ResponseStatus,
    pub flags: Flags,
}

const DIGITS: [&str; 10] = ["", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

impl ResponseRecord {
    /// The row's cells in the order of `ResponseCursor::header`.
    pub fn cells(&self) -> Vec<Cow<'_, str>> {
        let mut out: Vec<Cow<'_, str>> = Vec::with_capacity(
            10 + self.answers.len() + self.profile.len() + self.expectations.len(),
        );
        out.push(Cow::Owned(self.id.to_string()));
        out.push(Cow::Borrowed(&self.unit));
        out.push(Cow::Borrowed(&self.channel));
        out.push(Cow::Borrowed(self.service_field.as_deref().unwrap_or("")));
        out.push(
            self.started_at
                .map_or(Cow::Borrowed(""), |t| Cow::Owned(t.to_string())),
        );
        out.push(Cow::Owned(self.submitted_at.to_string()));
        out.push(Cow::Owned(self.received_at.to_string()));
        for a in &self.answers {
            out.push(Cow::Borrowed(DIGITS[(*a as usize).min(9)]));
        }
        for p in &self.profile {
            out.push(Cow::Borrowed(p));
        }
        for e in &self.expectations {
            out.push(Cow::Borrowed(e));
        }
        out.push(Cow::Borrowed(self.free_text.as_deref().unwrap_or("")));
        for o in &self.other {
            out.push(Cow::Borrowed(o));
        }
        out.push(Cow::Borrowed(self.status.as_str()));
        out.push(Cow::Owned(self.flags.to_text()));
        out
    }
}

/// Reads a survey's responses page by page inside one read transaction (a snapshot: responses
/// arriving meanwhile are not included).
pub struct ResponseCursor {
    tx: Option<Tx>,
    ctx: Arc<SurveyContext>,
    last: i64,
    page: i64,
}

impl std::fmt::Debug for ResponseCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ResponseCursor({}, after {})",
            self.ctx.survey.key(),
            self.last
        )
    }
}

/// The export's column names for a survey.
pub(crate) fn header(ctx: &SurveyContext) -> Vec<String> {
    let l = &ctx.layout;
    let mut h: Vec<String> = [
        "id",
        "unit",
        "channel",
        "service_field",
        "started_at",
        "submitted_at",
        "received_at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend(l.item_codes.iter().cloned());
    h.extend(l.profile.iter().map(|p| p.code.clone()));
    h.extend(l.areas.iter().map(|a| format!("expect.{a}")));
    h.push("free_text".into());
    h.extend(l.others.iter().map(|(c, _, _)| c.clone()));
    h.extend(["status", "flags"].map(String::from));
    h
}

impl ResponseCursor {
    pub fn header(&self) -> Vec<String> {
        header(&self.ctx)
    }
    /// Where the item columns are in `header`.
    pub fn item_columns(&self) -> Range<usize> {
        7..7 + self.ctx.layout.item_codes.len()
    }
    pub fn context(&self) -> &SurveyContext {
        &self.ctx
    }

    /// The next page, oldest first; `None` once every response has been read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<ResponseRecord>>> {
        let Some(tx) = self.tx.as_mut() else {
            return Ok(None);
        };
        // One row per page: the database joins each response's fields with a unit separator and
        // the responses with a record separator, so the per-row cost of the driver is paid once
        // per page (it dominated the export's time when read row by row).
        let row = tx
            .fetch_one(
                q("SELECT CAST(COUNT(*) AS BIGINT) AS n, string_agg(line, $4 ORDER BY id) AS page FROM (\
                   SELECT r.id AS id, CAST(r.id AS TEXT) || $5 || u.code || $5 || r.channel || $5 || \
                   COALESCE(r.service_field, '') || $5 || COALESCE(CAST(r.started_at AS TEXT), '') || $5 || \
                   CAST(r.submitted_at AS TEXT) || $5 || CAST(r.received_at AS TEXT) || $5 || r.answers || $5 || \
                   r.profile || $5 || r.expectations || $5 || COALESCE(r.free_text, '') || $5 || \
                   COALESCE(r.other, '') || $5 || r.status || $5 || r.flags AS line \
                   FROM survey_responses r JOIN units u ON u.id = r.unit_id \
                   WHERE r.survey_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3) t")
                .bind(self.ctx.survey.id)
                .bind(self.last)
                .bind(self.page)
                .bind(RECORD_SEP.to_string())
                .bind(FIELD_SEP.to_string()),
            )
            .await?;
        let n = row.i64("n")?;
        let page = row.opt_text("page")?.unwrap_or_default();
        if n == 0 {
            if let Some(tx) = self.tx.take() {
                tx.commit().await?;
            }
            return Ok(None);
        }
        let l = &self.ctx.layout;
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        for line in page.split(RECORD_SEP) {
            let f: Vec<&str> = line.split(FIELD_SEP).collect();
            let corrupt = || Error::Corrupt(format!("exported response line '{line}'"));
            if f.len() != 14 {
                return Err(corrupt());
            }
            let id: i64 = f[0].parse().map_err(|_| corrupt())?;
            let ts = |s: &str| s.parse::<i64>().map(Timestamp).map_err(|_| corrupt());
            let split = |s: &str, len: usize| -> Vec<String> {
                if len == 0 {
                    Vec::new()
                } else {
                    s.split('|').map(str::to_string).collect()
                }
            };
            let profile = split(f[8], l.profile.len());
            let expectations = split(f[9], l.areas.len());
            if profile.len() != l.profile.len() || expectations.len() != l.areas.len() {
                return Err(Error::Corrupt(format!(
                    "response {id} does not match its questionnaire"
                )));
            }
            let other = if f[11].is_empty() {
                vec![String::new(); l.others.len()]
            } else {
                let map: std::collections::BTreeMap<String, String> = serde_json::from_str(f[11])
                    .map_err(|e| {
                    Error::Corrupt(format!("response {id}: other answers: {e}"))
                })?;
                l.others
                    .iter()
                    .map(|(c, _, _)| map.get(c).cloned().unwrap_or_default())
                    .collect()
            };
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            out.push(ResponseRecord {
                id,
                unit: f[1].to_string(),
                channel: f[2].to_string(),
                service_field: opt(f[3]),
                started_at: if f[4].is_empty() {
                    None
                } else {
                    Some(ts(f[4])?)
                },
                submitted_at: ts(f[5])?,
                received_at: ts(f[6])?,
                answers: parse_answers(f[7], l.item_codes.len())?,
                profile,
                expectations,
                free_text: opt(f[10]),
                other,
                status: ResponseStatus::parse(f[12])
                    .ok_or_else(|| Error::Corrupt(format!("response status '{}'", f[12])))?,
                flags: Flags::parse(f[13])
                    .ok_or_else(|| Error::Corrupt("response flags".into()))?,
            });
            self.last = id;
        }
        Ok(Some(out))
    }
}

/// Separators of the page text: ASCII record and unit separators, which validation keeps out of
/// every stored text.
const RECORD_SEP: char = '\u{1e}';
const FIELD_SEP: char = '\u{1f}';

impl Db {
    /// A cursor over every response of a survey (all statuses), `page` rows at a time.
    pub async fn export_responses(
        &self,
        year: i32,
        code: &str,
        page: i64,
    ) -> Result<ResponseCursor> {
        let ctx = self.survey_context(year, code).await?;
        let tx = self.begin_read().await?;
        Ok(ResponseCursor {
            tx: Some(tx),
            ctx,
            last: 0,
            page: page.clamp(1, 100_000),
        })
    }
}
