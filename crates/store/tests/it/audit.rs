//! The audit chain: verifies after many changes; a changed byte or a removed entry is named.

use crate::harness::{TestDb, by, each_backend, seed_open};
use parindex_store::sheets::EntryKey;
use parindex_store::{Backend, Error};

/// Lets the test (playing an intruder with database access) change the append-only table.
async fn allow_tampering(t: &TestDb) {
    match t.backend() {
        Backend::Sqlite => {
            t.db.execute_raw("DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
            t.db.execute_raw("DROP TRIGGER audit_log_no_delete")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            t.db.execute_raw("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_names_the_first_broken_entry() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        db.save_self_assessment(
            &EntryKey::new(2019, "SNV", "1.1.1"),
            0,
            "có",
            "Kế hoạch số 12/KH-SNV",
            &by("officer"),
        )
        .await
        .unwrap();
        let ok = db.verify_audit().await.unwrap();
        let recent = db.audit_recent(1000).await.unwrap();
        assert_eq!(ok.entries, recent.len() as i64);
        assert_eq!(ok.head, recent[0].hash);
        assert!(ok.entries >= 8);

        // The log refuses edits from the application.
        assert!(
            db.execute_raw("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
                .await
                .is_err()
        );
        assert!(
            db.execute_raw("DELETE FROM audit_log WHERE seq = 1")
                .await
                .is_err()
        );

        let target = recent
            .iter()
            .find(|e| e.new.as_deref() == Some("Kế hoạch số 12/KH-SNV"))
            .unwrap();
        allow_tampering(t).await;
        db.execute_raw(&format!(
            "UPDATE audit_log SET new = 'Kế hoạch số 13/KH-SNV' WHERE seq = {}",
            target.seq
        ))
        .await
        .unwrap();
        let err = db.verify_audit().await.unwrap_err();
        let Error::Broken(b) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(b.seq, target.seq);
        assert!(err.problem().vi.contains(&target.seq.to_string()));

        // Restoring the text restores the chain; removing an entry is found at the gap.
        db.execute_raw(&format!(
            "UPDATE audit_log SET new = 'Kế hoạch số 12/KH-SNV' WHERE seq = {}",
            target.seq
        ))
        .await
        .unwrap();
        assert_eq!(db.verify_audit().await.unwrap(), ok);
        db.execute_raw("DELETE FROM audit_log WHERE seq = 3")
            .await
            .unwrap();
        let Error::Broken(b) = db.verify_audit().await.unwrap_err() else {
            panic!()
        };
        assert_eq!(b.seq, 4);
    })
    .await;
}
