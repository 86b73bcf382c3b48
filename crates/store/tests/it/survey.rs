//! Surveys: creation and settings, sample plans, tokens, the one writer (group commit, single-use
//! tokens under concurrency), bad inputs refused with nothing stored, quarantine and review,
//! recompute, reports and the link to the PAR Index.

use crate::harness::{TestDb, by, each_backend, seed_round, sets_dir};
use parindex_core::rules::Score;
use parindex_store::survey::{
    Decision, Flag, IngestOptions, RawResponse, ResponseStatus, SurveyContext, SurveySettings,
    SurveyState, spawn_ingest, validate,
};
use parindex_store::{Db, Error, Timestamp, TokenRefusal};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub const Q22: &str = "sipas-2017-22";

pub fn questionnaire() -> String {
    std::fs::read_to_string(sets_dir().join("sipas-2017-22.survey.toml")).unwrap()
}

/// Settings for tests: two service fields, no speed or straight-line flags unless asked.
pub fn settings() -> SurveySettings {
    SurveySettings {
        service_fields: vec!["ho_tich".into(), "dat_dai".into()],
        speed_seconds: 30,
        straight_line_min_items: 0,
        burst_limit: 0,
        ..SurveySettings::default()
    }
}

/// Round 2019 (units SNV, STP in group `so`) with the 22-item survey.
pub async fn seed_survey(db: &Db, settings: &SurveySettings) -> Arc<SurveyContext> {
    seed_round(db).await;
    db.create_survey(
        2019,
        "sipas-2017-22.survey.toml",
        &questionnaire(),
        settings,
        &by("admin"),
    )
    .await
    .unwrap();
    db.survey_context(2019, Q22).await.unwrap()
}

pub const ITEMS: [&str; 22] = [
    "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4",
    "3.5", "3.6", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4",
];

/// A response of `unit` answering item k with `answers[k % len]`.
pub fn raw(unit: &str, answers: &[u8]) -> RawResponse {
    let mut r = RawResponse {
        unit: unit.into(),
        channel: "online".into(),
        ..Default::default()
    };
    for (k, code) in ITEMS.iter().enumerate() {
        r.answers
            .insert(code.to_string(), answers[k % answers.len()].to_string());
    }
    r
}

