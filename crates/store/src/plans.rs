//! Action plans: a unit's tasks for a round (remedies aimed at the sub-criteria where it lost
//! points), each owned by a division and a person, with a deadline, a status and linked evidence;
//! the plan's progress per unit, and next year's review of whether the planned sub-criteria
//! actually gained points. Every write is audited.

use crate::audit::{self, Change, Diff};
use crate::db::{Row, Tx, q};
use crate::rounds::set_for_group;
use crate::time::Timestamp;
use crate::{Actor, Db, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::text::{compare, nfc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Where a task stands. `dropped` is final; `done` may be reopened (evidence found wanting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Planned,
    InProgress,
    Done,
    Dropped,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Planned,
        Status::InProgress,
        Status::Done,
        Status::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
    pub fn vi(self) -> &'static str {
        match self {
            Status::Planned => "chưa thực hiện",
            Status::InProgress => "đang thực hiện",
            Status::Done => "đã hoàn thành",
            Status::Dropped => "đã hủy bỏ",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::InProgress => "in progress",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }
    /// Whether the task still has work ahead (counts towards "overdue").
    pub fn open(self) -> bool {
        matches!(self, Status::Planned | Status::InProgress)
    }
}

/// What a unit writes for a task.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskInput {
    /// What will be done (the remedy).
    pub remedy: String,
    /// The sub-criteria it targets: codes of the round's criteria set for the unit's group.
    pub codes: Vec<String>,
    /// The division of the unit that owns it (phòng, ban).
    pub division: String,
    /// The person responsible.
    pub owner: String,
    /// `YYYY-MM-DD`, or `DD/MM/YYYY` as Vietnamese forms write it.
    pub deadline: String,
    /// Optional effort estimate, 1–100 (the planner's effort units).
    pub effort: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub year: i32,
    pub unit: String,
    pub unit_name: String,
    pub remedy: String,
    pub codes: Vec<String>,
    pub division: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    pub status: Status,
    pub effort: Option<i64>,
    /// Ids of linked evidence (the evidence store's rows), oldest first.
    pub evidence: Vec<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Task {
    /// Past its deadline (`today` as `YYYY-MM-DD`) and not done or dropped.
    pub fn overdue(&self, today: &str) -> bool {
        self.status.open() && self.deadline.as_str() < today
    }
}

/// A unit's plan at a glance. `total` leaves dropped tasks out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    pub unit: String,
    pub unit_name: String,
    pub total: i64,
    pub planned: i64,
    pub in_progress: i64,
    pub done: i64,
    pub dropped: i64,
    pub overdue: i64,
}

impl Progress {
    fn add(&mut self, t: &Task, today: &str) {
        match t.status {
            Status::Planned => self.planned += 1,
            Status::InProgress => self.in_progress += 1,
            Status::Done => self.done += 1,
            Status::Dropped => self.dropped += 1,
        }
        if t.status != Status::Dropped {
            self.total += 1;
        }
        if t.overdue(today) {
            self.overdue += 1;
        }
    }
}

/// Next year's verdict on one planned sub-criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewLine {
    pub code: String,
    /// The tasks (not dropped) that targeted it.
    pub tasks: Vec<i64>,
    /// Whether every one of those tasks is done.
    pub done: bool,
    /// Final points (round-2, else round-1 appraisal, else self-assessed) in the plan's year.
    pub before: Option<Decimal>,
    /// The same the year after; `None` while that round has no sheet or no points for it.
    pub after: Option<Decimal>,
}

impl ReviewLine {
    /// `Some(true)` when the points rose, `None` when next year has no points yet.
    pub fn improved(&self) -> Option<bool> {
        match (self.before, self.after) {
            (Some(b), Some(a)) => Some(a > b),
            (None, Some(a)) => Some(a > Decimal::ZERO),
            _ => None,
        }
    }
}

/// Today's date in Vietnam (UTC+7), `YYYY-MM-DD`: deadlines are local calendar days.
pub fn today() -> String {
    Timestamp::now().plus_seconds(7 * 3600).to_string()[..10].to_string()
}

