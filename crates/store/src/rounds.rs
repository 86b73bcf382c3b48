//! Rounds (kỳ đánh giá, one a year): state, phase deadlines, and the criteria set of each group,
//! kept as its TOML text and parsed with parindex-core when loaded.

use crate::audit::{self, Change, Diff, hex};
use crate::db::{Db, Row, Tx, q};
use crate::sheets::SheetState;
use crate::time::Timestamp;
use crate::{Action, Actor, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::set::{CriteriaSet, parse_set};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A round's own state: sets can change only while it is a draft; sheets exist once it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundState {
    Draft,
    Open,
    Closed,
}

impl RoundState {
    pub const ALL: [RoundState; 3] = [RoundState::Draft, RoundState::Open, RoundState::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Draft => "draft",
            RoundState::Open => "open",
            RoundState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<RoundState> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            RoundState::Draft => "đang chuẩn bị",
            RoundState::Open => "đang diễn ra",
            RoundState::Closed => "đã kết thúc",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            RoundState::Draft => "in preparation",
            RoundState::Open => "open",
            RoundState::Closed => "closed",
        }
    }
}

/// The phases of a round that carry a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    SelfAssessment,
    Appraisal1,
    Explanation,
    Appraisal2,
    Approval,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::SelfAssessment,
        Phase::Appraisal1,
        Phase::Explanation,
        Phase::Appraisal2,
        Phase::Approval,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "self_assessment",
            Phase::Appraisal1 => "appraisal_1",
            Phase::Explanation => "explanation",
            Phase::Appraisal2 => "appraisal_2",
            Phase::Approval => "approval",
        }
    }
    pub fn parse(s: &str) -> Option<Phase> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "tự đánh giá",
            Phase::Appraisal1 => "thẩm định lần 1",
            Phase::Explanation => "giải trình",
            Phase::Appraisal2 => "thẩm định lần 2",
            Phase::Approval => "phê duyệt",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "self-assessment",
            Phase::Appraisal1 => "appraisal round 1",
            Phase::Explanation => "explanation",
            Phase::Appraisal2 => "appraisal round 2",
            Phase::Approval => "approval",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub year: i32,
    pub title: String,
    pub state: RoundState,
    pub version: i64,
    pub created_at: Timestamp,
    /// Deadlines by phase, in phase order.
    pub deadlines: Vec<(Phase, Timestamp)>,
    /// Which criteria set each group is assessed with: (group code, set code), by group.
    pub groups: Vec<(String, String)>,
}

/// A stored criteria set's identity (the text itself is loaded with `Db::criteria_set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSet {
    pub year: i32,
    pub code: String,
    /// The file name it came from, for messages.
    pub source: String,
    pub sha256: String,
    pub groups: Vec<String>,
    pub added_by: String,
    pub added_at: Timestamp,
}

/// Parsed sets by the SHA-256 of their text: content-addressed, so an entry is never stale.
fn cache() -> &'static Mutex<HashMap<String, Arc<CriteriaSet>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<CriteriaSet>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn parse_cached(source: &str, text: &str, sha: &str) -> Result<Arc<CriteriaSet>> {
    if let Some(set) = cache()
        .lock()
        .map_err(|_| Error::Corrupt("set cache poisoned".into()))?
        .get(sha)
    {
        return Ok(set.clone());
    }
    let set = Arc::new(parse_set(source, text)?);
    if let Ok(mut c) = cache().lock() {
        c.insert(sha.to_string(), set.clone());
    }
    Ok(set)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) async fn round_state(tx: &mut Tx, year: i32) -> Result<RoundState> {
    let r = tx
        .fetch_optional(q("SELECT state FROM rounds WHERE year = $1").bind(year))
        .await?
        .ok_or_else(|| Error::not_found(Entity::Round, year.to_string()))?;
    parse_round_state(&r)
}

fn parse_round_state(r: &Row) -> Result<RoundState> {
    let s = r.text("state")?;
    RoundState::parse(&s).ok_or_else(|| Error::Corrupt(format!("round state '{s}'")))
}

