//! Backups: a consistent snapshot of every table (one read transaction: WAL snapshot on SQLite,
//! REPEATABLE READ on PostgreSQL) written as JSON lines in one format for both backends, plus a
//! copy of every evidence file it refers to, each checked against its SHA-256; and the restore
//! of such a backup into an empty database (of either backend).
//!
//! Layout of a backup directory:
//! `manifest.json` (format, backend, schema version, tables with columns and row counts, the
//! SHA-256 of `data.jsonl`, evidence files with hash and size), `data.jsonl` (one
//! `{"t": table, "r": [values…]}` per row, tables in dependency order, rows by primary key),
//! `evidence/ab/cd/<sha256>`.

use crate::audit::hex;
use crate::db::{Arg, Backend, Db, Q, Row, Tx, q};
use crate::evidence::EvidenceStore;
use crate::time::Timestamp;
use crate::{Entity, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Text,
    Bool,
}

struct Table {
    name: &'static str,
    order_by: &'static str,
    /// Whether `id` is an identity column whose PostgreSQL sequence must follow a restore.
    identity: bool,
    columns: &'static [(&'static str, Ty)],
}

use Ty::{Bool as B, Int as I, Text as T};

/// Every table a backup holds, parents before children. `sessions` are left out on purpose
/// (short-lived secrets: after a restore everyone logs in again), and so is sqlx's own
/// `_sqlx_migrations` (the target is migrated by the same binary).
const TABLES: &[Table] = &[
    Table {
        name: "units",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("code", T),
            ("name", T),
            ("name_en", T),
            ("group_code", T),
            ("level", T),
            ("parent_id", I),
            ("active", B),
            ("search_text", T),
            ("version", I),
            ("updated_at", I),
        ],
    },
    Table {
        name: "rounds",
        order_by: "year",
        identity: false,
        columns: &[
            ("year", I),
            ("title", T),
            ("state", T),
            ("version", I),
            ("created_at", I),
        ],
    },
    Table {
        name: "round_deadlines",
        order_by: "year, phase",
        identity: false,
        columns: &[("year", I), ("phase", T), ("due_at", I)],
    },
    Table {
        name: "criteria_sets",
        order_by: "year, code",
        identity: false,
        columns: &[
            ("year", I),
            ("code", T),
            ("source", T),
            ("toml", T),
            ("sha256", T),
            ("added_by", T),
            ("added_at", I),
        ],
    },
    Table {
        name: "round_groups",
        order_by: "year, group_code",
        identity: false,
        columns: &[("year", I), ("group_code", T), ("set_code", T)],
    },
    Table {
        name: "users",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("username", T),
            ("display_name", T),
            ("email", T),
            ("password_hash", T),
            ("unit_id", I),
            ("locale", T),
            ("active", B),
            ("version", I),
            ("created_at", I),
        ],
    },
    Table {
        name: "user_roles",
        order_by: "user_id, role",
        identity: false,
        columns: &[("user_id", I), ("role", T)],
    },
    Table {
        name: "appraiser_areas",
        order_by: "user_id, year, group_code, area_code",
        identity: false,
        columns: &[
            ("user_id", I),
            ("year", I),
            ("group_code", T),
            ("area_code", T),
        ],
    },
    Table {
        name: "sheets",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("year", I),
            ("unit_id", I),
            ("state", T),
            ("version", I),
            ("state_changed_at", I),
            ("updated_at", I),
        ],
    },
    Table {
        name: "entries",
        order_by: "sheet_id, code",
        identity: false,
        columns: &[
            ("sheet_id", I),
            ("code", T),
            ("declared", T),
            ("self_points", T),
            ("not_applicable", B),
            ("note", T),
            ("appraisal1_points", T),
            ("appraisal1_note", T),
            ("explanation", T),
            ("appraisal2_points", T),
            ("appraisal2_note", T),
            ("version", I),
            ("updated_by", T),
            ("updated_at", I),
        ],
    },
    Table {
        name: "proposals",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("sheet_id", I),
            ("kind", T),
            ("points", T),
            ("reason", T),
            ("appraised_points", T),
            ("appraisal_note", T),
            ("version", I),
            ("proposed_by", T),
            ("proposed_at", I),
            ("appraised_by", T),
            ("appraised_at", I),
        ],
    },
    Table {
        name: "evidence",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("sha256", T),
            ("size", I),
            ("kind", T),
            ("original_name", T),
            ("page_ref", T),
            ("sheet_id", I),
            ("code", T),
            ("proposal_id", I),
            ("stage", T),
            ("uploaded_by", T),
            ("uploaded_at", I),
        ],
    },
    Table {
        name: "result_revisions",
        order_by: "year, group_code, revision",
        identity: false,
        columns: &[
            ("year", I),
            ("group_code", T),
            ("revision", I),
            ("set_code", T),
            ("decimals", I),
            ("unit_count", I),
            ("average_total", T),
            ("average_percent", T),
            ("min_total", T),
            ("max_total", T),
            ("spread", T),
            ("reason", T),
            ("published_by", T),
            ("published_at", I),
        ],
    },
    Table {
        name: "results",
        order_by: "year, group_code, revision, unit_id",
        identity: false,
        columns: &[
            ("year", I),
            ("group_code", T),
            ("revision", I),
            ("unit_id", I),
            ("position", I),
            ("unit_code", T),
            ("unit_name", T),
            ("direct", T),
            ("survey", T),
            ("bonus", T),
            ("penalty", T),
            ("total", T),
            ("max", T),
            ("percent", T),
            ("class_index", I),
            ("class_label", T),
            ("rank", I),
            ("delta_total", T),
            ("delta_rank", I),
        ],
    },
    Table {
        name: "audit_log",
        order_by: "seq",
        identity: false,
        columns: &[
            ("seq", I),
            ("at", I),
            ("actor", T),
            ("action", T),
            ("entity", T),
            ("entity_id", T),
            ("field", T),
            ("old", T),
            ("new", T),
            ("reason", T),
            ("prev_hash", T),
            ("hash", T),
        ],
    },
    Table {
        name: "surveys",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("year", I),
            ("code", T),
            ("title", T),
            ("source", T),
            ("questionnaire", T),
            ("sha256", T),
            ("state", T),
            ("settings", T),
            ("version", I),
            ("created_by", T),
            ("created_at", I),
        ],
    },
    Table {
        name: "survey_units",
        order_by: "survey_id, unit_id",
        identity: false,
        columns: &[
            ("survey_id", I),
            ("unit_id", I),
            ("population", I),
            ("quota", I),
        ],
    },
    Table {
        name: "survey_tokens",
        order_by: "hash",
        identity: false,
        columns: &[
            ("hash", T),
            ("survey_id", I),
            ("unit_id", I),
            ("service_field", T),
            ("created_at", I),
            ("used_at", I),
            ("response_id", I),
            ("reuse_attempts", I),
        ],
    },
    Table {
        name: "survey_responses",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("survey_id", I),
            ("unit_id", I),
            ("channel", T),
            ("service_field", T),
            ("token_hash", T),
            ("device", T),
            ("source", T),
            ("started_at", I),
            ("submitted_at", I),
            ("received_at", I),
            ("answers", T),
            ("profile", T),
            ("expectations", T),
            ("free_text", T),
            ("other", T),
            ("batch", T),
            ("batch_row", I),
            ("flags", T),
            ("status", T),
            ("reviewed_by", T),
            ("reviewed_at", I),
        ],
    },
    Table {
        name: "survey_stats",
        order_by: "survey_id, unit_id, segment, bucket",
        identity: false,
        columns: &[
            ("survey_id", I),
            ("unit_id", I),
            ("segment", T),
            ("bucket", T),
            ("respondents", I),
            ("items", T),
            ("sums", T),
            ("cross_products", T),
            ("expectations", T),
        ],
    },
    Table {
        name: "news_categories",
        order_by: "id",
        identity: true,
        columns: &[("id", I), ("code", T), ("name", T)],
    },
    Table {
        name: "news",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("slug", T),
            ("category_id", I),
            ("title", T),
            ("summary", T),
            ("body_html", T),
            ("hot", B),
            ("featured", B),
            ("published_at", I),
            ("created_by", T),
            ("updated_at", I),
            ("search_text", T),
        ],
    },
    Table {
        name: "news_attachments",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("news_id", I),
            ("sha256", T),
            ("original_name", T),
            ("kind", T),
            ("size", I),
        ],
    },
    Table {
        name: "calendar_events",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("starts_at", I),
            ("ends_at", I),
            ("title", T),
            ("location", T),
            ("chair", T),
            ("participants", T),
            ("created_by", T),
        ],
    },
    Table {
        name: "links",
        order_by: "id",
        identity: true,
        columns: &[("id", I), ("title", T), ("url", T), ("position", I)],
    },
    Table {
        name: "visits",
        order_by: "day",
        identity: false,
        columns: &[("day", T), ("count", I)],
    },
    Table {
        name: "plan_tasks",
        order_by: "id",
        identity: true,
        columns: &[
            ("id", I),
            ("year", I),
            ("unit_id", I),
            ("remedy", T),
            ("division", T),
            ("owner", T),
            ("deadline", T),
            ("status", T),
            ("effort", I),
            ("version", I),
            ("created_by", T),
            ("created_at", I),
            ("updated_at", I),
        ],
    },
    Table {
        name: "plan_task_codes",
        order_by: "task_id, code",
        identity: false,
        columns: &[("task_id", I), ("code", T)],
    },
    Table {
        name: "plan_task_evidence",
        order_by: "task_id, evidence_id",
        identity: false,
        columns: &[("task_id", I), ("evidence_id", I)],
    },
];

