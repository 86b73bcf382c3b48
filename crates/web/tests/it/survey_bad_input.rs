//! Bad survey input, table-driven, on both backends: every case gets its status, its code (JSON)
//! and a clear message — kind Vietnamese for a respondent on the form, English on request — and
//! nothing of any case is stored: responses, token use and statistics are as before.

use crate::harness::{Body, TestApp, each_backend};
use crate::survey::{
    BASE, CODE, FORM, PAGE, answers, form, recompute_agrees, response, stored, tokens, with_survey,
};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    status: u16,
    /// The JSON error code (empty for an HTML page).
    code: &'static str,
    /// In the Vietnamese answer.
    vi: &'static str,
    /// In the English answer (`?lang=en`), when checked.
    en: &'static str,
}

fn json_case(
    name: &'static str,
    body: Value,
    status: u16,
    code: &'static str,
    vi: &'static str,
    en: &'static str,
) -> Case {
    Case {
        name,
        path: format!("{BASE}/responses"),
        content_type: "application/json",
        body: serde_json::to_vec(&body).unwrap(),
        headers: vec![],
        status,
        code,
        vi,
        en,
    }
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v.as_object_mut().unwrap().insert(key.into(), value);
    v
}

fn answer(code: &str, value: Value) -> Value {
    let mut a = answers();
    a.as_object_mut().unwrap().insert(code.into(), value);
    with(response("SNV"), "answers", a)
}

fn form_case(name: &'static str, unit: &str, body: Vec<u8>, status: u16, vi: &'static str) -> Case {
    Case {
        name,
        path: format!("{PAGE}/{unit}"),
        content_type: FORM,
        body,
        headers: vec![],
        status,
        code: "",
        vi,
        en: "",
    }
}

async fn run(app: &TestApp, cases: Vec<Case>) -> usize {
    let anon = app.client();
    let before = stored(app).await;
    let n = cases.len();
    for c in cases {
        for lang in ["vi", "en"] {
            if lang == "en" && c.en.is_empty() {
                continue;
            }
            let sep = if c.path.contains('?') { '&' } else { '?' };
            let path = if lang == "en" {
                format!("{}{sep}lang=en", c.path)
            } else {
                c.path.clone()
            };
            let headers: Vec<(&str, &str)> =
                c.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = anon
                .send(
                    "POST",
                    &path,
                    Body::Raw(c.content_type, c.body.clone()),
                    &headers,
                )
                .await;
            assert_eq!(res.status, c.status, "{} ({lang}): {}", c.name, res.text());
            let want = if lang == "en" { c.en } else { c.vi };
            if c.code.is_empty() {
                let html = res.text();
                assert!(
                    html.contains(want),
                    "{} ({lang}): {want:?} not in {html}",
                    c.name
                );
                assert!(
                    html.starts_with("<!doctype html>"),
                    "{}: an HTML page",
                    c.name
                );
            } else {
                assert_eq!(res.code(), c.code, "{} ({lang}): {}", c.name, res.text());
                assert!(
                    res.message().contains(want),
                    "{} ({lang}): {want:?} not in {}",
                    c.name,
                    res.message()
                );
            }
            assert_eq!(
                stored(app).await,
                before,
                "{}: something was stored",
                c.name
            );
        }
    }
    n
}

