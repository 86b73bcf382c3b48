//! Assessment sheets: one per unit and round, its state machine, and per sub-criterion the
//! declared data, self points, note, appraisals, explanation; bonus and penalty proposals.

use crate::audit::{self, Change, Diff};
use crate::db::{Db, Row, Tx, q};
use crate::rounds::{RoundState, round_state, set_for_group};
use crate::time::Timestamp;
use crate::{Action, Actor, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::rules::Score;
use parindex_core::set::{CriteriaSet, Node};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Where a unit's sheet is in the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SheetState {
    NotStarted,
    SelfAssessing,
    Submitted,
    Appraisal1,
    ExplanationRequested,
    ExplanationSubmitted,
    Appraisal2,
    Approved,
    Published,
}

impl SheetState {
    pub const ALL: [SheetState; 9] = [
        SheetState::NotStarted,
        SheetState::SelfAssessing,
        SheetState::Submitted,
        SheetState::Appraisal1,
        SheetState::ExplanationRequested,
        SheetState::ExplanationSubmitted,
        SheetState::Appraisal2,
        SheetState::Approved,
        SheetState::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SheetState::NotStarted => "not_started",
            SheetState::SelfAssessing => "self_assessing",
            SheetState::Submitted => "submitted",
            SheetState::Appraisal1 => "appraisal_1",
            SheetState::ExplanationRequested => "explanation_requested",
            SheetState::ExplanationSubmitted => "explanation_submitted",
            SheetState::Appraisal2 => "appraisal_2",
            SheetState::Approved => "approved",
            SheetState::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<SheetState> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            SheetState::NotStarted => "chưa bắt đầu",
            SheetState::SelfAssessing => "đang tự đánh giá",
            SheetState::Submitted => "đã nộp",
            SheetState::Appraisal1 => "thẩm định lần 1",
            SheetState::ExplanationRequested => "yêu cầu giải trình",
            SheetState::ExplanationSubmitted => "đã giải trình",
            SheetState::Appraisal2 => "thẩm định lần 2",
            SheetState::Approved => "đã phê duyệt",
            SheetState::Published => "đã công bố",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            SheetState::NotStarted => "not started",
            SheetState::SelfAssessing => "self-assessing",
            SheetState::Submitted => "submitted",
            SheetState::Appraisal1 => "appraisal round 1",
            SheetState::ExplanationRequested => "explanation requested",
            SheetState::ExplanationSubmitted => "explanation submitted",
            SheetState::Appraisal2 => "appraisal round 2",
            SheetState::Approved => "approved",
            SheetState::Published => "published",
        }
    }
}

/// The transitions a sheet may take. Forward along the workflow; back only where the process
/// has a reason to (a submission returned for correction, an approval reopened, a published
/// sheet reopened for a correction, which publishes a new results revision), and going back
/// needs a reason. An unanswered explanation request may go straight to appraisal round 2.
pub fn allowed(from: SheetState, to: SheetState) -> bool {
    use SheetState::*;
    matches!(
        (from, to),
        (NotStarted, SelfAssessing)
            | (SelfAssessing, Submitted)
            | (Submitted, SelfAssessing)
            | (Submitted, Appraisal1)
            | (Appraisal1, ExplanationRequested)
            | (ExplanationRequested, ExplanationSubmitted)
            | (ExplanationRequested, Appraisal2)
            | (ExplanationSubmitted, Appraisal2)
            | (Appraisal2, Approved)
            | (Approved, Appraisal2)
            | (Approved, Published)
            | (Published, Appraisal2)
    )
}

/// Whether a transition goes back in the workflow (and so needs a reason).
pub fn is_backward(from: SheetState, to: SheetState) -> bool {
    to < from
}

/// One sub-criterion of one unit's sheet in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryKey<'a> {
    pub year: i32,
    pub unit: &'a str,
    pub code: &'a str,
}

impl<'a> EntryKey<'a> {
    pub fn new(year: i32, unit: &'a str, code: &'a str) -> EntryKey<'a> {
        EntryKey { year, unit, code }
    }
}