/// `2020-03-31` or `31/03/2020` (also `31-03-2020`, `31.03.2020`) → `2020-03-31`.
pub fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    let iso = if t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' {
        t.to_string()
    } else {
        let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
        match parts.as_slice() {
            [d, m, y]
                if y.len() == 4 && (1..=2).contains(&d.len()) && (1..=2).contains(&m.len()) =>
            {
                format!("{y}-{m:0>2}-{d:0>2}")
            }
            _ => return None,
        }
    };
    Timestamp::parse_rfc3339(&format!("{iso}T00:00:00Z")).map(|_| iso)
}

const MAX_TEXT: usize = 2000;
const MAX_NAME: usize = 200;

fn problem(field: &str, vi: String, en: String) -> Problem {
    Problem::new(Location::default().with_field(field), vi, en)
}

/// Checks and normalizes a task against the set's sub-criteria; every problem at once.
fn clean(input: &TaskInput, set: &parindex_core::set::CriteriaSet, year: i32) -> Result<TaskInput> {
    let mut p = Problems::default();
    let mut text = |field: &str, vi: &str, en: &str, value: &str, max: usize| -> String {
        let v = nfc(value.trim());
        if v.is_empty() {
            p.push(problem(
                field,
                format!("cần nhập {vi}"),
                format!("the {en} is required"),
            ));
        } else if v.chars().count() > max {
            p.push(problem(
                field,
                format!("{vi} dài quá {max} ký tự"),
                format!("the {en} is longer than {max} characters"),
            ));
        }
        v
    };
    let remedy = text(
        "remedy",
        "nội dung giải pháp",
        "remedy",
        &input.remedy,
        MAX_TEXT,
    );
    let division = text(
        "division",
        "phòng, ban chủ trì",
        "division",
        &input.division,
        MAX_NAME,
    );
    let owner = text("owner", "người phụ trách", "owner", &input.owner, MAX_NAME);
    let mut codes = BTreeSet::new();
    for code in &input.codes {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        match set.node(code) {
            Some(n) if n.is_leaf() => {
                codes.insert(code.to_string());
            }
            _ => p.push(problem(
                "codes",
                format!(
                    "bộ chỉ số năm {year} ({}) không có tiêu chí thành phần \"{code}\"",
                    set.code
                ),
                format!(
                    "the {year} criteria set ({}) has no sub-criterion \"{code}\"",
                    set.code
                ),
            )),
        }
    }
    if codes.is_empty() && input.codes.iter().all(|c| c.trim().is_empty()) {
        p.push(problem(
            "codes",
            "cần chọn ít nhất một tiêu chí thành phần mà giải pháp nhắm tới".into(),
            "choose at least one sub-criterion the remedy targets".into(),
        ));
    }
    let deadline = match parse_date(&input.deadline) {
        Some(d) => d,
        None => {
            p.push(problem(
                "deadline",
                format!(
                    "thời hạn \"{}\" không phải ngày hợp lệ: viết 31/03/{} hoặc {}-03-31",
                    input.deadline.trim(),
                    year + 1,
                    year + 1
                ),
                format!(
                    "deadline \"{}\" is not a valid date: write {}-03-31 or 31/03/{}",
                    input.deadline.trim(),
                    year + 1,
                    year + 1
                ),
            ));
            String::new()
        }
    };
    if let Some(e) = input.effort
        && !(1..=100).contains(&e)
    {
        p.push(problem(
            "effort",
            format!("mức công sức {e} phải từ 1 đến 100"),
            format!("effort {e} must be from 1 to 100"),
        ));
    }
    p.into_result(TaskInput {
        remedy,
        codes: codes.into_iter().collect(),
        division,
        owner,
        deadline,
        effort: input.effort,
    })
    .map_err(Error::Invalid)
}

