//! A whole round through the HTTP API: the officer fills in and submits with evidence, appraisal
//! round 1, explanation, round 2, approval, publication, and an anonymous client reads the
//! ranking, equal to what the engine computes directly.

use crate::harness::{Client, SMALL_SET, each_backend, pdf, png, seed};
use parindex_core::engine::{UnitData, UnitInput, score_unit};
use parindex_core::ranking::rank;
use parindex_core::rules::Score;
use parindex_core::set::parse_set;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

const SHEETS: &str = "/api/rounds/2019/sheets";

async fn version(c: &Client, unit: &str) -> i64 {
    let s = c.get(&format!("{SHEETS}/{unit}")).await;
    assert_eq!(s.status, 200, "{}", s.text());
    s.json()["sheet"]["version"].as_i64().unwrap()
}

async fn entry_version(c: &Client, unit: &str, code: &str) -> i64 {
    let e = c.get(&format!("{SHEETS}/{unit}/entries/{code}")).await;
    assert_eq!(e.status, 200, "{}", e.text());
    e.json()["version"].as_i64().unwrap()
}

async fn go(c: &Client, unit: &str, to: &str) -> Value {
    let v = version(c, unit).await;
    let res = c
        .post(
            &format!("{SHEETS}/{unit}/transitions"),
            json!({ "to": to, "version": v }),
        )
        .await;
    assert_eq!(res.status, 200, "{unit} → {to}: {}", res.text());
    res.json()
}

async fn declare(c: &Client, unit: &str, code: &str, declared: &str) -> Value {
    let v = entry_version(c, unit, code).await;
    let res = c
        .put(
            &format!("{SHEETS}/{unit}/entries/{code}/self"),
            json!({ "version": v, "declared": declared, "note": "kê khai" }),
        )
        .await;
    assert_eq!(res.status, 200, "{unit} {code}: {}", res.text());
    res.json()
}

