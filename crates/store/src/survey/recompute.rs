//! Recompute: rebuild a survey's statistics from its raw responses, in one consistent snapshot,
//! and compare them with the running ones; optionally replace the running ones.

use super::lock_survey;
use super::tally::{Tally, bucket_of, parse_answers, parse_expectations, segments, write_row};
use super::{ResponseStatus, SurveyContext};
use crate::db::{Db, Tx, q};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A statistics row whose running value differs from the one rebuilt from raw responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsDifference {
    pub unit: String,
    pub segment: String,
    pub bucket: String,
    pub stored_respondents: u64,
    pub recomputed_respondents: u64,
    /// Which parts differ: `respondents`, `items`, `sums`, `cross_products`, `expectations`.
    pub parts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecomputeReport {
    /// Responses read (every status).
    pub responses: u64,
    /// Statistics rows compared.
    pub rows: usize,
    pub differences: Vec<StatsDifference>,
    /// The running statistics were replaced by the rebuilt ones.
    pub applied: bool,
}

const PAGE: i64 = 20_000;

type Key = (i64, String, &'static str);

/// Rebuilds every statistics row of a survey from its responses, reading page by page.
async fn rebuild(
    tx: &mut Tx,
    ctx: &SurveyContext,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(BTreeMap<Key, Tally>, u64)> {
    let layout = &ctx.layout;
    let mut out: BTreeMap<Key, Tally> = BTreeMap::new();
    let mut last = 0i64;
    let mut read = 0u64;
    loop {
        let rows = tx
            .fetch_all(
                q(
                    "SELECT id, unit_id, service_field, answers, profile, expectations, status \
                   FROM survey_responses WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(ctx.survey.id)
                .bind(last)
                .bind(PAGE),
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            last = r.i64("id")?;
            let status = r.text("status")?;
            let status = ResponseStatus::parse(&status)
                .ok_or_else(|| Error::Corrupt(format!("response status '{status}'")))?;
            let Some(bucket) = bucket_of(status) else {
                continue;
            };
            let answers = parse_answers(&r.text("answers")?, layout.item_codes.len())?;
            let expectations = parse_expectations(layout, &r.text("expectations")?)?;
            let field = r.opt_text("service_field")?;
            let unit = r.i64("unit_id")?;
            for seg in segments(field.as_deref(), &r.text("profile")?, layout) {
                out.entry((unit, seg, bucket))
                    .or_insert_with(|| Tally::new(layout))
                    .add(layout, &answers, &expectations);
            }
        }
        read += rows.len() as u64;
        progress(read);
    }
    Ok((out, read))
}

fn parts_differing(a: &Tally, b: &Tally) -> Vec<String> {
    let mut parts = Vec::new();
    if a.stats.respondents != b.stats.respondents {
        parts.push("respondents".into());
    }
    if a.items != b.items {
        parts.push("items".into());
    }
    if a.stats.sums != b.stats.sums {
        parts.push("sums".into());
    }
    if a.stats.cross != b.stats.cross {
        parts.push("cross_products".into());
    }
    if a.expectations != b.expectations {
        parts.push("expectations".into());
    }
    parts
}

impl Db {
    /// Rebuilds the survey's statistics from the raw responses and reports every row where the
    /// running statistics differ (there should be none). With `apply`, the running statistics are
    /// replaced by the rebuilt ones in the same transaction (writers wait meanwhile).
    pub async fn recompute_survey(
        &self,
        year: i32,
        code: &str,
        apply: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<RecomputeReport> {
        let ctx = self.survey_context(year, code).await?;
        let layout = &ctx.layout;
        let mut tx = if apply {
            let mut tx = self.begin().await?;
            lock_survey(&mut tx, ctx.survey.id).await?;
            tx
        } else {
            self.begin_read().await?
        };
        let (rebuilt, responses) = rebuild(&mut tx, &ctx, progress).await?;
        let mut stored: BTreeMap<Key, Tally> = BTreeMap::new();
        let rows = tx
            .fetch_all(
                q("SELECT unit_id, segment, bucket, respondents, items, sums, cross_products, expectations \
                   FROM survey_stats WHERE survey_id = $1")
                .bind(ctx.survey.id),
            )
            .await?;
        for r in &rows {
            let bucket = match r.text("bucket")?.as_str() {
                "accepted" => "accepted",
                "quarantined" => "quarantined",
                other => return Err(Error::Corrupt(format!("statistics bucket '{other}'"))),
            };
            stored.insert(
                (r.i64("unit_id")?, r.text("segment")?, bucket),
                Tally::from_row(layout, r)?,
            );
        }
        let keys: BTreeSet<&Key> = rebuilt.keys().chain(stored.keys()).collect();
        let zero = Tally::new(layout);
        let mut differences = Vec::new();
        for key in &keys {
            let a = stored.get(*key).unwrap_or(&zero);
            let b = rebuilt.get(*key).unwrap_or(&zero);
            let parts = parts_differing(a, b);
            if !parts.is_empty() {
                differences.push(StatsDifference {
                    unit: ctx.unit_code(key.0).unwrap_or("?").to_string(),
                    segment: key.1.clone(),
                    bucket: key.2.to_string(),
                    stored_respondents: a.respondents(),
                    recomputed_respondents: b.respondents(),
                    parts,
                });
            }
        }
        let applied = apply && !differences.is_empty();
        if applied {
            tx.execute(q("DELETE FROM survey_stats WHERE survey_id = $1").bind(ctx.survey.id))
                .await?;
            for ((unit, seg, bucket), t) in &rebuilt {
                write_row(&mut tx, ctx.survey.id, *unit, seg, bucket, t, false).await?;
            }
            tx.commit().await?;
        }
        Ok(RecomputeReport {
            responses,
            rows: keys.len(),
            differences,
            applied,
        })
    }

    /// Replaces a survey's statistics with those of the given answers, without storing responses:
    /// how the benchmarks put ten million responses' statistics in place quickly. Each item of
    /// `answers` is (unit code, answer per item in questionnaire order, 0 for none); all are
    /// counted as accepted, in the segment of all respondents. The statistics come from the same
    /// code as ingest.
    #[doc(hidden)]
    pub async fn replace_stats_from_answers(
        &self,
        year: i32,
        code: &str,
        answers: &mut (dyn Iterator<Item = (String, Vec<u8>)> + Send),
    ) -> Result<u64> {
        let ctx = self.survey_context(year, code).await?;
        let layout = &ctx.layout;
        let mut by_unit: BTreeMap<i64, Tally> = BTreeMap::new();
        let mut n = 0u64;
        let none: Vec<u8> = vec![0; layout.areas.len()];
        for (unit, a) in answers {
            let id = *ctx.unit_ids.get(&unit).ok_or_else(|| {
                Error::invalid(
                    "unit",
                    format!("đơn vị \"{unit}\" không thuộc kỳ đánh giá {year}"),
                    format!("unit \"{unit}\" is not in round {year}"),
                )
            })?;
            if a.len() != layout.item_codes.len() || a.iter().any(|x| *x > 5) {
                return Err(Error::invalid(
                    "answers",
                    "số câu trả lời không khớp phiếu",
                    "the answers do not match the questionnaire",
                ));
            }
            by_unit
                .entry(id)
                .or_insert_with(|| Tally::new(layout))
                .add(layout, &a, &none);
            n += 1;
        }
        let mut tx = self.begin().await?;
        lock_survey(&mut tx, ctx.survey.id).await?;
        tx.execute(q("DELETE FROM survey_stats WHERE survey_id = $1").bind(ctx.survey.id))
            .await?;
        for (unit, t) in &by_unit {
            write_row(&mut tx, ctx.survey.id, *unit, "", "accepted", t, false).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
