//! Backup and restore: a restored database holds identical rows and evidence files, on either
//! backend and across backends; damaged or misplaced backups are refused.

use crate::harness::{TestDb, by, drop_pg, each_backend, pg_url, postgres, seed_open, sqlite};
use parindex_store::backup::{backup, read_manifest, restore};
use parindex_store::evidence::{Attach, Stage};
use parindex_store::sheets::EntryKey;
use parindex_store::users::{Role, UserFields};
use parindex_store::{Backend, Error};

const PDF: &[u8] = b"%PDF-1.7\nbackup test\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR backup";

/// Some of everything: units, a round with a set, users, entries, evidence, the audit log.
async fn populate(t: &TestDb) {
    let db = &t.db;
    seed_open(db).await;
    let a = by("admin");
    let f = UserFields {
        display_name: "Trần Thị Bình".into(),
        unit: Some("SNV".into()),
        roles: vec![Role::UnitOfficer],
        ..Default::default()
    };
    db.create_user("binh", &f, "$argon2id$h", &a).await.unwrap();
    db.assign_area("binh", 2019, "so", "1", &a).await.unwrap();
    db.save_self_assessment(
        &EntryKey::new(2019, "SNV", "1.1.3"),
        0,
        "0.125",
        "ghi chú có dấu: Sở Nội vụ",
        &a,
    )
    .await
    .unwrap();
    let store = t.evidence();
    let to = Attach {
        year: 2019,
        unit: "SNV",
        code: Some("1.1.3"),
        proposal: None,
        stage: Stage::SelfAssessment,
    };
    store
        .put(db, &to, "qd.pdf", "tr. 1", PDF, &a)
        .await
        .unwrap();
    let ev = store.put(db, &to, "anh.png", "", PNG, &a).await.unwrap();
    let task = parindex_store::plans::TaskInput {
        remedy: "Ban hành kế hoạch đúng hạn".into(),
        codes: vec!["1.1.1".into(), "1.1.3".into()],
        division: "Văn phòng".into(),
        owner: "Chánh Văn phòng".into(),
        deadline: "31/03/2020".into(),
        effort: Some(2),
    };
    let task = db.add_task(2019, "SNV", &task, &a).await.unwrap();
    db.link_task_evidence(task.id, ev.id, &a).await.unwrap();
    db.propose(
        2019,
        "SNV",
        parindex_store::sheets::ProposalKind::Penalty,
        "0.5".parse().unwrap(),
        "báo cáo trễ",
        &a,
    )
    .await
    .unwrap();
}

async fn data(dir: &std::path::Path) -> String {
    tokio::fs::read_to_string(dir.join("data.jsonl"))
        .await
        .unwrap()
}