async fn appraise(c: &Client, unit: &str, code: &str, round: u8, points: &str) -> Value {
    let v = entry_version(c, unit, code).await;
    let res = c
        .put(
            &format!("{SHEETS}/{unit}/entries/{code}/appraisal/{round}"),
            json!({ "version": v, "points": points, "note": "thẩm định" }),
        )
        .await;
    assert_eq!(
        res.status,
        200,
        "{unit} {code} round {round}: {}",
        res.text()
    );
    res.json()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[tokio::test]
async fn a_whole_round_through_the_api() {
    each_backend(async |app| {
        seed(app.db()).await;
        let officer = app.login("off.snv").await;
        let appraiser = app.login("appr1").await;
        let survey_appraiser = app.login("appr2").await;
        let sec = app.login("sec").await;

        // Self-assessment with evidence and a bonus proposal.
        assert_eq!(declare(&officer, "SNV", "1.1.1", "có").await["self_points"], "2");
        assert_eq!(declare(&officer, "SNV", "1.1.2", "3/4").await["self_points"], "1.5");
        assert_eq!(declare(&officer, "SNV", "1.1.3", "1.5").await["self_points"], "1.5");
        let up = officer
            .upload(
                &format!("{SHEETS}/SNV/entries/1.1.1/evidence"),
                "Kế hoạch CCHC 2019.pdf",
                &pdf(),
                "tr. 3",
            )
            .await;
        assert_eq!(up.status, 201, "{}", up.text());
        let ev = up.json();
        assert_eq!(ev["stage"], "self");
        assert_eq!(ev["page_ref"], "tr. 3");
        let got = officer.get(ev["href"].as_str().unwrap()).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.headers["content-type"], "application/pdf");
        assert_eq!(
            got.headers["content-disposition"],
            "attachment; filename=\"K_ ho_ch CCHC 2019.pdf\"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20CCHC%202019.pdf"
        );
        assert_eq!(got.body.as_ref(), pdf().as_slice());
        let prop = officer
            .post(
                &format!("{SHEETS}/SNV/proposals"),
                json!({ "kind": "bonus", "points": "1", "reason": "Sáng kiến cải cách" }),
            )
            .await;
        assert_eq!(prop.status, 201, "{}", prop.text());
        let prop_id = prop.json()["id"].as_i64().unwrap();
        assert_eq!(go(&officer, "SNV", "submitted").await["state"], "submitted");
        // Locked: the officer can no longer change it.
        let locked = officer
            .put(
                &format!("{SHEETS}/SNV/entries/1.1.1/self"),
                json!({ "version": 1, "declared": "không" }),
            )
            .await;
        assert_eq!(locked.status, 409, "{}", locked.text());

        // Appraisal round 1, by the appraiser of area 1.
        go(&appraiser, "SNV", "appraisal_1").await;
        appraise(&appraiser, "SNV", "1.1.1", 1, "1").await;
        appraise(&appraiser, "SNV", "1.1.2", 1, "1.5").await;
        appraise(&appraiser, "SNV", "1.1.3", 1, "1").await;
        let pv = appraiser
            .get(&format!("{SHEETS}/SNV"))
            .await
            .json()["proposals"][0]["version"]
            .as_i64()
            .unwrap();
        let pa = appraiser
            .put(
                &format!("{SHEETS}/SNV/proposals/{prop_id}/appraisal"),
                json!({ "version": pv, "points": "0.5", "note": "một phần" }),
            )
            .await;
        assert_eq!(pa.status, 200, "{}", pa.text());
        go(&appraiser, "SNV", "explanation_requested").await;

        // Explanation with supplementary evidence.
        let v = entry_version(&officer, "SNV", "1.1.1").await;
        let ex = officer
            .put(
                &format!("{SHEETS}/SNV/entries/1.1.1/explanation"),
                json!({ "version": v, "explanation": "Đã bổ sung bản có chữ ký" }),
            )
            .await;
        assert_eq!(ex.status, 200, "{}", ex.text());
        let up = officer
            .upload(
                &format!("{SHEETS}/SNV/entries/1.1.1/evidence"),
                "ban-ky.png",
                &png(),
                "trang 1",
            )
            .await;
        assert_eq!(up.status, 201, "{}", up.text());
        assert_eq!(up.json()["stage"], "explanation");
        go(&officer, "SNV", "explanation_submitted").await;

        // Round 2 and approval.
        go(&appraiser, "SNV", "appraisal_2").await;
        appraise(&appraiser, "SNV", "1.1.1", 2, "2").await;
        appraise(&survey_appraiser, "SNV", "2.1.1", 2, "3.2").await;
        go(&sec, "SNV", "approved").await;

        // The other units, driven by the secretariat.
        go(&sec, "STP", "self_assessing").await;
        declare(&sec, "STP", "1.1.1", "không").await;
        declare(&sec, "STP", "1.1.2", "na").await;
        declare(&sec, "STP", "1.1.3", "2").await;
        for to in ["submitted", "appraisal_1", "explanation_requested", "appraisal_2", "approved"] {
            go(&sec, "STP", to).await;
        }
        go(&sec, "SXD", "self_assessing").await;
        declare(&sec, "SXD", "1.1.1", "yes").await;
        declare(&sec, "SXD", "1.1.2", "1/2").await;
        declare(&sec, "SXD", "1.1.3", "0.5").await;
        go(&sec, "SXD", "submitted").await;
        go(&sec, "SXD", "appraisal_1").await;
        appraise(&sec, "SXD", "1.1.3", 1, "1").await;
        for to in ["explanation_requested", "appraisal_2", "approved"] {
            go(&sec, "SXD", to).await;
        }

        // Publication, then the public reads it without signing in.
        let anon = app.client();
        assert_eq!(anon.get("/api/public/results/2019/so").await.status, 404);
        let publish = sec
            .post(
                "/api/rounds/2019/results/publish",
                json!({ "reason": "Quyết định 1007/QĐ-UBND" }),
            )
            .await;
        assert_eq!(publish.status, 200, "{}", publish.text());
        for unit in ["SNV", "STP", "SXD"] {
            let s = sec.get(&format!("{SHEETS}/{unit}")).await.json();
            assert_eq!(s["sheet"]["state"], "published", "{unit}");
        }
        let public = anon.get("/api/public/results/2019/so").await;
        assert_eq!(public.status, 200, "{}", public.text());
        let public = public.json();
        assert_eq!(public["revision"], 1);

        // The engine on the same final points.
        let set = parse_set("test.set.toml", SMALL_SET).unwrap();
        let p = |s: &str| Score::Points(d(s));
        let input = |unit: &str, name: &str, points: Vec<Score>, bonus: &str| UnitInput {
            unit: unit.into(),
            name: name.into(),
            group: "so".into(),
            level: Some("so".into()),
            data: UnitData::Points(points),
            bonus: d(bonus),
            penalty: Decimal::ZERO,
        };
        let scores = vec![
            score_unit(&set, &input("SNV", "Sở Nội vụ", vec![p("2"), p("1.5"), p("1"), p("3.2")], "0.5")).unwrap(),
            score_unit(&set, &input("STP", "Sở Tư pháp", vec![p("0"), Score::NotApplicable, p("2"), p("0")], "0")).unwrap(),
            score_unit(&set, &input("SXD", "Sở Xây dựng", vec![p("2"), p("1"), p("1"), p("0")], "0")).unwrap(),
        ];
        let expected = rank(&set, &scores, &[]);
        let expected = &expected.groups[0].units;
        let got = public["units"].as_array().unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            let s = |v: Decimal| v.normalize().to_string();
            assert_eq!(g["unit"], e.unit.as_str());
            assert_eq!(g["total"], s(e.total), "{}", e.unit);
            assert_eq!(g["max"], s(e.max), "{}", e.unit);
            assert_eq!(g["percent"], s(e.percent), "{}", e.unit);
            assert_eq!(g["rank"], e.rank);
            assert_eq!(g["class"].as_str(), e.class_label.as_deref());
            assert_eq!(g["bonus"], s(e.bonus));
        }
        assert_eq!(got[0]["unit"], "SNV");
        assert_eq!(got[0]["total"], "8.2");

        // The trail: every step is in the sheet's audit, and the chain verifies.
        let trail = sec.get(&format!("{SHEETS}/SNV/audit")).await.json();
        let trail = trail.as_array().unwrap();
        for entity in ["sheet", "entry", "proposal", "evidence"] {
            assert!(trail.iter().any(|a| a["entity"] == entity), "{entity}");
        }
        let entry_trail = officer
            .get(&format!("{SHEETS}/SNV/entries/1.1.1/audit"))
            .await
            .json();
        assert!(entry_trail.as_array().unwrap().iter().any(|a| a["field"] == "appraisal2_points"));
        let verified = sec.get("/api/audit/verify").await;
        assert_eq!(verified.status, 200, "{}", verified.text());
        assert!(verified.json()["entries"].as_i64().unwrap() > 30);
    })
    .await;
}

