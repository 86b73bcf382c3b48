//! The secretariat's survey pages on both backends: the list of a round's surveys, the dashboard
//! (progress against quota, element indices with intervals as SVG, with and without quarantined
//! responses, rankings), the review queue (a refusal shown on its row, a release recorded), the
//! token sheet download, the import with per-row problems in place, closing the survey; and who
//! may see them. A closed survey's results give the PAR Index sheet its survey-derived points.

use crate::harness::{Body, Client, Res, each_backend};
use crate::survey::{BASE, CODE, items, response, with_survey};
use parindex_core::rules::Score;
use parindex_store::Actor;
use parindex_store::survey::{ResponseStatus, SurveyState};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const PAGES: &str = "/ky/2019/khao-sat";
const DASH: &str = "/ky/2019/khao-sat/sipas-2017-22";

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> Res {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("csrf", &c.csrf().unwrap_or_default());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    c.send(
        "POST",
        path,
        Body::Raw("application/x-www-form-urlencoded", s.finish().into_bytes()),
        &[],
    )
    .await
}

fn upload(mode: &str, name: &str, content: &[u8]) -> (&'static str, Vec<u8>) {
    const B: &str = "----parindex-survey-pages";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{B}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
    (
        "multipart/form-data; boundary=----parindex-survey-pages",
        body,
    )
}

async fn count(app: &crate::harness::TestApp, status: ResponseStatus) -> u64 {
    app.db()
        .response_counts(2019, CODE)
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| n)
}

