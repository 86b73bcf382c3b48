//! Sheets: the state machine, entries with exact points, stale edits, bad input, proposals.

use crate::harness::{by, each_backend, seed_open};
use parindex_store::sheets::{AppraisalRound, EntryKey, ProposalKind, SheetState, allowed};
use parindex_store::{Action, Entity, Error};
use rust_decimal::Decimal;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn the_state_machine_table() {
    use SheetState::*;
    let forward = [
        (NotStarted, SelfAssessing),
        (SelfAssessing, Submitted),
        (Submitted, Appraisal1),
        (Appraisal1, ExplanationRequested),
        (ExplanationRequested, ExplanationSubmitted),
        (ExplanationSubmitted, Appraisal2),
        (Appraisal2, Approved),
        (Approved, Published),
    ];
    let other = [
        (Submitted, SelfAssessing),
        (ExplanationRequested, Appraisal2),
        (Approved, Appraisal2),
        (Published, Appraisal2),
    ];
    for from in SheetState::ALL {
        for to in SheetState::ALL {
            let expected = forward.contains(&(from, to)) || other.contains(&(from, to));
            assert_eq!(allowed(from, to), expected, "{from:?} → {to:?}");
        }
        assert!(!allowed(from, from), "{from:?} → itself");
    }
    for s in SheetState::ALL {
        assert_eq!(SheetState::parse(s.as_str()), Some(s));
    }
}

#[tokio::test]
async fn every_allowed_transition_and_refusals() {
    each_backend(async |t| {
        let db = &t.db;
        let a = by("secretariat");
        seed_open(db).await;
        use SheetState::*;
        let path = [
            Submitted,
            SelfAssessing,
            Submitted,
            Appraisal1,
            ExplanationRequested,
            Appraisal2,
            Approved,
            Appraisal2,
            Approved,
            Published,
            Appraisal2,
        ];
        let mut sheet = db.sheet(2019, "SNV").await.unwrap();
        assert_eq!(sheet.state, SelfAssessing);
        for to in path {
            let back = to < sheet.state;
            // Refused moves change nothing: same version, no audit entry.
            let before = db.audit_recent(1).await.unwrap()[0].seq;
            for wrong in SheetState::ALL
                .into_iter()
                .filter(|&w| !allowed(sheet.state, w))
            {
                let err = db
                    .transition(2019, "SNV", sheet.version, wrong, &a)
                    .await
                    .unwrap_err();
                assert!(
                    matches!(err, Error::Forbidden { .. }),
                    "{:?} → {wrong:?}: {err:?}",
                    sheet.state
                );
            }
            assert_eq!(db.audit_recent(1).await.unwrap()[0].seq, before);
            assert_eq!(db.sheet(2019, "SNV").await.unwrap(), sheet);
            if back {
                let err = db
                    .transition(2019, "SNV", sheet.version, to, &a)
                    .await
                    .unwrap_err();
                assert!(
                    matches!(err, Error::Invalid(_)),
                    "going back needs a reason: {err:?}"
                );
            }
            let who = a.clone().because("trả lại để bổ sung");
            let next = db
                .transition(2019, "SNV", sheet.version, to, &who)
                .await
                .unwrap();
            assert_eq!((next.state, next.version), (to, sheet.version + 1));
            // A second transition from the version read before is stale.
            let stale = db
                .transition(2019, "SNV", sheet.version, to, &who)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    stale,
                    Error::Conflict {
                        what: Entity::Sheet,
                        ..
                    }
                ),
                "{stale:?}"
            );
            sheet = next;
        }
        let log = db.audit_of("sheet", "2019/SNV").await.unwrap();
        let transitions: Vec<_> = log.iter().filter(|e| e.action == "transition").collect();
        assert_eq!(transitions.len(), path.len() + 1);
        assert_eq!(transitions[0].old.as_deref(), Some("not_started"));
        assert_eq!(
            transitions.last().unwrap().new.as_deref(),
            Some("appraisal_2")
        );
        assert!(matches!(
            db.transition(2019, "NOPE", 1, Submitted, &a)
                .await
                .unwrap_err(),
            Error::NotFound {
                what: Entity::Unit,
                ..
            }
        ));
        assert!(matches!(
            db.transition(2018, "SNV", 1, Submitted, &a)
                .await
                .unwrap_err(),
            Error::NotFound {
                what: Entity::Round,
                ..
            }
        ));
    })
    .await;
}