/// Which stage of appraisal points are entered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppraisalRound {
    First,
    Second,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub id: i64,
    pub year: i32,
    pub unit: String,
    pub unit_name: String,
    pub group: String,
    pub level: Option<String>,
    pub state: SheetState,
    /// Changes with every change to the sheet, its entries, proposals and evidence: a transition
    /// states the version it read, so nobody submits or approves what they have not seen.
    pub version: i64,
    pub state_changed_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Sheet {
    pub fn key(&self) -> String {
        format!("{}/{}", self.year, self.unit)
    }
}

/// One sub-criterion of a sheet. Entries not yet saved read as empty with `version` 0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub code: String,
    /// What the unit declared (yes/no, a number, a ratio, a level…), as the rule reads it.
    pub declared: String,
    /// Points the rule gives the declaration; `None` when not applicable or not declared.
    pub self_points: Option<Decimal>,
    pub not_applicable: bool,
    pub note: String,
    pub appraisal1_points: Option<Decimal>,
    pub appraisal1_note: String,
    pub explanation: String,
    pub appraisal2_points: Option<Decimal>,
    pub appraisal2_note: String,
    /// 0 until first saved; every save states the version it read.
    pub version: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<Timestamp>,
}

impl Entry {
    /// Whether the unit's claim that the sub-criterion does not apply stands: it does until an
    /// appraiser gives the sub-criterion points, which overturns the claim (the sub-criterion
    /// then counts those points against its full maximum). An appraiser confirms the claim by
    /// giving no points.
    pub fn counts_as_not_applicable(&self) -> bool {
        self.not_applicable && self.appraisal1_points.is_none() && self.appraisal2_points.is_none()
    }

    /// The points that count: round-2 appraisal, else round-1, else the self-assessment.
    pub fn final_points(&self) -> Option<Decimal> {
        self.appraisal2_points
            .or(self.appraisal1_points)
            .or(self.self_points)
    }