/// The criteria set of a group in a round, inside a transaction.
pub(crate) async fn set_for_group(tx: &mut Tx, year: i32, group: &str) -> Result<Arc<CriteriaSet>> {
    let row = tx
        .fetch_optional(
            q(
                "SELECT s.source, s.toml, s.sha256 FROM round_groups g JOIN criteria_sets s \
               ON s.year = g.year AND s.code = g.set_code WHERE g.year = $1 AND g.group_code = $2",
            )
            .bind(year)
            .bind(group),
        )
        .await?
        .ok_or_else(|| Error::not_found(Entity::Group, format!("{year}/{group}")))?;
    parse_cached(
        &row.text("source")?,
        &row.text("toml")?,
        &row.text("sha256")?,
    )
}

impl Db {
    pub async fn create_round(&self, year: i32, title: &str, by: &Actor) -> Result<Round> {
        if !(2000..=2999).contains(&year) {
            return Err(Error::invalid(
                "year",
                format!("năm {year} không hợp lệ"),
                format!("year {year} is not valid"),
            ));
        }
        if title.trim().is_empty() {
            return Err(Error::invalid(
                "title",
                "tên kỳ đánh giá không được để trống",
                "the round title may not be empty",
            ));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        tx.execute(
            q("INSERT INTO rounds (year, title, state, version, created_at) VALUES ($1, $2, 'draft', 1, $3)")
                .bind(year)
                .bind(title.trim())
                .bind(now),
        )
        .await
        .map_err(|e| e.duplicate_as(Entity::Round, &year.to_string()))?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "round", year.to_string()).new_value(title.trim()),
        )
        .await?;
        tx.commit().await?;
        self.round(year).await
    }

    pub async fn round(&self, year: i32) -> Result<Round> {
        let row = self
            .fetch_optional(
                q("SELECT year, title, state, version, created_at FROM rounds WHERE year = $1")
                    .bind(year),
            )
            .await?
            .ok_or_else(|| Error::not_found(Entity::Round, year.to_string()))?;
        let deadlines = self
            .fetch_all(q("SELECT phase, due_at FROM round_deadlines WHERE year = $1").bind(year))
            .await?
            .iter()
            .map(|r| {
                let p = r.text("phase")?;
                let phase =
                    Phase::parse(&p).ok_or_else(|| Error::Corrupt(format!("phase '{p}'")))?;
                Ok((phase, r.ts("due_at")?))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut deadlines = deadlines;
        deadlines.sort();
        let groups = self
            .fetch_all(q("SELECT group_code, set_code FROM round_groups WHERE year = $1 ORDER BY group_code").bind(year))
            .await?
            .iter()
            .map(|r| Ok((r.text("group_code")?, r.text("set_code")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Round {
            year: row.year("year")?,
            title: row.text("title")?,
            state: parse_round_state(&row)?,
            version: row.i64("version")?,
            created_at: row.ts("created_at")?,
            deadlines,
            groups,
        })
    }

    /// Every round, newest first.
    pub async fn rounds(&self) -> Result<Vec<Round>> {
        let years = self
            .fetch_all(q("SELECT year FROM rounds ORDER BY year DESC"))
            .await?;
        let mut out = Vec::with_capacity(years.len());
        for r in years {
            out.push(self.round(r.year("year")?).await?);
        }
        Ok(out)
    }

    /// Sets (or with `None` removes) the deadline of a phase.
    pub async fn set_deadline(
        &self,
        year: i32,
        phase: Phase,
        due: Option<Timestamp>,
        by: &Actor,
    ) -> Result<Round> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        round_state(&mut tx, year).await?;
        let old = tx
            .fetch_optional(
                q("SELECT due_at FROM round_deadlines WHERE year = $1 AND phase = $2")
                    .bind(year)
                    .bind(phase.as_str()),
            )
            .await?
            .map(|r| r.ts("due_at"))
            .transpose()?;
        tx.execute(
            q("DELETE FROM round_deadlines WHERE year = $1 AND phase = $2")
                .bind(year)
                .bind(phase.as_str()),
        )
        .await?;
        if let Some(due) = due {
            tx.execute(
                q("INSERT INTO round_deadlines (year, phase, due_at) VALUES ($1, $2, $3)")
                    .bind(year)
                    .bind(phase.as_str())
                    .bind(due),
            )
            .await?;
        }
        let mut diff = Diff::new("round", year.to_string());
        let field: &'static str = match phase {
            Phase::SelfAssessment => "deadline.self_assessment",
            Phase::Appraisal1 => "deadline.appraisal_1",
            Phase::Explanation => "deadline.explanation",
            Phase::Appraisal2 => "deadline.appraisal_2",
            Phase::Approval => "deadline.approval",
        };
        diff.field(field, &old, &due);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.round(year).await
    }

    /// Stores a criteria set for a round from its TOML text (checked with parindex-core, every
    /// problem reported with file, line and node) and assigns it to each group it declares.
    /// Allowed while the round is a draft; the same set code may be replaced, a group already
    /// taken by another set is refused.
    pub async fn put_criteria_set(
        &self,
        year: i32,
        source: &str,
        toml: &str,
        by: &Actor,
    ) -> Result<StoredSet> {
        let set = parse_set(source, toml)?;
        let sha = sha256_hex(toml.as_bytes());
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let state = round_state(&mut tx, year).await?;
        if state != RoundState::Draft {
            return Err(Error::RoundState {
                year,
                state,
                action: Action::ChangeCriteriaSet,
            });
        }
        let mut problems = Problems::default();
        for g in &set.groups {
            let taken = tx
                .fetch_optional(
                    q("SELECT set_code FROM round_groups WHERE year = $1 AND group_code = $2")
                        .bind(year)
                        .bind(&g.code),
                )
                .await?;
            if let Some(r) = taken {
                let other = r.text("set_code")?;
                if other != set.code {
                    problems.push(Problem::new(
                        Location::file(source).with_field("group"),
                        format!(
                            "khối \"{}\" đã được chấm theo bộ chỉ số \"{other}\" trong kỳ {year}",
                            g.code
                        ),
                        format!(
                            "group \"{}\" is already assessed with set \"{other}\" in round {year}",
                            g.code
                        ),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let old_sha = tx
            .fetch_optional(
                q("SELECT sha256 FROM criteria_sets WHERE year = $1 AND code = $2")
                    .bind(year)
                    .bind(&set.code),
            )
            .await?
            .map(|r| r.text("sha256"))
            .transpose()?;
        tx.execute(
            q("DELETE FROM round_groups WHERE year = $1 AND set_code = $2")
                .bind(year)
                .bind(&set.code),
        )
        .await?;
        tx.execute(
            q("DELETE FROM criteria_sets WHERE year = $1 AND code = $2")
                .bind(year)
                .bind(&set.code),
        )
        .await?;
        tx.execute(
            q("INSERT INTO criteria_sets (year, code, source, toml, sha256, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(year)
                .bind(&set.code)
                .bind(source)
                .bind(toml)
                .bind(&sha)
                .bind(&by.name)
                .bind(now),
        )
        .await?;
        for g in &set.groups {
            tx.execute(
                q("INSERT INTO round_groups (year, group_code, set_code) VALUES ($1, $2, $3)")
                    .bind(year)
                    .bind(&g.code)
                    .bind(&set.code),
            )
            .await?;
        }
        let change = Change::new(
            if old_sha.is_some() {
                "replace"
            } else {
                "create"
            },
            "criteria_set",
            format!("{year}/{}", set.code),
        )
        .field("sha256", old_sha, Some(sha.clone()));
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        if let Ok(mut c) = cache().lock() {
            c.insert(sha.clone(), Arc::new(set.clone()));
        }
        Ok(StoredSet {
            year,
            code: set.code.clone(),
            source: source.to_string(),
            sha256: sha,
            groups: set.groups.iter().map(|g| g.code.clone()).collect(),
            added_by: by.name.clone(),
            added_at: now,
        })
    }

    /// The sets stored for a round, by code.
    pub async fn criteria_sets(&self, year: i32) -> Result<Vec<StoredSet>> {
        let rows = self
            .fetch_all(q("SELECT year, code, source, sha256, added_by, added_at FROM criteria_sets WHERE year = $1 ORDER BY code").bind(year))
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let code = r.text("code")?;
            let groups = self
                .fetch_all(q("SELECT group_code FROM round_groups WHERE year = $1 AND set_code = $2 ORDER BY group_code").bind(year).bind(&code))
                .await?
                .iter()
                .map(|g| g.text("group_code"))
                .collect::<Result<Vec<_>>>()?;
            out.push(StoredSet {
                year: r.year("year")?,
                code,
                source: r.text("source")?,
                sha256: r.text("sha256")?,
                groups,
                added_by: r.text("added_by")?,
                added_at: r.ts("added_at")?,
            });
        }
        Ok(out)
    }

    /// A stored set's TOML text, as it was given.
    pub async fn criteria_set_text(&self, year: i32, code: &str) -> Result<String> {
        self.fetch_optional(
            q("SELECT toml FROM criteria_sets WHERE year = $1 AND code = $2")
                .bind(year)
                .bind(code),
        )
        .await?
        .ok_or_else(|| Error::not_found(Entity::CriteriaSet, format!("{year}/{code}")))?
        .text("toml")
    }

    /// The parsed set a group is assessed with in a round.
    pub async fn criteria_set(&self, year: i32, group: &str) -> Result<Arc<CriteriaSet>> {
        let row = self
            .fetch_optional(
                q("SELECT s.source, s.toml, s.sha256 FROM round_groups g JOIN criteria_sets s \
                   ON s.year = g.year AND s.code = g.set_code WHERE g.year = $1 AND g.group_code = $2")
                .bind(year)
                .bind(group),
            )
            .await?
            .ok_or_else(|| Error::not_found(Entity::Group, format!("{year}/{group}")))?;
        parse_cached(
            &row.text("source")?,
            &row.text("toml")?,
            &row.text("sha256")?,
        )
    }

    /// Opens a draft (or reopens a closed) round and creates a not-started sheet for every
    /// active unit that has none yet. Every active unit's group must have a set: the problems
    /// name those that do not, and nothing is opened.
    pub async fn open_round(&self, year: i32, by: &Actor) -> Result<Round> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let state = round_state(&mut tx, year).await?;
        if state == RoundState::Open {
            return Err(Error::RoundState {
                year,
                state,
                action: Action::OpenRound,
            });
        }
        let units = tx
            .fetch_all(
                q(
                    "SELECT u.id, u.code, u.group_code, g.set_code FROM units u \
                   LEFT JOIN round_groups g ON g.year = $1 AND g.group_code = u.group_code \
                   WHERE u.active ORDER BY u.code",
                )
                .bind(year),
            )
            .await?;
        let mut problems = Problems::default();
        for u in &units {
            if u.opt_text("set_code")?.is_none() {
                let (code, group) = (u.text("code")?, u.text("group_code")?);
                problems.push(Problem::new(
                    Location::default().with_field("group"),
                    format!("đơn vị {code}: khối \"{group}\" chưa có bộ chỉ số trong kỳ {year}"),
                    format!("unit {code}: group \"{group}\" has no criteria set in round {year}"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        for u in &units {
            let n = tx
                .execute(
                    q("INSERT INTO sheets (year, unit_id, state, version, state_changed_at, updated_at) \
                       SELECT $1, $2, $3, 1, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM sheets WHERE year = $1 AND unit_id = $2)")
                    .bind(year)
                    .bind(u.i64("id")?)
                    .bind(SheetState::NotStarted.as_str())
                    .bind(now),
                )
                .await?;
            if n > 0 {
                audit::append(
                    &mut tx,
                    by,
                    now,
                    Change::new("create", "sheet", format!("{year}/{}", u.text("code")?)),
                )
                .await?;
            }
        }
        set_round_state(&mut tx, year, state, RoundState::Open, by, now).await?;
        tx.commit().await?;
        self.round(year).await
    }

    /// Closes an open round: its sheets stay as they are, readable.
    pub async fn close_round(&self, year: i32, by: &Actor) -> Result<Round> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let state = round_state(&mut tx, year).await?;
        if state != RoundState::Open {
            return Err(Error::RoundState {
                year,
                state,
                action: Action::CloseRound,
            });
        }
        set_round_state(&mut tx, year, state, RoundState::Closed, by, now).await?;
        tx.commit().await?;
        self.round(year).await
    }
}

async fn set_round_state(
    tx: &mut Tx,
    year: i32,
    from: RoundState,
    to: RoundState,
    by: &Actor,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        q("UPDATE rounds SET state = $1, version = version + 1 WHERE year = $2")
            .bind(to.as_str())
            .bind(year),
    )
    .await?;
    let change = Change::new("transition", "round", year.to_string()).field(
        "state",
        Some(from.as_str().into()),
        Some(to.as_str().into()),
    );
    audit::append(tx, by, now, change).await
}
