//! Bad input, table-driven: each case gets its 4xx with a stable code and a message in the
//! caller's language (checked in Vietnamese and in English), and writes nothing: the audit log's
//! head, the evidence rows and files, and every sheet's version stay as they were.

use crate::harness::{
    BOUNDARY, Body, Client, MAX_UPLOAD, TestApp, each_backend, move_to, multipart, pdf, png, seed,
};
use parindex_store::Timestamp;
use parindex_store::rounds::Phase;
use serde_json::json;

struct Case {
    name: &'static str,
    /// 0 secretariat, 1 officer of SNV, 2 officer of STP, 3 appraiser of area 1, 4 appraiser of
    /// area 2, 5 anonymous.
    who: usize,
    method: &'static str,
    path: String,
    body: Req,
    headers: &'static [(&'static str, &'static str)],
    status: u16,
    code: &'static str,
}

#[derive(Clone)]
enum Req {
    None,
    /// JSON text as sent (may be malformed).
    Json(String),
    Raw(&'static str, Vec<u8>),
    Upload(&'static str, Vec<u8>),
}

fn c(
    name: &'static str,
    who: usize,
    method: &'static str,
    path: impl Into<String>,
    body: Req,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        who,
        method,
        path: path.into(),
        body,
        headers: &[],
        status,
        code,
    }
}

fn j(v: serde_json::Value) -> Req {
    Req::Json(v.to_string())
}

/// What a refused request must leave untouched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    audit_head: i64,
    evidence: (i64, i64),
    files: usize,
    temp_files: usize,
    sheets: Vec<(String, i64)>,
    units: usize,
    users: usize,
}

fn count_files(dir: &std::path::Path, skip_tmp: bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                if skip_tmp && p.file_name().is_some_and(|n| n == "tmp") {
                    0
                } else {
                    count_files(&p, skip_tmp)
                }
            } else {
                1
            }
        })
        .sum()
}

async fn snapshot(app: &TestApp) -> Snapshot {
    let db = app.db();
    let evidence = app.dir.path().join("evidence");
    Snapshot {
        audit_head: db.audit_recent(1).await.unwrap()[0].seq,
        evidence: db.evidence_totals().await.unwrap(),
        files: count_files(&evidence, true),
        temp_files: count_files(&evidence.join("tmp"), false),
        sheets: db
            .sheets(2019)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.unit, s.version))
            .collect(),
        units: db.units().await.unwrap().len(),
        users: db.users().await.unwrap().len(),
    }
}

async fn run(app: &TestApp, clients: &[Client], cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let before = snapshot(app).await;
        let mut messages = Vec::new();
        for lang in ["vi", "en"] {
            let body = match case.body.clone() {
                Req::None => Body::None,
                Req::Json(text) => Body::Raw("application/json", text.into_bytes()),
                Req::Raw(ct, bytes) => Body::Raw(ct, bytes),
                Req::Upload(name, bytes) => {
                    let (ct, bytes) = multipart(name, &bytes, "tr. 2");
                    Body::Raw(ct, bytes)
                }
            };
            let mut headers: Vec<(&str, &str)> = case.headers.to_vec();
            if lang == "en" {
                headers.push(("accept-language", "en-GB,en;q=0.9"));
            }
            let res = clients[case.who]
                .send(case.method, &case.path, body, &headers)
                .await;
            let ok_json = serde_json::from_slice::<serde_json::Value>(&res.body).is_ok();
            if res.status != case.status || !ok_json || res.code() != case.code {
                failures.push(format!(
                    "{} [{lang}]: expected {} {}, got {} {}",
                    case.name,
                    case.status,
                    case.code,
                    res.status,
                    res.text()
                ));
                break;
            }
            messages.push(res.message());
        }
        if messages.len() == 2 {
            let (vi, en) = (&messages[0], &messages[1]);
            if vi.is_empty() || en.is_empty() || vi == en || vi.is_ascii() {
                failures.push(format!(
                    "{}: messages not localized: vi \"{vi}\", en \"{en}\"",
                    case.name
                ));
            }
        }
        let after = snapshot(app).await;
        if after != before {
            failures.push(format!(
                "{}: something was written: {before:?} → {after:?}",
                case.name
            ));
        }
    }
    failures
}

