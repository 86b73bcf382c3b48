//! Small reads the web layer needs beyond the aggregates' own: the connection pool's size for
//! `/metrics`, and a sheet's whole audit trail (the sheet, its entries, proposals and evidence).

use crate::audit::AuditEntry;
use crate::db::{Db, Row, q};
use crate::{Error, Result};

fn audit_from_row(r: &Row) -> Result<AuditEntry> {
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

/// `text` with LIKE's wildcards escaped (`\` is the escape character).
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Db {
    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// Everything the audit log says about one sheet, oldest first: the sheet itself
    /// (`sheet 2019/SNV`), its entries (`entry 2019/SNV/1.1.1`), its proposals
    /// (`proposal 2019/SNV/7`) and its evidence (created as `… 2019/SNV/…`, then by id).
    pub async fn audit_of_sheet(&self, year: i32, unit: &str) -> Result<Vec<AuditEntry>> {
        if unit.is_empty() {
            return Err(Error::invalid(
                "unit",
                "thiếu mã đơn vị",
                "the unit code is missing",
            ));
        }
        let key = format!("{year}/{unit}");
        let below = format!("{}/%", like_escape(&key));
        self.fetch_all(
            q("SELECT seq, at, actor, action, entity, entity_id, field, old, new, reason, prev_hash, hash \
               FROM audit_log WHERE (entity = 'sheet' AND entity_id = $1) \
               OR (entity IN ('entry', 'proposal') AND entity_id LIKE $2 ESCAPE '\\') \
               OR (entity = 'evidence' AND entity_id IN (SELECT entity_id FROM audit_log \
                   WHERE entity = 'evidence' AND action = 'create' AND new LIKE $3 ESCAPE '\\')) \
               ORDER BY seq")
            .bind(key.as_str())
            .bind(below.as_str())
            .bind(format!("{}/%", like_escape(&key))),
        )
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }
}