    fn from_row(r: &Row) -> Result<Entry> {
        Ok(Entry {
            code: r.text("code")?,
            declared: r.text("declared")?,
            self_points: r.opt_dec("self_points")?,
            not_applicable: r.bool("not_applicable")?,
            note: r.text("note")?,
            appraisal1_points: r.opt_dec("appraisal1_points")?,
            appraisal1_note: r.text("appraisal1_note")?,
            explanation: r.text("explanation")?,
            appraisal2_points: r.opt_dec("appraisal2_points")?,
            appraisal2_note: r.text("appraisal2_note")?,
            version: r.i64("version")?,
            updated_by: Some(r.text("updated_by")?),
            updated_at: Some(r.ts("updated_at")?),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalKind {
    Bonus,
    Penalty,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::Bonus => "bonus",
            ProposalKind::Penalty => "penalty",
        }
    }
    pub fn parse(s: &str) -> Option<ProposalKind> {
        match s {
            "bonus" => Some(ProposalKind::Bonus),
            "penalty" => Some(ProposalKind::Penalty),
            _ => None,
        }
    }
}

/// A proposed bonus or penalty and its appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub year: i32,
    pub unit: String,
    pub kind: ProposalKind,
    pub points: Decimal,
    pub reason: String,
    pub appraised_points: Option<Decimal>,
    pub appraisal_note: String,
    pub version: i64,
    pub proposed_by: String,
    pub proposed_at: Timestamp,
    pub appraised_by: Option<String>,
    pub appraised_at: Option<Timestamp>,
}

const SHEET_SELECT: &str = "SELECT s.id, s.year, u.code AS unit_code, u.name AS unit_name, u.group_code, u.level, \
    s.state, s.version, s.state_changed_at, s.updated_at FROM sheets s JOIN units u ON u.id = s.unit_id";

const ENTRY_COLUMNS: &str = "code, declared, self_points, not_applicable, note, appraisal1_points, appraisal1_note, \
    explanation, appraisal2_points, appraisal2_note, version, updated_by, updated_at";

fn sheet_from_row(r: &Row) -> Result<Sheet> {
    let s = r.text("state")?;
    Ok(Sheet {
        id: r.i64("id")?,
        year: r.year("year")?,
        unit: r.text("unit_code")?,
        unit_name: r.text("unit_name")?,
        group: r.text("group_code")?,
        level: r.opt_text("level")?,
        state: SheetState::parse(&s).ok_or_else(|| Error::Corrupt(format!("sheet state '{s}'")))?,
        version: r.i64("version")?,
        state_changed_at: r.ts("state_changed_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn proposal_from_row(r: &Row) -> Result<Proposal> {
    let k = r.text("kind")?;
    Ok(Proposal {
        id: r.i64("id")?,
        year: r.year("year")?,
        unit: r.text("unit_code")?,
        kind: ProposalKind::parse(&k)
            .ok_or_else(|| Error::Corrupt(format!("proposal kind '{k}'")))?,
        points: r.dec("points")?,
        reason: r.text("reason")?,
        appraised_points: r.opt_dec("appraised_points")?,
        appraisal_note: r.text("appraisal_note")?,
        version: r.i64("version")?,
        proposed_by: r.text("proposed_by")?,
        proposed_at: r.ts("proposed_at")?,
        appraised_by: r.opt_text("appraised_by")?,
        appraised_at: r.opt_ts("appraised_at")?,
    })
}

pub(crate) async fn load_sheet(tx: &mut Tx, year: i32, unit: &str) -> Result<Sheet> {
    let sql = crate::db::Q::owned(format!("{SHEET_SELECT} WHERE s.year = $1 AND u.code = $2"));
    match tx.fetch_optional(sql.bind(year).bind(unit)).await? {
        Some(r) => sheet_from_row(&r),
        None => {
            round_state(tx, year).await?;
            crate::units::unit_id(tx, unit).await?;
            Err(Error::not_found(Entity::Sheet, format!("{year}/{unit}")))
        }
    }
}

/// Marks the sheet changed (version + 1) provided it is still in `state`; on PostgreSQL this
/// also locks the row, so a concurrent transition waits for this change or refuses it.
pub(crate) async fn touch_sheet(
    tx: &mut Tx,
    sheet: &Sheet,
    state: SheetState,
    action: Action,
    now: Timestamp,
) -> Result<()> {
    let n = tx
        .execute(
            q("UPDATE sheets SET version = version + 1, updated_at = $1 WHERE id = $2 AND state = $3")
                .bind(now)
                .bind(sheet.id)
                .bind(state.as_str()),
        )
        .await?;
    if n == 0 {
        let now_state = tx
            .fetch_one(q("SELECT state FROM sheets WHERE id = $1").bind(sheet.id))
            .await?
            .text("state")?;
        return Err(Error::SheetState {
            key: sheet.key(),
            state: SheetState::parse(&now_state).unwrap_or(state),
            action,
        });
    }
    Ok(())
}

/// Refuses `action` unless the sheet is in `state`.
pub(crate) fn require_state(sheet: &Sheet, state: SheetState, action: Action) -> Result<()> {
    if sheet.state != state {
        return Err(Error::SheetState {
            key: sheet.key(),
            state: sheet.state,
            action,
        });
    }
    Ok(())
}

/// The leaf node `code` of the set, or NotFound.
pub(crate) fn leaf<'a>(set: &'a CriteriaSet, sheet: &Sheet, code: &str) -> Result<&'a Node> {
    set.node(code)
        .filter(|n| set.leaves().iter().any(|&i| set.nodes[i].code == n.code))
        .ok_or_else(|| Error::not_found(Entity::SubCriterion, format!("{}/{code}", sheet.key())))
}

fn node_problem(code: &str, field: &str, vi: impl Into<String>, en: impl Into<String>) -> Error {
    let mut p = Problems::default();
    p.push(Problem::new(
        Location::default().with_node(code).with_field(field),
        vi,
        en,
    ));
    Error::Invalid(p)
}

fn check_points(node: &Node, level: Option<&str>, field: &str, points: Decimal) -> Result<()> {
    let max = node.max_for(level);
    if points.is_sign_negative() || points > max {
        return Err(node_problem(
            &node.code.to_string(),
            field,
            format!("điểm {points} phải từ 0 đến {max}"),
            format!("points {points} must be between 0 and {max}"),
        ));
    }
    Ok(())
}

async fn load_entry(tx: &mut Tx, sheet_id: i64, code: &str) -> Result<Option<Entry>> {
    let sql = crate::db::Q::owned(format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE sheet_id = $1 AND code = $2"
    ));
    tx.fetch_optional(sql.bind(sheet_id).bind(code))
        .await?
        .map(|r| Entry::from_row(&r))
        .transpose()
}

/// Writes an entry if it is still at `expected` (0: not yet saved); Conflict otherwise.
async fn write_entry(
    tx: &mut Tx,
    sheet: &Sheet,
    old: Option<&Entry>,
    new: &Entry,
    expected: i64,
    by: &Actor,
    now: Timestamp,
) -> Result<()> {
    let key = format!("{}/{}", sheet.key(), new.code);
    let actual = old.map_or(0, |e| e.version);
    if actual != expected {
        return Err(Error::Conflict {
            what: Entity::SubCriterion,
            key,
            expected,
            actual,
        });
    }
    let n = if old.is_none() {
        tx.execute(
            q("INSERT INTO entries (sheet_id, code, declared, self_points, not_applicable, note, appraisal1_points, \
               appraisal1_note, explanation, appraisal2_points, appraisal2_note, version, updated_by, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13)")
            .bind(sheet.id)
            .bind(&new.code)
            .bind(&new.declared)
            .bind(new.self_points)
            .bind(new.not_applicable)
            .bind(&new.note)
            .bind(new.appraisal1_points)
            .bind(&new.appraisal1_note)
            .bind(&new.explanation)
            .bind(new.appraisal2_points)
            .bind(&new.appraisal2_note)
            .bind(&by.name)
            .bind(now),
        )
        .await
        .map_err(|e| match e.duplicate_as(Entity::SubCriterion, &key) {
            Error::Duplicate { what, key } => Error::Conflict { what, key, expected, actual: 1 },
            e => e,
        })?
    } else {
        tx.execute(
            q("UPDATE entries SET declared = $1, self_points = $2, not_applicable = $3, note = $4, appraisal1_points = $5, \
               appraisal1_note = $6, explanation = $7, appraisal2_points = $8, appraisal2_note = $9, version = version + 1, \
               updated_by = $10, updated_at = $11 WHERE sheet_id = $12 AND code = $13 AND version = $14")
            .bind(&new.declared)
            .bind(new.self_points)
            .bind(new.not_applicable)
            .bind(&new.note)
            .bind(new.appraisal1_points)
            .bind(&new.appraisal1_note)
            .bind(&new.explanation)
            .bind(new.appraisal2_points)
            .bind(&new.appraisal2_note)
            .bind(&by.name)
            .bind(now)
            .bind(sheet.id)
            .bind(&new.code)
            .bind(expected),
        )
        .await?
    };
    if n == 0 {
        return Err(Error::Conflict {
            what: Entity::SubCriterion,
            key,
            expected,
            actual: expected + 1,
        });
    }
    let blank = Entry::default();
    let old = old.unwrap_or(&blank);
    let mut diff = Diff::new("entry", key);
    diff.value("declared", &old.declared, &new.declared);
    diff.field("self_points", &old.self_points, &new.self_points);
    diff.value("not_applicable", &old.not_applicable, &new.not_applicable);
    diff.value("note", &old.note, &new.note);
    diff.field(
        "appraisal1_points",
        &old.appraisal1_points,
        &new.appraisal1_points,
    );
    diff.value(
        "appraisal1_note",
        &old.appraisal1_note,
        &new.appraisal1_note,
    );
    diff.value("explanation", &old.explanation, &new.explanation);
    diff.field(
        "appraisal2_points",
        &old.appraisal2_points,
        &new.appraisal2_points,
    );
    diff.value(
        "appraisal2_note",
        &old.appraisal2_note,
        &new.appraisal2_note,
    );
    diff.append(tx, by, now).await
}

/// Everything an entry edit needs, loaded in its transaction.
struct EntryCtx {
    tx: Tx,
    sheet: Sheet,
    set: Arc<CriteriaSet>,
    old: Option<Entry>,
    now: Timestamp,
}

impl Db {
    async fn entry_ctx(
        &self,
        year: i32,
        unit: &str,
        code: &str,
        state: SheetState,
        action: Action,
    ) -> Result<EntryCtx> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let sheet = load_sheet(&mut tx, year, unit).await?;
        let set = set_for_group(&mut tx, year, &sheet.group).await?;
        leaf(&set, &sheet, code)?;
        require_state(&sheet, state, action)?;
        touch_sheet(&mut tx, &sheet, state, action, now).await?;
        let old = load_entry(&mut tx, sheet.id, code).await?;
        Ok(EntryCtx {
            tx,
            sheet,
            set,
            old,
            now,
        })
    }