/// Tables of the schema that backups leave out.
/// SQLite's full-text index of news and its shadow tables are rebuilt by triggers as the news
/// rows are restored.
const NOT_BACKED_UP: &[&str] = &[
    "sessions",
    "_sqlx_migrations",
    "news_fts",
    "news_fts_data",
    "news_fts_idx",
    "news_fts_docsize",
    "news_fts_config",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub backend: String,
    pub schema_version: i64,
    pub tables: Vec<TableManifest>,
    pub data_sha256: String,
    pub evidence: Vec<FileManifest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileManifest {
    pub sha256: String,
    pub size: u64,
}

#[derive(Serialize, Deserialize)]
struct Line {
    t: String,
    r: Vec<Value>,
}

fn select_sql(t: &Table) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        t.name,
        t.order_by
    )
}

fn value_of(row: &Row, col: &str, ty: Ty) -> Result<Value> {
    Ok(match ty {
        Ty::Int => row.opt_i64(col)?.map_or(Value::Null, Value::from),
        Ty::Text => row.opt_text(col)?.map_or(Value::Null, Value::from),
        Ty::Bool => row.opt_bool(col)?.map_or(Value::Null, Value::from),
    })
}

fn arg_of(v: &Value, ty: Ty, table: &str, col: &str) -> Result<Arg> {
    let bad = || Error::Corrupt(format!("backup: {table}.{col}: unexpected value {v}"));
    Ok(match (ty, v) {
        (Ty::Int, Value::Null) => Arg::Int(None),
        (Ty::Int, Value::Number(n)) => Arg::Int(Some(n.as_i64().ok_or_else(bad)?)),
        (Ty::Text, Value::Null) => Arg::Text(None),
        (Ty::Text, Value::String(s)) => Arg::Text(Some(s.clone())),
        (Ty::Bool, Value::Null) => Arg::Bool(None),
        (Ty::Bool, Value::Bool(b)) => Arg::Bool(Some(*b)),
        _ => return Err(bad()),
    })
}

