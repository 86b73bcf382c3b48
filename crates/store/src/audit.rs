//! The audit log: one append-only, hash-chained entry per change (who, when, what, old → new,
//! why), written in the same transaction as the change, and the check that proves the chain whole.

use crate::db::{Backend, Db, Q, Row, Tx, q};
use crate::time::Timestamp;
use crate::{Actor, Error, Result};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An arbitrary constant naming the PostgreSQL advisory lock that serializes appends, so two
/// transactions never read the same chain head.
const PG_CHAIN_LOCK: i64 = 0x7061_7269_6e64_6578; // "parindex"

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    /// `create`, `update`, `transition`, `delete`, `publish`…
    pub action: String,
    /// `unit`, `round`, `sheet`, `entry`, `evidence`…
    pub entity: String,
    /// A readable key: `SNV`, `2019`, `2019/SNV`, `2019/SNV/1.1.4`.
    pub entity_id: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// SHA-256 (hex) of the canonical serialization: a JSON array of every column but `hash`, in
    /// column order. JSON arrays of strings, integers and nulls serialize one way only.
    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.seq,
            self.at.0,
            self.actor,
            self.action,
            self.entity,
            self.entity_id,
            self.field,
            self.old,
            self.new,
            self.reason,
            self.prev_hash,
        ]);
        hex(&Sha256::digest(canonical.to_string().as_bytes()))
    }

    fn from_row(r: &Row) -> Result<AuditEntry> {
        Ok(AuditEntry {
            seq: r.i64("seq")?,
            at: r.ts("at")?,
            actor: r.text("actor")?,
            action: r.text("action")?,
            entity: r.text("entity")?,
            entity_id: r.text("entity_id")?,
            field: r.opt_text("field")?,
            old: r.opt_text("old")?,
            new: r.opt_text("new")?,
            reason: r.opt_text("reason")?,
            prev_hash: r.text("prev_hash")?,
            hash: r.text("hash")?,
        })
    }
}

/// The first entry where the chain does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    pub seq: i64,
    pub vi: String,
    pub en: String,
}

/// A chain that verified: how many entries and the hash of the last one (worth writing down
/// elsewhere: it proves later that nothing before it was cut off or rewritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: i64,
    pub head: String,
}

/// One change to record.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub field: Option<&'static str>,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Change {
    pub(crate) fn new(
        action: &'static str,
        entity: &'static str,
        entity_id: impl Into<String>,
    ) -> Change {
        Change {
            action,
            entity,
            entity_id: entity_id.into(),
            field: None,
            old: None,
            new: None,
        }
    }
    pub(crate) fn field(
        mut self,
        field: &'static str,
        old: Option<String>,
        new: Option<String>,
    ) -> Change {
        self.field = Some(field);
        self.old = old;
        self.new = new;
        self
    }
    pub(crate) fn new_value(mut self, new: impl Into<String>) -> Change {
        self.new = Some(new.into());
        self
    }
}

/// Records field changes whose values differ, one entry per field.
pub(crate) struct Diff {
    entity: &'static str,
    entity_id: String,
    pub(crate) changes: Vec<Change>,
}

impl Diff {
    pub(crate) fn new(entity: &'static str, entity_id: impl Into<String>) -> Diff {
        Diff {
            entity,
            entity_id: entity_id.into(),
            changes: Vec::new(),
        }
    }
    pub(crate) fn field<T: ToString + PartialEq>(
        &mut self,
        field: &'static str,
        old: &Option<T>,
        new: &Option<T>,
    ) {
        if old != new {
            self.changes.push(
                Change::new("update", self.entity, self.entity_id.clone()).field(
                    field,
                    old.as_ref().map(T::to_string),
                    new.as_ref().map(T::to_string),
                ),
            );
        }
    }
    pub(crate) fn value<T: ToString + PartialEq>(&mut self, field: &'static str, old: &T, new: &T) {
        if old != new {
            self.changes.push(
                Change::new("update", self.entity, self.entity_id.clone()).field(
                    field,
                    Some(old.to_string()),
                    Some(new.to_string()),
                ),
            );
        }
    }
    pub(crate) async fn append(self, tx: &mut Tx, by: &Actor, at: Timestamp) -> Result<()> {
        for c in self.changes {
            append(tx, by, at, c).await?;
        }
        Ok(())
    }
}

