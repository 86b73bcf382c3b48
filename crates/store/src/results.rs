//! Published results: each publication of a group's results in a round is a new revision; rows
//! are only ever inserted, so a correction leaves the earlier revision exactly as published.

use crate::audit::{self, Change};
use crate::db::{Db, Row, Tx, q};
use crate::rounds::round_state;
use crate::time::Timestamp;
use crate::units::unit_id;
use crate::{Actor, Entity, Error, Result};
use parindex_core::ranking::{GroupResult, RankedUnit, Results, Summary};
use parindex_core::set::CriteriaSet;
use std::sync::Arc;

/// One published revision of a group's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub year: i32,
    pub group: String,
    pub revision: i64,
    pub set_code: String,
    pub decimals: u32,
    /// Why this revision was published (the decision number, or what a correction corrects).
    pub reason: String,
    pub published_by: String,
    pub published_at: Timestamp,
    /// In published order.
    pub units: Vec<RankedUnit>,
    pub summary: Option<Summary>,
}

/// A revision without its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: i64,
    pub reason: String,
    pub published_by: String,
    pub published_at: Timestamp,
}

fn to_u32(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::Corrupt(format!("{what} {v} out of range")))
}

fn ranked_from_row(r: &Row) -> Result<RankedUnit> {
    Ok(RankedUnit {
        unit: r.text("unit_code")?,
        name: r.text("unit_name")?,
        direct: r.dec("direct")?,
        survey: r.dec("survey")?,
        bonus: r.dec("bonus")?,
        penalty: r.dec("penalty")?,
        total: r.dec("total")?,
        max: r.dec("max")?,
        percent: r.dec("percent")?,
        class: r
            .opt_i64("class_index")?
            .map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
        class_label: r.opt_text("class_label")?,
        rank: to_u32(r.i64("rank")?, "rank")?,
        delta_total: r.opt_dec("delta_total")?,
        delta_rank: r.opt_i64("delta_rank")?,
    })
}

async fn next_revision(tx: &mut Tx, year: i32, group: &str) -> Result<i64> {
    let r = tx
        .fetch_one(q("SELECT CAST(COALESCE(MAX(revision), 0) AS BIGINT) AS r FROM result_revisions WHERE year = $1 AND group_code = $2").bind(year).bind(group))
        .await?;
    Ok(r.i64("r")? + 1)
}