fn part_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Copies a file while hashing it; returns (sha256, size).
async fn copy_hashed(from: &Path, to: &Path) -> Result<(String, u64)> {
    if let Some(dir) = to.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut src = tokio::fs::File::open(from).await?;
    let mut dst = tokio::fs::File::create(to).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n]).await?;
        size += n as u64;
    }
    dst.sync_all().await?;
    Ok((hex(&hasher.finalize()), size))
}

fn evidence_rel(sha: &str) -> PathBuf {
    Path::new("evidence")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
}

/// Writes a backup of `db` and the evidence files it refers to into the new directory `out`,
/// while the server keeps running. The backup appears under its name only once complete.
pub async fn backup(db: &Db, store: &EvidenceStore, out: &Path) -> Result<Manifest> {
    if tokio::fs::try_exists(out).await? {
        return Err(Error::Duplicate {
            what: Entity::Backup,
            key: out.display().to_string(),
        });
    }
    let part = part_path(out);
    if tokio::fs::try_exists(&part).await? {
        tokio::fs::remove_dir_all(&part).await?;
    }
    tokio::fs::create_dir_all(&part).await?;

    let mut data = BufWriter::new(tokio::fs::File::create(part.join("data.jsonl")).await?);
    let mut hasher = Sha256::new();
    let mut tables = Vec::new();
    let mut files: BTreeSet<(String, u64)> = BTreeSet::new();
    let schema_version;
    {
        let mut tx = db.begin_read().await?;
        schema_version = tx
            .fetch_one(q("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM _sqlx_migrations WHERE success"))
            .await?
            .i64("v")?;
        for t in TABLES {
            let rows = tx.fetch_all(Q::owned(select_sql(t))).await?;
            for row in &rows {
                let values = t
                    .columns
                    .iter()
                    .map(|(c, ty)| value_of(row, c, *ty))
                    .collect::<Result<Vec<_>>>()?;
                if t.name == "evidence" {
                    let sha = row.text("sha256")?;
                    store.path_of(&sha)?;
                    files.insert((sha, u64::try_from(row.i64("size")?).unwrap_or(0)));
                }
                let mut line = serde_json::to_string(&Line {
                    t: t.name.to_string(),
                    r: values,
                })
                .map_err(|e| Error::Corrupt(e.to_string()))?;
                line.push('\n');
                hasher.update(line.as_bytes());
                data.write_all(line.as_bytes()).await?;
            }
            tables.push(TableManifest {
                name: t.name.to_string(),
                columns: t.columns.iter().map(|c| c.0.to_string()).collect(),
                rows: rows.len() as u64,
            });
        }
        // Read-only: ending it either way is the same.
        drop(tx);
    }
    data.flush().await?;
    data.into_inner().sync_all().await?;

    // Files are immutable and never deleted by the application, so those the snapshot refers
    // to are all there, whatever happened since.
    let mut evidence = Vec::new();
    for (sha, size) in files.into_iter().collect::<BTreeMap<_, _>>() {
        let (got, got_size) = copy_hashed(&store.path_of(&sha)?, &part.join(evidence_rel(&sha)))
            .await
            .map_err(|e| match e {
                Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                    Error::not_found(Entity::EvidenceFile, sha.clone())
                }
                e => e,
            })?;
        if got != sha || got_size != size {
            return Err(Error::Corrupt(format!(
                "evidence file {sha} is damaged (its content hashes to {got}, {got_size} bytes)"
            )));
        }
        evidence.push(FileManifest { sha256: sha, size });
    }

    let manifest = Manifest {
        format: FORMAT,
        created_at: Timestamp::now().to_string(),
        backend: db.backend().name().to_string(),
        schema_version,
        tables,
        data_sha256: hex(&hasher.finalize()),
        evidence,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Corrupt(e.to_string()))?;
    let mut f = tokio::fs::File::create(part.join("manifest.json")).await?;
    f.write_all(&json).await?;
    f.sync_all().await?;
    tokio::fs::rename(&part, out).await?;
    Ok(manifest)
}

