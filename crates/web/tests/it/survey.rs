//! Surveys over HTTP: the public questionnaire (open link and tokens), JSON ingest answered after
//! the commit, tokens with QR sheets, the review queue, the report, import, paper entry, the rate
//! limit, closing, and who may use the secretariat's routes — on both backends.

use crate::harness::{Body, Client, Res, TestApp, each_backend, seed, sets_dir};
use parindex_store::Actor;
use parindex_store::survey::{ResponseStatus, SurveySettings};
use parindex_web::survey::limit::Limits;
use serde_json::{Value, json};

pub const CODE: &str = "sipas-2017-22";
pub const BASE: &str = "/api/survey/2019/sipas-2017-22";
pub const PAGE: &str = "/khao-sat/2019/sipas-2017-22";

/// The 22 items of the bundled 2017–2020 questionnaire, in order.
/// Creates the round's survey on the bundled 22-item questionnaire and stores `n` responses
/// for `unit` (answers cycling through 5, 4, 4, 3, 2), leaving the survey open.
pub async fn demo_responses(db: &parindex_store::Db, year: i32, unit: &str, n: usize) {
    let toml = std::fs::read_to_string(sets_dir().join("sipas-2017-22.survey.toml")).unwrap();
    let actor = parindex_store::Actor::new("sonoivu");
    db.create_survey(
        year,
        "sipas-2017-22.survey.toml",
        &toml,
        &Default::default(),
        &actor,
    )
    .await
    .unwrap();
    let ctx = db.survey_context(year, "sipas-2017-22").await.unwrap();
    let levels = ["5", "4", "4", "3", "2"];
    let mut batch = Vec::new();
    for k in 0..n {
        let raw = parindex_store::survey::RawResponse {
            unit: unit.into(),
            channel: "counter".into(),
            answers: items()
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), levels[(i + k) % levels.len()].to_string()))
                .collect(),
            ..Default::default()
        };
        batch.push(parindex_store::survey::validate(&ctx, &raw).unwrap());
    }
    for r in db.write_responses(&batch).await.unwrap() {
        r.unwrap();
    }
}

/// Closes the round's survey on the bundled 22-item questionnaire.
pub async fn close_demo_survey(db: &parindex_store::Db, year: i32) {
    db.set_survey_state(
        year,
        "sipas-2017-22",
        parindex_store::survey::SurveyState::Closed,
        &parindex_store::Actor::new("sonoivu"),
    )
    .await
    .unwrap();
}

pub fn items() -> Vec<String> {
    let toml = std::fs::read_to_string(sets_dir().join("sipas-2017-22.survey.toml")).unwrap();
    parindex_core::questionnaire::parse_questionnaire("q", &toml)
        .unwrap()
        .items
        .iter()
        .map(|i| i.code.clone())
        .collect()
}

/// The seeded province with the bundled questionnaire as survey `sipas-2017-22` of round 2019.
pub async fn with_survey(app: &TestApp) {
    seed(app.db()).await;
    let toml = std::fs::read_to_string(sets_dir().join("sipas-2017-22.survey.toml")).unwrap();
    app.db()
        .create_survey(
            2019,
            "sipas-2017-22.survey.toml",
            &toml,
            &SurveySettings::default(),
            &Actor::new("seed"),
        )
        .await
        .unwrap();
}

/// Varied answers (not straight-lined): item i gets 5, 4, 4, 3, 5, 4, …
pub fn answers() -> Value {
    let levels = [5, 4, 4, 3];
    let m: serde_json::Map<String, Value> = items()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, json!(levels[i % levels.len()])))
        .collect();
    Value::Object(m)
}

pub fn response(unit: &str) -> Value {
    json!({
        "unit": unit,
        "answers": answers(),
        "profile": { "gender": "female" },
        "expectations": { "1": "nhieu", "3": "rat_nhieu" },
        "free_text": "Cán bộ nhiệt tình"
    })
}

