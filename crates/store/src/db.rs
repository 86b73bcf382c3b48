//! The database handle: one `Db` over SQLite or PostgreSQL, connecting and migrating, and the
//! small query layer (`Q`, `Row`, `Tx`) through which every module writes its SQL once for both.

use crate::time::Timestamp;
use crate::{Error, Result};
use rust_decimal::Decimal;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Database, Decode, Encode, Row as _, SqlSafeStr, Type};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

/// The migrations, one list for both backends: every name must exist as
/// `migrations/sqlite/NAME.sql` and `migrations/postgres/NAME.sql` (a test also checks that the
/// folders hold nothing else). They are embedded with `include_str!` and run by sqlx's
/// `Migrator`: `sqlx::migrate!` lives behind sqlx's `macros` feature, which this workspace keeps
/// off (it builds the database drivers a second time for the proc-macro).
macro_rules! migrations {
    ($($name:literal),+ $(,)?) => {
        /// Migration names, oldest first.
        pub const MIGRATIONS: &[&str] = &[$($name),+];
        const SQLITE_SQL: &[&str] = &[$(include_str!(concat!("../migrations/sqlite/", $name, ".sql"))),+];
        const POSTGRES_SQL: &[&str] = &[$(include_str!(concat!("../migrations/postgres/", $name, ".sql"))),+];
    };
}

migrations![
    "20251128000001_initial",
    "20251128000002_survey",
    "20251128000003_portal",
    "20251128000004_plans"
];

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database: SQLite (one file, the default for a single server) or PostgreSQL.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    // The pools' own Debug would print connection options, passwords included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db::{:?}", self.backend())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The survey writer's SQLite page cache (negative: KiB), 64 MiB.
const WRITER_CACHE_KIB: &str = "-65536";
/// The survey writer's own automatic checkpoint (pages of 4 KiB: 40 MiB), in case the background
/// checkpoint (`survey::ingest`) falls behind; with the default 1,000 nearly every batch of a
/// busy writer paid a checkpoint and its `fsync` inside its commit.
const WRITER_AUTOCHECKPOINT_PAGES: &str = "10000";
/// The write-ahead log is cut back to this size when it restarts.
const WAL_SIZE_LIMIT_BYTES: &str = "67108864";