pub async fn count_rows(db: &Db, table: &str) -> i64 {
    // Through the public API only: the number of responses in any status, or stats rows via a
    // recompute (tests only need responses and tokens).
    match table {
        "responses" => db
            .response_counts(2019, Q22)
            .await
            .unwrap()
            .iter()
            .map(|(_, n)| *n as i64)
            .sum(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn surveys_settings_and_sample_plans() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let a = by("admin");
        let ctx = seed_survey(db, &settings()).await;
        assert_eq!(ctx.survey.state, SurveyState::Open);
        assert_eq!(ctx.questionnaire.items.len(), 22);
        assert_eq!(
            ctx.units
                .iter()
                .map(|u| u.code.as_str())
                .collect::<Vec<_>>(),
            ["SNV", "STP"]
        );
        // Twice: a duplicate.
        let again = db
            .create_survey(2019, "x.survey.toml", &questionnaire(), &settings(), &a)
            .await
            .unwrap_err();
        assert!(matches!(again, Error::Duplicate { .. }), "{again:?}");
        // A questionnaire for other years, a broken one, bad settings: refused with reasons.
        let e = db
            .create_survey(2030, "x.survey.toml", &questionnaire(), &settings(), &a)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Invalid(_) | Error::NotFound { .. }),
            "{e:?}"
        );
        let broken = questionnaire().replace("satisfied = [4, 5]", "satisfied = [5]");
        let Error::Invalid(p) = db
            .create_survey(2019, "broken.survey.toml", &broken, &settings(), &a)
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(
            p.iter().next().unwrap().location.field.as_deref(),
            Some("scale.satisfied"),
            "{p}"
        );
        let bad = SurveySettings {
            weights: Some(vec![1.0, 2.0]),
            margin: 0.0,
            ..settings()
        };
        let Error::Invalid(p) = db
            .update_survey_settings(2019, Q22, ctx.survey.version, &bad, &a)
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(p.len(), 2, "{p}");
        // Settings round-trip through JSON, stale versions are refused.
        let s2 = SurveySettings {
            weights: Some(vec![1.0, 1.0, 2.0, 1.0, 1.0]),
            ..settings()
        };
        let updated = db
            .update_survey_settings(2019, Q22, ctx.survey.version, &s2, &a)
            .await
            .unwrap();
        assert_eq!(updated.settings, s2);
        assert!(matches!(
            db.update_survey_settings(2019, Q22, ctx.survey.version, &s2, &a)
                .await
                .unwrap_err(),
            Error::Conflict { .. }
        ));
        assert_eq!(
            SurveySettings::from_json("{}").unwrap(),
            SurveySettings::default()
        );
        assert!(SurveySettings::from_json("{\"speed\": 3}").is_err());

        // Sample plan: n = N / (1 + N e²), quota defaults to it.
        let p = db
            .set_sample_plan(2019, Q22, "SNV", Some(1000), None, &a)
            .await
            .unwrap();
        assert_eq!(p.sample_size, Some(286));
        assert_eq!(p.quota, Some(286));
        let p = db
            .set_sample_plan(2019, Q22, "SNV", Some(1000), Some(300), &a)
            .await
            .unwrap();
        assert_eq!((p.sample_size, p.quota), (Some(286), Some(300)));
        assert!(
            db.set_sample_plan(2019, Q22, "XYZ", Some(10), None, &a)
                .await
                .is_err()
        );
        let plan = db.sample_plan(2019, Q22).await.unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[1].quota, None);

        // Progress follows accepted responses.
        let ctx = db.survey_context(2019, Q22).await.unwrap();
        for _ in 0..3 {
            let v = validate(&ctx, &raw("SNV", &[4, 5, 3])).unwrap();
            db.write_responses(&[v]).await.unwrap()[0].as_ref().unwrap();
        }
        let plan = db.sample_plan(2019, Q22).await.unwrap();
        assert_eq!(plan[0].accepted, 3);
        assert!((plan[0].progress.unwrap() - 1.0).abs() < 1e-9);

        // Closing refuses new responses.
        db.set_survey_state(2019, Q22, SurveyState::Closed, &a)
            .await
            .unwrap();
        let closed = db.survey_context(2019, Q22).await.unwrap();
        let p = validate(&closed, &raw("SNV", &[4])).unwrap_err();
        assert_eq!(
            p.iter().next().unwrap().location.field.as_deref(),
            Some("survey")
        );
        let audit = db.audit_of("survey", "2019/sipas-2017-22").await.unwrap();
        assert!(audit.iter().any(|e| e.field.as_deref() == Some("state")));
    })
    .await;
}

