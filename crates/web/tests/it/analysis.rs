//! Analysis and action plans through the JSON API: points lost, the planner and what-if on
//! declared data, uncertainty reproducible by its seed, a unit's plan written by its officers
//! only, bad input refused with the field named, progress and review.

use crate::harness::{Client, each_backend, move_to, seed};
use serde_json::{Value, json};

const SHEETS: &str = "/api/rounds/2019/sheets";
const PLANS: &str = "/api/rounds/2019/plans";

async fn declare(c: &Client, unit: &str, code: &str, declared: &str) {
    let e = c.get(&format!("{SHEETS}/{unit}/entries/{code}")).await;
    assert_eq!(e.status, 200, "{}", e.text());
    let v = e.json()["version"].as_i64().unwrap();
    let res = c
        .put(
            &format!("{SHEETS}/{unit}/entries/{code}/self"),
            json!({ "version": v, "declared": declared }),
        )
        .await;
    assert_eq!(res.status, 200, "{unit} {code}: {}", res.text());
}

/// SNV 2 of 8 points (1.1.2 not applicable; 25 %, rank 3), SXD 3 of 10, STP 4 of 10. SNV's only
/// possible step is 1.1.1 → "có" (+2: 50 %, rank 1).
async fn scored(app: &crate::harness::TestApp) -> (Client, Client, Client, Client) {
    seed(app.db()).await;
    move_to(app.db(), "STP", &["self_assessing"]).await;
    move_to(app.db(), "SXD", &["self_assessing"]).await;
    let sec = app.login("sec").await;
    for (unit, yes, manual) in [
        ("SNV", "không", "2"),
        ("STP", "có", "2"),
        ("SXD", "có", "1"),
    ] {
        declare(&sec, unit, "1.1.1", yes).await;
        declare(&sec, unit, "1.1.3", manual).await;
    }
    declare(&sec, "SNV", "1.1.2", "na").await;
    let snv = app.login("off.snv").await;
    let stp = app.login("off.stp").await;
    let leader = app.login("leader").await;
    (sec, snv, stp, leader)
}