#[tokio::test]
async fn every_bad_input_is_refused_clearly_and_stores_nothing() {
    each_backend(async |app| {
        with_survey(app).await;
        let snv = tokens(app, "SNV", 2).await;
        let (used, fresh) = (snv[0].clone(), snv[1].clone());
        let anon = app.client();
        let res = anon
            .post(
                &format!("{BASE}/responses"),
                with(response("SNV"), "token", json!(used)),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report_before = app
            .db()
            .survey_report(2019, CODE)
            .await
            .unwrap()
            .province
            .with_quarantined
            .respondents;
        let unknown = "abcdefghijklmnopqrstuvwxyz234567";
        let mut no_unit = response("SNV");
        no_unit.as_object_mut().unwrap().remove("unit");

        let cases = vec![
            json_case(
                "unknown item",
                answer("9.9", json!(4)),
                422,
                "invalid",
                "tiêu chí \"9.9\" không có trong phiếu",
                "item \"9.9\" is not in questionnaire",
            ),
            json_case(
                "value above the scale",
                answer("1.1", json!(7)),
                422,
                "invalid",
                "không thuộc thang đo 1–5",
                "is not on the scale 1–5",
            ),
            json_case(
                "value zero",
                answer("1.2", json!(0)),
                422,
                "invalid",
                "\"0\" cho tiêu chí 1.2 không thuộc thang đo",
                "is not on the scale",
            ),
            json_case(
                "value as words",
                answer("1.3", json!("rất tốt")),
                422,
                "invalid",
                "không thuộc thang đo",
                "is not on the scale",
            ),
            json_case(
                "value not whole",
                answer("1.4", json!(4.5)),
                422,
                "invalid",
                "không thuộc thang đo",
                "is not on the scale",
            ),
            json_case(
                "missing required answer",
                answer("1.1", Value::Null),
                422,
                "invalid",
                "chưa trả lời tiêu chí bắt buộc 1.1",
                "the required item 1.1 is not answered",
            ),
            json_case(
                "used token",
                with(response("SNV"), "token", json!(used)),
                409,
                "token_used",
                "đã được sử dụng",
                "already been used",
            ),
            json_case(
                "unknown token",
                with(response("SNV"), "token", json!(unknown)),
                422,
                "token_unknown",
                "Không tìm thấy mã khảo sát",
                "was not found",
            ),
            json_case(
                "malformed token",
                with(response("SNV"), "token", json!("abc")),
                422,
                "token_unknown",
                "Không tìm thấy mã khảo sát",
                "was not found",
            ),
            json_case(
                "token of another unit",
                with(response("STP"), "token", json!(fresh)),
                422,
                "token_other_unit",
                "dành cho đơn vị Sở Nội vụ",
                "is for Sở Nội vụ",
            ),
            json_case(
                "unit not in the round",
                response("XYZ"),
                422,
                "invalid",
                "không tham gia cuộc khảo sát năm 2019",
                "is not part of the 2019 survey",
            ),
            json_case(
                "no unit and no token",
                no_unit,
                422,
                "invalid",
                "thiếu mã đơn vị",
                "the unit code is missing",
            ),
            json_case(
                "unknown profile option",
                with(response("SNV"), "profile", json!({ "gender": "x" })),
                422,
                "invalid",
                "không phải phương án",
                "is not an option",
            ),
            json_case(
                "two options where one is allowed",
                with(
                    response("SNV"),
                    "profile",
                    json!({ "gender": ["male", "female"] }),
                ),
                422,
                "invalid",
                "chỉ được chọn một phương án",
                "takes one option only",
            ),
            json_case(
                "unknown profile question",
                with(response("SNV"), "profile", json!({ "shoe": "x" })),
                422,
                "invalid",
                "câu hỏi \"shoe\" không có trong phiếu",
                "question \"shoe\" is not in the questionnaire",
            ),
            json_case(
                "unknown expectation option",
                with(response("SNV"), "expectations", json!({ "1": "zzz" })),
                422,
                "invalid",
                "không phải mức của phần mong đợi",
                "is not an expectation option",
            ),
            json_case(
                "unknown other question",
                with(response("SNV"), "other", json!({ "x": "1" })),
                422,
                "invalid",
                "không nhận câu trả lời",
                "takes no answer",
            ),
            json_case(
                "paper channel without staff",
                with(response("SNV"), "channel", json!("paper")),
                422,
                "invalid",
                "phiếu giấy do cán bộ nhập",
                "paper forms are entered by staff",
            ),
            json_case(
                "unknown channel",
                with(response("SNV"), "channel", json!("fax")),
                422,
                "invalid",
                "kênh \"fax\" không hợp lệ",
                "channel \"fax\" is not valid",
            ),
            json_case(
                "unknown service field",
                with(response("SNV"), "service_field", json!("dat_dai")),
                422,
                "invalid",
                "lĩnh vực \"dat_dai\" không có trong khảo sát",
                "is not one of the survey's",
            ),
            json_case(
                "start time not RFC 3339",
                with(response("SNV"), "started_at", json!("hôm qua")),
                422,
                "invalid",
                "không đúng dạng RFC 3339",
                "is not RFC 3339",
            ),
            json_case(
                "start after submission",
                with(response("SNV"), "started_at", json!("2100-01-01T00:00:00Z")),
                422,
                "invalid",
                "sau thời điểm nộp",
                "is after the submission",
            ),
            json_case(
                "free text too long",
                with(response("SNV"), "free_text", json!("ý".repeat(4001))),
                422,
                "invalid",
                "dài quá 4000 ký tự",
                "longer than 4000",
            ),
            json_case(
                "answers not an object",
                with(response("SNV"), "answers", json!([4, 5])),
                400,
                "bad_request",
                "không đúng dạng",
                "expected shape",
            ),
            json_case(
                "an answer of the wrong type",
                answer("1.1", json!(true)),
                400,
                "bad_request",
                "không đúng dạng",
                "expected shape",
            ),
            json_case(
                "unknown field",
                with(response("SNV"), "unitt", json!("SNV")),
                400,
                "bad_request",
                "không đúng dạng",
                "expected shape",
            ),
            Case {
                content_type: "application/json",
                body: b"{\"unit\": \"SNV\", \"answers\": {".to_vec(),
                ..json_case(
                    "malformed JSON",
                    Value::Null,
                    400,
                    "bad_request",
                    "JSON hỏng ở dòng 1",
                    "malformed JSON at line 1",
                )
            },
            Case {
                body: serde_json::to_vec(&with(
                    response("SNV"),
                    "free_text",
                    json!("x".repeat(70_000)),
                ))
                .unwrap(),
                ..json_case(
                    "body over the size limit",
                    Value::Null,
                    413,
                    "too_large",
                    "quá lớn (tối đa 65.536 byte)",
                    "too large (at most 65,536 bytes)",
                )
            },
            Case {
                content_type: "text/plain",
                ..json_case(
                    "not sent as JSON",
                    response("SNV"),
                    415,
                    "unsupported_media_type",
                    "phải là JSON",
                    "must be JSON",
                )
            },
            Case {
                path: "/api/survey/2019/khong-co/responses".into(),
                ..json_case(
                    "unknown survey",
                    response("SNV"),
                    404,
                    "not_found",
                    "2019/khong-co",
                    "2019/khong-co",
                )
            },
            Case {
                path: "/api/survey/nam-nay/x/responses".into(),
                ..json_case(
                    "year not a number",
                    response("SNV"),
                    400,
                    "bad_request",
                    "địa chỉ không hợp lệ",
                    "invalid address",
                )
            },
            form_case(
                "form: required answer missing",
                "SNV",
                form(&[], &["1.1"]),
                422,
                "Xin Ông/Bà chọn một mức đánh giá cho nội dung này.",
            ),
            form_case(
                "form: answers kept when refused",
                "SNV",
                form(&[], &["1.1"]),
                422,
                "name=\"i_1.2\" value=\"4\" checked",
            ),
            form_case(
                "form: unknown item",
                "SNV",
                form(&[("i_9.9", "4")], &[]),
                422,
                "9.9",
            ),
            form_case(
                "form: value 9",
                "SNV",
                form(&[("i_1.1", "9")], &["1.1"]),
                422,
                "Câu trả lời không hợp lệ: xin chọn một trong năm mức từ 1 đến 5.",
            ),
            form_case(
                "form: used token",
                "SNV",
                form(&[("ma", &used)], &[]),
                409,
                "Mã khảo sát này đã được sử dụng",
            ),
            form_case(
                "form: unknown token",
                "SNV",
                form(&[("ma", unknown)], &[]),
                422,
                "Không tìm thấy mã khảo sát này",
            ),
            form_case(
                "form: unknown token offers to type it again",
                "SNV",
                form(&[("ma", unknown)], &[]),
                422,
                "name=\"ma\"",
            ),
            form_case(
                "form: token of another unit",
                "STP",
                form(&[("ma", &fresh)], &[]),
                422,
                "dành cho đơn vị Sở Nội vụ",
            ),
            form_case(
                "form: unit not in the round",
                "XYZ",
                form(&[], &[]),
                404,
                "không tham gia cuộc khảo sát năm 2019",
            ),
            form_case(
                "form: unknown profile option",
                "SNV",
                form(&[("p_age_band", "99")], &[]),
                422,
                "Phương án này không có trong phiếu",
            ),
            form_case(
                "form: unknown expectation level",
                "SNV",
                form(&[("e_1", "zzz")], &[]),
                422,
                "Xin chọn một mức: Rất nhiều, Nhiều hoặc Ít.",
            ),
            form_case(
                "form: over the size limit",
                "SNV",
                form(&[("free_text", &"x".repeat(70_000))], &[]),
                413,
                "Phiếu gửi lên quá dài",
            ),
            form_case(
                "form: not UTF-8",
                "SNV",
                b"i_1.1=%FF%FE".to_vec(),
                400,
                "Không đọc được phiếu gửi lên",
            ),
            form_case(
                "form: one answer sent twice",
                "SNV",
                [form(&[], &[]), b"&i_1.1=3".to_vec()].concat(),
                400,
                "Không đọc được phiếu gửi lên",
            ),
            Case {
                content_type: "multipart/form-data; boundary=x",
                ..form_case(
                    "form: not a urlencoded form",
                    "SNV",
                    b"--x--".to_vec(),
                    415,
                    "Không đọc được phiếu gửi lên",
                )
            },
            Case {
                headers: vec![("origin", "http://evil.example".into())],
                ..form_case(
                    "form: posted from another site",
                    "SNV",
                    form(&[], &[]),
                    403,
                    "Phiếu phải được gửi từ trang khảo sát",
                )
            },
            Case {
                path: "/khao-sat/2019/khong-co/SNV".into(),
                ..form_case(
                    "form: unknown survey",
                    "SNV",
                    form(&[], &[]),
                    404,
                    "Không tìm thấy cuộc khảo sát này",
                )
            },
            Case {
                en: "Please choose a level for this statement.",
                ..form_case(
                    "form: in English on request",
                    "SNV",
                    form(&[], &["2.1"]),
                    422,
                    "Xin Ông/Bà chọn một mức",
                )
            },
        ];
        let n = run(app, cases).await;

        // Closed: every channel refuses before looking at anything else.
        app.db()
            .set_survey_state(
                2019,
                CODE,
                parindex_store::survey::SurveyState::Closed,
                &parindex_store::Actor::new("test"),
            )
            .await
            .unwrap();
        app.state.survey().forget(2019, CODE);
        let closed = vec![
            json_case(
                "closed survey",
                response("SNV"),
                409,
                "survey_closed",
                "đã kết thúc và không nhận thêm phiếu",
                "has ended",
            ),
            json_case(
                "closed survey, with a token",
                with(response("SNV"), "token", json!(fresh)),
                409,
                "survey_closed",
                "đã kết thúc",
                "has ended",
            ),
            form_case(
                "form: closed survey",
                "SNV",
                form(&[], &[]),
                409,
                "Cuộc khảo sát năm 2019 đã kết thúc",
            ),
        ];
        let m = run(app, closed).await;
        assert!(n + m >= 50, "{} cases", n + m);

        // Nothing of any case was kept: the fresh token is unused, the statistics unchanged.
        let sec = app.login("sec").await;
        let s = sec.get(BASE).await.json();
        assert_eq!(
            s["tokens"][0],
            json!({ "unit": "SNV", "made": 2, "used": 1 })
        );
        let after = app
            .db()
            .survey_report(2019, CODE)
            .await
            .unwrap()
            .province
            .with_quarantined
            .respondents;
        assert_eq!(after, report_before);
        assert_eq!(stored(app).await, 1);
        recompute_agrees(app).await;
    })
    .await;
}
