//! The secretariat's review of responses: quarantined responses listed with their flags, then
//! released (counted), rejected (counted nowhere) or — for an accepted one that looks wrong —
//! quarantined by hand. Each decision moves the response's contribution between statistics
//! buckets in the same transaction, with an audit entry.

use super::tally::{Deltas, Flags, Layout, bucket_of, parse_answers, parse_expectations};
use super::{ResponseStatus, lock_survey};
use crate::audit::{self, Change};
use crate::db::{Db, Row, q};
use crate::time::Timestamp;
use crate::{Actor, Entity, Error, Result};
use serde::Serialize;
use std::collections::HashMap;

/// What the secretariat decides about a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Count it (giải phóng).
    Release,
    /// Count it nowhere (loại).
    Reject,
    /// Hold it for review (tạm giữ).
    Quarantine,
}

impl Decision {
    pub fn target(self) -> ResponseStatus {
        match self {
            Decision::Release => ResponseStatus::Accepted,
            Decision::Reject => ResponseStatus::Rejected,
            Decision::Quarantine => ResponseStatus::Quarantined,
        }
    }
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "release" => Some(Decision::Release),
            "reject" => Some(Decision::Reject),
            "quarantine" => Some(Decision::Quarantine),
            _ => None,
        }
    }
}

/// A response as the review list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseSummary {
    pub id: i64,
    pub unit: String,
    pub channel: String,
    pub submitted_at: Timestamp,
    pub received_at: Timestamp,
    /// Seconds from start to submission, when both are known.
    pub duration_seconds: Option<i64>,
    /// Answer per item, questionnaire order; 0 for none.
    pub answers: Vec<u8>,
    pub flags: Flags,
    pub status: ResponseStatus,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
}

const SUMMARY_COLS: &str = "r.id, u.code AS unit, r.channel, r.started_at, r.submitted_at, r.received_at, r.answers, \
    r.flags, r.status, r.reviewed_by, r.reviewed_at";

fn summary(r: &Row, items: usize) -> Result<ResponseSummary> {
    let status = r.text("status")?;
    let started = r.opt_ts("started_at")?;
    let submitted = r.ts("submitted_at")?;
    Ok(ResponseSummary {
        id: r.i64("id")?,
        unit: r.text("unit")?,
        channel: r.text("channel")?,
        submitted_at: submitted,
        received_at: r.ts("received_at")?,
        duration_seconds: started.map(|s| (submitted.millis() - s.millis()) / 1000),
        answers: parse_answers(&r.text("answers")?, items)?,
        flags: Flags::parse(&r.text("flags")?)
            .ok_or_else(|| Error::Corrupt("response flags".into()))?,
        status: ResponseStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("response status '{status}'")))?,
        reviewed_by: r.opt_text("reviewed_by")?,
        reviewed_at: r.opt_ts("reviewed_at")?,
    })
}

impl Db {
    /// Responses in one status, oldest first, `limit` at a time after id `after` (0 to start).
    pub async fn responses_in_status(
        &self,
        year: i32,
        code: &str,
        status: ResponseStatus,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ResponseSummary>> {
        let ctx = self.survey_context(year, code).await?;
        let sql = crate::db::Q::owned(format!(
            "SELECT {SUMMARY_COLS} FROM survey_responses r JOIN units u ON u.id = r.unit_id \
             WHERE r.survey_id = $1 AND r.status = $2 AND r.id > $3 ORDER BY r.id LIMIT $4"
        ));
        self.fetch_all(
            sql.bind(ctx.survey.id)
                .bind(status.as_str())
                .bind(after)
                .bind(limit),
        )
        .await?
        .iter()
        .map(|r| summary(r, ctx.layout.item_codes.len()))
        .collect()
    }

    /// One response of a survey.
    pub async fn response(&self, year: i32, code: &str, id: i64) -> Result<ResponseSummary> {
        let ctx = self.survey_context(year, code).await?;
        let sql = crate::db::Q::owned(format!(
            "SELECT {SUMMARY_COLS} FROM survey_responses r JOIN units u ON u.id = r.unit_id \
             WHERE r.survey_id = $1 AND r.id = $2"
        ));
        let row = self
            .fetch_optional(sql.bind(ctx.survey.id).bind(id))
            .await?
            .ok_or_else(|| {
                Error::not_found(Entity::SurveyResponse, format!("{}/{id}", ctx.survey.key()))
            })?;
        summary(&row, ctx.layout.item_codes.len())
    }

    /// Releases, rejects or quarantines a response, moving its statistics with it. Deciding what
    /// it already is fails with `Conflict` (someone decided first).
    pub async fn review_response(
        &self,
        year: i32,
        code: &str,
        id: i64,
        decision: Decision,
        by: &Actor,
    ) -> Result<ResponseSummary> {
        let ctx = self.survey_context(year, code).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        lock_survey(&mut tx, ctx.survey.id).await?;
        let row = tx
            .fetch_optional(
                q("SELECT unit_id, service_field, answers, profile, expectations, status FROM survey_responses \
                   WHERE survey_id = $1 AND id = $2")
                .bind(ctx.survey.id)
                .bind(id),
            )
            .await?
            .ok_or_else(|| Error::not_found(Entity::SurveyResponse, format!("{}/{id}", ctx.survey.key())))?;
        let old = row.text("status")?;
        let old = ResponseStatus::parse(&old)
            .ok_or_else(|| Error::Corrupt(format!("response status '{old}'")))?;
        let new = decision.target();
        if old == new {
            return Err(Error::invalid(
                "status",
                format!("phiếu {id} đã ở trạng thái \"{}\"", new.vi()),
                format!("response {id} is already {}", new.en()),
            ));
        }
        tx.execute(
            q("UPDATE survey_responses SET status = $1, reviewed_by = $2, reviewed_at = $3 WHERE id = $4")
                .bind(new.as_str())
                .bind(&by.name)
                .bind(now)
                .bind(id),
        )
        .await?;
        let layout: &Layout = &ctx.layout;
        let answers = parse_answers(&row.text("answers")?, layout.item_codes.len())?;
        let expectations = parse_expectations(layout, &row.text("expectations")?)?;
        let field = row.opt_text("service_field")?;
        let profile = row.text("profile")?;
        let unit_id = row.i64("unit_id")?;
        let mut deltas = Deltas::default();
        for (status, add) in [(old, false), (new, true)] {
            if let Some(bucket) = bucket_of(status) {
                deltas.response(
                    layout,
                    ctx.survey.id,
                    unit_id,
                    bucket,
                    field.as_deref(),
                    &profile,
                    &answers,
                    &expectations,
                    add,
                );
            }
        }
        let layouts: HashMap<i64, &Layout> = [(ctx.survey.id, layout)].into();
        deltas.apply(&mut tx, &layouts).await?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new(
                "review",
                "survey_response",
                format!("{}/{id}", ctx.survey.key()),
            )
            .field(
                "status",
                Some(old.as_str().into()),
                Some(new.as_str().into()),
            ),
        )
        .await?;
        tx.commit().await?;
        self.response(year, code, id).await
    }
}
