//! Test support shared by the store's and the web's integration tests (feature `testing`, enabled
//! only by dev-dependencies): a PostgreSQL database per test on the server named by
//! `PARINDEX_TEST_PG_URL`, created before the test and dropped after it whether it passed or not,
//! and seeded template databases copied per test.

use crate::Db;
use futures_util::FutureExt;
use sqlx::Connection;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL server the tests may use (`PARINDEX_TEST_PG_URL`), if any.
pub fn pg_url() -> Option<String> {
    std::env::var("PARINDEX_TEST_PG_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A database name no other test process or test uses: prefix, process id, a counter and the
/// clock's nanoseconds (nextest runs each test in its own process).
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// The URL of database `name` on the server of `base` (user, host, port and query kept).
pub fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let server_end = head[after_scheme..]
        .find('/')
        .map_or(head.len(), |i| after_scheme + i);
    let mut url = format!("{}/{name}", &head[..server_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// One database of a test on the server of `base`; `drop` removes it.
pub struct PgDatabase {
    pub name: String,
    /// Its URL, to open it with `Db::open` or give to a server.
    pub url: String,
    base: String,
}

impl PgDatabase {
    /// Creates an empty database named `prefix_…` (not migrated).
    pub async fn create(base: &str, prefix: &str) -> PgDatabase {
        PgDatabase::create_from(base, prefix, None).await
    }

    /// Creates a database as a copy of `template` (which nobody may be connected to).
    pub async fn create_from(base: &str, prefix: &str, template: Option<&str>) -> PgDatabase {
        let name = unique_name(prefix);
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name}"),
        };
        admin(base, &sql).await;
        PgDatabase {
            url: with_database(base, &name),
            name,
            base: base.to_string(),
        }
    }

    /// Drops the database, closing whatever is still connected to it.
    pub async fn drop(self) {
        admin(
            &self.base,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

/// Runs one statement on the server's maintenance connection (`CREATE`/`DROP DATABASE` cannot
/// run in a transaction or on the database they name).
async fn admin(base: &str, sql: &str) {
    let admin = Db::connect(base)
        .await
        .expect("connect to PARINDEX_TEST_PG_URL");
    admin
        .execute_raw(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    admin.close().await;
}

/// Runs `test` with a fresh database on the server of `base` and drops it afterwards; a panic
/// in the test still drops the database before it propagates.
pub async fn with_pg_database<F>(base: &str, prefix: &str, test: F)
where
    F: AsyncFnOnce(&PgDatabase),
{
    with_pg_copy(base, prefix, None, test).await;
}

/// `with_pg_database` on a copy of `template` (None: an empty database).
pub async fn with_pg_copy<F>(base: &str, prefix: &str, template: Option<&str>, test: F)
where
    F: AsyncFnOnce(&PgDatabase),
{
    let db = PgDatabase::create_from(base, prefix, template).await;
    let outcome = AssertUnwindSafe(test(&db)).catch_unwind().await;
    db.drop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Makes database `name` on the server of `base` with `seed` (given its URL) unless it already
/// exists, for copies with `with_pg_copy`. Test processes running at once take turns on an
/// advisory lock, so only the first seeds; databases that start with `stale_prefix` and are not
/// `name` (templates of earlier builds) are dropped then. A seed that fails leaves no template.
pub async fn pg_template<F>(base: &str, name: &str, stale_prefix: &str, seed: F)
where
    F: AsyncFnOnce(&str),
{
    // Any 64-bit key that the application does not use.
    const LOCK: i64 = 0x7061_7269_6e64_6578;
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to PARINDEX_TEST_PG_URL");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK)
        .execute(&mut conn)
        .await
        .expect("advisory lock");
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(stale_prefix)
            .fetch_all(&mut conn)
            .await
            .expect("list databases");
    if !names.iter().any(|n| n == name) {
        for old in names.iter().filter(|n| *n != name) {
            admin(base, &format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)")).await;
        }
        let building = format!("{name}_building");
        admin(
            base,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await;
        admin(base, &format!("CREATE DATABASE {building}")).await;
        let url = with_database(base, &building);
        let outcome = AssertUnwindSafe(seed(&url)).catch_unwind().await;
        if let Err(panic) = outcome {
            admin(
                base,
                &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
            )
            .await;
            std::panic::resume_unwind(panic);
        }
        // Renamed only when complete: a template is never half seeded.
        admin(base, &format!("ALTER DATABASE {building} RENAME TO {name}")).await;
    }
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