/// Reads and checks a backup's manifest.
pub async fn read_manifest(from: &Path) -> Result<Manifest> {
    let bytes = tokio::fs::read(from.join("manifest.json"))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found(
                Entity::Backup,
                from.join("manifest.json").display().to_string(),
            ),
            _ => Error::Io(e),
        })?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Corrupt(format!("manifest.json: {e}")))?;
    if m.format != FORMAT {
        return Err(Error::invalid(
            "format",
            format!(
                "bản sao lưu định dạng {} không được hỗ trợ (cần {FORMAT})",
                m.format
            ),
            format!(
                "backup format {} is not supported (expected {FORMAT})",
                m.format
            ),
        ));
    }
    Ok(m)
}

/// Restores a backup into an empty, migrated database and the evidence directory. Every
/// evidence file is checked against its hash before any row is written; the rows go in one
/// transaction, so a failed restore leaves the database empty.
pub async fn restore(db: &Db, store: &EvidenceStore, from: &Path) -> Result<Manifest> {
    let manifest = read_manifest(from).await?;
    let ours = db.schema_version().await?;
    if manifest.schema_version != ours {
        return Err(Error::invalid(
            "schema_version",
            format!(
                "bản sao lưu có lược đồ phiên bản {}, cơ sở dữ liệu có {ours}: hãy khôi phục bằng phiên bản phần mềm tương ứng",
                manifest.schema_version
            ),
            format!(
                "the backup's schema is version {}, the database's {ours}: restore with the matching release",
                manifest.schema_version
            ),
        ));
    }
    for (t, m) in TABLES.iter().zip(&manifest.tables) {
        let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
        if m.name != t.name || m.columns != cols {
            return Err(Error::Corrupt(format!(
                "backup table {} does not match this schema",
                m.name
            )));
        }
    }
    if manifest.tables.len() != TABLES.len() {
        return Err(Error::Corrupt(
            "backup tables do not match this schema".into(),
        ));
    }
    for t in TABLES {
        let n = db
            .fetch_one(Q::owned(format!("SELECT COUNT(*) AS n FROM {}", t.name)))
            .await?
            .i64("n")?;
        if n > 0 {
            return Err(Error::invalid(
                "database",
                format!(
                    "chỉ khôi phục vào cơ sở dữ liệu trống (bảng {} đã có {n} dòng)",
                    t.name
                ),
                format!(
                    "restore only into an empty database (table {} has {n} rows)",
                    t.name
                ),
            ));
        }
    }

    // Evidence first: a damaged file stops the restore before any row is written.
    for f in &manifest.evidence {
        store.path_of(&f.sha256)?;
        let file = tokio::fs::File::open(from.join(evidence_rel(&f.sha256)))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    Error::not_found(Entity::EvidenceFile, f.sha256.clone())
                }
                _ => Error::Io(e),
            })?;
        let staged = store.stage(file).await?;
        if staged.sha256 != f.sha256 || staged.size != f.size {
            return Err(Error::Corrupt(format!(
                "backup evidence file {} is damaged (its content hashes to {})",
                f.sha256, staged.sha256
            )));
        }
        store.place(staged).await?;
    }

    let data = tokio::fs::File::open(from.join("data.jsonl")).await?;
    let mut lines = BufReader::new(data).lines();
    let mut hasher = Sha256::new();
    let by_name: BTreeMap<&str, &Table> = TABLES.iter().map(|t| (t.name, t)).collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut tx = db.begin().await?;
    if tx.backend() == Backend::Sqlite {
        tx.execute(q("PRAGMA defer_foreign_keys = ON")).await?;
    }
    while let Some(line) = lines.next_line().await? {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
        let l: Line =
            serde_json::from_str(&line).map_err(|e| Error::Corrupt(format!("data.jsonl: {e}")))?;
        let t = by_name
            .get(l.t.as_str())
            .ok_or_else(|| Error::Corrupt(format!("data.jsonl: unknown table {}", l.t)))?;
        if l.r.len() != t.columns.len() {
            return Err(Error::Corrupt(format!(
                "data.jsonl: a {} row has {} values",
                t.name,
                l.r.len()
            )));
        }
        insert_row(&mut tx, t, &l.r).await?;
        *counts.entry(l.t).or_default() += 1;
    }
    if hex(&hasher.finalize()) != manifest.data_sha256 {
        return Err(Error::Corrupt(
            "backup data.jsonl does not match the hash in its manifest".into(),
        ));
    }
    for m in &manifest.tables {
        if counts.get(&m.name).copied().unwrap_or(0) != m.rows {
            return Err(Error::Corrupt(format!(
                "backup table {}: {} rows expected",
                m.name, m.rows
            )));
        }
    }
    if tx.backend() == Backend::Postgres {
        for t in TABLES.iter().filter(|t| t.identity) {
            tx.execute(Q::owned(format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                t.name
            )))
            .await?;
        }
    }
    tx.commit().await?;
    Ok(manifest)
}