impl Db {
    /// Connects by URL scheme: `sqlite:path/to/file.db` (created if missing; `sqlite::memory:`
    /// for a private in-memory database) or `postgres://user@host/db`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            let mut pool = SqlitePoolOptions::new();
            if url.contains(":memory:") || url.contains("mode=memory") {
                // Each connection would otherwise open its own empty database.
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            } else {
                pool = pool.max_connections(8);
            }
            Ok(Db::Sqlite(pool.connect_with(opts).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(Error::invalid(
                "database_url",
                format!(
                    "địa chỉ cơ sở dữ liệu phải bắt đầu bằng sqlite: hoặc postgres:// (có \"{}\")",
                    scheme(url)
                ),
                format!(
                    "the database URL must start with sqlite: or postgres:// (got \"{}\")",
                    scheme(url)
                ),
            ))
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Db> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations not yet applied.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = migrator(self.backend());
        match self {
            Db::Sqlite(pool) => migrator.run(pool).await?,
            Db::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// The version of the newest applied migration (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64> {
        let row = self
            .fetch_one(q("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM _sqlx_migrations WHERE success"))
            .await?;
        row.i64("v")
    }

    /// Checks that the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        self.fetch_one(q("SELECT 1 AS one")).await?;
        Ok(())
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so it holds the write lock
    /// from its first statement and never fails half-way with SQLITE_BUSY on upgrade. Dropping it
    /// without `commit` rolls back.
    /// Options for a connection of its own on the same SQLite file, for a long-lived writer
    /// (the survey writer) that keeps it open between transactions with a larger page cache:
    /// every batch then finds the index pages it touches in memory, and it never waits for the
    /// pool to take back the connection of its previous batch. `None` for a private in-memory
    /// database (one connection, shared as is) and for PostgreSQL.
    pub(crate) fn own_connection_options(&self) -> Option<SqliteConnectOptions> {
        match self {
            Db::Sqlite(pool) if pool.options().get_max_connections() > 1 => Some(
                (*pool.connect_options())
                    .clone()
                    .pragma("cache_size", WRITER_CACHE_KIB)
                    // A batch's multi-row INSERTs keep a statement journal: in memory, not in a
                    // temporary file.
                    .pragma("temp_store", "memory")
                    // The writer checkpoints in the background; this is the backstop.
                    .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES),
            ),
            _ => None,
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A read-only transaction that sees one consistent snapshot (several reads, backups): a deferred
    /// transaction in WAL mode on SQLite, REPEATABLE READ on PostgreSQL.
    pub(crate) async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN DEFERRED").await?),
            Db::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    pub(crate) async fn fetch_all(&self, q: Q) -> Result<Vec<Row>> {
        Ok(match self {
            Db::Sqlite(p) => bind(q)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Db::Postgres(p) => bind(q)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    pub(crate) async fn fetch_optional(&self, q: Q) -> Result<Option<Row>> {
        Ok(match self {
            Db::Sqlite(p) => bind(q).fetch_optional(p).await?.map(Row::Sqlite),
            Db::Postgres(p) => bind(q).fetch_optional(p).await?.map(Row::Postgres),
        })
    }

    pub(crate) async fn fetch_one(&self, q: Q) -> Result<Row> {
        Ok(match self {
            Db::Sqlite(p) => Row::Sqlite(bind(q).fetch_one(p).await?),
            Db::Postgres(p) => Row::Postgres(bind(q).fetch_one(p).await?),
        })
    }

    /// Runs one statement outside any transaction (tests and maintenance).
    pub(crate) async fn execute(&self, q: Q) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(p) => bind(q).execute(p).await?.rows_affected(),
            Db::Postgres(p) => bind(q).execute(p).await?.rows_affected(),
        })
    }

    /// Runs raw SQL with no parameters, e.g. a test tampering with a row. Not for application use.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        self.execute(Q::owned(sql.to_string())).await
    }
}

fn scheme(url: &str) -> &str {
    url.split(':').next().unwrap_or("")
}

/// The embedded migrations of one backend.
pub fn migrator(backend: Backend) -> Migrator {
    let sql = match backend {
        Backend::Sqlite => SQLITE_SQL,
        Backend::Postgres => POSTGRES_SQL,
    };
    let migrations = MIGRATIONS
        .iter()
        .zip(sql)
        .map(|(name, sql)| {
            let (version, description) = name.split_once('_').unwrap_or((name, ""));
            Migration::new(
                version.parse().unwrap_or(0),
                Cow::Owned(description.replace('_', " ")),
                MigrationType::Simple,
                sqlx::AssertSqlSafe(*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

// ---------------------------------------------------------------------------------------------
// The query layer: a statement with its parameters, bound for whichever backend runs it.

/// A parameter value. Every type the schema uses, each keeping its SQL type when NULL (PostgreSQL
/// refuses a NULL of the wrong type).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Arg {
        Arg::Int(Some(v.into()))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<Timestamp> for Arg {
    fn from(v: Timestamp) -> Arg {
        Arg::Int(Some(v.0))
    }
}
impl From<Option<Timestamp>> for Arg {
    fn from(v: Option<Timestamp>) -> Arg {
        Arg::Int(v.map(|t| t.0))
    }
}
/// Points are stored as decimal text (`0.125`), exact on both backends whatever the scale.
impl From<Decimal> for Arg {
    fn from(v: Decimal) -> Arg {
        Arg::Text(Some(dec_text(v)))
    }
}
impl From<Option<Decimal>> for Arg {
    fn from(v: Option<Decimal>) -> Arg {
        Arg::Text(v.map(dec_text))
    }
}

/// The stored text of a decimal: normalized, so `0.50` and `0.5` are the same text.
pub(crate) fn dec_text(v: Decimal) -> String {
    v.normalize().to_string()
}

/// A statement and its parameters (`$1`, `$2`… on both backends).
#[derive(Debug)]
pub(crate) struct Q {
    sql: Sql,
    args: Vec<Arg>,
}

#[derive(Debug)]
enum Sql {
    Static(&'static str),
    Owned(String),
}

pub(crate) fn q(sql: &'static str) -> Q {
    Q {
        sql: Sql::Static(sql),
        args: Vec::new(),
    }
}

impl Q {
    /// A statement assembled at run time from our own identifiers (never from user text).
    pub(crate) fn owned(sql: String) -> Q {
        Q {
            sql: Sql::Owned(sql),
            args: Vec::new(),
        }
    }

    pub(crate) fn bind(mut self, v: impl Into<Arg>) -> Q {
        self.args.push(v.into());
        self
    }

    pub(crate) fn bind_arg(mut self, v: Arg) -> Q {
        self.args.push(v);
        self
    }
}

fn bind<DB: Database>(q: Q) -> sqlx::query::Query<'static, DB, DB::Arguments>
where
    Option<i64>: for<'a> Encode<'a, DB> + Type<DB>,
    Option<String>: for<'a> Encode<'a, DB> + Type<DB>,
    Option<bool>: for<'a> Encode<'a, DB> + Type<DB>,
{
    let mut query = match q.sql {
        Sql::Static(s) => sqlx::query(s),
        Sql::Owned(s) => sqlx::query(AssertSqlSafe(s)),
    };
    for arg in q.args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
        };
    }
    query
}

/// A row from either backend, read by column name.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    pub(crate) fn get<T>(&self, col: &str) -> Result<T>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>,
    {
        Ok(match self {
            Row::Sqlite(r) => r.try_get(col)?,
            Row::Postgres(r) => r.try_get(col)?,
        })
    }
    pub(crate) fn i64(&self, col: &str) -> Result<i64> {
        self.get(col)
    }
    pub(crate) fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
        self.get(col)
    }
    /// A year column: stored as a 64-bit integer like every integer column.
    pub(crate) fn year(&self, col: &str) -> Result<i32> {
        let v = self.i64(col)?;
        i32::try_from(v).map_err(|_| Error::Corrupt(format!("year {v} out of range")))
    }
    pub(crate) fn text(&self, col: &str) -> Result<String> {
        self.get(col)
    }
    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.get(col)
    }
    pub(crate) fn bool(&self, col: &str) -> Result<bool> {
        self.get(col)
    }
    pub(crate) fn opt_bool(&self, col: &str) -> Result<Option<bool>> {
        self.get(col)
    }
    pub(crate) fn ts(&self, col: &str) -> Result<Timestamp> {
        Ok(Timestamp(self.i64(col)?))
    }
    pub(crate) fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        Ok(self.opt_i64(col)?.map(Timestamp))
    }
    pub(crate) fn dec(&self, col: &str) -> Result<Decimal> {
        parse_dec(col, &self.text(col)?)
    }
    pub(crate) fn opt_dec(&self, col: &str) -> Result<Option<Decimal>> {
        self.opt_text(col)?.map(|t| parse_dec(col, &t)).transpose()
    }
}

fn parse_dec(col: &str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text).map_err(|_| Error::Corrupt(format!("{col}: '{text}' is not a decimal")))
}

/// Appends the `n`-th parameter of a statement assembled here: `$n` on PostgreSQL, `?` on
/// SQLite, where sqlx asks SQLite the name of every parameter it binds and a named parameter's
/// name is found by walking a list of all of them, so binding a statement of named parameters
/// costs the square of their number (it dominated the insert of a batch); anonymous ones are
/// numbered in order of appearance, the same numbering.
pub(crate) fn placeholder(sql: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => sql.push('?'),
        Backend::Postgres => {
            sql.push('$');
            sql.push_str(&n.to_string());
        }
    }
}