#[tokio::test]
async fn entries_are_exact_and_stale_edits_write_nothing() {
    each_backend(async |t| {
        let db = &t.db;
        let officer = by("snv.officer");
        seed_open(db).await;

        let e = db
            .save_self_assessment(
                &EntryKey::new(2019, "SNV", "1.1.3"),
                0,
                "0.125",
                "chấm tay",
                &officer,
            )
            .await
            .unwrap();
        assert_eq!((e.self_points, e.version), (Some(d("0.125")), 1));
        let e = db
            .save_self_assessment(&EntryKey::new(2019, "SNV", "1.1.2"), 0, "1/3", "", &officer)
            .await
            .unwrap();
        let third = d("2") * d("1") / d("3");
        assert_eq!(e.self_points, Some(third), "28 significant digits survive");
        let e = db
            .save_self_assessment(
                &EntryKey::new(2019, "SNV", "1.1.2"),
                1,
                "na",
                "không có nhiệm vụ",
                &officer,
            )
            .await
            .unwrap();
        assert_eq!(
            (e.self_points, e.not_applicable, e.version),
            (None, true, 2)
        );
        let yes = db
            .save_self_assessment(&EntryKey::new(2019, "SNV", "1.1.1"), 0, "có", "", &officer)
            .await
            .unwrap();
        assert_eq!(yes.self_points, Some(d("2")));

        // Stale: the entry is at version 1; a save that read version 0 fails and writes nothing.
        let sheet_before = db.sheet(2019, "SNV").await.unwrap();
        let seq_before = db.audit_recent(1).await.unwrap()[0].seq;
        let stale = db
            .save_self_assessment(
                &EntryKey::new(2019, "SNV", "1.1.1"),
                0,
                "không",
                "",
                &officer,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                stale,
                Error::Conflict {
                    what: Entity::SubCriterion,
                    expected: 0,
                    actual: 1,
                    ..
                }
            ),
            "{stale:?}"
        );
        assert_eq!(
            db.entry(&EntryKey::new(2019, "SNV", "1.1.1"))
                .await
                .unwrap(),
            yes
        );
        assert_eq!(db.sheet(2019, "SNV").await.unwrap(), sheet_before);
        assert_eq!(db.audit_recent(1).await.unwrap()[0].seq, seq_before);

        // Bad input: each refused, nothing written.
        let bad = db
            .save_self_assessment(
                &EntryKey::new(2019, "SNV", "1.1.1"),
                1,
                "có lẽ",
                "",
                &officer,
            )
            .await
            .unwrap_err();
        let Error::Invalid(p) = &bad else {
            panic!("{bad:?}")
        };
        assert_eq!(p.0[0].location.node.as_deref(), Some("1.1.1"));
        let survey = db
            .save_self_assessment(&EntryKey::new(2019, "SNV", "2.1.1"), 0, "90", "", &officer)
            .await
            .unwrap_err();
        assert!(matches!(survey, Error::Invalid(_)), "{survey:?}");
        let missing = db
            .save_self_assessment(&EntryKey::new(2019, "SNV", "9.9.9"), 0, "có", "", &officer)
            .await
            .unwrap_err();
        assert!(
            matches!(
                missing,
                Error::NotFound {
                    what: Entity::SubCriterion,
                    ..
                }
            ),
            "{missing:?}"
        );
        let not_leaf = db
            .save_self_assessment(&EntryKey::new(2019, "SNV", "1.1"), 0, "có", "", &officer)
            .await
            .unwrap_err();
        assert!(
            matches!(
                not_leaf,
                Error::NotFound {
                    what: Entity::SubCriterion,
                    ..
                }
            ),
            "{not_leaf:?}"
        );
        let no_unit = db
            .save_self_assessment(&EntryKey::new(2019, "XYZ", "1.1.1"), 0, "có", "", &officer)
            .await
            .unwrap_err();
        assert!(
            matches!(
                no_unit,
                Error::NotFound {
                    what: Entity::Unit,
                    ..
                }
            ),
            "{no_unit:?}"
        );
        let not_started = db
            .save_self_assessment(&EntryKey::new(2019, "STP", "1.1.1"), 0, "có", "", &officer)
            .await
            .unwrap_err();
        assert!(
            matches!(
                not_started,
                Error::SheetState {
                    state: SheetState::NotStarted,
                    action: Action::EditSelfAssessment,
                    ..
                }
            ),
            "{not_started:?}"
        );
        let early = db
            .save_appraisal(
                &EntryKey::new(2019, "SNV", "1.1.1"),
                AppraisalRound::First,
                1,
                d("1"),
                "",
                &officer,
            )
            .await
            .unwrap_err();
        assert!(matches!(early, Error::SheetState { .. }), "{early:?}");
        assert_eq!(
            db.entry(&EntryKey::new(2019, "SNV", "1.1.1"))
                .await
                .unwrap(),
            yes
        );
        assert_eq!(db.audit_recent(1).await.unwrap()[0].seq, seq_before);

        // Proposals while self-assessing, within the cap.
        assert!(matches!(
            db.propose(
                2019,
                "SNV",
                ProposalKind::Bonus,
                d("2.5"),
                "sáng kiến",
                &officer
            )
            .await
            .unwrap_err(),
            Error::Invalid(_)
        ));
        let p = db
            .propose(
                2019,
                "SNV",
                ProposalKind::Bonus,
                d("1.5"),
                "sáng kiến được công nhận",
                &officer,
            )
            .await
            .unwrap();
        assert_eq!(p.points, d("1.5"));

        let entries = db.entries(2019, "SNV").await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            ["1.1.1", "1.1.2", "1.1.3", "2.1.1"]
        );
        assert_eq!(entries[3].version, 0);

        // Submit, appraise (round 1), explain, appraise (round 2).
        let a = by("appraiser");
        let s = db.sheet(2019, "SNV").await.unwrap();
        let s = db
            .transition(2019, "SNV", s.version, SheetState::Submitted, &officer)
            .await
            .unwrap();
        let locked = db
            .save_self_assessment(
                &EntryKey::new(2019, "SNV", "1.1.1"),
                1,
                "không",
                "",
                &officer,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                locked,
                Error::SheetState {
                    state: SheetState::Submitted,
                    ..
                }
            ),
            "{locked:?}"
        );
        let s = db
            .transition(2019, "SNV", s.version, SheetState::Appraisal1, &a)
            .await
            .unwrap();
        let too_many = db
            .save_appraisal(
                &EntryKey::new(2019, "SNV", "1.1.3"),
                AppraisalRound::First,
                1,
                d("2.001"),
                "",
                &a,
            )
            .await
            .unwrap_err();
        assert!(matches!(too_many, Error::Invalid(_)), "{too_many:?}");
        let e = db
            .save_appraisal(
                &EntryKey::new(2019, "SNV", "1.1.3"),
                AppraisalRound::First,
                1,
                d("0.1"),
                "thiếu tài liệu",
                &a,
            )
            .await
            .unwrap();
        assert_eq!(
            (e.appraisal1_points, e.appraisal1_note.as_str()),
            (Some(d("0.1")), "thiếu tài liệu")
        );
        let p = db
            .appraise_proposal(p.id, p.version, d("1"), "chỉ công nhận cấp tỉnh", &a)
            .await
            .unwrap();
        assert_eq!(p.appraised_points, Some(d("1")));
        // The sheet changed since `s` was read: moving on from that version is stale.
        assert!(matches!(
            db.transition(2019, "SNV", s.version, SheetState::ExplanationRequested, &a)
                .await
                .unwrap_err(),
            Error::Conflict { .. }
        ));
        let s = db.sheet(2019, "SNV").await.unwrap();
        let s = db
            .transition(2019, "SNV", s.version, SheetState::ExplanationRequested, &a)
            .await
            .unwrap();
        let e = db
            .save_explanation(
                &EntryKey::new(2019, "SNV", "1.1.3"),
                e.version,
                "bổ sung quyết định",
                &officer,
            )
            .await
            .unwrap();
        assert_eq!(e.explanation, "bổ sung quyết định");
        let s = db.sheet(2019, "SNV").await.unwrap_or(s);
        let s = db
            .transition(
                2019,
                "SNV",
                s.version,
                SheetState::ExplanationSubmitted,
                &officer,
            )
            .await
            .unwrap();
        let s = db
            .transition(2019, "SNV", s.version, SheetState::Appraisal2, &a)
            .await
            .unwrap();
        let e = db
            .save_appraisal(
                &EntryKey::new(2019, "SNV", "1.1.3"),
                AppraisalRound::Second,
                e.version,
                d("0.125"),
                "đã đủ",
                &a,
            )
            .await
            .unwrap();
        assert_eq!(e.final_points(), Some(d("0.125")));
        assert_eq!(e.self_points, Some(d("0.125")));
        assert!(s.version > 1);

        let log = db.audit_of("entry", "2019/SNV/1.1.3").await.unwrap();
        let fields: Vec<_> = log.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "declared",
                "self_points",
                "note",
                "appraisal1_points",
                "appraisal1_note",
                "explanation",
                "appraisal2_points",
                "appraisal2_note"
            ]
        );
        assert_eq!(log[1].new.as_deref(), Some("0.125"));
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_keep_one_chain_and_one_winner() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let saves = (0..6).map(|i| {
            let who = by(&format!("officer{i}"));
            async move {
                db.save_self_assessment(
                    &EntryKey::new(2019, "SNV", "1.1.3"),
                    0,
                    &format!("0.{i}"),
                    "",
                    &who,
                )
                .await
            }
        });
        let outcomes = futures_util::future::join_all(saves).await;
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "{outcomes:?}");
        for o in &outcomes {
            if let Err(e) = o {
                assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
            }
        }
        let units = (0..8).map(|i| {
            let f = parindex_store::units::UnitFields {
                name: format!("Đơn vị {i}"),
                group: "so".into(),
                ..Default::default()
            };
            async move { db.create_unit(&format!("U{i}"), &f, &by("admin")).await }
        });
        for r in futures_util::future::join_all(units).await {
            r.unwrap();
        }
        db.verify_audit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_appraisers_points_overturn_a_not_applicable_claim() {
    each_backend(async |t| {
        let db = &t.db;
        let officer = by("snv.officer");
        seed_open(db).await;
        let na = EntryKey::new(2019, "SNV", "1.1.2");
        db.save_self_assessment(&na, 0, "na", "không có nhiệm vụ", &officer)
            .await
            .unwrap();
        db.save_self_assessment(&EntryKey::new(2019, "SNV", "1.1.1"), 0, "có", "", &officer)
            .await
            .unwrap();
        let snv = async || {
            let results = db.round_results(2019).await.unwrap();
            let score = results[0]
                .scores
                .iter()
                .find(|s| s.unit == "SNV")
                .unwrap()
                .clone();
            (score.max, score.total)
        };
        // The claim stands: 1.1.2 (2 points) leaves the maximum of 10.
        assert!(db.entry(&na).await.unwrap().counts_as_not_applicable());
        assert_eq!(snv().await, (d("8"), d("2")));

        let a = by("appraiser");
        let s = db.sheet(2019, "SNV").await.unwrap();
        let s = db
            .transition(2019, "SNV", s.version, SheetState::Submitted, &officer)
            .await
            .unwrap();
        db.transition(2019, "SNV", s.version, SheetState::Appraisal1, &a)
            .await
            .unwrap();
        // The appraiser does not accept it: 1 point of 2, and the maximum is 10 again.
        let e = db
            .save_appraisal(
                &na,
                AppraisalRound::First,
                1,
                d("1"),
                "đơn vị có nhiệm vụ này",
                &a,
            )
            .await
            .unwrap();
        assert!(e.not_applicable, "the unit's claim is kept on record");
        assert!(!e.counts_as_not_applicable());
        assert_eq!(snv().await, (d("10"), d("3")));
    })
    .await;
}