#[tokio::test]
async fn bad_inputs_are_refused_and_nothing_is_stored() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let ctx = seed_survey(db, &settings()).await;
        let field_of = |r: RawResponse| -> Vec<String> {
            validate(&ctx, &r)
                .unwrap_err()
                .iter()
                .map(|p| p.location.field.clone().unwrap_or_default())
                .collect()
        };
        let mut r = raw("SNV", &[4]);
        r.answers.insert("9.9".into(), "4".into());
        assert_eq!(field_of(r), ["9.9"]);
        let mut r = raw("SNV", &[4]);
        r.answers.insert("1.2".into(), "7".into());
        assert_eq!(field_of(r), ["1.2"]);
        let mut r = raw("SNV", &[4]);
        r.answers.insert("1.3".into(), "rất tốt".into());
        assert_eq!(field_of(r), ["1.3"]);
        let mut r = raw("SNV", &[4]);
        r.answers.remove("5.4");
        assert_eq!(field_of(r), ["5.4"]);
        assert_eq!(field_of(raw("UBND-X", &[4])), ["unit"]);
        let mut r = raw("SNV", &[4]);
        r.channel = "fax".into();
        assert_eq!(field_of(r), ["channel"]);
        let mut r = raw("SNV", &[4]);
        r.service_field = Some("thue".into());
        assert_eq!(field_of(r), ["service_field"]);
        let mut r = raw("SNV", &[4]);
        r.profile.insert("gender".into(), "robot".into());
        assert_eq!(field_of(r), ["gender"]);
        let mut r = raw("SNV", &[4]);
        r.profile.insert("gender".into(), "male female".into());
        assert_eq!(field_of(r), ["gender"]);
        let mut r = raw("SNV", &[4]);
        r.expectations.insert("1".into(), "vô cùng".into());
        assert_eq!(field_of(r), ["expect.1"]);
        let mut r = raw("SNV", &[4]);
        r.token = Some("not-a-token".into());
        assert_eq!(field_of(r), ["token"]);
        let mut r = raw("SNV", &[4]);
        r.started_at = Some(Timestamp::now());
        r.submitted_at = Some(Timestamp::now().plus_seconds(-100));
        assert_eq!(field_of(r), ["started_at"]);
        let mut r = raw("SNV", &[4]);
        r.free_text = Some("a\u{1e}b".into());
        assert_eq!(field_of(r), ["free_text"]);
        // Several at once are all reported.
        let mut r = raw("UBND-X", &[4]);
        r.answers.insert("1.1".into(), "0".into());
        r.answers.remove("2.2");
        assert_eq!(field_of(r).len(), 3);

        // Unknown token, a token of another unit, a survey closed after validation: refused by
        // the writer, alone.
        let tok = db
            .create_tokens(2019, Q22, "STP", 1, None, &by("admin"))
            .await
            .unwrap();
        let mut r = raw("SNV", &[4]);
        r.token = Some("a".repeat(32));
        let unknown = validate(&ctx, &r).unwrap();
        let mut r = raw("SNV", &[4]);
        r.token = Some(tok[0].clone());
        let other_unit = validate(&ctx, &r).unwrap();
        let out = db.write_responses(&[unknown, other_unit]).await.unwrap();
        assert!(
            matches!(&out[0], Err(Error::Token(TokenRefusal::Unknown))),
            "{out:?}"
        );
        assert!(
            matches!(&out[1], Err(Error::Token(TokenRefusal::OtherUnit { unit })) if unit == "STP"),
            "{out:?}"
        );
        // Typed errors still speak both languages and name the field.
        let Err(e) = &out[1] else { unreachable!() };
        assert_eq!(e.kind(), parindex_store::ErrorKind::Invalid);
        assert_eq!(e.problem().location.field.as_deref(), Some("token"));
        assert!(e.problem().vi.contains("dành cho đơn vị \"STP\""), "{e}");
        let fine = validate(&ctx, &raw("SNV", &[4])).unwrap();
        db.set_survey_state(2019, Q22, SurveyState::Closed, &by("admin"))
            .await
            .unwrap();
        let out = db.write_responses(&[fine]).await.unwrap();
        let Err(Error::Invalid(p)) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(p.iter().next().unwrap().en.contains("closed"));
        assert_eq!(count_rows(db, "responses").await, 0);
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert_eq!((rep.responses, rep.rows), (0, 0));
        // The token was not used up by the refused submission.
        assert!(db.check_token(2019, Q22, &tok[0]).await.is_err()); // closed
        db.set_survey_state(2019, Q22, SurveyState::Open, &by("admin"))
            .await
            .unwrap();
        assert_eq!(
            db.check_token(2019, Q22, &tok[0]).await.unwrap().unit,
            "STP"
        );
    })
    .await;
}