impl Db {
    /// Publishes one group of computed results as the next revision (1 for the first). Every
    /// unit must exist; a correction (revision 2 on) needs `by.reason`, and so does the first
    /// publication (the decision it follows).
    pub async fn publish(&self, results: &Results, group: &str, by: &Actor) -> Result<Published> {
        let year = results.year;
        let g: &GroupResult = results
            .groups
            .iter()
            .find(|g| g.group.code == group)
            .ok_or_else(|| Error::not_found(Entity::Group, format!("{year}/{group}")))?;
        let Some(reason) = by.reason.clone() else {
            return Err(Error::invalid(
                "reason",
                "cần ghi căn cứ công bố (số quyết định) hoặc lý do đính chính",
                "a reason is needed: the decision published, or what the correction corrects",
            ));
        };
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        round_state(&mut tx, year).await?;
        let revision = next_revision(&mut tx, year, group).await?;
        let s = g.summary.as_ref();
        tx.execute(
            q("INSERT INTO result_revisions (year, group_code, revision, set_code, decimals, unit_count, average_total, \
               average_percent, min_total, max_total, spread, reason, published_by, published_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind(year)
            .bind(group)
            .bind(revision)
            .bind(&results.set)
            .bind(i64::from(results.decimals))
            .bind(s.map(|s| i64::try_from(s.count).unwrap_or(i64::MAX)))
            .bind(s.map(|s| s.average_total))
            .bind(s.map(|s| s.average_percent))
            .bind(s.map(|s| s.min_total))
            .bind(s.map(|s| s.max_total))
            .bind(s.map(|s| s.spread))
            .bind(reason.as_str())
            .bind(&by.name)
            .bind(now),
        )
        .await
        .map_err(|e| e.duplicate_as(Entity::Results, &format!("{year}/{group}/{revision}")))?;
        for (position, u) in g.units.iter().enumerate() {
            let id = unit_id(&mut tx, &u.unit).await?;
            tx.execute(
                q("INSERT INTO results (year, group_code, revision, unit_id, position, unit_code, unit_name, direct, survey, \
                   bonus, penalty, total, max, percent, class_index, class_label, rank, delta_total, delta_rank) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")
                .bind(year)
                .bind(group)
                .bind(revision)
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&u.unit)
                .bind(&u.name)
                .bind(u.direct)
                .bind(u.survey)
                .bind(u.bonus)
                .bind(u.penalty)
                .bind(u.total)
                .bind(u.max)
                .bind(u.percent)
                .bind(u.class.map(|c| i64::try_from(c).unwrap_or(i64::MAX)))
                .bind(u.class_label.clone())
                .bind(i64::from(u.rank))
                .bind(u.delta_total)
                .bind(u.delta_rank),
            )
            .await
            .map_err(|e| e.duplicate_as(Entity::Unit, &u.unit))?;
        }
        let change = Change::new("publish", "results", format!("{year}/{group}")).field(
            "revision",
            (revision > 1).then(|| (revision - 1).to_string()),
            Some(revision.to_string()),
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        self.published_revision(year, group, revision).await
    }

    /// The latest revision of a group's results as the engine's results (one group), with the
    /// criteria set they were computed by and the revision's reason (the decision): what the
    /// exports write.
    pub async fn published_results(
        &self,
        year: i32,
        group: &str,
    ) -> Result<(Arc<CriteriaSet>, Results, String)> {
        let published = self.published(year, group).await?;
        let set = self.criteria_set(year, group).await?;
        let def = set
            .group(group)
            .cloned()
            .ok_or_else(|| Error::not_found(Entity::Group, group))?;
        let results = Results {
            set: set.code.clone(),
            year,
            decimals: published.decimals,
            groups: vec![GroupResult {
                group: def,
                units: published.units,
                summary: published.summary,
            }],
        };
        Ok((set, results, published.reason))
    }

    /// The latest revision of a group's results.
    pub async fn published(&self, year: i32, group: &str) -> Result<Published> {
        let r = self
            .fetch_one(q("SELECT CAST(COALESCE(MAX(revision), 0) AS BIGINT) AS r FROM result_revisions WHERE year = $1 AND group_code = $2").bind(year).bind(group))
            .await?
            .i64("r")?;
        if r == 0 {
            return Err(Error::not_found(Entity::Results, format!("{year}/{group}")));
        }
        self.published_revision(year, group, r).await
    }

    pub async fn published_revision(
        &self,
        year: i32,
        group: &str,
        revision: i64,
    ) -> Result<Published> {
        let head = self
            .fetch_optional(q("SELECT * FROM result_revisions WHERE year = $1 AND group_code = $2 AND revision = $3").bind(year).bind(group).bind(revision))
            .await?
            .ok_or_else(|| Error::not_found(Entity::Results, format!("{year}/{group}/{revision}")))?;
        let units = self
            .fetch_all(q("SELECT * FROM results WHERE year = $1 AND group_code = $2 AND revision = $3 ORDER BY position").bind(year).bind(group).bind(revision))
            .await?
            .iter()
            .map(ranked_from_row)
            .collect::<Result<Vec<_>>>()?;
        let summary = match head.opt_i64("unit_count")? {
            Some(count) => Some(Summary {
                count: usize::try_from(count).unwrap_or(0),
                average_total: head.dec("average_total")?,
                average_percent: head.dec("average_percent")?,
                min_total: head.dec("min_total")?,
                max_total: head.dec("max_total")?,
                spread: head.dec("spread")?,
            }),
            None => None,
        };
        Ok(Published {
            year,
            group: group.to_string(),
            revision,
            set_code: head.text("set_code")?,
            decimals: to_u32(head.i64("decimals")?, "decimals")?,
            reason: head.text("reason")?,
            published_by: head.text("published_by")?,
            published_at: head.ts("published_at")?,
            units,
            summary,
        })
    }

    /// A group's revisions, oldest first.
    pub async fn revisions(&self, year: i32, group: &str) -> Result<Vec<Revision>> {
        self.fetch_all(
            q("SELECT revision, reason, published_by, published_at FROM result_revisions WHERE year = $1 AND group_code = $2 ORDER BY revision")
                .bind(year)
                .bind(group),
        )
        .await?
        .iter()
        .map(|r| Ok(Revision { revision: r.i64("revision")?, reason: r.text("reason")?, published_by: r.text("published_by")?, published_at: r.ts("published_at")? }))
        .collect()
    }
}
