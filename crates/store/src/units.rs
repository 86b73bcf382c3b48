//! Assessed units (đơn vị): code, names, ranking group, level, parent unit, active flag.

use crate::audit::{self, Change, Diff};
use crate::db::{Db, Row, Tx, q};
use crate::time::Timestamp;
use crate::{Actor, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::text::fold;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// The ranking group (khối), matching a group code of the round's criteria sets.
    pub group: String,
    /// The unit level for per-level maxima (`so`, `huyen`…).
    pub level: Option<String>,
    /// The parent unit's code.
    pub parent: Option<String>,
    pub active: bool,
    pub version: i64,
    pub updated_at: Timestamp,
}

/// A unit's editable fields; `code` is fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitFields {
    pub name: String,
    pub name_en: Option<String>,
    pub group: String,
    pub level: Option<String>,
    pub parent: Option<String>,
}

const SELECT: &str = "SELECT u.id, u.code, u.name, u.name_en, u.group_code, u.level, p.code AS parent_code, \
    u.active, u.version, u.updated_at FROM units u LEFT JOIN units p ON p.id = u.parent_id";

impl Unit {
    fn from_row(r: &Row) -> Result<Unit> {
        Ok(Unit {
            id: r.i64("id")?,
            code: r.text("code")?,
            name: r.text("name")?,
            name_en: r.opt_text("name_en")?,
            group: r.text("group_code")?,
            level: r.opt_text("level")?,
            parent: r.opt_text("parent_code")?,
            active: r.bool("active")?,
            version: r.i64("version")?,
            updated_at: r.ts("updated_at")?,
        })
    }
}

fn problem(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem::new(Location::default().with_field(field), vi, en)
}

/// A code as users type it: letters, digits, `-`, `_`, `.`; 1–32 characters.
pub(crate) fn check_code(field: &str, code: &str, problems: &mut Problems) {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        problems.push(problem(
            field,
            format!(
                "mã \"{code}\" không hợp lệ: dùng 1–32 chữ cái không dấu, chữ số, '-', '_' hoặc '.'"
            ),
            format!(
                "code \"{code}\" is not valid: use 1–32 ASCII letters, digits, '-', '_' or '.'"
            ),
        ));
    }
}

fn check_fields(f: &UnitFields, problems: &mut Problems) {
    if f.name.trim().is_empty() {
        problems.push(problem(
            "name",
            "tên đơn vị không được để trống",
            "the unit name may not be empty",
        ));
    }
    check_code("group", &f.group, problems);
}

fn search_text(code: &str, f: &UnitFields) -> String {
    fold(&format!(
        "{code} {} {}",
        f.name,
        f.name_en.as_deref().unwrap_or("")
    ))
}

/// The id of a unit by code, inside a transaction.
pub(crate) async fn unit_id(tx: &mut Tx, code: &str) -> Result<i64> {
    tx.fetch_optional(q("SELECT id FROM units WHERE code = $1").bind(code))
        .await?
        .ok_or_else(|| Error::not_found(Entity::Unit, code))?
        .i64("id")
}