#[tokio::test]
async fn the_writer_commits_in_batches_and_answers_after_commit() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let ctx = seed_survey(db, &settings()).await;
        let (handle, task) = spawn_ingest(
            db.clone(),
            IngestOptions {
                max_batch: 50,
                max_wait: Duration::from_millis(20),
                queue: 1000,
            },
        );
        // A second connection pool: what it sees is committed.
        let url = match db {
            Db::Sqlite(_) => format!("sqlite:{}", t.dir.path().join("test.db").display()),
            Db::Postgres(_) => String::new(),
        };
        let observer = if url.is_empty() {
            db.clone()
        } else {
            Db::connect(&url).await.unwrap()
        };
        let mut tasks = Vec::new();
        for i in 0..200u32 {
            let h = handle.clone();
            let v = validate(
                &ctx,
                &raw(
                    if i % 2 == 0 { "SNV" } else { "STP" },
                    &[(i % 5 + 1) as u8, 4],
                ),
            )
            .unwrap();
            let obs = observer.clone();
            tasks.push(tokio::spawn(async move {
                let r = h.submit(v).await.unwrap();
                // Acknowledged: visible to anyone.
                let seen = obs.response(2019, Q22, r.id).await.unwrap();
                assert_eq!(seen.id, r.id);
                r
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        assert_eq!(handle.submissions(), 200);
        assert!(handle.batches() <= 20, "{} batches", handle.batches());
        // A refused submission in a batch does not fail the others.
        let mut bad = raw("SNV", &[4]);
        bad.token = Some("b".repeat(32));
        let bad = validate(&ctx, &bad).unwrap();
        let good = validate(&ctx, &raw("SNV", &[5])).unwrap();
        let (a, b) = tokio::join!(handle.submit(bad), handle.submit(good));
        assert!(a.is_err() && b.is_ok());
        drop(handle);
        task.await.unwrap();
        assert_eq!(count_rows(db, "responses").await, 201);
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rep.differences.is_empty(), "{:?}", rep.differences);
        let report = db.survey_report(2019, Q22).await.unwrap();
        assert_eq!(
            report
                .units
                .iter()
                .map(|u| u.official.respondents)
                .sum::<u64>(),
            201
        );
    })
    .await;
}