fn fields(res: &crate::harness::Res) -> Vec<String> {
    res.json()["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn lost_planner_what_if_and_uncertainty() {
    each_backend(async |app| {
        let (sec, snv, _stp, leader) = scored(app).await;
        let lost = snv.get("/api/rounds/2019/analysis/units/SNV/lost").await;
        assert_eq!(lost.status, 200, "{}", lost.text());
        let lost = lost.json();
        assert_eq!(lost["points"], "2");
        let n111 = lost["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["code"] == "1.1.1")
            .unwrap()
            .clone();
        assert_eq!(
            (n111["lost"].as_str(), n111["best_points"].as_str()),
            (Some("2"), Some("2"))
        );

        let group = leader
            .get("/api/rounds/2019/analysis/groups/so/lost?level=3")
            .await;
        assert_eq!(group.status, 200, "{}", group.text());
        assert_eq!(group.json()[0]["code"], "2.1.1");
        let bad = leader
            .get("/api/rounds/2019/analysis/groups/so/lost?level=7")
            .await;
        assert_eq!((bad.status, fields(&bad)), (422, vec!["level".to_string()]));

        // Third of three; rank 2 needs 30 % or more: 1.1.1 → "có" (+2) is the one step.
        let plan = snv
            .post(
                "/api/rounds/2019/analysis/units/SNV/plan",
                json!({"target": "rank:2"}),
            )
            .await;
        assert_eq!(plan.status, 200, "{}", plan.text());
        let plan = plan.json();
        assert_eq!(plan["outcome"], "reached");
        assert_eq!(plan["before"]["rank"], 3);
        assert_eq!(plan["after"]["rank"], 1);
        let codes: Vec<&str> = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["1.1.1"]);
        let bad = snv
            .post(
                "/api/rounds/2019/analysis/units/SNV/plan",
                json!({"target": "hạng nhất"}),
            )
            .await;
        assert_eq!(
            (bad.status, fields(&bad)),
            (422, vec!["target".to_string()])
        );
        assert!(bad.message().contains("next-class"), "{}", bad.text());

        let wi = snv
            .post(
                "/api/rounds/2019/analysis/units/SNV/what-if",
                json!({"changes": [{"code": "1.1.1", "declared": "có"}]}),
            )
            .await;
        assert_eq!(wi.status, 200, "{}", wi.text());
        let wi = wi.json();
        assert_eq!(
            (
                wi["before"]["total"].as_str(),
                wi["after"]["total"].as_str()
            ),
            (Some("2"), Some("4"))
        );
        assert_eq!(wi["after"]["rank"], 1);
        let bad = snv
            .post(
                "/api/rounds/2019/analysis/units/SNV/what-if",
                json!({"changes": [{"code": "9.9", "declared": "có"}]}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        assert!(bad.text().contains("9.9"), "{}", bad.text());

        // The same seed, the same results; the seed is in them.
        let body = json!({"seed": 42, "replicates": 500, "weight_jitter": 0.2});
        let a = sec
            .post(
                "/api/rounds/2019/analysis/groups/so/uncertainty",
                body.clone(),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text());
        let b = leader
            .post("/api/rounds/2019/analysis/groups/so/uncertainty", body)
            .await;
        assert_eq!(a.json(), b.json());
        assert_eq!(a.json()["seed"], 42);
        assert_eq!(a.json()["units"].as_array().unwrap().len(), 3);
        let bad = sec
            .post(
                "/api/rounds/2019/analysis/groups/so/uncertainty",
                json!({"seed": 1, "replicates": 0}),
            )
            .await;
        assert_eq!(
            (bad.status, fields(&bad)),
            (422, vec!["replicates".to_string()])
        );
        let bad = sec
            .post(
                "/api/rounds/2019/analysis/groups/so/uncertainty",
                json!({"seed": 1, "class_minima": [["80"]]}),
            )
            .await;
        assert_eq!(
            (bad.status, fields(&bad)),
            (422, vec!["class_minima[0]".to_string()])
        );

        let infl = sec
            .get("/api/rounds/2019/analysis/groups/so/inflation")
            .await;
        assert_eq!(infl.status, 200, "{}", infl.text());
        // No earlier round: year over year says so.
        let yoy = sec.get("/api/rounds/2019/analysis/groups/so/yoy").await;
        assert_eq!(yoy.status, 404, "{}", yoy.text());
        assert!(yoy.message().contains("2018"), "{}", yoy.text());
        let none = sec.get("/api/rounds/2019/analysis/groups/xa/lost").await;
        assert_eq!(none.status, 404, "{}", none.text());
    })
    .await;
}

fn task(remedy: &str, codes: &[&str], deadline: &str) -> Value {
    json!({"remedy": remedy, "codes": codes, "division": "Văn phòng Sở", "owner": "Nguyễn Văn An",
           "deadline": deadline})
}

#[tokio::test]
async fn plans_are_written_by_the_units_officers_and_read_by_the_secretariat() {
    each_backend(async |app| {
        let (sec, snv, stp, leader) = scored(app).await;
        let t = snv
            .post(&format!("{PLANS}/SNV"), task("Ban hành kế hoạch CCHC", &["1.1.1"], "31/03/2020"))
            .await;
        assert_eq!(t.status, 201, "{}", t.text());
        let t = t.json();
        assert_eq!((t["deadline"].as_str(), t["status"].as_str()), (Some("2020-03-31"), Some("planned")));
        let id = t["id"].as_i64().unwrap();

        // Bad input: unknown sub-criterion, malformed deadline — every problem, field named.
        let bad = snv
            .post(&format!("{PLANS}/SNV"), task("x", &["1.1.9"], "31/02/2020"))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        assert_eq!(fields(&bad), ["codes", "deadline"]);
        assert!(bad.text().contains("1.1.9"), "{}", bad.text());
        let en = snv
            .send("POST", &format!("{PLANS}/SNV?lang=en"), crate::harness::Body::Json(task("x", &["1.1.1"], "soon")), &[])
            .await;
        assert!(en.message().contains("deadline \"soon\" is not a valid date"), "{}", en.text());

        // Another unit's officer may neither write nor read SNV's plan; nor reach it by their path.
        let other = stp
            .post(&format!("{PLANS}/SNV"), task("x", &["1.1.1"], "2020-03-31"))
            .await;
        assert_eq!((other.status, other.code()), (403, "forbidden".to_string()));
        let other = stp
            .put(&format!("{PLANS}/STP/tasks/{id}/status"), json!({"version": 1, "status": "done"}))
            .await;
        assert_eq!(other.status, 404, "{}", other.text());
        assert_eq!(stp.get(&format!("{PLANS}/SNV")).await.status, 403);
        // The secretariat reads but does not write a unit's plan.
        let w = sec
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 1, "status": "done"}))
            .await;
        assert_eq!(w.status, 403, "{}", w.text());

        let s = snv
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 1, "status": "in_progress"}))
            .await;
        assert_eq!(s.status, 200, "{}", s.text());
        let bad = snv
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 2, "status": "finished"}))
            .await;
        assert_eq!((bad.status, fields(&bad)), (422, vec!["status".to_string()]));
        let stale = snv
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 1, "status": "done"}))
            .await;
        assert_eq!((stale.status, stale.code()), (409, "stale".to_string()));
        let dropped = snv
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 2, "status": "dropped"}))
            .await;
        assert_eq!(dropped.status, 200, "{}", dropped.text());
        let again = snv
            .put(&format!("{PLANS}/SNV/tasks/{id}/status"), json!({"version": 3, "status": "planned"}))
            .await;
        assert_eq!((again.status, fields(&again)), (422, vec!["status".to_string()]));
        assert!(again.message().contains("đã hủy bỏ"), "{}", again.text());

        // Evidence uploaded to the sheet, linked to a task.
        let up = snv
            .upload(&format!("{SHEETS}/SNV/entries/1.1.1/evidence"), "kế hoạch.pdf", &crate::harness::pdf(), "tr. 1")
            .await;
        assert_eq!(up.status, 201, "{}", up.text());
        let ev = up.json()["id"].as_i64().unwrap();

        // Adopt the planner's smallest plan in one go.
        let adopted = snv
            .post(
                &format!("{PLANS}/SNV/adopt"),
                json!({"target": "rank:2", "division": "Văn phòng", "owner": "Chánh VP", "deadline": "2020-06-30"}),
            )
            .await;
        assert_eq!(adopted.status, 201, "{}", adopted.text());
        let adopted = adopted.json();
        assert_eq!(adopted.as_array().unwrap().len(), 1);
        assert_eq!(adopted[0]["codes"], json!(["1.1.1"]));
        let tid = adopted[0]["id"].as_i64().unwrap();
        let linked = snv
            .post(&format!("{PLANS}/SNV/tasks/{tid}/evidence"), json!({"evidence": ev}))
            .await;
        assert_eq!(linked.status, 200, "{}", linked.text());
        assert_eq!(linked.json()["evidence"], json!([ev]));
        let bad = snv
            .post(
                &format!("{PLANS}/SNV/adopt"),
                json!({"target": "rank:2", "division": "", "owner": "A", "deadline": "mai"}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        assert_eq!(fields(&bad), ["division", "deadline"]);

        let plan = leader.get(&format!("{PLANS}/SNV")).await;
        assert_eq!(plan.status, 200, "{}", plan.text());
        let plan = plan.json();
        assert_eq!((plan["progress"]["total"].as_i64(), plan["progress"]["dropped"].as_i64()), (Some(1), Some(1)));
        let all = sec.get(PLANS).await;
        assert_eq!(all.status, 200, "{}", all.text());
        assert_eq!(all.json()[0]["unit"], "SNV");
        let review = snv.get(&format!("{PLANS}/SNV/review")).await;
        assert_eq!(review.status, 200, "{}", review.text());
        assert_eq!(review.json()[0]["code"], "1.1.1");
        assert_eq!(review.json()[0]["improved"], Value::Null);
        // The audit log has the plan's writes.
        let log = sec.get("/api/audit").await;
        assert!(log.text().contains("plan_task"), "{}", log.text());
    })
    .await;
}
