//! Rounds: deadlines, criteria sets checked on load, opening creates sheets.

use crate::harness::{SMALL_SET, by, each_backend, seed_round, sets_dir};
use parindex_store::rounds::{Phase, RoundState};
use parindex_store::sheets::SheetState;
use parindex_store::units::UnitFields;
use parindex_store::{Action, Error, Timestamp};

#[tokio::test]
async fn rounds_sets_and_opening() {
    each_backend(async |t| {
        let db = &t.db;
        let a = by("admin");
        seed_round(db).await;
        assert!(matches!(
            db.create_round(2019, "again", &a).await.unwrap_err(),
            Error::Duplicate { .. }
        ));

        let due = Timestamp::parse_rfc3339("2019-12-10T23:59:00+07:00").unwrap();
        let r = db
            .set_deadline(2019, Phase::SelfAssessment, Some(due), &a)
            .await
            .unwrap();
        assert_eq!(r.deadlines, vec![(Phase::SelfAssessment, due)]);
        assert_eq!(r.groups, vec![("so".to_string(), "test-2019".to_string())]);
        assert_eq!(r.state, RoundState::Draft);

        // The bundled departments' set loads; its group `so` is already taken by test-2019.
        let so = std::fs::read_to_string(sets_dir().join("so-2019.set.toml")).unwrap();
        let taken = db
            .put_criteria_set(2019, "so-2019.set.toml", &so, &a)
            .await
            .unwrap_err();
        assert!(matches!(taken, Error::Invalid(_)), "{taken:?}");

        // A broken set: every problem names the file.
        let broken = SMALL_SET.replace("max = 4\nrule", "max = 5\nrule");
        let Error::Invalid(problems) = db
            .put_criteria_set(2019, "broken.set.toml", &broken, &a)
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert!(
            problems
                .iter()
                .all(|p| p.location.file.as_deref() == Some("broken.set.toml")),
            "{problems}"
        );

        let set = db.criteria_set(2019, "so").await.unwrap();
        assert_eq!(set.code, "test-2019");
        assert_eq!(set.leaves().len(), 4);
        assert_eq!(
            db.criteria_set_text(2019, "test-2019").await.unwrap(),
            SMALL_SET
        );

        // A unit whose group has no set stops the opening, naming the unit.
        let f = UnitFields {
            name: "UBND huyện A".into(),
            group: "huyen".into(),
            ..Default::default()
        };
        let huyen = db.create_unit("HA", &f, &a).await.unwrap();
        let Error::Invalid(p) = db.open_round(2019, &a).await.unwrap_err() else {
            panic!()
        };
        assert!(p.0[0].en.contains("HA"), "{p}");
        assert!(db.sheets(2019).await.unwrap().is_empty());
        db.set_unit_active("HA", huyen.version, false, &a)
            .await
            .unwrap();

        let r = db.open_round(2019, &a).await.unwrap();
        assert_eq!(r.state, RoundState::Open);
        let sheets = db.sheets(2019).await.unwrap();
        assert_eq!(
            sheets
                .iter()
                .map(|s| (s.unit.as_str(), s.state))
                .collect::<Vec<_>>(),
            [
                ("SNV", SheetState::NotStarted),
                ("STP", SheetState::NotStarted)
            ]
        );
        let locked = db
            .put_criteria_set(2019, "test.set.toml", SMALL_SET, &a)
            .await
            .unwrap_err();
        assert!(
            matches!(
                locked,
                Error::RoundState {
                    action: Action::ChangeCriteriaSet,
                    state: RoundState::Open,
                    ..
                }
            ),
            "{locked:?}"
        );
        assert!(db.create_sheet(2019, "SNV", &a).await.is_err());
        let closed = db.close_round(2019, &a).await.unwrap();
        assert_eq!(closed.state, RoundState::Closed);
        assert_eq!(db.rounds().await.unwrap().len(), 1);
        assert!(matches!(
            db.round(2020).await.unwrap_err(),
            Error::NotFound { .. }
        ));
    })
    .await;
}