#[tokio::test]
async fn a_token_is_used_once_whoever_races_for_it() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let ctx = seed_survey(db, &settings()).await;
        let tokens = db
            .create_tokens(2019, Q22, "SNV", 3, Some("ho_tich"), &by("admin"))
            .await
            .unwrap();
        assert!(tokens.iter().all(|t| t.len() == 32));
        assert_eq!(
            db.check_token(2019, Q22, &tokens[0])
                .await
                .unwrap()
                .service_field
                .as_deref(),
            Some("ho_tich")
        );
        // Two writers, twenty submissions of one token at once.
        let (h1, t1) = spawn_ingest(db.clone(), IngestOptions::default());
        let (h2, t2) = spawn_ingest(db.clone(), IngestOptions::default());
        let mut tasks = Vec::new();
        for i in 0..20 {
            let h = if i % 2 == 0 { h1.clone() } else { h2.clone() };
            let mut r = raw("SNV", &[4, 5]);
            r.token = Some(tokens[0].to_uppercase());
            let v = validate(&ctx, &r).unwrap();
            tasks.push(tokio::spawn(async move { h.submit(v).await }));
        }
        let mut ok = Vec::new();
        let mut used = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(r) => ok.push(r),
                Err(e) => {
                    assert!(matches!(e, Error::Token(TokenRefusal::Used)), "{e}");
                    assert_eq!(e.kind(), parindex_store::ErrorKind::Conflict);
                    used += 1;
                }
            }
        }
        assert_eq!((ok.len(), used), (1, 19));
        drop((h1, h2));
        t1.await.unwrap();
        t2.await.unwrap();
        // The response that holds the token is flagged and quarantined.
        let held = db.response(2019, Q22, ok[0].id).await.unwrap();
        assert!(held.flags.contains(Flag::ReusedToken), "{held:?}");
        assert_eq!(held.status, ResponseStatus::Quarantined);
        assert!(matches!(
            db.check_token(2019, Q22, &tokens[0]).await,
            Err(Error::Token(TokenRefusal::Used))
        ));
        assert!(matches!(
            db.check_token(2019, Q22, &"a".repeat(32)).await,
            Err(Error::Token(TokenRefusal::Unknown))
        ));
        assert_eq!(
            db.token_counts(2019, Q22).await.unwrap(),
            vec![("SNV".to_string(), 3, 1)]
        );
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rep.differences.is_empty(), "{:?}", rep.differences);
        // Reused within one batch: the second fails, the first is flagged.
        let mk = || {
            let mut r = raw("SNV", &[3]);
            r.token = Some(tokens[1].clone());
            validate(&ctx, &r).unwrap()
        };
        let out = db.write_responses(&[mk(), mk()]).await.unwrap();
        let first = out[0].as_ref().unwrap();
        assert!(first.flags.contains(Flag::ReusedToken));
        assert!(matches!(out[1], Err(Error::Token(TokenRefusal::Used))));
        // Reused in a later batch: the stored response is flagged by the system, audited.
        let mut r = raw("SNV", &[2, 3]);
        r.token = Some(tokens[2].clone());
        let held = db
            .write_responses(&[validate(&ctx, &r).unwrap()])
            .await
            .unwrap();
        let held = held[0].as_ref().unwrap();
        assert_eq!(held.status, ResponseStatus::Accepted);
        let again = db
            .write_responses(&[validate(&ctx, &r).unwrap()])
            .await
            .unwrap();
        assert!(again[0].is_err());
        let audit = db
            .audit_of("survey_response", &format!("2019/{Q22}/{}", held.id))
            .await
            .unwrap();
        assert_eq!(audit.len(), 2, "{audit:?}");
        assert!(audit.iter().all(|e| e.actor == "system"), "{audit:?}");
        assert_eq!(audit[1].new.as_deref(), Some("quarantined"));
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rep.differences.is_empty(), "{:?}", rep.differences);
    })
    .await;
}