#[tokio::test]
async fn the_secretariat_runs_a_survey_from_its_pages() {
    each_backend(async |app| {
        with_survey(app).await;
        app.db()
            .set_sample_plan(2019, CODE, "SNV", None, Some(10), &Actor::new("seed"))
            .await
            .unwrap();
        let anon = app.client();
        for unit in ["SNV", "SNV", "SNV", "STP"] {
            let res = anon
                .post(&format!("{BASE}/responses"), response(unit))
                .await;
            assert_eq!(res.status, 201, "{}", res.text());
        }
        // Straight-lined: quarantined.
        let fours: serde_json::Map<String, Value> =
            items().into_iter().map(|c| (c, json!(4))).collect();
        let res = anon
            .post(
                &format!("{BASE}/responses"),
                json!({ "unit": "STP", "answers": fours }),
            )
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(count(app, ResponseStatus::Quarantined).await, 1);

        let sec = app.login("sec").await;
        // The round's list.
        let list = sec.get(PAGES).await;
        assert_eq!(list.status, 200, "{}", list.text());
        let t = list.text();
        assert!(t.contains(DASH) && t.contains("Đang nhận phiếu"), "{t}");

        // The dashboard: charts, the official view and the one with quarantined responses.
        let dash = sec.get(DASH).await;
        assert_eq!(dash.status, 200, "{}", dash.text());
        let t = dash.text();
        assert!(
            t.contains("<svg") && t.contains("aria-labelledby=\"svy-elements-t"),
            "{t}"
        );
        assert!(t.contains("Chỉ số theo yếu tố"));
        // SNV: 3 of a quota of 10, in Vietnamese figures.
        assert!(t.contains("3 / 10 (30,0 %)"), "{t}");
        // Four respondents count officially, five with the quarantined one.
        let official_n = t.matches("<td class=\"num\">4</td></tr>").count();
        assert!(official_n >= 1, "{t}");
        let all = sec.get(&format!("{DASH}?xem=tat-ca")).await.text();
        assert!(
            all.matches("<td class=\"num\">5</td></tr>").count() >= 1,
            "{all}"
        );
        // Each view shows each unit's rank in the other one beside its own.
        assert!(t.contains("Hạng nếu tính cả phiếu tạm giữ"), "{t}");
        assert!(all.contains("Hạng chính thức"), "{all}");
        let report = app.db().survey_report(2019, CODE).await.unwrap();
        for (view, other) in [
            (&t, &report.rankings[0].with_quarantined),
            (&all, &report.rankings[0].official),
        ] {
            for r in other {
                let name = &report.units.iter().find(|u| u.unit == r.unit).unwrap().name;
                let row = view
                    .split(&format!("<th scope=\"row\">{name}</th>"))
                    .nth(1)
                    .and_then(|rest| rest.split("</tr>").next())
                    .unwrap_or_else(|| panic!("{name}: {view}"));
                assert!(
                    row.contains(&format!("<td class=\"num\">{}</td>", r.rank))
                        || row.contains(&format!("<td class=\"num\">{} ▲</td>", r.rank))
                        || row.contains(&format!("<td class=\"num\">{} ▼</td>", r.rank)),
                    "{name} {}: {row}",
                    r.rank
                );
            }
        }
        assert!(t.contains("/ma\"") && t.contains("name=\"count\""));
        // (Its own client: the harness keeps one cookie, and `?lang=` sets the language cookie.)
        let en = app
            .login("sec")
            .await
            .get(&format!("{DASH}?lang=en"))
            .await
            .text();
        assert!(
            en.contains("Indices by element") && en.contains("30.0 %"),
            "{en}"
        );

        // The review queue: a decision without a reason is refused on its row.
        let q = sec.get(&format!("{DASH}/kiem-duyet")).await;
        assert_eq!(q.status, 200, "{}", q.text());
        let t = q.text();
        assert!(t.contains("chọn cùng một mức cho mọi tiêu chí"), "{t}");
        let id = app
            .db()
            .responses_in_status(2019, CODE, ResponseStatus::Quarantined, 0, 10)
            .await
            .unwrap()[0]
            .id;
        let action = format!("{DASH}/kiem-duyet/{id}");
        let res = form(&sec, &action, &[("decision", "release"), ("reason", "")]).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(
            res.text().contains(&format!("id=\"err-{id}\"")),
            "{}",
            res.text()
        );
        assert_eq!(count(app, ResponseStatus::Quarantined).await, 1);
        let res = form(
            &sec,
            &action,
            &[("decision", "release"), ("reason", "Đã gọi điện xác minh")],
        )
        .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(count(app, ResponseStatus::Accepted).await, 5);
        let q = sec.get(&format!("{DASH}/kiem-duyet")).await.text();
        assert!(q.contains("Không có phiếu nào đang tạm giữ."), "{q}");

        // The token sheet: a download, two tokens made.
        let res = form(
            &sec,
            &format!("{DASH}/ma"),
            &[("unit", "STP"), ("count", "2"), ("format", "html")],
        )
        .await;
        assert!(res.status < 300, "{} {}", res.status, res.text());
        let cd = res.headers["content-disposition"].to_str().unwrap();
        assert!(cd.starts_with("attachment") && cd.contains(".html"), "{cd}");
        assert!(res.text().contains("<svg"));
        assert_eq!(
            app.db().token_counts(2019, CODE).await.unwrap(),
            vec![("STP".to_string(), 2, 0)]
        );
        let res = form(
            &sec,
            &format!("{DASH}/ma"),
            &[("unit", "STP"), ("count", "x")],
        )
        .await;
        assert_eq!(res.status, 400);

        // Import: one bad row refuses the whole file (all or nothing), each problem with its
        // line; valid rows only stores the good one; the same file again adds nothing.
        let header = format!("unit,channel,{}", items().join(","));
        let good = format!(
            "SNV,paper,{}",
            ["5", "4", "3", "4"].repeat(6)[..items().len()].join(",")
        );
        let mut bad_answers = vec!["4"; items().len()];
        bad_answers[0] = "9";
        let bad = format!("STP,paper,{}", bad_answers.join(","));
        let csv = format!("{header}\n{good}\n{bad}\n");
        let page = sec.get(&format!("{DASH}/nhap")).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("enctype=\"multipart/form-data\""));
        let (ct, body) = upload("all", "phieu.csv", csv.as_bytes());
        let res = sec
            .send("POST", &format!("{DASH}/nhap"), Body::Raw(ct, body), &[])
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        let t = res.text();
        assert!(t.contains("phieu.csv:3"), "{t}");
        assert!(t.contains("Không lưu dòng nào"), "{t}");
        assert_eq!(count(app, ResponseStatus::Accepted).await, 5);
        for _ in 0..2 {
            let (ct, body) = upload("valid", "phieu.csv", csv.as_bytes());
            let res = sec
                .send("POST", &format!("{DASH}/nhap"), Body::Raw(ct, body), &[])
                .await;
            assert_eq!(res.status, 200, "{}", res.text());
            assert!(res.text().contains("phieu.csv:3"));
        }
        assert_eq!(count(app, ResponseStatus::Accepted).await, 6);
        // No file: said in place.
        let (ct, body) = upload("all", "rong.csv", b"");
        let res = sec
            .send("POST", &format!("{DASH}/nhap"), Body::Raw(ct, body), &[])
            .await;
        assert_eq!(res.status, 422);
        assert!(res.text().contains("role=\"alert\""));

        // Closing from the dashboard.
        let res = form(&sec, &format!("{DASH}/trang-thai"), &[("state", "closed")]).await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(
            app.db().survey(2019, CODE).await.unwrap().state,
            SurveyState::Closed
        );

        // Who sees what: the leader reads the dashboard without the secretariat's forms; an
        // officer is refused; nobody signed in is sent to sign in.
        let leader = app.login("leader").await;
        let d = leader.get(DASH).await;
        assert_eq!(d.status, 200);
        assert!(!d.text().contains("name=\"count\""));
        assert_eq!(leader.get(&format!("{DASH}/kiem-duyet")).await.status, 403);
        let res = form(&leader, &format!("{DASH}/trang-thai"), &[("state", "open")]).await;
        assert_eq!(res.status, 403);
        let officer = app.login("off.snv").await;
        assert_eq!(officer.get(DASH).await.status, 403);
        assert_eq!(officer.get(PAGES).await.status, 403);
        let res = app.client().get(DASH).await;
        assert_eq!(res.status, 303);
        assert!(sec.get("/ky/2019/khao-sat/khong-co").await.status == 404);
    })
    .await;
}

