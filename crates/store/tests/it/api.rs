//! The API's shape for its callers: every future is `Send`, so axum handlers and spawned tasks
//! can await them.

use parindex_store::evidence::{Attach, EvidenceStore, Stage};
use parindex_store::sheets::{EntryKey, SheetState};
use parindex_store::{Actor, Db};

fn send<T: Send>(_: T) {}

/// Never run: it compiles only if the futures are `Send`.
fn futures_are_send(db: &Db, store: &EvidenceStore, actor: &Actor) {
    let key = EntryKey::new(2019, "SNV", "1.1.1");
    send(db.units());
    send(db.transition(2019, "SNV", 1, SheetState::Submitted, actor));
    send(db.save_self_assessment(&key, 0, "có", "", actor));
    send(db.entries(2019, "SNV"));
    send(db.verify_audit());
    let to = Attach {
        year: 2019,
        unit: "SNV",
        code: None,
        proposal: None,
        stage: Stage::SelfAssessment,
    };
    send(store.put(db, &to, "a.pdf", "", tokio::io::empty(), actor));
    send(parindex_store::backup::backup(
        db,
        store,
        std::path::Path::new("x"),
    ));
    send(parindex_store::backup::restore(
        db,
        store,
        std::path::Path::new("x"),
    ));
}

#[test]
fn the_api_futures_are_send() {
    let _ = futures_are_send as fn(&Db, &EvidenceStore, &Actor);
}