#[tokio::test]
async fn quality_flags_quarantine_and_review() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let s = SurveySettings {
            straight_line_min_items: 10,
            burst_limit: 3,
            burst_window_seconds: 600,
            ..settings()
        };
        let ctx = seed_survey(db, &s).await;
        let a = by("secretariat");
        // Too fast: 10 s for 22 items.
        let mut fast = raw("SNV", &[4, 5, 3]);
        fast.started_at = Some(Timestamp::now().plus_seconds(-10));
        // Straight-lined.
        let straight = raw("SNV", &[5]);
        // Fine.
        let fine = raw("SNV", &[4, 5, 3, 2]);
        let out = db
            .write_responses(&[
                validate(&ctx, &fast).unwrap(),
                validate(&ctx, &straight).unwrap(),
                validate(&ctx, &fine).unwrap(),
            ])
            .await
            .unwrap();
        let r: Vec<_> = out.into_iter().map(Result::unwrap).collect();
        assert!(r[0].flags.contains(Flag::TooFast));
        assert!(r[1].flags.contains(Flag::StraightLine));
        assert!(r[2].flags.is_empty());
        assert_eq!(
            r.iter().map(|x| x.status).collect::<Vec<_>>(),
            [
                ResponseStatus::Quarantined,
                ResponseStatus::Quarantined,
                ResponseStatus::Accepted
            ]
        );
        // A burst from one device: the 4th and later within the window.
        let mut burst = Vec::new();
        for _ in 0..5 {
            let mut x = raw("STP", &[4, 3]);
            x.device = Some("cookie-1".into());
            burst.push(validate(&ctx, &x).unwrap());
        }
        let out = db.write_responses(&burst).await.unwrap();
        let flagged: Vec<bool> = out
            .iter()
            .map(|o| o.as_ref().unwrap().flags.contains(Flag::BurstDevice))
            .collect();
        assert_eq!(flagged, [false, false, false, true, true]);

        // Indices with and without the quarantined ones.
        let rep = db.survey_report(2019, Q22).await.unwrap();
        let snv = &rep.units[0];
        assert_eq!(snv.official.respondents, 1);
        assert_eq!(snv.with_quarantined.respondents, 3);
        let quarantined = db
            .responses_in_status(2019, Q22, ResponseStatus::Quarantined, 0, 100)
            .await
            .unwrap();
        assert_eq!(quarantined.len(), 4);
        assert_eq!(quarantined[0].duration_seconds, Some(10));

        // Release one, reject another; both move their statistics.
        db.review_response(2019, Q22, r[0].id, Decision::Release, &a)
            .await
            .unwrap();
        db.review_response(
            2019,
            Q22,
            r[1].id,
            Decision::Reject,
            &a.clone().because("mẫu"),
        )
        .await
        .unwrap();
        let again = db
            .review_response(2019, Q22, r[1].id, Decision::Reject, &a)
            .await
            .unwrap_err();
        assert!(matches!(again, Error::Invalid(_)));
        let rep = db.survey_report(2019, Q22).await.unwrap();
        let snv = &rep.units[0];
        assert_eq!(snv.official.respondents, 2);
        assert_eq!(snv.with_quarantined.respondents, 2);
        // And back: a rejected response may be quarantined again (never deleted).
        db.review_response(2019, Q22, r[1].id, Decision::Quarantine, &a)
            .await
            .unwrap();
        let rec = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rec.differences.is_empty(), "{:?}", rec.differences);
        let reviewed = db.response(2019, Q22, r[0].id).await.unwrap();
        assert_eq!(reviewed.reviewed_by.as_deref(), Some("secretariat"));
        let audit = db
            .audit_of("survey_response", &format!("2019/{Q22}/{}", r[1].id))
            .await
            .unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].reason.as_deref(), Some("mẫu"));
        // Raw responses are append-only.
        assert!(
            db.execute_raw("DELETE FROM survey_responses")
                .await
                .is_err()
        );
        assert!(
            db.execute_raw("UPDATE survey_responses SET answers = '5555555555555555555555'")
                .await
                .is_err()
        );
    })
    .await;
}

/// SplitMix64, for reproducible random responses.
pub struct Mix(pub u64);
impl Mix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random response: answers 0–5 (0 skipped only on item 5.4, not required? all required: 1–5),
/// profile, expectations, service field, sometimes too fast or straight-lined.
pub fn random_raw(rng: &mut Mix) -> RawResponse {
    let unit = if rng.below(3) == 0 { "STP" } else { "SNV" };
    let base = 2 + rng.below(4) as u8;
    let answers: Vec<u8> = (0..22)
        .map(|_| (base as i64 + rng.below(3) as i64 - 1).clamp(1, 5) as u8)
        .collect();
    let mut r = raw(unit, &answers);
    if rng.below(4) > 0 {
        let g = ["male", "female"][rng.below(2) as usize];
        r.profile.insert("gender".into(), g.into());
    }
    if rng.below(2) == 0 {
        let a = ["18_25", "25_34", "35_49", "50_60", "over_60"][rng.below(5) as usize];
        r.profile.insert("age_band".into(), a.into());
    }
    for area in 1..=8 {
        if rng.below(3) > 0 {
            let o = ["rat_nhieu", "nhieu", "it"][rng.below(3) as usize];
            r.expectations.insert(area.to_string(), o.into());
        }
    }
    if rng.below(2) == 0 {
        r.service_field = Some(["ho_tich", "dat_dai"][rng.below(2) as usize].into());
    }
    if rng.below(10) == 0 {
        r.started_at = Some(Timestamp::now().plus_seconds(-5));
    }
    if rng.below(15) == 0 {
        r.answers = ITEMS
            .iter()
            .map(|c| (c.to_string(), "4".to_string()))
            .collect();
    }
    r
}