/// The form fields of a complete response, urlencoded.
pub fn form(extra: &[(&str, &str)], skip: &[&str]) -> Vec<u8> {
    let levels = ["5", "4", "4", "3"];
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (i, c) in items().iter().enumerate() {
        if !skip.contains(&c.as_str()) {
            s.append_pair(&format!("i_{c}"), levels[i % levels.len()]);
        }
    }
    s.append_pair("p_gender", "male");
    s.append_pair("e_2", "it");
    for (k, v) in extra {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

pub const FORM: &str = "application/x-www-form-urlencoded";

pub async fn post_form(c: &Client, path: &str, body: Vec<u8>) -> Res {
    c.send("POST", path, Body::Raw(FORM, body), &[]).await
}

/// Responses stored, every status.
pub async fn stored(app: &TestApp) -> u64 {
    app.db()
        .response_counts(2019, CODE)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum()
}

pub async fn count(app: &TestApp, status: ResponseStatus) -> u64 {
    app.db()
        .response_counts(2019, CODE)
        .await
        .unwrap()
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n)
}

/// The running statistics equal a recompute from the raw responses.
pub async fn recompute_agrees(app: &TestApp) {
    let rep = app
        .db()
        .recompute_survey(2019, CODE, false, &mut |_| {})
        .await
        .unwrap();
    assert!(rep.differences.is_empty(), "{:?}", rep.differences);
}

pub async fn tokens(app: &TestApp, unit: &str, n: usize) -> Vec<String> {
    let sec = app.login("sec").await;
    let res = sec
        .post(
            &format!("{BASE}/units/{unit}/tokens"),
            json!({ "count": n }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["token"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn json_and_form_responses_are_stored_once_committed() {
    each_backend(async |app| {
        with_survey(app).await;
        let anon = app.client();
        let res = anon
            .post(&format!("{BASE}/responses"), response("SNV"))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json(), json!({ "status": "received" }));
        // Answered after the commit: the response is there as soon as the answer is.
        assert_eq!(count(app, ResponseStatus::Accepted).await, 1);

        // The page of the unit's open link: the five elements, the scale as radio buttons with
        // Vietnamese labels, expectations and profile; no script; a device marker.
        let page = anon.get(&format!("{PAGE}/STP")).await;
        assert_eq!(page.status, 200);
        let html = page.text();
        for needle in [
            "<html lang=\"vi\">",
            "Sở Tư pháp",
            "Tiếp cận dịch vụ",
            "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
            "type=\"radio\" name=\"i_1.1\" value=\"1\"",
            "Rất không hài lòng",
            "Rất hài lòng",
            "name=\"e_1\"",
            "name=\"p_gender\"",
            "name=\"free_text\"",
        ] {
            assert!(html.contains(needle), "{needle} missing");
        }
        assert!(!html.contains("<script"));
        assert!(html.len() < 60_000, "a light page: {} bytes", html.len());
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'sha256-"));
        let set = page.headers["set-cookie"].to_str().unwrap();
        assert!(set.starts_with("parindex_device=") && set.contains("HttpOnly"));

        let res = post_form(
            &anon,
            &format!("{PAGE}/STP"),
            form(&[("free_text", "Tốt")], &[]),
        )
        .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(res.headers["location"], format!("{PAGE}/STP/cam-on"));
        let thanks = anon.get(&format!("{PAGE}/STP/cam-on")).await;
        assert_eq!(thanks.status, 200);
        assert!(thanks.text().contains("Trân trọng cảm ơn Ông/Bà"));
        assert_eq!(stored(app).await, 2);

        // In English on request.
        let en = anon.get(&format!("{PAGE}/STP?lang=en")).await;
        assert!(en.text().contains("<html lang=\"en\">") && en.text().contains("Very satisfied"));

        // The landing page lists the units' open links and takes a token.
        let landing = anon.get(PAGE).await;
        assert_eq!(landing.status, 200);
        assert!(landing.text().contains(&format!("href=\"{PAGE}/SXD\"")));
        assert!(landing.text().contains("name=\"ma\""));

        let report = app.db().survey_report(2019, CODE).await.unwrap();
        let snv = report.units.iter().find(|u| u.unit == "SNV").unwrap();
        assert_eq!(snv.official.respondents, 1);
        recompute_agrees(app).await;
    })
    .await;
}

#[tokio::test]
async fn tokens_open_the_form_once_and_print_as_qr_sheets() {
    each_backend(async |app| {
        with_survey(app).await;
        let sec = app.login("sec").await;
        let res = sec
            .post(&format!("{BASE}/units/SNV/tokens"), json!({ "count": 3 }))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let body = res.json();
        let list = body["tokens"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        let t0 = list[0]["token"].as_str().unwrap().to_string();
        assert_eq!(t0.len(), 32, "160 random bits in base32");
        let url = list[0]["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("{PAGE}?ma={t0}")), "{url}");

        // Only the hash is kept (SQLite: the plaintext is nowhere in the database files).
        if app.dir.path().join("parindex.db").exists() {
            for f in ["parindex.db", "parindex.db-wal"] {
                if let Ok(bytes) = std::fs::read(app.dir.path().join(f)) {
                    assert!(
                        !bytes.windows(32).any(|w| w == t0.as_bytes()),
                        "the token is stored in {f}"
                    );
                }
            }
        }

        // The QR link opens the unit's questionnaire with the token kept in the form.
        let anon = app.client();
        let page = anon.get(&format!("{PAGE}?ma={t0}")).await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("Sở Nội vụ"));
        assert!(page.text().contains(&format!("name=\"ma\" value=\"{t0}\"")));
        let res = post_form(&anon, &format!("{PAGE}/SNV"), form(&[("ma", &t0)], &[])).await;
        assert_eq!(res.status, 303, "{}", res.text());
        // Single use: the same token again is refused, kindly, and nothing more is stored.
        let again = post_form(&anon, &format!("{PAGE}/SNV"), form(&[("ma", &t0)], &[])).await;
        assert_eq!(again.status, 409);
        assert!(again.text().contains("đã được sử dụng"), "{}", again.text());
        let landing = anon.get(&format!("{PAGE}?ma={t0}")).await;
        assert_eq!(landing.status, 409);
        // The JSON route with `?token=`, without a unit (the token names it).
        let t1 = list[1]["token"].as_str().unwrap();
        let mut r = response("");
        r.as_object_mut().unwrap().remove("unit");
        let res = anon
            .post(&format!("{BASE}/responses?token={t1}"), r.clone())
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = anon.post(&format!("{BASE}/responses?token={t1}"), r).await;
        assert_eq!((res.status, res.code().as_str()), (409, "token_used"));
        assert_eq!(stored(app).await, 2);
        let s = sec.get(BASE).await.json();
        assert_eq!(
            s["tokens"][0],
            json!({ "unit": "SNV", "made": 3, "used": 2 })
        );

        // A sheet of QR codes to print: SVG (one code per token) or HTML pages.
        let res = sec
            .post(
                &format!("{BASE}/units/STP/tokens"),
                json!({ "count": 13, "format": "svg" }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.headers["content-type"], "image/svg+xml");
        let svg = res.text();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<path").count(), 13);
        assert!(svg.contains("Sở Tư pháp"));
        assert!(svg.contains("height=\"594mm\""), "two A4 pages");
        let res = sec
            .post(
                &format!("{BASE}/units/STP/tokens"),
                json!({ "count": 2, "format": "html" }),
            )
            .await;
        assert_eq!(res.status, 201);
        assert!(
            res.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(res.text().contains("@page{size:A4"));
        let s = sec.get(BASE).await.json();
        assert_eq!(
            s["tokens"][1],
            json!({ "unit": "STP", "made": 15, "used": 0 })
        );
        recompute_agrees(app).await;
    })
    .await;
}

#[tokio::test]
async fn review_queue_and_report() {
    each_backend(async |app| {
        with_survey(app).await;
        let anon = app.client();
        for unit in ["SNV", "SNV", "STP"] {
            let res = anon
                .post(&format!("{BASE}/responses"), response(unit))
                .await;
            assert_eq!(res.status, 201);
        }
        // Straight-lined: held for review, not refused (the respondent is not told).
        let all_fours: serde_json::Map<String, Value> =
            items().into_iter().map(|c| (c, json!(4))).collect();
        let res = anon
            .post(
                &format!("{BASE}/responses"),
                json!({ "unit": "STP", "answers": all_fours }),
            )
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(res.json()["status"], "received");
        assert_eq!(count(app, ResponseStatus::Quarantined).await, 1);

        let sec = app.login("sec").await;
        let q = sec.get(&format!("{BASE}/review")).await;
        assert_eq!(q.status, 200, "{}", q.text());
        let list = q.json()["responses"].as_array().unwrap().clone();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["flags"][0]["code"], "straight_line");
        assert_eq!(
            list[0]["flags"][0]["text"],
            "chọn cùng một mức cho mọi tiêu chí"
        );
        assert_eq!(list[0]["unit"], "STP");
        let id = list[0]["id"].as_i64().unwrap();

        // The report shows the held response only in the view with quarantined responses.
        let rep = sec.get(&format!("{BASE}/report")).await;
        assert_eq!(rep.status, 200, "{}", rep.text());
        let rep = rep.json();
        let stp = rep["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "STP")
            .unwrap()
            .clone();
        assert_eq!(stp["official"]["respondents"], 1);
        assert_eq!(stp["with_quarantined"]["respondents"], 2);
        assert_eq!(stp["official"]["elements"].as_array().unwrap().len(), 5);
        let overall = &stp["official"]["overall"];
        assert!(overall["lo"].as_f64().unwrap() <= overall["value"].as_f64().unwrap());
        assert_eq!(stp["official"]["small_sample"], true);
        let ranking = &rep["rankings"][0]["official"];
        assert_eq!(ranking.as_array().unwrap().len(), 2);
        assert!(ranking[0].get("same_as_next").is_some() && ranking[0].get("best_rank").is_some());
        let seg = sec
            .get(&format!("{BASE}/report?segments=true"))
            .await
            .json();
        assert!(
            seg["segments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["segment"] == "profile:gender=female")
        );

        // Release with a reason; a reason is required; deciding twice is refused.
        let res = sec
            .post(
                &format!("{BASE}/review/{id}"),
                json!({ "decision": "release", "reason": "" }),
            )
            .await;
        assert_eq!((res.status, res.code().as_str()), (422, "invalid"));
        let res = sec
            .post(
                &format!("{BASE}/review/{id}"),
                json!({ "decision": "release", "reason": "đã gọi điện xác minh" }),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "accepted");
        assert_eq!(res.json()["reviewed_by"], "sec");
        let res = sec
            .post(
                &format!("{BASE}/review/{id}"),
                json!({ "decision": "release", "reason": "lại" }),
            )
            .await;
        assert_eq!(res.status, 422);
        let res = sec
            .post(
                &format!("{BASE}/review/{id}"),
                json!({ "decision": "reject", "reason": "trùng phiếu giấy" }),
            )
            .await;
        assert_eq!(res.json()["status"], "rejected");
        assert_eq!(count(app, ResponseStatus::Rejected).await, 1);
        let rejected = sec
            .get(&format!("{BASE}/review?status=rejected"))
            .await
            .json();
        assert_eq!(rejected["responses"][0]["id"], id);
        let rep = sec.get(&format!("{BASE}/report")).await.json();
        let stp = rep["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "STP")
            .unwrap()
            .clone();
        assert_eq!(stp["with_quarantined"]["respondents"], 1);
        recompute_agrees(app).await;

        // Leaders read the report, not the queue; officers neither; anonymous callers sign in.
        let leader = app.login("leader").await;
        assert_eq!(leader.get(&format!("{BASE}/report")).await.status, 200);
        assert_eq!(leader.get(&format!("{BASE}/review")).await.status, 403);
        let officer = app.login("off.snv").await;
        assert_eq!(officer.get(&format!("{BASE}/report")).await.status, 403);
        let res = officer
            .post(&format!("{BASE}/units/SNV/tokens"), json!({ "count": 1 }))
            .await;
        assert_eq!(res.status, 403);
        assert_eq!(anon.get(&format!("{BASE}/report")).await.status, 401);
        let res = anon
            .post(&format!("{BASE}/units/SNV/tokens"), json!({ "count": 1 }))
            .await;
        assert_eq!(res.status, 401);
        // The secretariat's writes need the CSRF token.
        let res = sec
            .send(
                "POST",
                &format!("{BASE}/units/SNV/tokens"),
                Body::Json(json!({ "count": 1 })),
                &[("no-csrf", "")],
            )
            .await;
        assert_eq!((res.status, res.code().as_str()), (403, "csrf_missing"));
    })
    .await;
}

#[tokio::test]
async fn paper_entry_is_fast_with_the_keyboard() {
    each_backend(async |app| {
        with_survey(app).await;
        let path = format!("{PAGE}/nhap-phieu");
        let anon = app.client();
        let res = anon.get(&path).await;
        assert_eq!(res.status, 303);
        assert!(
            res.headers["location"]
                .to_str()
                .unwrap()
                .starts_with("/dang-nhap?next=")
        );
        let officer = app.login("off.snv").await;
        assert_eq!(officer.get(&path).await.status, 403);

        let sec = app.login("sec").await;
        let page = sec.get(&format!("{path}?unit=STP")).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        assert!(html.contains("name=\"d_1\""), "one box per element");
        assert!(html.contains("autofocus"));
        assert!(html.contains("<option value=\"STP\" selected>"));
        assert!(!html.contains("<script"));
        let csrf = sec.csrf().unwrap();
        let digits = [
            ("d_1", "4453"),
            ("d_2", "5 4 4 4 3"),
            ("d_3", "444555"),
            ("d_4", "345"),
            ("d_5", "4344"),
        ];
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("csrf", &csrf)
            .append_pair("unit", "STP")
            .append_pair("x", "12300000");
        s.append_pair("p_gender", "female");
        for (k, v) in digits {
            s.append_pair(k, v);
        }
        let res = post_form(&sec, &path, s.finish().into_bytes()).await;
        assert_eq!(res.status, 303, "{}", res.text());
        let loc = res.headers["location"].to_str().unwrap().to_string();
        assert!(loc.starts_with(&format!("{path}?unit=STP&ok=")), "{loc}");
        let next = sec.get(&loc).await;
        assert!(next.text().contains("Đã lưu phiếu #"), "{}", next.text());
        assert_eq!(stored(app).await, 1);
        let r = app
            .db()
            .responses_in_status(2019, CODE, ResponseStatus::Accepted, 0, 10)
            .await
            .unwrap();
        assert_eq!(r[0].channel, "paper");
        assert_eq!(r[0].answers[..4], [4, 4, 5, 3]);
        assert_eq!(r[0].answers[18..], [4, 3, 4, 4]);

        // A wrong digit and a missing required answer: shown on the element's row, typed text
        // kept, nothing stored.
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("csrf", &csrf).append_pair("unit", "STP");
        for (k, v) in [
            ("d_1", "4473"),
            ("d_2", "5444"),
            ("d_3", "444555"),
            ("d_4", "345"),
            ("d_5", "4444"),
        ] {
            s.append_pair(k, v);
        }
        let res = post_form(&sec, &path, s.finish().into_bytes()).await;
        assert_eq!(res.status, 422);
        let html = res.text();
        assert!(html.contains("value=\"4473\""), "{html}");
        assert!(html.contains("1.3: Câu trả lời không hợp lệ"), "{html}");
        assert!(html.contains("2.5: Xin Ông/Bà chọn một mức"), "{html}");
        // Too many digits for an element.
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("csrf", &csrf).append_pair("unit", "STP");
        for (k, v) in [
            ("d_1", "44534"),
            ("d_2", "54443"),
            ("d_3", "444555"),
            ("d_4", "345"),
            ("d_5", "4444"),
        ] {
            s.append_pair(k, v);
        }
        let res = post_form(&sec, &path, s.finish().into_bytes()).await;
        assert_eq!(res.status, 422);
        assert!(
            res.text()
                .contains("yếu tố này có 4 tiêu chí, đã gõ 5 chữ số")
        );
        // Without the CSRF field.
        let res = post_form(&sec, &path, b"unit=STP&d_1=4453".to_vec()).await;
        assert_eq!(res.status, 403);
        assert_eq!(stored(app).await, 1);
        recompute_agrees(app).await;
    })
    .await;
}

#[tokio::test]
async fn import_through_the_api() {
    each_backend(async |app| {
        with_survey(app).await;
        let sec = app.login("sec").await;
        let codes = items();
        let mut csv = format!("unit,channel,{}\n", codes.join(","));
        for unit in ["SNV", "SXD"] {
            let row: Vec<&str> = (0..codes.len()).map(|i| ["5", "4", "3"][i % 3]).collect();
            csv.push_str(&format!("{unit},paper,{}\n", row.join(",")));
        }
        let path = format!("{BASE}/import?name=dot1.csv");
        let res = sec
            .send(
                "POST",
                &path,
                Body::Raw("text/csv", csv.clone().into_bytes()),
                &[],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["imported"], 2);
        let res = sec
            .send("POST", &path, Body::Raw("text/csv", csv.into_bytes()), &[])
            .await;
        assert_eq!(res.json()["imported"], 0);
        assert_eq!(res.json()["already"], 2);
        // A refused row: nothing stored, the line and column named.
        let bad = format!(
            "unit,channel,{}\nSNV,paper,{}\n",
            codes.join(","),
            vec!["9"; codes.len()].join(",")
        );
        let res = sec
            .send("POST", &path, Body::Raw("text/csv", bad.into_bytes()), &[])
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.json()["committed"], false, "{}", res.text());
        assert!(
            res.json()["problems"][0]
                .as_str()
                .unwrap()
                .contains("dot1.csv"),
            "{}",
            res.text()
        );
        assert_eq!(stored(app).await, 2);
        recompute_agrees(app).await;
    })
    .await;
}

#[tokio::test]
async fn the_open_link_is_rate_limited_per_source_but_tokens_are_not() {
    each_backend(async |app| {
        with_survey(app).await;
        app.state.survey().limiter().set_limits(Limits {
            burst: 2,
            per_hour: 60,
            max_sources: 100,
        });
        let t = tokens(app, "SXD", 2).await;
        let anon = app.client();
        for _ in 0..2 {
            assert_eq!(
                anon.post(&format!("{BASE}/responses"), response("SNV"))
                    .await
                    .status,
                201
            );
        }
        let res = anon
            .post(&format!("{BASE}/responses"), response("SNV"))
            .await;
        assert_eq!((res.status, res.code().as_str()), (429, "rate_limited"));
        let wait: u64 = res.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            res.message().contains("thử lại sau khoảng 1 phút"),
            "{}",
            res.message()
        );
        let res = post_form(&anon, &format!("{PAGE}/SNV"), form(&[], &[])).await;
        assert_eq!(res.status, 429);
        assert!(res.text().contains("nhiều phiếu trong thời gian ngắn"));
        assert!(
            res.text().contains("name=\"i_1.1\" value=\"5\" checked"),
            "the answers are kept"
        );
        // With a token: not limited.
        let res = post_form(&anon, &format!("{PAGE}/SXD"), form(&[("ma", &t[0])], &[])).await;
        assert_eq!(res.status, 303, "{}", res.text());
        let res = anon
            .post(&format!("{BASE}/responses?ma={}", t[1]), response("SXD"))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(stored(app).await, 4);
        app.state.survey().limiter().set_limits(Limits::default());
    })
    .await;
}

#[tokio::test]
async fn a_closed_survey_refuses_kindly_and_reopens() {
    each_backend(async |app| {
        with_survey(app).await;
        let sec = app.login("sec").await;
        let res = sec
            .put(&format!("{BASE}/state"), json!({ "state": "closed" }))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["state"], "closed");
        let anon = app.client();
        let res = anon
            .post(&format!("{BASE}/responses"), response("SNV"))
            .await;
        assert_eq!((res.status, res.code().as_str()), (409, "survey_closed"));
        let page = anon.get(&format!("{PAGE}/SNV")).await;
        assert_eq!(page.status, 409);
        assert!(page.text().contains("đã kết thúc"));
        let res = post_form(&anon, &format!("{PAGE}/SNV"), form(&[], &[])).await;
        assert_eq!(res.status, 409);
        assert_eq!(stored(app).await, 0);
        let res = sec
            .put(&format!("{BASE}/state"), json!({ "state": "open" }))
            .await;
        assert_eq!(res.json()["state"], "open");
        let res = anon
            .post(&format!("{BASE}/responses"), response("SNV"))
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(sec.get(BASE).await.json()["responses"]["accepted"], 1);
    })
    .await;
}

#[tokio::test]
async fn the_survey_api_is_documented() {
    each_backend(async |app| {
        with_survey(app).await;
        let doc = app.client().get("/api/survey/openapi.json").await;
        assert_eq!(doc.status, 200);
        let doc = doc.json();
        let paths = doc["paths"].as_object().unwrap();
        for (method, path) in [
            ("post", "/api/survey/{year}/{code}/responses"),
            ("get", "/api/survey/{year}/{code}"),
            ("put", "/api/survey/{year}/{code}/state"),
            ("post", "/api/survey/{year}/{code}/units/{unit}/tokens"),
            ("get", "/api/survey/{year}/{code}/review"),
            ("post", "/api/survey/{year}/{code}/review/{id}"),
            ("get", "/api/survey/{year}/{code}/report"),
            ("post", "/api/survey/{year}/{code}/import"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path}"
            );
        }
        assert_eq!(paths.len(), 8);
        // The writer runs and batches.
        assert!(app.state.survey().started());
        let anon = app.client();
        anon.post(&format!("{BASE}/responses"), response("SNV"))
            .await;
        assert_eq!(app.state.survey().ingest(app.db()).submissions(), 1);
    })
    .await;
}
