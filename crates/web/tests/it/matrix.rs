//! The authorization matrix: every route × every role and anonymous, against one table.
//!
//! Columns: secretariat, appraiser assigned to the area (1), appraiser of the same group not
//! assigned to that area (2), officer of the sheet's unit (SNV), officer of another unit (STP),
//! leader, anonymous. Letters: `A` allowed (passes authorization: neither 401 nor 403, and no
//! 5xx; the request may still be refused for its data or the sheet's state), `D` 403, `U` 401,
//! `L` a sign-in attempt (401 `bad_credentials`, open to everyone). Denied callers go first in
//! each row, so what the allowed ones change cannot hide a refusal.

use crate::harness::{Body, Client, TestApp, each_backend, multipart, pdf};

pub struct Route {
    pub method: &'static str,
    /// As in the OpenAPI document.
    pub template: &'static str,
    pub path: &'static str,
    /// "" none, "PDF" a multipart upload, else JSON (`{who}` is replaced by the column number).
    pub body: &'static str,
    pub expect: &'static str,
}

const fn r(
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: &'static str,
    expect: &'static str,
) -> Route {
    Route {
        method,
        template,
        path,
        body,
        expect,
    }
}

const SURVEY: &str = "/api/survey/{year}/{code}";
/// A complete response to the bundled 22-item questionnaire (the public ingest route).
const RESPONSE: &str = r#"{"unit":"SNV","answers":{"1.1":5,"1.2":4,"1.3":4,"1.4":3,"2.1":5,"2.2":4,"2.3":4,"2.4":3,"2.5":5,"3.1":4,"3.2":4,"3.3":3,"3.4":5,"3.5":4,"3.6":4,"4.1":3,"4.2":5,"4.3":4,"5.1":4,"5.2":3,"5.3":5,"5.4":4},"profile":{"gender":"female"}}"#;