#[tokio::test]
async fn recompute_equals_the_running_statistics() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let s = SurveySettings {
            straight_line_min_items: 10,
            ..settings()
        };
        let ctx = seed_survey(db, &s).await;
        let tokens = db
            .create_tokens(2019, Q22, "SNV", 20, None, &by("admin"))
            .await
            .unwrap();
        let (h, task) = spawn_ingest(db.clone(), IngestOptions::default());
        let mut rng = Mix(7);
        let mut ids = Vec::new();
        for i in 0..300 {
            let mut r = random_raw(&mut rng);
            if i % 15 == 0 {
                r.unit = "SNV".into();
                r.token = Some(tokens[(i / 15) % 12].clone());
            }
            let v = validate(&ctx, &r).unwrap();
            if let Ok(receipt) = h.submit(v).await {
                ids.push(receipt);
            }
        }
        drop(h);
        task.await.unwrap();
        // Review some.
        let a = by("secretariat");
        let held = db
            .responses_in_status(2019, Q22, ResponseStatus::Quarantined, 0, 10)
            .await
            .unwrap();
        assert_eq!(held.len(), 10);
        assert!(held.iter().any(|r| r.flags.contains(Flag::ReusedToken)));
        for r in &held {
            let d = if r.id % 2 == 0 {
                Decision::Release
            } else {
                Decision::Reject
            };
            db.review_response(2019, Q22, r.id, d, &a).await.unwrap();
        }
        let accepted = db
            .responses_in_status(2019, Q22, ResponseStatus::Accepted, 0, 5)
            .await
            .unwrap();
        for r in &accepted {
            db.review_response(2019, Q22, r.id, Decision::Quarantine, &a)
                .await
                .unwrap();
        }
        let mut seen = 0;
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |n| seen = n)
            .await
            .unwrap();
        assert_eq!(rep.responses, ids.len() as u64);
        assert_eq!(seen, ids.len() as u64);
        assert!(rep.rows > 20);
        assert!(rep.differences.is_empty(), "{:?}", rep.differences);
        // Tampering shows, and applying the rebuilt statistics repairs it.
        db.execute_raw(
            "UPDATE survey_stats SET respondents = respondents + 1 WHERE segment = 'field:ho_tich'",
        )
        .await
        .unwrap();
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(!rep.differences.is_empty());
        assert!(
            rep.differences
                .iter()
                .all(|d| d.segment == "field:ho_tich" && d.parts == ["respondents"])
        );
        let fixed = db
            .recompute_survey(2019, Q22, true, &mut |_| {})
            .await
            .unwrap();
        assert!(fixed.applied);
        let rep = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rep.differences.is_empty());
        // Segments add up: every respondent has a gender or not.
        let segs = db.survey_segments(2019, Q22, None).await.unwrap();
        let report = db.survey_report(2019, Q22).await.unwrap();
        let genders: u64 = segs
            .iter()
            .filter(|s| s.segment.starts_with("profile:gender="))
            .map(|s| s.official.respondents)
            .sum();
        assert!(genders <= report.province.official.respondents);
        assert!(segs.iter().any(|s| s.segment == "field:dat_dai"));
        let snv = db.survey_segments(2019, Q22, Some("SNV")).await.unwrap();
        assert!(!snv.is_empty());
    })
    .await;
}