#[tokio::test]
async fn a_closed_survey_gives_the_sheet_its_survey_derived_points() {
    crate::pages::each_demo(async |app: &crate::pages::DemoApp| {
        let db = app.db();
        let sec = app.login("sonoivu").await;
        let page = "/ky/2019/phieu/skhcn?linh-vuc=9";
        let leaf = async |code: &str| {
            let computed = db.round_results(2019).await.unwrap();
            let r = computed
                .iter()
                .find(|r| r.scores.iter().any(|s| s.unit == "skhcn"))
                .unwrap();
            let pos = r
                .set
                .leaves()
                .iter()
                .position(|&i| r.set.nodes[i].code.to_string() == code)
                .unwrap();
            let score = r.scores.iter().find(|s| s.unit == "skhcn").unwrap();
            (score.leaf_scores[pos], score.total)
        };
        let (typed, total_before) = leaf("9.1.1").await;
        assert!(
            !sec.get(page)
                .await
                .text()
                .contains("Kết quả điều tra xã hội học")
        );

        // An open survey changes nothing.
        crate::survey::demo_responses(db, 2019, "skhcn", 12).await;
        assert_eq!(leaf("9.1.1").await, (typed, total_before));
        assert!(
            !sec.get(page)
                .await
                .text()
                .contains("Kết quả điều tra xã hội học")
        );

        // Closed: element 1's result gives 9.1.1 (4 points × rate) on the sheet and in the results.
        crate::survey::close_demo_survey(db, 2019).await;
        // Pages keep a round's survey results for two seconds (pages/cache.rs).
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let points = db.survey_points(2019, "skhcn").await.unwrap();
        let p = points.iter().find(|p| p.code == "9.1.1").unwrap();
        let (value, got) = (p.value.unwrap(), p.points.unwrap());
        assert_eq!(got, Decimal::from(4) * (value / Decimal::ONE_HUNDRED));
        let (score, total_after) = leaf("9.1.1").await;
        assert_eq!(score, Score::Points(got));
        assert_ne!(
            Score::Points(got),
            typed,
            "the survey, not the typed points"
        );
        assert_ne!(total_after, total_before);
        let html = sec.get(page).await.text();
        let shown = format!(
            "Kết quả điều tra xã hội học: {} %",
            value.round_dp(2).to_string().replace('.', ",")
        );
        assert!(html.contains(&shown), "{shown}: {html}");
        let en = app
            .login("thamdinh")
            .await
            .get(&format!("{page}&lang=en"))
            .await
            .text();
        assert!(en.contains("Survey result:"), "{en}");
        // The sheet's JSON says the same.
        let json: Value =
            serde_json::from_str(&sec.get("/api/rounds/2019/sheets/skhcn").await.text()).unwrap();
        let row = json["survey"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "9.1.1")
            .unwrap();
        assert_eq!(row["indicator"], "sipas.element.1");
        assert_eq!(row["points"], got.normalize().to_string());
    })
    .await;
}