#[tokio::test]
async fn bad_input_gets_a_localized_4xx_and_writes_nothing() {
    each_backend(async |app| {
        seed(app.db()).await;
        let db = app.db();
        let mut clients = Vec::new();
        for u in ["sec", "off.snv", "off.stp", "appr1", "appr2"] {
            clients.push(app.login(u).await);
        }
        clients.push(app.client());
        // STP in appraisal round 1 with a piece of evidence; SXD submitted.
        move_to(db, "STP", &["self_assessing"]).await;
        let stp_ev = clients[0]
            .upload("/api/rounds/2019/sheets/STP/entries/1.1.1/evidence", "stp.pdf", &pdf(), "tr. 1")
            .await;
        assert_eq!(stp_ev.status, 201, "{}", stp_ev.text());
        let stp_ev = stp_ev.json()["id"].as_i64().unwrap();
        move_to(db, "STP", &["submitted", "appraisal_1"]).await;
        move_to(db, "SXD", &["self_assessing", "submitted"]).await;
        let sxd = db.sheet(2019, "SXD").await.unwrap().version;

        let s = "/api/rounds/2019/sheets";
        let self_body = |declared: &str| j(json!({ "version": 0, "declared": declared }));
        let mut big = pdf();
        big.resize(MAX_UPLOAD as usize + 50_000, b'x');
        let no_file = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"page_ref\"\r\n\r\ntr. 1\r\n--{BOUNDARY}--\r\n"
        )
        .into_bytes();
        let mut huge_json = b"{\"version\":0,\"declared\":\"".to_vec();
        huge_json.resize(2 * 1024 * 1024, b'a');
        huge_json.extend_from_slice(b"\"}");
        let mut cases = vec![
            c("points over the maximum", 0, "PUT", format!("{s}/STP/entries/1.1.1/appraisal/1"), j(json!({"version": 0, "points": "3"})), 422, "invalid"),
            c("negative points", 3, "PUT", format!("{s}/STP/entries/1.1.1/appraisal/1"), j(json!({"version": 0, "points": "-1"})), 422, "invalid"),
            c("points that are not a number", 3, "PUT", format!("{s}/STP/entries/1.1.1/appraisal/1"), j(json!({"version": 0, "points": "nhiều"})), 400, "bad_request"),
            c("an appraisal round that does not exist", 3, "PUT", format!("{s}/STP/entries/1.1.1/appraisal/3"), j(json!({"version": 0, "points": "1"})), 404, "not_found"),
            c("a yes/no answer that is neither", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), self_body("có lẽ"), 422, "invalid"),
            c("a ratio above 100%", 1, "PUT", format!("{s}/SNV/entries/1.1.2/self"), self_body("5/4"), 422, "invalid"),
            c("manual points over the maximum", 1, "PUT", format!("{s}/SNV/entries/1.1.3/self"), self_body("5"), 422, "invalid"),
            c("a survey-derived sub-criterion declared", 1, "PUT", format!("{s}/SNV/entries/2.1.1/self"), self_body("80"), 422, "invalid"),
            c("not applicable where it is not allowed", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), self_body("na"), 422, "invalid"),
            c("a transition not allowed from the state", 0, "POST", format!("{s}/SNV/transitions"), j(json!({"to": "approved", "version": 0})), 409, "transition_not_allowed"),
            c("a state that does not exist", 0, "POST", format!("{s}/SNV/transitions"), j(json!({"to": "done", "version": 0})), 422, "invalid"),
            c("a stale sheet version", 1, "POST", format!("{s}/SNV/transitions"), j(json!({"to": "submitted", "version": 0})), 409, "stale"),
            c("a stale entry edit", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), j(json!({"version": 7, "declared": "yes"})), 409, "stale"),
            c("moving back without a reason", 0, "POST", format!("{s}/SXD/transitions"), j(json!({"to": "self_assessing", "version": sxd})), 422, "invalid"),
            c("a unit that does not exist", 0, "GET", format!("{s}/XYZ"), Req::None, 404, "not_found"),
            c("writing to a unit that does not exist", 0, "PUT", format!("{s}/XYZ/entries/1.1.1/self"), self_body("yes"), 404, "not_found"),
            c("a sub-criterion that does not exist", 1, "PUT", format!("{s}/SNV/entries/9.9.9/self"), self_body("yes"), 404, "not_found"),
            c("a round that does not exist", 0, "GET", "/api/rounds/1999", Req::None, 404, "not_found"),
            c("a year that is not a number", 0, "GET", "/api/rounds/hai-nghin", Req::None, 400, "bad_request"),
            c("a file of a type not accepted", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), Req::Upload("setup.exe", b"MZ\x90\x00".to_vec()), 422, "invalid"),
            c("a file whose content is not what its name says", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), Req::Upload("scan.pdf", png()), 422, "invalid"),
            c("a file over the size limit", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), Req::Upload("big.pdf", big), 413, "too_large"),
            c("an upload without a file", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), Req::Raw("multipart/form-data; boundary=parindex-test-boundary-7MA4YWxkTrZu0gW", no_file), 422, "invalid"),
            c("an upload that is not multipart", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), self_body("yes"), 415, "unsupported_media_type"),
            c("evidence for a proposal of no such id", 1, "POST", format!("{s}/SNV/proposals/999/evidence"), Req::Upload("a.pdf", pdf()), 404, "not_found"),
            Case { headers: &[("no-csrf", "")], ..c("a missing CSRF token", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), self_body("yes"), 403, "csrf_missing") },
            Case { headers: &[("x-csrf-token", "forged-token")], ..c("a forged CSRF token", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), self_body("yes"), 403, "csrf_invalid") },
            c("another unit's id in the URL (write)", 1, "PUT", format!("{s}/STP/entries/1.1.1/self"), self_body("yes"), 403, "forbidden"),
            c("another unit's id in the URL (read)", 1, "GET", format!("{s}/STP"), Req::None, 403, "forbidden"),
            c("another sheet's evidence through this sheet's URL", 1, "GET", format!("{s}/SNV/evidence/{stp_ev}"), Req::None, 404, "not_found"),
            c("another sheet's evidence removed through this sheet's URL", 1, "DELETE", format!("{s}/SNV/evidence/{stp_ev}"), Req::None, 404, "not_found"),
            c("malformed JSON", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), Req::Json("{\"version\": 0,".into()), 400, "bad_request"),
            c("JSON missing a field", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), Req::Json("{\"declared\": \"yes\"}".into()), 400, "bad_request"),
            c("JSON with trailing garbage", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), Req::Json("{\"version\": 0, \"declared\": \"yes\"} x".into()), 400, "bad_request"),
            c("oversized JSON", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), Req::Raw("application/json", huge_json), 413, "too_large"),
            c("JSON sent as text", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), Req::Raw("text/plain", b"{\"version\":0,\"declared\":\"yes\"}".to_vec()), 415, "unsupported_media_type"),
            c("a bonus over the year's cap", 1, "POST", format!("{s}/SNV/proposals"), j(json!({"kind": "bonus", "points": "5", "reason": "x"})), 422, "invalid"),
            c("a negative penalty", 1, "POST", format!("{s}/SNV/proposals"), j(json!({"kind": "penalty", "points": "-1", "reason": "x"})), 422, "invalid"),
            c("a proposal of an unknown kind", 1, "POST", format!("{s}/SNV/proposals"), j(json!({"kind": "gift", "points": "1", "reason": "x"})), 422, "invalid"),
            c("a proposal without a reason", 1, "POST", format!("{s}/SNV/proposals"), j(json!({"kind": "bonus", "points": "1", "reason": " "})), 422, "invalid"),
            c("appraising a proposal of no such id", 3, "PUT", format!("{s}/STP/proposals/999/appraisal"), j(json!({"version": 1, "points": "0"})), 404, "not_found"),
            c("an appraiser outside their area", 4, "PUT", format!("{s}/STP/entries/1.1.1/appraisal/1"), j(json!({"version": 0, "points": "1"})), 403, "forbidden"),
            c("an officer writing to a locked sheet", 2, "PUT", format!("{s}/STP/entries/1.1.1/self"), self_body("yes"), 409, "sheet_state"),
            c("a unit code with spaces", 0, "POST", "/api/units", j(json!({"code": "a b", "name": "X", "group": "so"})), 422, "invalid"),
            c("a unit that already exists", 0, "POST", "/api/units", j(json!({"code": "SNV", "name": "X", "group": "so"})), 409, "duplicate"),
            c("a round year out of range", 0, "POST", "/api/rounds", j(json!({"year": 1800, "title": "x"})), 422, "invalid"),
            c("a round that already exists", 0, "POST", "/api/rounds", j(json!({"year": 2019, "title": "x"})), 409, "duplicate"),
            c("a criteria set that does not parse", 0, "POST", "/api/rounds/2019/sets", j(json!({"source": "x.toml", "toml": "nonsense = ["})), 422, "invalid"),
            c("a deadline that is not a time", 0, "PUT", "/api/rounds/2019/deadlines/self_assessment", j(json!({"due": "tomorrow"})), 422, "invalid"),
            c("a phase that does not exist", 0, "PUT", "/api/rounds/2019/deadlines/harvest", j(json!({"due": null})), 404, "not_found"),
            c("a password too short", 0, "POST", "/api/users", j(json!({"username": "u1", "password": "short", "display_name": "U", "roles": ["leader"]})), 422, "invalid"),
            c("a role that does not exist", 0, "POST", "/api/users", j(json!({"username": "u1", "password": "long-enough-password", "display_name": "U", "roles": ["king"]})), 422, "invalid"),
            c("publishing before every sheet is approved", 0, "POST", "/api/rounds/2019/results/publish", j(json!({"reason": "QĐ 1"})), 409, "conflict"),
            c("not signed in", 5, "GET", "/api/me", Req::None, 401, "unauthenticated"),
            c("a wrong password", 5, "POST", "/api/session", j(json!({"username": "off.snv", "password": "wrong-password"})), 401, "bad_credentials"),
            c("a method the address does not take", 0, "PATCH", "/api/units", j(json!({})), 405, "method_not_allowed"),
            c("an address that does not exist", 0, "GET", "/api/nothing-here", Req::None, 404, "not_found"),
        ];
        let mut failures = run(app, &clients, &cases).await;

        // Deadlines: the secretariat sets the self-assessment deadline in the past.
        db.set_deadline(
            2019,
            Phase::SelfAssessment,
            Some(Timestamp::parse_rfc3339("2019-12-10T23:59:00+07:00").unwrap()),
            &parindex_store::Actor::new("sec"),
        )
        .await
        .unwrap();
        cases = vec![
            c("self-assessment after the deadline", 1, "PUT", format!("{s}/SNV/entries/1.1.1/self"), self_body("yes"), 403, "deadline_passed"),
            c("evidence after the deadline", 1, "POST", format!("{s}/SNV/entries/1.1.1/evidence"), Req::Upload("a.pdf", pdf()), 403, "deadline_passed"),
            c("submitting after the deadline", 1, "POST", format!("{s}/SNV/transitions"), j(json!({"to": "submitted", "version": 0})), 403, "deadline_passed"),
            c("a proposal after the deadline", 1, "POST", format!("{s}/SNV/proposals"), j(json!({"kind": "bonus", "points": "1", "reason": "x"})), 403, "deadline_passed"),
        ];
        failures.extend(run(app, &clients, &cases).await);
        let res = clients[1]
            .send("PUT", &format!("{s}/SNV/entries/1.1.1/self"), Body::Json(json!({"version": 0, "declared": "yes"})), &[])
            .await;
        assert!(res.message().contains("23:59 ngày 10/12/2019"), "{}", res.text());
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

#[test]
fn there_are_at_least_thirty_cases() {
    let text = include_str!("bad_input.rs");
    let cases = text.matches("\n            c(\"").count() + text.matches("..c(\"").count();
    assert!(cases >= 30, "{cases}");
}
