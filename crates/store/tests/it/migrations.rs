//! Migrations: the same names for both backends, idempotent, and every column backed up.

use crate::harness::each_backend;
use parindex_store::db::MIGRATIONS;
use std::path::Path;

fn names(dir: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migration_files() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
    let embedded: Vec<String> = MIGRATIONS.iter().map(|m| format!("{m}.sql")).collect();
    assert_eq!(
        sqlite, embedded,
        "a migration file is not listed in db.rs (or the reverse)"
    );
    for name in MIGRATIONS {
        let (version, description) = name.split_once('_').expect("VERSION_description");
        assert!(
            version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()),
            "{name}"
        );
        assert!(!description.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn migrating_twice_changes_nothing_and_backups_cover_every_column() {
    each_backend(async |t| {
        t.db.ping().await.unwrap();
        let v = t.db.schema_version().await.unwrap();
        assert_eq!(
            v.to_string(),
            MIGRATIONS.last().unwrap().split('_').next().unwrap()
        );
        t.db.migrate().await.unwrap();
        assert_eq!(t.db.schema_version().await.unwrap(), v);
        let uncovered = parindex_store::backup::uncovered_columns(&t.db)
            .await
            .unwrap();
        assert!(uncovered.is_empty(), "{:?}: {uncovered:#?}", t.backend());
    })
    .await;
}

#[tokio::test]
async fn unknown_url_scheme_is_refused_with_a_message() {
    let err = parindex_store::Db::connect("mysql://localhost/x")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), parindex_store::ErrorKind::Invalid);
    assert!(err.problem().vi.contains("sqlite:"), "{}", err.problem().vi);
}

#[tokio::test]
async fn an_in_memory_sqlite_database_works() {
    let db = parindex_store::Db::open("sqlite::memory:").await.unwrap();
    let f = parindex_store::units::UnitFields {
        name: "Sở Nội vụ".into(),
        group: "so".into(),
        ..Default::default()
    };
    db.create_unit("SNV", &f, &parindex_store::Actor::new("t"))
        .await
        .unwrap();
    assert_eq!(db.units().await.unwrap().len(), 1);
    db.verify_audit().await.unwrap();
}