impl Db {
    pub async fn create_unit(&self, code: &str, fields: &UnitFields, by: &Actor) -> Result<Unit> {
        let mut problems = Problems::default();
        check_code("code", code, &mut problems);
        check_fields(fields, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let parent_id = match &fields.parent {
            Some(p) => Some(unit_id(&mut tx, p).await?),
            None => None,
        };
        tx.execute(
            q("INSERT INTO units (code, name, name_en, group_code, level, parent_id, active, search_text, version, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, 1, $8)")
            .bind(code)
            .bind(fields.name.trim())
            .bind(fields.name_en.clone())
            .bind(&fields.group)
            .bind(fields.level.clone())
            .bind(parent_id)
            .bind(search_text(code, fields))
            .bind(now),
        )
        .await
        .map_err(|e| e.duplicate_as(Entity::Unit, code))?;
        let created = format!(
            "{} ({}, {})",
            fields.name.trim(),
            fields.group,
            fields.parent.as_deref().unwrap_or("-")
        );
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "unit", code).new_value(created),
        )
        .await?;
        tx.commit().await?;
        self.unit(code).await
    }

    pub async fn unit(&self, code: &str) -> Result<Unit> {
        let sql = crate::db::Q::owned(format!("{SELECT} WHERE u.code = $1"));
        let row = self
            .fetch_optional(sql.bind(code))
            .await?
            .ok_or_else(|| Error::not_found(Entity::Unit, code))?;
        Unit::from_row(&row)
    }

    /// Every unit (the inactive ones too), by group then code.
    pub async fn units(&self) -> Result<Vec<Unit>> {
        let sql = crate::db::Q::owned(format!("{SELECT} ORDER BY u.group_code, u.code"));
        self.fetch_all(sql)
            .await?
            .iter()
            .map(Unit::from_row)
            .collect()
    }

    /// Units whose code or name contains every word of `query`, accents and case ignored
    /// (`so noi vu` finds "Sở Nội vụ").
    pub async fn search_units(&self, query: &str) -> Result<Vec<Unit>> {
        let words: Vec<String> = fold(query).split_whitespace().map(str::to_string).collect();
        Ok(self
            .units()
            .await?
            .into_iter()
            .filter(|u| {
                let text = search_text(
                    &u.code,
                    &UnitFields {
                        name: u.name.clone(),
                        name_en: u.name_en.clone(),
                        ..Default::default()
                    },
                );
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect())
    }

    /// Changes a unit's fields if it is still at `expected_version`.
    pub async fn update_unit(
        &self,
        code: &str,
        expected_version: i64,
        fields: &UnitFields,
        by: &Actor,
    ) -> Result<Unit> {
        let mut problems = Problems::default();
        check_fields(fields, &mut problems);
        if fields.parent.as_deref() == Some(code) {
            problems.push(problem(
                "parent",
                "đơn vị không thể là đơn vị cấp trên của chính nó",
                "a unit cannot be its own parent",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let old = self.unit(code).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let parent_id = match &fields.parent {
            Some(p) => {
                let id = unit_id(&mut tx, p).await?;
                // Walk up from the new parent: meeting this unit would make a cycle.
                let mut at = Some(id);
                while let Some(cur) = at {
                    if cur == old.id {
                        return Err(Error::invalid(
                            "parent",
                            format!(
                                "\"{p}\" là đơn vị cấp dưới của \"{code}\": không thể làm đơn vị cấp trên"
                            ),
                            format!("\"{p}\" is below \"{code}\": it cannot be its parent"),
                        ));
                    }
                    at = tx
                        .fetch_one(q("SELECT parent_id FROM units WHERE id = $1").bind(cur))
                        .await?
                        .opt_i64("parent_id")?;
                }
                Some(id)
            }
            None => None,
        };
        let n = tx
            .execute(
                q("UPDATE units SET name = $1, name_en = $2, group_code = $3, level = $4, parent_id = $5, \
                   search_text = $6, version = version + 1, updated_at = $7 WHERE code = $8 AND version = $9")
                .bind(fields.name.trim())
                .bind(fields.name_en.clone())
                .bind(&fields.group)
                .bind(fields.level.clone())
                .bind(parent_id)
                .bind(search_text(code, fields))
                .bind(now)
                .bind(code)
                .bind(expected_version),
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::Unit,
                key: code.into(),
                expected: expected_version,
                actual: current_version(&mut tx, code).await?,
            });
        }
        let mut diff = Diff::new("unit", code);
        diff.value("name", &old.name, &fields.name.trim().to_string());
        diff.field("name_en", &old.name_en, &fields.name_en);
        diff.value("group", &old.group, &fields.group);
        diff.field("level", &old.level, &fields.level);
        diff.field("parent", &old.parent, &fields.parent);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.unit(code).await
    }

    /// Activates or deactivates a unit (units are never deleted: their history stays).
    pub async fn set_unit_active(
        &self,
        code: &str,
        expected_version: i64,
        active: bool,
        by: &Actor,
    ) -> Result<Unit> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let old = tx
            .fetch_optional(q("SELECT active FROM units WHERE code = $1").bind(code))
            .await?
            .ok_or_else(|| Error::not_found(Entity::Unit, code))?
            .bool("active")?;
        let n = tx
            .execute(
                q("UPDATE units SET active = $1, version = version + 1, updated_at = $2 WHERE code = $3 AND version = $4")
                    .bind(active)
                    .bind(now)
                    .bind(code)
                    .bind(expected_version),
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::Unit,
                key: code.into(),
                expected: expected_version,
                actual: current_version(&mut tx, code).await?,
            });
        }
        let mut diff = Diff::new("unit", code);
        diff.value("active", &old, &active);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.unit(code).await
    }
}

async fn current_version(tx: &mut Tx, code: &str) -> Result<i64> {
    tx.fetch_one(q("SELECT version FROM units WHERE code = $1").bind(code))
        .await?
        .i64("version")
}