#[tokio::test]
async fn nobody_appraises_their_own_units_sheet() {
    each_backend(async |app| {
        let db = app.db();
        seed(db).await;
        // A Department of Justice official appraising area 1 of the whole group.
        let a = parindex_store::Actor::new("seed");
        let f = parindex_store::users::UserFields {
            display_name: "Thẩm định viên Sở Tư pháp".into(),
            unit: Some("STP".into()),
            roles: vec![parindex_store::users::Role::Appraiser],
            ..Default::default()
        };
        db.create_user("appr.stp", &f, &crate::harness::password_hash().await, &a)
            .await
            .unwrap();
        db.assign_area("appr.stp", 2019, "so", "1", &a)
            .await
            .unwrap();
        crate::harness::move_to(db, "STP", &["self_assessing", "submitted", "appraisal_1"]).await;
        crate::harness::move_to(db, "SNV", &["submitted", "appraisal_1"]).await;
        let stp = app.login("appr.stp").await;

        // Another unit's sheet: appraised as assigned.
        appraise(&stp, "SNV", "1.1.1", 1, "1").await;
        // Its own: refused, in the caller's language, and nothing changes.
        let v = entry_version(&stp, "STP", "1.1.1").await;
        let own = stp
            .put(
                &format!("{SHEETS}/STP/entries/1.1.1/appraisal/1"),
                json!({ "version": v, "points": "2", "note": "" }),
            )
            .await;
        assert_eq!(own.status, 403, "{}", own.text());
        assert!(
            own.text().contains("chính đơn vị mình (STP)"),
            "{}",
            own.text()
        );
        assert_eq!(entry_version(&stp, "STP", "1.1.1").await, v);
        let sheet_version = version(&stp, "STP").await;
        let moved = stp
            .post(
                &format!("{SHEETS}/STP/transitions"),
                json!({ "to": "explanation_requested", "version": sheet_version }),
            )
            .await;
        assert_eq!(moved.status, 403, "{}", moved.text());
        // It may still read it.
        assert_eq!(stp.get(&format!("{SHEETS}/STP")).await.status, 200);
    })
    .await;
}