const SHEET: &str = "/api/rounds/{year}/sheets/{unit}";
const ENTRY: &str = "/api/rounds/{year}/sheets/{unit}/entries/{code}";

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    r("POST", "/api/session", "/api/session", r#"{"username":"nobody{who}","password":"wrong-password"}"#, "LLLLLLL"),
    r("GET", "/api/session", "/api/session", "", "AAAAAAU"),
    r("GET", "/api/me", "/api/me", "", "AAAAAAU"),
    r("PUT", "/api/me/password", "/api/me/password", r#"{"current_password":"not-my-password","new_password":"a-new-long-password"}"#, "AAAAAAU"),
    r("GET", "/api/units", "/api/units", "", "AAAAAAU"),
    r("POST", "/api/units", "/api/units", r#"{"code":"NEW{who}","name":"Sở mới","group":"so"}"#, "ADDDDDU"),
    r("GET", "/api/units/{code}", "/api/units/SNV", "", "AAAAAAU"),
    r("PUT", "/api/units/{code}", "/api/units/SNV", r#"{"version":999,"name":"Sở Nội vụ","group":"so"}"#, "ADDDDDU"),
    r("PUT", "/api/units/{code}/active", "/api/units/SNV/active", r#"{"version":999,"active":true}"#, "ADDDDDU"),
    r("GET", "/api/rounds", "/api/rounds", "", "AAAAAAU"),
    r("POST", "/api/rounds", "/api/rounds", r#"{"year":2020,"title":"Năm 2020"}"#, "ADDDDDU"),
    r("GET", "/api/rounds/{year}", "/api/rounds/2019", "", "AAAAAAU"),
    r("PUT", "/api/rounds/{year}/deadlines/{phase}", "/api/rounds/2019/deadlines/approval", r#"{"due":null}"#, "ADDDDDU"),
    r("POST", "/api/rounds/{year}/sets", "/api/rounds/2019/sets", r#"{"source":"x.toml","toml":"x"}"#, "ADDDDDU"),
    r("GET", "/api/rounds/{year}/sets/{group}", "/api/rounds/2019/sets/so", "", "AAAAAAU"),
    r("POST", "/api/rounds/{year}/open", "/api/rounds/2020/open", "", "ADDDDDU"),
    r("POST", "/api/rounds/{year}/close", "/api/rounds/2020/close", "", "ADDDDDU"),
    r("GET", "/api/rounds/{year}/sheets", "/api/rounds/2019/sheets", "", "AAAAAAU"),
    r("GET", SHEET, "/api/rounds/2019/sheets/SNV", "", "AAAADAU"),
    r("POST", "/api/rounds/{year}/sheets/{unit}/transitions", "/api/rounds/2019/sheets/SNV/transitions", r#"{"to":"submitted","version":0}"#, "ADDADDU"),
    r("GET", "/api/rounds/{year}/sheets/{unit}/audit", "/api/rounds/2019/sheets/SNV/audit", "", "AAAADAU"),
    r("GET", ENTRY, "/api/rounds/2019/sheets/SNV/entries/1.1.1", "", "AAAADAU"),
    r("PUT", "/api/rounds/{year}/sheets/{unit}/entries/{code}/self", "/api/rounds/2019/sheets/SNV/entries/1.1.1/self", r#"{"version":99,"declared":"yes"}"#, "ADDADDU"),
    r("PUT", "/api/rounds/{year}/sheets/{unit}/entries/{code}/appraisal/{round}", "/api/rounds/2019/sheets/SNV/entries/1.1.1/appraisal/1", r#"{"version":0,"points":"1"}"#, "AADDDDU"),
    r("PUT", "/api/rounds/{year}/sheets/{unit}/entries/{code}/explanation", "/api/rounds/2019/sheets/SNV/entries/1.1.1/explanation", r#"{"version":0,"explanation":"x"}"#, "ADDADDU"),
    r("GET", "/api/rounds/{year}/sheets/{unit}/entries/{code}/audit", "/api/rounds/2019/sheets/SNV/entries/1.1.1/audit", "", "AAAADAU"),
    r("POST", "/api/rounds/{year}/sheets/{unit}/entries/{code}/evidence", "/api/rounds/2019/sheets/SNV/entries/1.1.1/evidence", "PDF", "ADDADDU"),
    r("POST", "/api/rounds/{year}/sheets/{unit}/proposals/{id}/evidence", "/api/rounds/2019/sheets/SNV/proposals/999/evidence", "PDF", "ADDADDU"),
    r("GET", "/api/rounds/{year}/sheets/{unit}/evidence/{id}", "/api/rounds/2019/sheets/SNV/evidence/999", "", "AAAADAU"),
    r("DELETE", "/api/rounds/{year}/sheets/{unit}/evidence/{id}", "/api/rounds/2019/sheets/SNV/evidence/999", "", "ADDADDU"),
    r("POST", "/api/rounds/{year}/sheets/{unit}/proposals", "/api/rounds/2019/sheets/SNV/proposals", r#"{"kind":"bonus","points":"1","reason":"Sáng kiến"}"#, "ADDADDU"),
    r("PUT", "/api/rounds/{year}/sheets/{unit}/proposals/{id}/appraisal", "/api/rounds/2019/sheets/SNV/proposals/999/appraisal", r#"{"version":1,"points":"0"}"#, "AAADDDU"),
    r("GET", "/api/rounds/{year}/results", "/api/rounds/2019/results", "", "ADDDDAU"),
    r("POST", "/api/rounds/{year}/results/publish", "/api/rounds/2019/results/publish", r#"{"reason":"QĐ 1/QĐ-UBND"}"#, "ADDDDDU"),
    r("GET", "/api/public/results", "/api/public/results", "", "AAAAAAA"),
    r("GET", "/api/public/results/{year}/{group}", "/api/public/results/2019/so", "", "AAAAAAA"),
    r(
        "GET",
        "/api/public/results/{year}/{group}/{format}",
        "/api/public/results/2019/so/csv",
        "",
        "AAAAAAA",
    ),
    r("GET", "/api/audit", "/api/audit", "", "ADDDDDU"),
    r("GET", "/api/audit/verify", "/api/audit/verify", "", "ADDDDDU"),
    r("GET", "/api/users", "/api/users", "", "ADDDDDU"),
    r("POST", "/api/users", "/api/users", r#"{"username":"new.{who}","password":"short","display_name":"Mới","roles":["leader"]}"#, "ADDDDDU"),
    r("GET", "/api/users/{username}", "/api/users/x.user", "", "ADDDDDU"),
    r("PUT", "/api/users/{username}", "/api/users/x.user", r#"{"version":999,"display_name":"X","roles":["leader"]}"#, "ADDDDDU"),
    r("PUT", "/api/users/{username}/active", "/api/users/x.user/active", r#"{"version":999,"active":true}"#, "ADDDDDU"),
    r("PUT", "/api/users/{username}/password", "/api/users/x.user/password", r#"{"password":"short"}"#, "ADDDDDU"),
    r("GET", "/api/users/{username}/areas", "/api/users/appr1/areas", "", "ADDDDDU"),
    r("POST", "/api/users/{username}/areas", "/api/users/x.user/areas", r#"{"year":2019,"group":"so","area":"9"}"#, "ADDDDDU"),
    r("DELETE", "/api/users/{username}/areas/{year}/{group}/{area}", "/api/users/x.user/areas/2019/so/9", "", "ADDDDDU"),
    r("GET", "/api/public/news", "/api/public/news", "", "AAAAAAA"),
    r("GET", "/api/public/news/{slug}", "/api/public/news/khong-co", "", "AAAAAAA"),
    r("GET", "/api/public/news/{slug}/attachments/{id}", "/api/public/news/khong-co/attachments/1", "", "AAAAAAA"),
    r("GET", "/api/public/news-categories", "/api/public/news-categories", "", "AAAAAAA"),
    r("GET", "/api/public/calendar", "/api/public/calendar", "", "AAAAAAA"),
    r("GET", "/api/public/links", "/api/public/links", "", "AAAAAAA"),
    r("POST", "/api/news", "/api/news", r#"{"category":"khong-co","title":"Tin {who}"}"#, "ADDDDDU"),
    r("PUT", "/api/news/{slug}", "/api/news/khong-co", r#"{"category":"khong-co","title":"Tin"}"#, "ADDDDDU"),
    r("DELETE", "/api/news/{slug}", "/api/news/khong-co", "", "ADDDDDU"),
    r("POST", "/api/news/{slug}/attachments", "/api/news/khong-co/attachments", "PDF", "ADDDDDU"),
    r("DELETE", "/api/news/{slug}/attachments/{id}", "/api/news/khong-co/attachments/1", "", "ADDDDDU"),
    r("PUT", "/api/news-categories/{code}", "/api/news-categories/tin", r#"{"name":"Tin tức"}"#, "ADDDDDU"),
    r("POST", "/api/calendar", "/api/calendar", r#"{"starts_at":"2019-12-10T08:00:00+07:00","title":"Họp {who}"}"#, "ADDDDDU"),
    r("DELETE", "/api/calendar/{id}", "/api/calendar/999", "", "ADDDDDU"),
    r("POST", "/api/links", "/api/links", r#"{"title":"Bộ Nội vụ","url":"https://moha.gov.vn"}"#, "ADDDDDU"),
    r("DELETE", "/api/links/{id}", "/api/links/999", "", "ADDDDDU"),
    // Surveys (the round's survey exists: see `every_route_for_every_role`).
    r("POST", "/api/survey/{year}/{code}/responses", "/api/survey/2019/sipas-2017-22/responses", RESPONSE, "AAAAAAA"),
    r("GET", SURVEY, "/api/survey/2019/sipas-2017-22", "", "ADDDDAU"),
    r("GET", "/api/survey/{year}/{code}/report", "/api/survey/2019/sipas-2017-22/report", "", "ADDDDAU"),
    r("PUT", "/api/survey/{year}/{code}/state", "/api/survey/2019/sipas-2017-22/state", r#"{"state":"open"}"#, "ADDDDDU"),
    r("POST", "/api/survey/{year}/{code}/units/{unit}/tokens", "/api/survey/2019/sipas-2017-22/units/SNV/tokens", r#"{"count":1}"#, "ADDDDDU"),
    r("GET", "/api/survey/{year}/{code}/review", "/api/survey/2019/sipas-2017-22/review", "", "ADDDDDU"),
    r("POST", "/api/survey/{year}/{code}/review/{id}", "/api/survey/2019/sipas-2017-22/review/999999", r#"{"decision":"release","reason":"đã kiểm tra"}"#, "ADDDDDU"),
    r("POST", "/api/survey/{year}/{code}/import", "/api/survey/2019/sipas-2017-22/import?mode=valid&name=x.csv", r#"{"not":"a csv"}"#, "ADDDDDU"),
    r("GET", "/api/rounds/{year}/analysis/units/{unit}/lost", "/api/rounds/2019/analysis/units/SNV/lost", "", "AAAADAU"),
    r("GET", "/api/rounds/{year}/analysis/groups/{group}/lost", "/api/rounds/2019/analysis/groups/so/lost", "", "ADDDDAU"),
    r("POST", "/api/rounds/{year}/analysis/units/{unit}/plan", "/api/rounds/2019/analysis/units/SNV/plan", r#"{"target":"points:4"}"#, "AAAADAU"),
    r("POST", "/api/rounds/{year}/analysis/units/{unit}/what-if", "/api/rounds/2019/analysis/units/SNV/what-if", r#"{"changes":[{"code":"1.1.1","declared":"có"}]}"#, "AAAADAU"),
    r("GET", "/api/rounds/{year}/analysis/groups/{group}/inflation", "/api/rounds/2019/analysis/groups/so/inflation", "", "ADDDDDU"),
    r("POST", "/api/rounds/{year}/analysis/groups/{group}/uncertainty", "/api/rounds/2019/analysis/groups/so/uncertainty", r#"{"seed":7,"replicates":200}"#, "ADDDDAU"),
    r("GET", "/api/rounds/{year}/analysis/groups/{group}/yoy", "/api/rounds/2019/analysis/groups/so/yoy", "", "ADDDDAU"),
    r("GET", "/api/rounds/{year}/plans", "/api/rounds/2019/plans", "", "ADDDDAU"),
    r("GET", "/api/rounds/{year}/plans/{unit}", "/api/rounds/2019/plans/SNV", "", "ADDADAU"),
    r("POST", "/api/rounds/{year}/plans/{unit}", "/api/rounds/2019/plans/SNV", r#"{"remedy":"Ban hành kế hoạch","codes":["1.1.1"],"division":"Văn phòng","owner":"An","deadline":"31/03/2020"}"#, "DDDADDU"),
    r("PUT", "/api/rounds/{year}/plans/{unit}/tasks/{id}", "/api/rounds/2019/plans/SNV/tasks/999", r#"{"version":1,"remedy":"x","codes":["1.1.1"],"division":"VP","owner":"An","deadline":"2020-03-31"}"#, "DDDADDU"),
    r("PUT", "/api/rounds/{year}/plans/{unit}/tasks/{id}/status", "/api/rounds/2019/plans/SNV/tasks/999/status", r#"{"version":1,"status":"done"}"#, "DDDADDU"),
    r("POST", "/api/rounds/{year}/plans/{unit}/tasks/{id}/evidence", "/api/rounds/2019/plans/SNV/tasks/999/evidence", r#"{"evidence":999}"#, "DDDADDU"),
    r("POST", "/api/rounds/{year}/plans/{unit}/adopt", "/api/rounds/2019/plans/SNV/adopt", r#"{"target":"points:4","division":"VP","owner":"An","deadline":"2020-03-31"}"#, "DDDADDU"),
    r("GET", "/api/rounds/{year}/plans/{unit}/review", "/api/rounds/2019/plans/SNV/review", "", "ADDADAU"),
    r("GET", "/api/openapi.json", "/api/openapi.json", "", "AAAAAAA"),
    r("GET", "/api/survey/openapi.json", "/api/survey/openapi.json", "", "AAAAAAA"),
    r("GET", "/healthz", "/healthz", "", "AAAAAAA"),
    r("GET", "/metrics", "/metrics", "", "AAAAAAA"),
    // Last: signing out ends the session the rows above use.
    r("DELETE", "/api/session", "/api/session", "", "AAAAAAU"),
];

pub const COLUMNS: [&str; 7] = [
    "secretariat",
    "appraiser (area)",
    "appraiser (other area)",
    "officer (own unit)",
    "officer (other unit)",
    "leader",
    "anonymous",
];

/// Signed-in clients in column order, and an anonymous one.
pub async fn clients(app: &TestApp) -> Vec<Client> {
    let mut out = Vec::new();
    for u in ["sec", "appr1", "appr2", "off.snv", "off.stp", "leader"] {
        out.push(app.login(u).await);
    }
    out.push(app.client());
    out
}

#[tokio::test]
async fn every_route_for_every_role() {
    each_backend(async |app| {
        crate::survey::with_survey(app).await;
        let clients = clients(app).await;
        let mut failures = Vec::new();
        let mut checked = 0;
        for route in ROUTES {
            let expect: Vec<char> = route.expect.chars().collect();
            assert_eq!(expect.len(), 7, "{} {}", route.method, route.path);
            let mut order: Vec<usize> = (0..7).collect();
            order.sort_by_key(|&i| matches!(expect[i], 'A' | 'L'));
            for i in order {
                let body = match route.body {
                    "" => Body::None,
                    "PDF" => {
                        let (ct, bytes) = multipart("kế hoạch.pdf", &pdf(), "tr. 1");
                        Body::Raw(ct, bytes)
                    }
                    json => Body::Json(
                        serde_json::from_str(&json.replace("{who}", &i.to_string())).unwrap(),
                    ),
                };
                let res = clients[i].send(route.method, route.path, body, &[]).await;
                checked += 1;
                let ok = match expect[i] {
                    'A' => !matches!(res.status, 401 | 403) && res.status < 500,
                    'D' => res.status == 403 && res.code() == "forbidden",
                    'U' => res.status == 401 && res.code() == "unauthenticated",
                    'L' => res.status == 401 && res.code() == "bad_credentials",
                    other => panic!("unknown letter {other}"),
                };
                if !ok {
                    failures.push(format!(
                        "{} {} as {}: expected {}, got {} {}",
                        route.method,
                        route.path,
                        COLUMNS[i],
                        expect[i],
                        res.status,
                        res.text()
                    ));
                }
            }
        }
        assert_eq!(checked, ROUTES.len() * 7);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}