#[tokio::test]
async fn backup_then_restore_gives_identical_rows_and_files() {
    each_backend(async |t| {
        populate(t).await;
        let out = t.dir.path().join("backup-1");
        let m = backup(&t.db, &t.evidence(), &out).await.unwrap();
        assert_eq!(m.evidence.len(), 2);
        assert!(!t.dir.path().join("backup-1.partial").exists());
        assert!(matches!(
            backup(&t.db, &t.evidence(), &out).await.unwrap_err(),
            Error::Duplicate { .. }
        ));
        assert_eq!(read_manifest(&out).await.unwrap(), m);

        let (fresh, pg_name) = t.sibling().await;
        let store2 = fresh.evidence();
        restore(&fresh.db, &store2, &out).await.unwrap();
        for f in &m.evidence {
            assert!(store2.verify_file(&f.sha256).await.unwrap());
        }
        // Everything reads back the same, and a backup of the copy holds the very same rows.
        assert_eq!(fresh.db.units().await.unwrap(), t.db.units().await.unwrap());
        assert_eq!(
            fresh.db.entries(2019, "SNV").await.unwrap(),
            t.db.entries(2019, "SNV").await.unwrap()
        );
        assert_eq!(
            fresh.db.evidence_of(2019, "SNV").await.unwrap(),
            t.db.evidence_of(2019, "SNV").await.unwrap()
        );
        let tasks = fresh.db.tasks(2019, "SNV").await.unwrap();
        assert_eq!(tasks, t.db.tasks(2019, "SNV").await.unwrap());
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].codes, ["1.1.1", "1.1.3"]);
        assert_eq!(tasks[0].evidence.len(), 1);
        assert_eq!(
            fresh.db.verify_audit().await.unwrap(),
            t.db.verify_audit().await.unwrap()
        );
        let out2 = fresh.dir.path().join("backup-2");
        let m2 = backup(&fresh.db, &store2, &out2).await.unwrap();
        assert_eq!(data(&out2).await, data(&out).await);
        assert_eq!(
            (
                m2.tables.clone(),
                m2.evidence.clone(),
                m2.data_sha256.clone()
            ),
            (m.tables.clone(), m.evidence.clone(), m.data_sha256.clone())
        );

        // New rows after a restore get new ids (PostgreSQL's sequences were moved on).
        let f = parindex_store::units::UnitFields {
            name: "Sở Tài chính".into(),
            group: "so".into(),
            ..Default::default()
        };
        let stc = fresh.db.create_unit("STC", &f, &by("admin")).await.unwrap();
        assert!(stc.id > t.db.unit("STP").await.unwrap().id);

        // Only into an empty database.
        let err = restore(&fresh.db, &store2, &out).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        match pg_name {
            Some(pg) => drop_pg(fresh, pg).await,
            None => fresh.db.close().await,
        }
    })
    .await;
}

#[tokio::test]
async fn damaged_backups_are_refused_and_write_nothing() {
    each_backend(async |t| {
        populate(t).await;
        let out = t.dir.path().join("backup");
        let m = backup(&t.db, &t.evidence(), &out).await.unwrap();
        let f = &m.evidence[0].sha256;
        let file = out.join("evidence").join(&f[..2]).join(&f[2..4]).join(f);
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[3] ^= 1;
        std::fs::write(&file, &bytes).unwrap();

        let (fresh, pg_name) = t.sibling().await;
        let err = restore(&fresh.db, &fresh.evidence(), &out)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
        assert!(fresh.db.units().await.unwrap().is_empty());
        bytes[3] ^= 1;
        std::fs::write(&file, &bytes).unwrap();

        // A changed data line is caught by the manifest's hash, and the rows are rolled back.
        let text = data(&out).await.replace("ghi chú có dấu", "ghi chú đã sửa");
        std::fs::write(out.join("data.jsonl"), text).unwrap();
        let err = restore(&fresh.db, &fresh.evidence(), &out)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
        assert!(fresh.db.units().await.unwrap().is_empty());
        assert!(fresh.db.verify_audit().await.unwrap().entries == 0);
        match pg_name {
            Some(pg) => drop_pg(fresh, pg).await,
            None => fresh.db.close().await,
        }
    })
    .await;
}

/// One format for both backends: a SQLite backup restores into PostgreSQL and back.
#[tokio::test]
async fn backups_move_between_backends() {
    let Some(url) = pg_url() else { return };
    let lite = sqlite().await;
    populate(&lite).await;
    let out = lite.dir.path().join("from-sqlite");
    backup(&lite.db, &lite.evidence(), &out).await.unwrap();
    let (pg, pg_db) = postgres(&url).await;
    let outcome = async {
        assert_eq!(pg.backend(), Backend::Postgres);
        restore(&pg.db, &pg.evidence(), &out).await.unwrap();
        let back = pg.dir.path().join("from-postgres");
        backup(&pg.db, &pg.evidence(), &back).await.unwrap();
        assert_eq!(data(&back).await, data(&out).await);
        let lite2 = sqlite().await;
        restore(&lite2.db, &lite2.evidence(), &back).await.unwrap();
        assert_eq!(
            lite2.db.entries(2019, "SNV").await.unwrap(),
            lite.db.entries(2019, "SNV").await.unwrap()
        );
    };
    let outcome =
        futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(outcome)).await;
    drop_pg(pg, pg_db).await;
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}