/// Appends one entry to the chain, inside the caller's transaction.
pub(crate) async fn append(tx: &mut Tx, by: &Actor, at: Timestamp, change: Change) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        tx.execute(q("SELECT pg_advisory_xact_lock($1)").bind(PG_CHAIN_LOCK))
            .await?;
    }
    // SQLite needs no lock here: write transactions begin IMMEDIATE, so they are serial.
    let head = tx
        .fetch_optional(q(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        ))
        .await?;
    let (seq, prev_hash) = match head {
        Some(r) => (r.i64("seq")? + 1, r.text("hash")?),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = AuditEntry {
        seq,
        at,
        actor: by.name.clone(),
        action: change.action.to_string(),
        entity: change.entity.to_string(),
        entity_id: change.entity_id,
        field: change.field.map(str::to_string),
        old: change.old,
        new: change.new,
        reason: by.reason.clone(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    tx.execute(
        q("INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, field, old, new, reason, prev_hash, hash) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.entity)
        .bind(entry.entity_id)
        .bind(entry.field)
        .bind(entry.old)
        .bind(entry.new)
        .bind(entry.reason)
        .bind(entry.prev_hash)
        .bind(entry.hash),
    )
    .await?;
    Ok(())
}

const SELECT: &str = "SELECT seq, at, actor, action, entity, entity_id, field, old, new, reason, prev_hash, hash FROM audit_log";

impl Db {
    /// Checks the whole chain, oldest first: sequence numbers 1, 2, 3… without gaps, each
    /// `prev_hash` equal to the previous entry's hash, and each hash equal to the hash of its
    /// row. Fails with `Error::Broken` naming the first entry that does not hold.
    pub async fn verify_audit(&self) -> Result<Verified> {
        let sql = "SELECT seq, at, actor, action, entity, entity_id, field, old, new, reason, prev_hash, hash FROM audit_log ORDER BY seq";
        let mut expected_seq = 1;
        let mut prev = GENESIS.to_string();
        let mut check = |entry: AuditEntry| -> Result<()> {
            let broken = |vi: String, en: String| {
                Error::Broken(BrokenEntry {
                    seq: entry.seq,
                    vi,
                    en,
                })
            };
            if entry.seq != expected_seq {
                return Err(broken(
                    format!(
                        "thiếu mục {expected_seq} (số thứ tự nhảy sang {})",
                        entry.seq
                    ),
                    format!(
                        "entry {expected_seq} is missing (the sequence jumps to {})",
                        entry.seq
                    ),
                ));
            }
            if entry.prev_hash != prev {
                return Err(broken(
                    "mã băm của mục trước không khớp: một mục trước đó đã bị xóa hoặc thay".into(),
                    "the previous entry's hash does not match: an earlier entry was removed or replaced".into(),
                ));
            }
            if entry.compute_hash() != entry.hash {
                return Err(broken(
                    "nội dung mục đã bị sửa sau khi ghi (mã băm không khớp)".into(),
                    "the entry was altered after it was written (its hash does not match)".into(),
                ));
            }
            expected_seq += 1;
            prev = entry.hash;
            Ok(())
        };
        match self {
            Db::Sqlite(pool) => {
                let mut rows = sqlx::query(sql).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    check(AuditEntry::from_row(&Row::Sqlite(r))?)?;
                }
            }
            Db::Postgres(pool) => {
                let mut rows = sqlx::query(sql).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    check(AuditEntry::from_row(&Row::Postgres(r))?)?;
                }
            }
        }
        Ok(Verified {
            entries: expected_seq - 1,
            head: prev,
        })
    }

    /// The entries about one entity (e.g. `("sheet", "2019/SNV")`), oldest first.
    pub async fn audit_of(&self, entity: &str, entity_id: &str) -> Result<Vec<AuditEntry>> {
        let sql = Q::owned(format!(
            "{SELECT} WHERE entity = $1 AND entity_id = $2 ORDER BY seq"
        ));
        self.fetch_all(sql.bind(entity).bind(entity_id))
            .await?
            .iter()
            .map(AuditEntry::from_row)
            .collect()
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let sql = Q::owned(format!("{SELECT} ORDER BY seq DESC LIMIT $1"));
        self.fetch_all(sql.bind(limit))
            .await?
            .iter()
            .map(AuditEntry::from_row)
            .collect()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