async fn insert_row(tx: &mut Tx, t: &Table, values: &[Value]) -> Result<()> {
    let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let mut sql = Q::owned(format!(
        "INSERT INTO {} ({}) VALUES ({})",
        t.name,
        cols.join(", "),
        params.join(", ")
    ));
    for ((col, ty), v) in t.columns.iter().zip(values) {
        sql = sql.bind_arg(arg_of(v, *ty, t.name, col)?);
    }
    tx.execute(sql).await?;
    Ok(())
}

/// Differences between the tables and columns backups know and the live schema: empty when a
/// backup holds everything. A test runs this after every migration.
#[doc(hidden)]
pub async fn uncovered_columns(db: &Db) -> Result<Vec<String>> {
    let rows = match db.backend() {
        Backend::Sqlite => {
            db.fetch_all(q("SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"))
                .await?
        }
        Backend::Postgres => {
            db.fetch_all(q("SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                            WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"))
                .await?
        }
    };
    let mut live: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        live.entry(r.text("t")?).or_default().push(r.text("c")?);
    }
    let mut out = Vec::new();
    for (table, cols) in &live {
        if NOT_BACKED_UP.contains(&table.as_str()) {
            continue;
        }
        match TABLES.iter().find(|t| t.name == table) {
            None => out.push(format!("table {table} is not backed up")),
            Some(t) => {
                let known: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
                let live_cols: Vec<&str> = cols.iter().map(String::as_str).collect();
                if known != live_cols {
                    out.push(format!(
                        "table {table}: backup columns {known:?}, schema columns {live_cols:?}"
                    ));
                }
            }
        }
    }
    for t in TABLES {
        if !live.contains_key(t.name) {
            out.push(format!("backed-up table {} is not in the schema", t.name));
        }
    }
    Ok(out)
}