    /// Creates a not-started sheet for a unit in an open round (for a unit added after opening).
    pub async fn create_sheet(&self, year: i32, unit: &str, by: &Actor) -> Result<Sheet> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let state = round_state(&mut tx, year).await?;
        if state != RoundState::Open {
            return Err(Error::RoundState {
                year,
                state,
                action: Action::CreateSheet,
            });
        }
        let unit_id = crate::units::unit_id(&mut tx, unit).await?;
        let group = tx
            .fetch_one(q("SELECT group_code FROM units WHERE id = $1").bind(unit_id))
            .await?
            .text("group_code")?;
        set_for_group(&mut tx, year, &group).await?;
        tx.execute(
            q("INSERT INTO sheets (year, unit_id, state, version, state_changed_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4)")
                .bind(year)
                .bind(unit_id)
                .bind(SheetState::NotStarted.as_str())
                .bind(now),
        )
        .await
        .map_err(|e| e.duplicate_as(Entity::Sheet, &format!("{year}/{unit}")))?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "sheet", format!("{year}/{unit}")),
        )
        .await?;
        tx.commit().await?;
        self.sheet(year, unit).await
    }

    pub async fn sheet(&self, year: i32, unit: &str) -> Result<Sheet> {
        let mut tx = self.begin_read().await?;
        load_sheet(&mut tx, year, unit).await
    }

    /// Every sheet of a round, by group and unit code.
    pub async fn sheets(&self, year: i32) -> Result<Vec<Sheet>> {
        let sql = crate::db::Q::owned(format!(
            "{SHEET_SELECT} WHERE s.year = $1 ORDER BY u.group_code, u.code"
        ));
        self.fetch_all(sql.bind(year))
            .await?
            .iter()
            .map(sheet_from_row)
            .collect()
    }

    /// Moves a sheet to `to` if it is still at `expected_version` and the move is allowed.
    /// Going back needs `by.reason`.
    pub async fn transition(
        &self,
        year: i32,
        unit: &str,
        expected_version: i64,
        to: SheetState,
        by: &Actor,
    ) -> Result<Sheet> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let sheet = load_sheet(&mut tx, year, unit).await?;
        if sheet.version != expected_version {
            return Err(Error::Conflict {
                what: Entity::Sheet,
                key: sheet.key(),
                expected: expected_version,
                actual: sheet.version,
            });
        }
        if !allowed(sheet.state, to) {
            return Err(Error::Forbidden {
                from: sheet.state,
                to,
            });
        }
        if is_backward(sheet.state, to) && by.reason.is_none() {
            return Err(Error::invalid(
                "reason",
                format!(
                    "cần nêu lý do để chuyển phiếu từ \"{}\" về \"{}\"",
                    sheet.state.vi(),
                    to.vi()
                ),
                format!(
                    "a reason is needed to move a sheet back from \"{}\" to \"{}\"",
                    sheet.state.en(),
                    to.en()
                ),
            ));
        }
        let n = tx
            .execute(
                q("UPDATE sheets SET state = $1, version = version + 1, state_changed_at = $2, updated_at = $2 \
                   WHERE id = $3 AND version = $4")
                .bind(to.as_str())
                .bind(now)
                .bind(sheet.id)
                .bind(expected_version),
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::Sheet,
                key: sheet.key(),
                expected: expected_version,
                actual: expected_version + 1,
            });
        }
        let change = Change::new("transition", "sheet", sheet.key()).field(
            "state",
            Some(sheet.state.as_str().into()),
            Some(to.as_str().into()),
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        self.sheet(year, unit).await
    }

    /// Every sub-criterion of the sheet in code order, saved or not.
    pub async fn entries(&self, year: i32, unit: &str) -> Result<Vec<Entry>> {
        let mut tx = self.begin_read().await?;
        let sheet = load_sheet(&mut tx, year, unit).await?;
        let set = set_for_group(&mut tx, year, &sheet.group).await?;
        let sql = crate::db::Q::owned(format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE sheet_id = $1"
        ));
        let mut saved: std::collections::HashMap<String, Entry> = tx
            .fetch_all(sql.bind(sheet.id))
            .await?
            .iter()
            .map(|r| Entry::from_row(r).map(|e| (e.code.clone(), e)))
            .collect::<Result<_>>()?;
        Ok(set
            .leaves()
            .iter()
            .map(|&i| {
                let code = set.nodes[i].code.to_string();
                saved.remove(&code).unwrap_or(Entry {
                    code,
                    ..Default::default()
                })
            })
            .collect())
    }

    pub async fn entry(&self, key: &EntryKey<'_>) -> Result<Entry> {
        let EntryKey { year, unit, code } = *key;
        let mut tx = self.begin_read().await?;
        let sheet = load_sheet(&mut tx, year, unit).await?;
        let set = set_for_group(&mut tx, year, &sheet.group).await?;
        leaf(&set, &sheet, code)?;
        Ok(load_entry(&mut tx, sheet.id, code).await?.unwrap_or(Entry {
            code: code.to_string(),
            ..Default::default()
        }))
    }

    /// Saves the unit's declaration and note for a sub-criterion while the sheet is
    /// self-assessing; the self points come from the set's rule for that sub-criterion.
    pub async fn save_self_assessment(
        &self,
        key: &EntryKey<'_>,
        expected_version: i64,
        declared: &str,
        note: &str,
        by: &Actor,
    ) -> Result<Entry> {
        let EntryKey { year, unit, code } = *key;
        let EntryCtx {
            mut tx,
            sheet,
            set,
            old,
            now,
        } = self
            .entry_ctx(
                year,
                unit,
                code,
                SheetState::SelfAssessing,
                Action::EditSelfAssessment,
            )
            .await?;
        let node = leaf(&set, &sheet, code)?;
        let declared = declared.trim().to_string();
        let (self_points, not_applicable) = match &node.rule {
            Some(rule) if rule.is_survey() && !declared.is_empty() => {
                return Err(node_problem(
                    code,
                    "declared",
                    "điểm tiêu chí này lấy từ kết quả điều tra xã hội học, đơn vị không tự chấm",
                    "this sub-criterion's points come from the survey; units do not self-score it",
                ));
            }
            Some(rule) if !declared.is_empty() => match rule.score(
                &declared,
                node.max_for(sheet.level.as_deref()),
                node.allow_na,
            ) {
                Ok(Score::Points(p)) => (Some(p), false),
                Ok(Score::NotApplicable) => (None, true),
                Err(e) => return Err(node_problem(code, "declared", e.vi, e.en)),
            },
            _ => (None, false),
        };
        let mut new = old.clone().unwrap_or(Entry {
            code: code.to_string(),
            ..Default::default()
        });
        new.declared = declared;
        new.self_points = self_points;
        new.not_applicable = not_applicable;
        new.note = note.trim().to_string();
        write_entry(
            &mut tx,
            &sheet,
            old.as_ref(),
            &new,
            expected_version,
            by,
            now,
        )
        .await?;
        tx.commit().await?;
        self.entry(key).await
    }

    /// Saves appraisal points and note for a sub-criterion in the matching appraisal state.
    pub async fn save_appraisal(
        &self,
        key: &EntryKey<'_>,
        round: AppraisalRound,
        expected_version: i64,
        points: Decimal,
        note: &str,
        by: &Actor,
    ) -> Result<Entry> {
        let EntryKey { year, unit, code } = *key;
        let (state, action, field) = match round {
            AppraisalRound::First => (
                SheetState::Appraisal1,
                Action::EditAppraisal1,
                "appraisal1_points",
            ),
            AppraisalRound::Second => (
                SheetState::Appraisal2,
                Action::EditAppraisal2,
                "appraisal2_points",
            ),
        };
        let EntryCtx {
            mut tx,
            sheet,
            set,
            old,
            now,
        } = self.entry_ctx(year, unit, code, state, action).await?;
        let node = leaf(&set, &sheet, code)?;
        check_points(node, sheet.level.as_deref(), field, points)?;
        let mut new = old.clone().unwrap_or(Entry {
            code: code.to_string(),
            ..Default::default()
        });
        match round {
            AppraisalRound::First => {
                new.appraisal1_points = Some(points);
                new.appraisal1_note = note.trim().to_string();
            }
            AppraisalRound::Second => {
                new.appraisal2_points = Some(points);
                new.appraisal2_note = note.trim().to_string();
            }
        }
        write_entry(
            &mut tx,
            &sheet,
            old.as_ref(),
            &new,
            expected_version,
            by,
            now,
        )
        .await?;
        tx.commit().await?;
        self.entry(key).await
    }

    /// Saves the unit's explanation for a sub-criterion while an explanation is requested.
    pub async fn save_explanation(
        &self,
        key: &EntryKey<'_>,
        expected_version: i64,
        explanation: &str,
        by: &Actor,
    ) -> Result<Entry> {
        let EntryKey { year, unit, code } = *key;
        let EntryCtx {
            mut tx,
            sheet,
            old,
            now,
            ..
        } = self
            .entry_ctx(
                year,
                unit,
                code,
                SheetState::ExplanationRequested,
                Action::EditExplanation,
            )
            .await?;
        let mut new = old.clone().unwrap_or(Entry {
            code: code.to_string(),
            ..Default::default()
        });
        new.explanation = explanation.trim().to_string();
        write_entry(
            &mut tx,
            &sheet,
            old.as_ref(),
            &new,
            expected_version,
            by,
            now,
        )
        .await?;
        tx.commit().await?;
        self.entry(key).await
    }

    /// A unit proposes bonus or penalty points while self-assessing, within the set's cap.
    pub async fn propose(
        &self,
        year: i32,
        unit: &str,
        kind: ProposalKind,
        points: Decimal,
        reason: &str,
        by: &Actor,
    ) -> Result<Proposal> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let sheet = load_sheet(&mut tx, year, unit).await?;
        let set = set_for_group(&mut tx, year, &sheet.group).await?;
        require_state(
            &sheet,
            SheetState::SelfAssessing,
            Action::ProposeBonusPenalty,
        )?;
        check_proposal(&set, kind, points)?;
        if reason.trim().is_empty() {
            return Err(Error::invalid(
                "reason",
                "cần nêu căn cứ đề xuất",
                "a reason for the proposal is needed",
            ));
        }
        touch_sheet(
            &mut tx,
            &sheet,
            SheetState::SelfAssessing,
            Action::ProposeBonusPenalty,
            now,
        )
        .await?;
        let id = tx
            .fetch_one(
                q("INSERT INTO proposals (sheet_id, kind, points, reason, appraisal_note, version, proposed_by, proposed_at) \
                   VALUES ($1, $2, $3, $4, '', 1, $5, $6) RETURNING id")
                .bind(sheet.id)
                .bind(kind.as_str())
                .bind(points)
                .bind(reason.trim())
                .bind(&by.name)
                .bind(now),
            )
            .await?
            .i64("id")?;
        let change =
            Change::new("create", "proposal", format!("{}/{id}", sheet.key())).new_value(format!(
                "{} {} ({})",
                kind.as_str(),
                crate::db::dec_text(points),
                reason.trim()
            ));
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        self.proposal(id).await
    }

    /// An appraiser sets the points a proposal earns (0 refuses it), in either appraisal round.
    pub async fn appraise_proposal(
        &self,
        id: i64,
        expected_version: i64,
        points: Decimal,
        note: &str,
        by: &Actor,
    ) -> Result<Proposal> {
        let now = Timestamp::now();
        let old = self.proposal(id).await?;
        let mut tx = self.begin().await?;
        let sheet = load_sheet(&mut tx, old.year, &old.unit).await?;
        let set = set_for_group(&mut tx, old.year, &sheet.group).await?;
        if !matches!(sheet.state, SheetState::Appraisal1 | SheetState::Appraisal2) {
            return Err(Error::SheetState {
                key: sheet.key(),
                state: sheet.state,
                action: Action::AppraiseProposal,
            });
        }
        if points > old.points {
            return Err(Error::invalid(
                "appraised_points",
                format!(
                    "điểm thẩm định {points} không được vượt điểm đề xuất {}",
                    old.points
                ),
                format!(
                    "appraised points {points} may not exceed the proposed {}",
                    old.points
                ),
            ));
        }
        check_proposal(&set, old.kind, points)?;
        touch_sheet(&mut tx, &sheet, sheet.state, Action::AppraiseProposal, now).await?;
        let n = tx
            .execute(
                q("UPDATE proposals SET appraised_points = $1, appraisal_note = $2, appraised_by = $3, appraised_at = $4, \
                   version = version + 1 WHERE id = $5 AND version = $6")
                .bind(points)
                .bind(note.trim())
                .bind(&by.name)
                .bind(now)
                .bind(id)
                .bind(expected_version),
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::Proposal,
                key: id.to_string(),
                expected: expected_version,
                actual: old.version,
            });
        }
        let mut diff = Diff::new("proposal", format!("{}/{id}", sheet.key()));
        diff.field("appraised_points", &old.appraised_points, &Some(points));
        diff.value(
            "appraisal_note",
            &old.appraisal_note,
            &note.trim().to_string(),
        );
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.proposal(id).await
    }

    pub async fn proposal(&self, id: i64) -> Result<Proposal> {
        let row = self
            .fetch_optional(q("SELECT p.*, s.year, u.code AS unit_code FROM proposals p JOIN sheets s ON s.id = p.sheet_id \
                               JOIN units u ON u.id = s.unit_id WHERE p.id = $1").bind(id))
            .await?
            .ok_or_else(|| Error::not_found(Entity::Proposal, id.to_string()))?;
        proposal_from_row(&row)
    }

    /// A sheet's proposals, oldest first.
    pub async fn proposals(&self, year: i32, unit: &str) -> Result<Vec<Proposal>> {
        self.fetch_all(
            q("SELECT p.*, s.year, u.code AS unit_code FROM proposals p JOIN sheets s ON s.id = p.sheet_id \
               JOIN units u ON u.id = s.unit_id WHERE s.year = $1 AND u.code = $2 ORDER BY p.id")
            .bind(year)
            .bind(unit),
        )
        .await?
        .iter()
        .map(proposal_from_row)
        .collect()
    }
}

fn check_proposal(set: &CriteriaSet, kind: ProposalKind, points: Decimal) -> Result<()> {
    let cap = match kind {
        ProposalKind::Bonus => set.bonus_max,
        ProposalKind::Penalty => set.penalty_max,
    };
    if points.is_sign_negative() || points > cap {
        return Err(Error::invalid(
            "points",
            format!("điểm {points} phải từ 0 đến mức tối đa {cap} của năm"),
            format!("points {points} must be between 0 and the year's cap {cap}"),
        ));
    }
    Ok(())
}