/// An open transaction on either backend. Dropped without `commit`, it rolls back.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// A write transaction on a connection its user keeps (`Tx::begin_owned`, `commit_owned`).
    /// Dropped without a commit, the connection closes and SQLite rolls the transaction back.
    SqliteOwned(SqliteConnection),
}

impl Tx {
    /// Opens a write transaction (`BEGIN IMMEDIATE`) on a connection the caller owns.
    pub(crate) async fn begin_owned(mut conn: SqliteConnection) -> Result<Tx> {
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await?;
        Ok(Tx::SqliteOwned(conn))
    }

    /// Commits a transaction of `begin_owned` and hands its connection back.
    pub(crate) async fn commit_owned(self) -> Result<SqliteConnection> {
        match self {
            Tx::SqliteOwned(mut conn) => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
                Ok(conn)
            }
            _ => Err(Error::Corrupt(
                "commit_owned on a pooled transaction".into(),
            )),
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) | Tx::SqliteOwned(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn execute(&mut self, q: Q) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t) => bind(q).execute(&mut **t).await?.rows_affected(),
            Tx::SqliteOwned(c) => bind(q).execute(&mut *c).await?.rows_affected(),
            Tx::Postgres(t) => bind(q).execute(&mut **t).await?.rows_affected(),
        })
    }

    pub(crate) async fn fetch_all(&mut self, q: Q) -> Result<Vec<Row>> {
        Ok(match self {
            Tx::Sqlite(t) => bind(q)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Tx::SqliteOwned(c) => bind(q)
                .fetch_all(&mut *c)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Tx::Postgres(t) => bind(q)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    pub(crate) async fn fetch_optional(&mut self, q: Q) -> Result<Option<Row>> {
        Ok(match self {
            Tx::Sqlite(t) => bind(q).fetch_optional(&mut **t).await?.map(Row::Sqlite),
            Tx::SqliteOwned(c) => bind(q).fetch_optional(&mut *c).await?.map(Row::Sqlite),
            Tx::Postgres(t) => bind(q).fetch_optional(&mut **t).await?.map(Row::Postgres),
        })
    }

    pub(crate) async fn fetch_one(&mut self, q: Q) -> Result<Row> {
        Ok(match self {
            Tx::Sqlite(t) => Row::Sqlite(bind(q).fetch_one(&mut **t).await?),
            Tx::SqliteOwned(c) => Row::Sqlite(bind(q).fetch_one(&mut *c).await?),
            Tx::Postgres(t) => Row::Postgres(bind(q).fetch_one(&mut **t).await?),
        })
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            owned @ Tx::SqliteOwned(_) => {
                owned.commit_owned().await?;
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}