const SELECT: &str = "SELECT t.id, t.year, u.code AS unit_code, u.name AS unit_name, t.remedy, t.division, \
    t.owner, t.deadline, t.status, t.effort, t.version, t.created_by, t.created_at, t.updated_at \
    FROM plan_tasks t JOIN units u ON u.id = t.unit_id";

fn task_from_row(r: &Row) -> Result<Task> {
    let s = r.text("status")?;
    Ok(Task {
        id: r.i64("id")?,
        year: r.year("year")?,
        unit: r.text("unit_code")?,
        unit_name: r.text("unit_name")?,
        remedy: r.text("remedy")?,
        codes: Vec::new(),
        division: r.text("division")?,
        owner: r.text("owner")?,
        deadline: r.text("deadline")?,
        status: Status::parse(&s).ok_or_else(|| Error::Corrupt(format!("task status '{s}'")))?,
        effort: r.opt_i64("effort")?,
        evidence: Vec::new(),
        version: r.i64("version")?,
        created_by: r.text("created_by")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

/// Fills in the codes and evidence of tasks read by `SELECT`.
async fn complete(tx: &mut Tx, mut tasks: Vec<Task>) -> Result<Vec<Task>> {
    if tasks.is_empty() {
        return Ok(tasks);
    }
    let ids: Vec<String> = tasks.iter().map(|t| t.id.to_string()).collect();
    let list = ids.join(", ");
    // Our own integers, never user text.
    let codes = tx
        .fetch_all(crate::db::Q::owned(format!(
            "SELECT task_id, code FROM plan_task_codes WHERE task_id IN ({list}) ORDER BY task_id, code"
        )))
        .await?;
    let evidence = tx
        .fetch_all(crate::db::Q::owned(format!(
            "SELECT task_id, evidence_id FROM plan_task_evidence WHERE task_id IN ({list}) \
             ORDER BY task_id, evidence_id"
        )))
        .await?;
    let mut by_id: BTreeMap<i64, &mut Task> = tasks.iter_mut().map(|t| (t.id, t)).collect();
    for r in codes {
        if let Some(t) = by_id.get_mut(&r.i64("task_id")?) {
            t.codes.push(r.text("code")?);
        }
    }
    for r in evidence {
        if let Some(t) = by_id.get_mut(&r.i64("task_id")?) {
            t.evidence.push(r.i64("evidence_id")?);
        }
    }
    Ok(tasks)
}

async fn load(tx: &mut Tx, id: i64) -> Result<Task> {
    let row = tx
        .fetch_optional(crate::db::Q::owned(format!("{SELECT} WHERE t.id = $1")).bind(id))
        .await?
        .ok_or_else(|| Error::not_found(Entity::PlanTask, id.to_string()))?;
    let task = task_from_row(&row)?;
    Ok(complete(tx, vec![task]).await?.remove(0))
}

/// The unit's id and the criteria set of its group in the round.
async fn unit_and_set(
    tx: &mut Tx,
    year: i32,
    unit: &str,
) -> Result<(i64, std::sync::Arc<parindex_core::set::CriteriaSet>)> {
    crate::rounds::round_state(tx, year).await?;
    let row = tx
        .fetch_optional(q("SELECT id, group_code FROM units WHERE code = $1").bind(unit))
        .await?
        .ok_or_else(|| Error::not_found(Entity::Unit, unit))?;
    let set = set_for_group(tx, year, &row.text("group_code")?).await?;
    Ok((row.i64("id")?, set))
}

fn check_version(task: &Task, version: i64) -> Result<()> {
    if task.version != version {
        return Err(Error::Conflict {
            what: Entity::PlanTask,
            key: task.id.to_string(),
            expected: version,
            actual: task.version,
        });
    }
    Ok(())
}

fn refuse_dropped(task: &Task, vi_what: &str, en_what: &str) -> Result<()> {
    if task.status == Status::Dropped {
        return Err(Error::invalid(
            "status",
            format!(
                "việc {} đã hủy bỏ nên không thể {vi_what}: hãy tạo việc mới",
                task.id
            ),
            format!(
                "task {} was dropped, so it cannot {en_what}: add a new task instead",
                task.id
            ),
        ));
    }
    Ok(())
}

async fn insert_codes(tx: &mut Tx, id: i64, codes: &[String]) -> Result<()> {
    for code in codes {
        tx.execute(
            q("INSERT INTO plan_task_codes (task_id, code) VALUES ($1, $2)")
                .bind(id)
                .bind(code),
        )
        .await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut Tx,
    year: i32,
    unit_id: i64,
    t: &TaskInput,
    by: &Actor,
    now: Timestamp,
) -> Result<i64> {
    let id = tx
        .fetch_one(
            q("INSERT INTO plan_tasks (year, unit_id, remedy, division, owner, deadline, status, effort, \
               created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'planned', $7, $8, $9, $9) \
               RETURNING id")
            .bind(year)
            .bind(unit_id)
            .bind(&t.remedy)
            .bind(&t.division)
            .bind(&t.owner)
            .bind(&t.deadline)
            .bind(t.effort)
            .bind(&by.name)
            .bind(now),
        )
        .await?
        .i64("id")?;
    insert_codes(tx, id, &t.codes).await?;
    let change = Change::new("create", "plan_task", id.to_string()).new_value(format!(
        "{year}/{}: {} [{}] {} / {} / {}",
        unit_id,
        t.remedy,
        t.codes.join(", "),
        t.division,
        t.owner,
        t.deadline
    ));
    audit::append(tx, by, now, change).await?;
    Ok(id)
}

impl Db {
    /// Adds one task to a unit's plan for a round.
    pub async fn add_task(
        &self,
        year: i32,
        unit: &str,
        input: &TaskInput,
        by: &Actor,
    ) -> Result<Task> {
        let ids = self
            .add_tasks(year, unit, std::slice::from_ref(input), by)
            .await?;
        self.task(ids[0]).await
    }

    /// Adds several tasks at once (adopting the planner's suggestions): all or none. Problems
    /// name the task's position (`tasks[2].deadline`).
    pub async fn add_tasks(
        &self,
        year: i32,
        unit: &str,
        inputs: &[TaskInput],
        by: &Actor,
    ) -> Result<Vec<i64>> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let (unit_id, set) = unit_and_set(&mut tx, year, unit).await?;
        let mut cleaned = Vec::new();
        let mut problems = Problems::default();
        for (i, input) in inputs.iter().enumerate() {
            match clean(input, &set, year) {
                Ok(c) => cleaned.push(c),
                Err(Error::Invalid(p)) if inputs.len() > 1 => {
                    for mut pr in p.0 {
                        let field = pr.location.field.clone().unwrap_or_default();
                        pr.location.field = Some(format!("tasks[{i}].{field}"));
                        problems.push(pr);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if inputs.is_empty() {
            problems.push(problem(
                "tasks",
                "không có việc nào để thêm".into(),
                "there are no tasks to add".into(),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mut ids = Vec::new();
        for t in &cleaned {
            ids.push(insert(&mut tx, year, unit_id, t, by, now).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn task(&self, id: i64) -> Result<Task> {
        let mut tx = self.begin_read().await?;
        load(&mut tx, id).await
    }

    /// A unit's plan for a round, by deadline then id.
    pub async fn tasks(&self, year: i32, unit: &str) -> Result<Vec<Task>> {
        let mut tx = self.begin_read().await?;
        let rows = tx
            .fetch_all(
                crate::db::Q::owned(format!(
                    "{SELECT} WHERE t.year = $1 AND u.code = $2 ORDER BY t.deadline, t.id"
                ))
                .bind(year)
                .bind(unit),
            )
            .await?;
        let tasks = rows.iter().map(task_from_row).collect::<Result<Vec<_>>>()?;
        complete(&mut tx, tasks).await
    }

    /// Every task of a round, by unit code, deadline and id.
    pub async fn round_tasks(&self, year: i32) -> Result<Vec<Task>> {
        let mut tx = self.begin_read().await?;
        let rows = tx
            .fetch_all(
                crate::db::Q::owned(format!(
                    "{SELECT} WHERE t.year = $1 ORDER BY u.code, t.deadline, t.id"
                ))
                .bind(year),
            )
            .await?;
        let tasks = rows.iter().map(task_from_row).collect::<Result<Vec<_>>>()?;
        complete(&mut tx, tasks).await
    }

    /// Changes a task's text, targets, owner or deadline (not once dropped).
    pub async fn update_task(
        &self,
        id: i64,
        version: i64,
        input: &TaskInput,
        by: &Actor,
    ) -> Result<Task> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let old = load(&mut tx, id).await?;
        check_version(&old, version)?;
        refuse_dropped(&old, "sửa", "be edited")?;
        let (_, set) = unit_and_set(&mut tx, old.year, &old.unit).await?;
        let new = clean(input, &set, old.year)?;
        tx.execute(
            q("UPDATE plan_tasks SET remedy = $1, division = $2, owner = $3, deadline = $4, effort = $5, \
               version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8")
            .bind(&new.remedy)
            .bind(&new.division)
            .bind(&new.owner)
            .bind(&new.deadline)
            .bind(new.effort)
            .bind(now)
            .bind(id)
            .bind(version),
        )
        .await?;
        if old.codes != new.codes {
            tx.execute(q("DELETE FROM plan_task_codes WHERE task_id = $1").bind(id))
                .await?;
            insert_codes(&mut tx, id, &new.codes).await?;
        }
        let key = id.to_string();
        let mut diff = Diff::new("plan_task", key);
        diff.value("remedy", &old.remedy, &new.remedy);
        diff.value("codes", &old.codes.join(", "), &new.codes.join(", "));
        diff.value("division", &old.division, &new.division);
        diff.value("owner", &old.owner, &new.owner);
        diff.value("deadline", &old.deadline, &new.deadline);
        diff.field("effort", &old.effort, &new.effort);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.task(id).await
    }

    /// Moves a task to another status. Dropped tasks stay dropped.
    pub async fn set_task_status(
        &self,
        id: i64,
        version: i64,
        status: Status,
        by: &Actor,
    ) -> Result<Task> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let old = load(&mut tx, id).await?;
        check_version(&old, version)?;
        refuse_dropped(&old, "đổi trạng thái", "change status")?;
        if old.status != status {
            tx.execute(
                q(
                    "UPDATE plan_tasks SET status = $1, version = version + 1, updated_at = $2 \
                   WHERE id = $3 AND version = $4",
                )
                .bind(status.as_str())
                .bind(now)
                .bind(id)
                .bind(version),
            )
            .await?;
            let change = Change::new("update", "plan_task", id.to_string()).field(
                "status",
                Some(old.status.as_str().into()),
                Some(status.as_str().into()),
            );
            audit::append(&mut tx, by, now, change).await?;
        }
        tx.commit().await?;
        self.task(id).await
    }

    /// Links evidence already in the evidence store (uploaded to one of the unit's sheets) to a
    /// task as proof of what was done.
    pub async fn link_task_evidence(&self, id: i64, evidence: i64, by: &Actor) -> Result<Task> {
        let ev = self.evidence(evidence).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let task = load(&mut tx, id).await?;
        refuse_dropped(&task, "gắn tài liệu kiểm chứng", "take evidence")?;
        if ev.unit != task.unit {
            return Err(Error::invalid(
                "evidence",
                format!(
                    "tài liệu kiểm chứng {evidence} thuộc đơn vị {}, không phải {}",
                    ev.unit, task.unit
                ),
                format!(
                    "evidence {evidence} belongs to unit {}, not {}",
                    ev.unit, task.unit
                ),
            ));
        }
        if task.evidence.contains(&evidence) {
            return Err(Error::Duplicate {
                what: Entity::Evidence,
                key: format!("{id}/{evidence}"),
            });
        }
        tx.execute(
            q("INSERT INTO plan_task_evidence (task_id, evidence_id) VALUES ($1, $2)")
                .bind(id)
                .bind(evidence),
        )
        .await?;
        tx.execute(
            q("UPDATE plan_tasks SET version = version + 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id),
        )
        .await?;
        let change = Change::new("update", "plan_task", id.to_string()).field(
            "evidence",
            None,
            Some(format!("{evidence} {}", ev.sha256)),
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        self.task(id).await
    }

    /// Every unit's progress in a round (units with at least one task), in Vietnamese order
    /// of their names. `today` is `YYYY-MM-DD` (see [`today`]).
    pub async fn plan_progress(&self, year: i32, today: &str) -> Result<Vec<Progress>> {
        let mut by_unit: BTreeMap<String, Progress> = BTreeMap::new();
        for t in self.round_tasks(year).await? {
            let p = by_unit.entry(t.unit.clone()).or_insert_with(|| Progress {
                unit: t.unit.clone(),
                unit_name: t.unit_name.clone(),
                ..Default::default()
            });
            p.add(&t, today);
        }
        let mut out: Vec<Progress> = by_unit.into_values().collect();
        out.sort_by(|a, b| compare(&a.unit_name, &b.unit_name).then_with(|| a.unit.cmp(&b.unit)));
        Ok(out)
    }

    /// One unit's progress in a round (zeros when it has no plan).
    pub async fn unit_progress(&self, year: i32, unit: &str, today: &str) -> Result<Progress> {
        let mut p = Progress {
            unit: unit.to_string(),
            ..Default::default()
        };
        for t in self.tasks(year, unit).await? {
            p.unit_name = t.unit_name.clone();
            p.add(&t, today);
        }
        Ok(p)
    }

    /// Next year's review of a unit's plan for `year`: for each sub-criterion a task (not
    /// dropped) targeted, its final points in `year` and in `year + 1` (from the sheets), in
    /// code order.
    pub async fn plan_review(&self, year: i32, unit: &str) -> Result<Vec<ReviewLine>> {
        self.unit(unit).await?;
        let tasks = self.tasks(year, unit).await?;
        let points = async |y: i32| -> Result<BTreeMap<String, Decimal>> {
            match self.entries(y, unit).await {
                Ok(entries) => Ok(entries
                    .iter()
                    .filter_map(|e| e.final_points().map(|p| (e.code.clone(), p)))
                    .collect()),
                Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(BTreeMap::new()),
                Err(e) => Err(e),
            }
        };
        let before = points(year).await?;
        let after = points(year + 1).await?;
        let mut lines: BTreeMap<String, ReviewLine> = BTreeMap::new();
        for t in tasks.iter().filter(|t| t.status != Status::Dropped) {
            for code in &t.codes {
                let line = lines.entry(code.clone()).or_insert_with(|| ReviewLine {
                    code: code.clone(),
                    tasks: Vec::new(),
                    done: true,
                    before: before.get(code).copied(),
                    after: after.get(code).copied(),
                });
                line.tasks.push(t.id);
                line.done &= t.status == Status::Done;
            }
        }
        let mut out: Vec<ReviewLine> = lines.into_values().collect();
        out.sort_by(|a, b| code_order(&a.code, &b.code));
        Ok(out)
    }
}

/// `2.10.1` after `2.9.1`: numeric parts compared as numbers.
fn code_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> Vec<(u64, String)> {
        s.split('.')
            .map(|p| (p.parse().unwrap_or(u64::MAX), p.to_string()))
            .collect()
    };
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2020-03-31").as_deref(), Some("2020-03-31"));
        assert_eq!(parse_date(" 31/3/2020 ").as_deref(), Some("2020-03-31"));
        assert_eq!(parse_date("31.03.2020").as_deref(), Some("2020-03-31"));
        assert_eq!(parse_date("2020-02-30"), None);
        assert_eq!(parse_date("31/13/2020"), None);
        assert_eq!(parse_date("mai"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn statuses_and_codes() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("finished"), None);
        assert!(code_order("2.9.1", "2.10.1").is_lt());
    }
}
