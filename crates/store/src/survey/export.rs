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
        let rows = tx
            .fetch_all(
                q("SELECT r.id, u.code AS unit, r.channel, r.service_field, r.started_at, r.submitted_at, \
                   r.received_at, r.answers, r.profile, r.expectations, r.free_text, r.other, r.status, r.flags \
                   FROM survey_responses r JOIN units u ON u.id = r.unit_id \
                   WHERE r.survey_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3")
                .bind(self.ctx.survey.id)
                .bind(self.last)
                .bind(self.page),
            )
            .await?;
        if rows.is_empty() {
            if let Some(tx) = self.tx.take() {
                tx.commit().await?;
            }
            return Ok(None);
        }
        let l = &self.ctx.layout;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = r.i64("id")?;
            let status = r.text("status")?;
            let profile_text = r.text("profile")?;
            let profile: Vec<String> = if l.profile.is_empty() {
                Vec::new()
            } else {
                profile_text.split('|').map(str::to_string).collect()
            };
            let expectations_text = r.text("expectations")?;
            let expectations: Vec<String> = if l.areas.is_empty() {
                Vec::new()
            } else {
                expectations_text.split('|').map(str::to_string).collect()
            };
            if profile.len() != l.profile.len() || expectations.len() != l.areas.len() {
                return Err(Error::Corrupt(format!(
                    "response {id} does not match its questionnaire"
                )));
            }
            let other = match r.opt_text("other")? {
                None => vec![String::new(); l.others.len()],
                Some(json) => {
                    let map: std::collections::BTreeMap<String, String> =
                        serde_json::from_str(&json).map_err(|e| {
                            Error::Corrupt(format!("response {id}: other answers: {e}"))
                        })?;
                    l.others
                        .iter()
                        .map(|(c, _, _)| map.get(c).cloned().unwrap_or_default())
                        .collect()
                }
            };
            out.push(ResponseRecord {
                other,
                id,
                unit: r.text("unit")?,
                channel: r.text("channel")?,
                service_field: r.opt_text("service_field")?,
                started_at: r.opt_ts("started_at")?,
                submitted_at: r.ts("submitted_at")?,
                received_at: r.ts("received_at")?,
                answers: parse_answers(&r.text("answers")?, l.item_codes.len())?,
                profile,
                expectations,
                free_text: r.opt_text("free_text")?,
                status: ResponseStatus::parse(&status)
                    .ok_or_else(|| Error::Corrupt(format!("response status '{status}'")))?,
                flags: Flags::parse(&r.text("flags")?)
                    .ok_or_else(|| Error::Corrupt("response flags".into()))?,
            });
            self.last = id;
        }
        Ok(Some(out))
    }
}

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