#[tokio::test]
async fn reports_rankings_and_the_par_index_link() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let ctx = seed_survey(db, &settings()).await;
        // SNV: 3 respondents; element 1 items answered 5,5,3,3 etc.
        let mut batch = Vec::new();
        for answers in [[5u8, 4, 3, 2], [4, 4, 4, 1], [2, 2, 5, 5]] {
            batch.push(validate(&ctx, &raw("SNV", &answers)).unwrap());
        }
        for answers in [[1u8, 2, 3, 3], [3, 3, 2, 2]] {
            batch.push(validate(&ctx, &raw("STP", &answers)).unwrap());
        }
        let mut with_exp = raw("STP", &[5, 5, 5, 4]);
        with_exp.expectations.insert("2".into(), "nhieu".into());
        batch.push(validate(&ctx, &with_exp).unwrap());
        for o in db.write_responses(&batch).await.unwrap() {
            o.unwrap();
        }
        let rep = db.survey_report(2019, Q22).await.unwrap();
        assert_eq!(rep.items.len(), 22);
        let snv = &rep.units[0];
        assert_eq!(snv.unit, "SNV");
        // Item 1.1 (k = 0) answers 5, 4, 2: two satisfied of three.
        assert_eq!(snv.official.items[0].counts, [0, 0, 1, 0, 1, 1]);
        assert!((snv.official.items[0].estimate.value - 200.0 / 3.0).abs() < 1e-9);
        assert!(snv.official.small_sample);
        // The PAR Index takes a survey's results only once it is closed: while it is open, the
        // survey-derived sub-criterion 2.1.1 keeps the sheet's points (none: 0).
        assert!(
            db.survey_indicator_values(2019, "SNV")
                .await
                .unwrap()
                .is_empty()
        );
        db.open_round(2019, &by("admin")).await.unwrap();
        let survey_leaf = async || {
            let computed = db.round_results(2019).await.unwrap();
            let set = &computed[0].set;
            let pos = set
                .leaves()
                .iter()
                .position(|&i| set.nodes[i].code.to_string() == "2.1.1")
                .unwrap();
            let snv = computed[0].scores.iter().find(|s| s.unit == "SNV").unwrap();
            snv.leaf_scores[pos]
        };
        assert_eq!(survey_leaf().await, Score::Points(Decimal::ZERO));
        db.set_survey_state(2019, Q22, SurveyState::Closed, &by("admin"))
            .await
            .unwrap();
        // Element 1 = items 1.1–1.4 (k = 0..3): satisfied 2+3+2 = 7... computed exactly below.
        let values = db.survey_indicator_values(2019, "SNV").await.unwrap();
        let e1 = values["sipas.element.1"];
        // SNV element 1: answers [5,4,3,2], [4,4,4,1], [2,2,5,5] → 7 satisfied of 12.
        assert_eq!(e1, Decimal::from(700) / Decimal::from(12));
        assert!((snv.official.elements[0].estimate.value - 700.0 / 12.0).abs() < 1e-9);
        let overall = values["sipas.overall"];
        let mean: Decimal = (1..=5)
            .map(|e| values[&format!("sipas.element.{e}")])
            .sum::<Decimal>()
            / Decimal::from(5);
        assert_eq!(overall, mean);
        assert!(
            (snv.official.overall.value
                - f64::from_str(&overall.round_dp(10).to_string()).unwrap())
            .abs()
                < 1e-6
        );
        // Expectations tallies: STP area 2, option "nhieu" (index 1).
        let stp = &rep.units[1];
        assert_eq!(stp.official.expectations[1], vec![0, 1, 0]);
        // One group `so`: SNV above STP.
        assert_eq!(rep.rankings.len(), 1);
        let ranking = &rep.rankings[0].official;
        assert_eq!(ranking[0].unit, "SNV");
        assert_eq!(ranking[0].rank, 1);
        assert_eq!(rep.province.official.respondents, 6);
        // The PAR Index: 2.1.1 is 4 points × sipas.overall / 100.
        let pts = db.survey_points(2019, "SNV").await.unwrap();
        assert_eq!(pts.len(), 1);
        assert_eq!(pts[0].indicator, "sipas.overall");
        assert_eq!(
            pts[0].points,
            Some(Decimal::from(4) * (overall / Decimal::ONE_HUNDRED))
        );
        // …and the round's results count them.
        assert_eq!(survey_leaf().await, Score::Points(pts[0].points.unwrap()));
        // Serialises for the JSON API.
        let json = serde_json::to_string(&rep).unwrap();
        assert!(json.contains("\"with_quarantined\""));
        let _: BTreeMap<String, Decimal> = values;
    })
    .await;
}
