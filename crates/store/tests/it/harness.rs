//! A fresh database per test and per backend: SQLite in a temporary directory, and PostgreSQL
//! (when `PARINDEX_TEST_PG_URL` names a server) in a database created for the test and dropped
//! after it, whether it passed or not.

use parindex_store::evidence::EvidenceStore;
use parindex_store::testing::{PgDatabase, with_pg_database};
use parindex_store::{Actor, Backend, Db};
use std::path::PathBuf;

pub use parindex_store::testing::pg_url;

/// The prefix of the databases these tests create.
const PREFIX: &str = "parindex_test";

pub struct TestDb {
    pub db: Db,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// An evidence directory of this test.
    pub fn evidence(&self) -> EvidenceStore {
        EvidenceStore::open(self.dir.path().join("evidence")).expect("evidence dir")
    }

    /// Another fresh database on the same backend (restore targets); drop it with `drop_pg`.
    pub async fn sibling(&self) -> (TestDb, Option<PgDatabase>) {
        match self.backend() {
            Backend::Sqlite => (sqlite().await, None),
            Backend::Postgres => {
                let (t, pg) = postgres(&pg_url().expect("pg url")).await;
                (t, Some(pg))
            }
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let db = Db::open(&url).await.expect("open sqlite");
    TestDb { db, dir }
}

/// A fresh, migrated database on the server of `base`.
pub async fn postgres(base: &str) -> (TestDb, PgDatabase) {
    let pg = PgDatabase::create(base, PREFIX).await;
    let db = Db::open(&pg.url).await.expect("open pg");
    let dir = tempfile::tempdir().expect("temp dir");
    (TestDb { db, dir }, pg)
}

pub async fn drop_pg(t: TestDb, pg: PgDatabase) {
    t.db.close().await;
    pg.drop().await;
}

/// Runs `test` on SQLite, then on PostgreSQL when configured. A panic on PostgreSQL still drops
/// its database before it propagates.
pub async fn each_backend<F>(test: F)
where
    F: AsyncFn(&TestDb),
{
    let t = sqlite().await;
    test(&t).await;
    t.db.close().await;
    if let Some(url) = pg_url() {
        with_pg_database(&url, PREFIX, async |pg: &PgDatabase| {
            let db = Db::open(&pg.url).await.expect("open pg");
            let t = TestDb {
                db,
                dir: tempfile::tempdir().expect("temp dir"),
            };
            test(&t).await;
            t.db.close().await;
        })
        .await;
    }
}

pub fn by(name: &str) -> Actor {
    Actor::new(name)
}

pub fn sets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sets")
}

/// A small set: group `so`, total 10; 1.1.1 binary (2), 1.1.2 proportional (2, may be not
/// applicable), 1.1.3 manual (2), 2.1.1 survey (4); bonus and penalty capped at 2.
pub const SMALL_SET: &str = r#"
format = 1
kind = "criteria-set"

[set]
code = "test-2019"
title = "Bộ chỉ số thử"
year = 2019
total = 10
levels = ["so"]

[[group]]
code = "so"
name = "Sở, ban, ngành"

[scoring]
rank_basis = "percent"
rank_method = "competition"
decimals = 2
rounding = "half_up"

[bonus]
max = 2
[penalty]
max = 2

[classes]
basis = "percent"
[[classes.class]]
label = "Tốt"
min = 80
[[classes.class]]
label = "Khá"
min = 0

[[node]]
code = "1"
title = "Chỉ đạo, điều hành"
max = 6
[[node]]
code = "1.1"
title = "Kế hoạch"
max = 6
[[node]]
code = "1.1.1"
title = "Có kế hoạch"
max = 2
rule = { type = "binary" }
[[node]]
code = "1.1.2"
title = "Tỷ lệ hoàn thành"
max = 2
allow_na = true
rule = { type = "proportional" }
[[node]]
code = "1.1.3"
title = "Chấm tay"
max = 2
rule = { type = "manual" }
[[node]]
code = "2"
title = "Hài lòng"
max = 4
[[node]]
code = "2.1"
title = "Khảo sát"
max = 4
[[node]]
code = "2.1.1"
title = "Chỉ số hài lòng"
max = 4
rule = { type = "survey", indicator = "sipas.overall" }
"#;

/// A round 2019 with SMALL_SET for group `so`, units SNV and STP, not yet opened.
pub async fn seed_round(db: &Db) {
    let a = by("admin");
    db.create_round(2019, "Chỉ số CCHC năm 2019", &a)
        .await
        .unwrap();
    db.put_criteria_set(2019, "test.set.toml", SMALL_SET, &a)
        .await
        .unwrap();
    for (code, name) in [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")] {
        let f = parindex_store::units::UnitFields {
            name: name.into(),
            group: "so".into(),
            level: Some("so".into()),
            ..Default::default()
        };
        db.create_unit(code, &f, &a).await.unwrap();
    }
}

/// seed_round, opened, and SNV's sheet self-assessing.
pub async fn seed_open(db: &Db) {
    seed_round(db).await;
    let a = by("admin");
    db.open_round(2019, &a).await.unwrap();
    let s = db.sheet(2019, "SNV").await.unwrap();
    db.transition(
        2019,
        "SNV",
        s.version,
        parindex_store::sheets::SheetState::SelfAssessing,
        &a,
    )
    .await
    .unwrap();
}
