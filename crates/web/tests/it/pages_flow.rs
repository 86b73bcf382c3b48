//! The pages' forms on the demo province: a sheet from self-assessment (with an evidence upload
//! and an htmx autosave) through appraisal, explanation and approval; validation errors shown in
//! place with what was typed; an expired session sent to sign in and back (also for htmx); CSRF
//! refused; and no bad input answered with a 500.

use crate::harness::{multipart, pdf, png};
use crate::pages::{DemoApp, Page, Res, each_demo};

const SHEET: &str = "/ky/2019/phieu/e2e";
/// In area 1 of the department set: a binary (max 0,5) and a proportional (max 0,5) sub-criterion.
const BINARY: &str = "1.3.1";
const RATIO: &str = "1.3.3";

fn field(name: &str, code: &str) -> String {
    format!("{name}:{code}")
}

/// The value of a hidden input by id.
fn hidden(res: &Res, id: &str) -> String {
    let t = res.text();
    let at = t
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {}", &t[..t.len().min(2000)]));
    let rest = &t[at..];
    let v = rest.find("value=\"").unwrap();
    rest[v + 7..].split('"').next().unwrap().to_string()
}

async fn move_sheet(c: &Page, to: &str) -> Res {
    let page = c.get(SHEET).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let version = hidden_version(&page);
    let csrf = page.csrf();
    c.post_form(
        &format!("{SHEET}/chuyen"),
        &[("csrf", &csrf), ("to", to), ("version", &version)],
    )
    .await
}

/// The sheet version in the state-change forms.
fn hidden_version(res: &Res) -> String {
    let t = res.text();
    let at = t
        .find("name=\"version\" value=\"")
        .unwrap_or_else(|| panic!("no state-change form in {t}"));
    t[at + 22..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_sheet_through_the_pages_from_self_assessment_to_approval() {
    each_demo(async |app: &DemoApp| {
        let officer = app.login("canbo.e2e").await;

        // Start.
        let res = move_sheet(&officer, "self_assessing").await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(res.location(), format!("{SHEET}?ok=moved"));
        let page = officer.get(&res.location()).await;
        assert!(page.text().contains("Đã chuyển trạng thái phiếu."));
        assert!(
            page.text()
                .contains(&format!("name=\"{}\"", field("d", RATIO)))
        );

        // The whole area without JavaScript: one good row, one refused, shown in place.
        let csrf = page.csrf();
        let res = officer
            .post_form(
                &format!("{SHEET}/luu"),
                &[
                    ("csrf", &csrf),
                    ("kind", "self"),
                    ("area", "1"),
                    (&field("d", BINARY), "có"),
                    (&field("v", BINARY), "0"),
                    (&field("d", RATIO), "mười hai"),
                    (&field("v", RATIO), "0"),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        let text = res.text();
        let row = &text[text
            .find(&format!("id=\"row-{}\"", RATIO.replace('.', "-")))
            .unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("aria-invalid=\"true\""), "{row}");
        assert!(
            row.contains("value=\"mười hai\""),
            "what was typed is kept: {row}"
        );
        assert!(
            row.contains("class=\"error\"><p>"),
            "the message is in the row: {row}"
        );
        let saved = app
            .db()
            .entry(&parindex_store::sheets::EntryKey::new(2019, "e2e", BINARY))
            .await
            .unwrap();
        assert_eq!(saved.declared, "có");

        // One row with htmx: the points and totals come back at once.
        let version = app
            .db()
            .entry(&parindex_store::sheets::EntryKey::new(2019, "e2e", RATIO))
            .await
            .unwrap()
            .version
            .to_string();
        let res = officer
            .htmx_post(
                &format!("{SHEET}/luu/{RATIO}"),
                SHEET,
                &[
                    ("csrf", &csrf),
                    ("kind", "self"),
                    (&field("d", RATIO), "12/15"),
                    (&field("v", RATIO), &version),
                ],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let text = res.text();
        assert!(!text.contains("<html"), "a fragment, not a page");
        assert!(text.contains("✓ Đã lưu"));
        assert!(
            text.contains(&format!(
                "id=\"pts-{}\" hx-swap-oob=\"true\">0,4<",
                RATIO.replace('.', "-")
            )),
            "{text}"
        );
        assert!(text.contains("id=\"summary\" hx-swap-oob=\"true\""));
        // A stale version is refused in place (someone saved in between).
        let res = officer
            .htmx_post(
                &format!("{SHEET}/luu/{RATIO}"),
                SHEET,
                &[
                    ("csrf", &csrf),
                    ("kind", "self"),
                    (&field("d", RATIO), "1/15"),
                    (&field("v", RATIO), &version),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(
            res.text()
                .contains("class=\"error\" role=\"alert\" hx-swap-oob=\"true\"><p>")
        );

        // Evidence: upload with a page reference, listed, downloaded; a wrong type refused in place.
        let item = format!("{SHEET}/muc/{BINARY}");
        let page = officer.get(&item).await;
        let token = page.csrf();
        let (ct, body) = multipart("ke-hoach-kiem-tra.pdf", &pdf(), "tr. 2");
        let res = officer
            .send(
                "POST",
                &format!("{item}/tai-lieu?csrf={token}"),
                Some(ct),
                body,
                &[],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        let page = officer.get(&res.location()).await;
        let text = page.text();
        assert!(
            text.contains("ke-hoach-kiem-tra.pdf") && text.contains("tr. 2"),
            "{text}"
        );
        assert!(text.contains("Đã tải lên tài liệu kiểm chứng."));
        let href_at = text.find("/tai-lieu/").unwrap();
        let href = text[..href_at].rsplit('"').next().unwrap().to_string()
            + text[href_at..].split('"').next().unwrap();
        let file = officer.get(&href).await;
        assert_eq!(file.status, 200);
        assert!(file.body.starts_with(b"%PDF"));
        let (ct, body) = multipart("anh.pdf", &png(), "");
        let res = officer
            .send(
                "POST",
                &format!("{item}/tai-lieu?csrf={token}"),
                Some(ct),
                body,
                &[],
            )
            .await;
        assert!((400..500).contains(&res.status), "{}", res.status);
        assert!(
            res.text().contains("id=\"upload-errors\""),
            "{}",
            res.text()
        );
        // A multipart post without the token in its address is refused.
        let (ct, body) = multipart("x.pdf", &pdf(), "");
        let res = officer
            .send("POST", &format!("{item}/tai-lieu"), Some(ct), body, &[])
            .await;
        assert_eq!(res.status, 403);

        // Submit (the confirmation is part of the page), then the sheet is read-only.
        let res = move_sheet(&officer, "submitted").await;
        assert_eq!(res.status, 303, "{}", res.text());
        let page = officer.get(SHEET).await;
        assert!(
            !page
                .text()
                .contains(&format!("name=\"{}\"", field("d", RATIO)))
        );

        // Appraisal round 1: start, a refused point value in place, then a good one.
        let appraiser = app.login("thamdinh").await;
        assert_eq!(move_sheet(&appraiser, "appraisal_1").await.status, 303);
        let page = appraiser.get(SHEET).await;
        let csrf = page.csrf();
        let v = hidden(&page, &format!("v-{}", BINARY.replace('.', "-")));
        let res = appraiser
            .post_form(
                &format!("{SHEET}/luu"),
                &[
                    ("csrf", &csrf),
                    ("kind", "a1"),
                    ("area", "1"),
                    (&field("p", BINARY), "7"),
                    (&field("pn", BINARY), "quá"),
                    (&field("v", BINARY), &v),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.text().contains("value=\"7\""));
        let res = appraiser
            .post_form(
                &format!("{SHEET}/luu"),
                &[
                    ("csrf", &csrf),
                    ("kind", "a1"),
                    ("area", "1"),
                    (&field("p", BINARY), "0"),
                    (&field("pn", BINARY), "Chưa có kế hoạch kiểm tra"),
                    (&field("v", BINARY), &v),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(
            move_sheet(&appraiser, "explanation_requested").await.status,
            303
        );

        // The explanation: the officer sees round 1 and answers.
        let page = officer.get(SHEET).await;
        let text = page.text();
        assert!(
            text.contains("Chưa có kế hoạch kiểm tra"),
            "round 1's note is shown"
        );
        let csrf = page.csrf();
        let v = hidden(&page, &format!("v-{}", BINARY.replace('.', "-")));
        let res = officer
            .post_form(
                &format!("{SHEET}/luu"),
                &[
                    ("csrf", &csrf),
                    ("kind", "explanation"),
                    ("area", "1"),
                    (&field("e", BINARY), "Kế hoạch ban hành ngày 5/1, gửi kèm."),
                    (&field("v", BINARY), &v),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(
            move_sheet(&officer, "explanation_submitted").await.status,
            303
        );

        // Round 2 shows what changed.
        assert_eq!(move_sheet(&appraiser, "appraisal_2").await.status, 303);
        let page = appraiser.get(SHEET).await;
        let text = page.text();
        let row = &text[text
            .find(&format!("id=\"row-{}\"", BINARY.replace('.', "-")))
            .unwrap()..];
        assert!(
            row.starts_with(&format!(
                "id=\"row-{}\" class=\"changed\"",
                BINARY.replace('.', "-")
            )),
            "{}",
            &row[..300]
        );
        assert!(row.contains("Có giải trình"));
        let csrf = page.csrf();
        let v = hidden(&page, &format!("v-{}", BINARY.replace('.', "-")));
        let res = appraiser
            .post_form(
                &format!("{SHEET}/luu"),
                &[
                    ("csrf", &csrf),
                    ("kind", "a2"),
                    ("area", "1"),
                    (&field("p", BINARY), "0,5"),
                    (&field("pn", BINARY), "Chấp nhận giải trình"),
                    (&field("v", BINARY), &v),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());

        // Approval belongs to the secretariat.
        let page = appraiser.get(SHEET).await;
        assert!(
            !page.text().contains("value=\"approved\""),
            "not offered to appraisers"
        );
        let version = app
            .db()
            .sheet(2019, "e2e")
            .await
            .unwrap()
            .version
            .to_string();
        let res = appraiser
            .post_form(
                &format!("{SHEET}/chuyen"),
                &[
                    ("csrf", &page.csrf()),
                    ("to", "approved"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{}", res.text());
        assert!(res.text().contains("id=\"move-errors\""));
        let secretariat = app.login("sonoivu").await;
        assert_eq!(move_sheet(&secretariat, "approved").await.status, 303);
        let sheet = app.db().sheet(2019, "e2e").await.unwrap();
        assert_eq!(sheet.state, parindex_store::sheets::SheetState::Approved);

        // Reopening needs a reason: refused in place without one, logged with it.
        let page = secretariat.get(SHEET).await;
        assert!(page.text().contains("name=\"reason\" required"));
        let (csrf, version) = (page.csrf(), hidden_version(&page));
        let reopen = |reason: &'static str| {
            let (csrf, version) = (csrf.clone(), version.clone());
            let secretariat = &secretariat;
            async move {
                secretariat
                    .post_form(
                        &format!("{SHEET}/chuyen"),
                        &[
                            ("csrf", &csrf),
                            ("to", "appraisal_2"),
                            ("version", &version),
                            ("reason", reason),
                        ],
                    )
                    .await
            }
        };
        let res = reopen("").await;
        assert!((400..500).contains(&res.status), "{}", res.status);
        assert!(res.text().contains("id=\"move-errors\""), "{}", res.text());
        let res = reopen("Đơn vị phát hiện nhầm số liệu").await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert_eq!(
            app.db().sheet(2019, "e2e").await.unwrap().state,
            parindex_store::sheets::SheetState::Appraisal2
        );

        // The trail of the sheet and of the sub-criterion show all of it.
        let trail = secretariat.get(&format!("{SHEET}/nhat-ky")).await;
        assert_eq!(trail.status, 200);
        assert!(trail.text().contains("canbo.e2e") && trail.text().contains("thamdinh"));
        assert!(trail.text().contains("Đơn vị phát hiện nhầm số liệu"));
        let item = secretariat.get(&format!("{SHEET}/muc/{BINARY}")).await;
        assert!(item.text().contains("Chấp nhận giải trình"));
    })
    .await;
}

#[tokio::test]
async fn an_expired_session_goes_to_sign_in_and_back() {
    each_demo(async |app: &DemoApp| {
        let c = app.client();
        c.set_cookie("parindex_session", &"ab".repeat(32));
        let res = c.get("/ky/2019/phieu/skhcn?linh-vuc=2").await;
        assert_eq!(res.status, 303);
        assert_eq!(
            res.location(),
            "/dang-nhap?next=%2Fky%2F2019%2Fphieu%2Fskhcn%3Flinh-vuc%3D2"
        );
        // htmx: HX-Redirect to the sign-in page, back to the page the fragment was on.
        let res = c
            .htmx_post(
                "/ky/2019/phieu/skhcn/luu/1.1.1",
                "/ky/2019/phieu/skhcn?linh-vuc=1",
                &[("csrf", "x")],
            )
            .await;
        assert_eq!(res.status, 401);
        assert_eq!(
            res.headers["hx-redirect"],
            "/dang-nhap?next=%2Fky%2F2019%2Fphieu%2Fskhcn%3Flinh-vuc%3D1"
        );
        // A plain form post: back to the page it was posted from.
        let referer = format!("http://{}/tai-khoan", app.addr);
        let res = c
            .send(
                "POST",
                "/tai-khoan/mat-khau",
                Some("application/x-www-form-urlencoded"),
                b"csrf=x".to_vec(),
                &[("referer", &referer)],
            )
            .await;
        assert_eq!(res.status, 303);
        assert_eq!(res.location(), "/dang-nhap?next=%2Ftai-khoan");
        // The sign-in page says why, and signing in goes back there.
        let page = c.get(&res.location()).await;
        assert!(page.text().contains("Phiên làm việc đã hết hạn"));
        let res = c
            .post_form(
                "/dang-nhap",
                &[
                    ("username", "canbo.skhcn"),
                    ("password", crate::harness::PASSWORD),
                    ("next", "/ky/2019/phieu/skhcn?linh-vuc=2"),
                ],
            )
            .await;
        assert_eq!(res.status, 303);
        assert_eq!(res.location(), "/ky/2019/phieu/skhcn?linh-vuc=2");
        // Never to another site.
        let res = c
            .post_form(
                "/dang-nhap",
                &[
                    ("username", "canbo.skhcn"),
                    ("password", crate::harness::PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(res.location(), "/phieu");
    })
    .await;
}

#[tokio::test]
async fn validation_errors_are_shown_in_place_in_the_users_language() {
    each_demo(async |app: &DemoApp| {
    // Wrong password: the sign-in form again, with the message and the username kept.
    let c = app.client();
    let res = c
        .post_form(
            "/dang-nhap",
            &[
                ("username", "sonoivu"),
                ("password", "sai-mat-khau"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(
        res.text()
            .contains("tên đăng nhập hoặc mật khẩu không đúng")
    );
    assert!(res.text().contains("value=\"sonoivu\""));

    // The password change, in English.
    let c = app.login("canbo.skhcn").await;
    c.set_cookie("lang", "en");
    let page = c.get("/tai-khoan").await;
    let csrf = page.csrf();
    let res = c
        .post_form(
            "/tai-khoan/mat-khau",
            &[
                ("csrf", &csrf),
                ("current_password", "wrong"),
                ("new_password", "mot-mat-khau-moi"),
                ("repeat_password", "mot-mat-khau-moi"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text().contains("the current password is wrong"),
        "{}",
        res.text()
    );
    assert!(res.text().contains("aria-invalid=\"true\""));
    let res = c
        .post_form(
            "/tai-khoan/mat-khau",
            &[
                ("csrf", &csrf),
                ("current_password", crate::harness::PASSWORD),
                ("new_password", "ngan"),
                ("repeat_password", "ngan"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text().contains("at least 10 characters"),
        "{}",
        res.text()
    );

    // A criteria set with mistakes: every problem listed with its line, nothing stored.
    let s = app.login("sonoivu").await;
    let page = s.get("/ky").await;
    let csrf = page.csrf();
    let res = s
        .post_form(
            "/ky",
            &[("csrf", &csrf), ("year", "hai nghìn"), ("title", "x")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text().contains("Năm phải là một số"));
    let res = s
        .post_form(
            "/ky",
            &[
                ("csrf", &csrf),
                ("year", "2021"),
                ("title", "Chỉ số CCHC năm 2021"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let broken = std::fs::read_to_string(crate::harness::sets_dir().join("so-2019.set.toml"))
        .unwrap()
        .replacen("max = 10", "max = 11", 1);
    let boundary = "pages-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"so-2021.set.toml\"\r\nContent-Type: application/toml\r\n\r\n{broken}\r\n--{boundary}--\r\n"
    );
    let res = s
        .send(
            "POST",
            &format!("/ky/2021/bo-chi-so?csrf={csrf}"),
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let text = res.text();
    assert!(text.contains("id=\"import-errors\""), "{text}");
    assert!(
        text.contains("so-2021.set.toml:"),
        "problems name the file and line: {text}"
    );
    assert!(app.db().criteria_sets(2021).await.unwrap().is_empty());

    // A unit without a name.
    let page = s.get("/don-vi").await;
    let res = s
        .post_form(
            "/don-vi",
            &[
                ("csrf", &page.csrf()),
                ("code", "moi"),
                ("name", ""),
                ("group", "so"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(res.text().contains("aria-invalid=\"true\""));
    })
    .await;
}

#[tokio::test]
async fn forms_need_the_csrf_token() {
    each_demo(async |app: &DemoApp| {
        let c = app.login("sonoivu").await;
        let res = c
            .post_form("/ky", &[("year", "2022"), ("title", "x")])
            .await;
        assert_eq!(res.status, 403);
        assert!(res.text().contains("CSRF"));
        let res = c
            .post_form("/ky", &[("csrf", "0"), ("year", "2022"), ("title", "x")])
            .await;
        assert_eq!(res.status, 403);
        // Sign-in from another site is refused.
        let anon = app.client();
        let res = anon
            .send(
                "POST",
                "/dang-nhap",
                Some("application/x-www-form-urlencoded"),
                b"username=sonoivu&password=x".to_vec(),
                &[("origin", "http://evil.example")],
            )
            .await;
        assert_eq!(res.status, 403);
        assert!(
            app.db()
                .rounds()
                .await
                .unwrap()
                .iter()
                .all(|r| r.year != 2022)
        );
    })
    .await;
}

#[tokio::test]
async fn bad_input_never_gets_a_500() {
    each_demo(async |app: &DemoApp| {
        let c = app.login("sonoivu").await;
        let csrf = c.get("/ky").await.csrf();
        let gets = [
            "/ky/abc",
            "/ky/99999999999",
            "/ky/2019/phieu/khong-co",
            "/ky/2019/phieu/skhcn?linh-vuc=%00%ff",
            "/ky/2019/phieu/skhcn/muc/9.9.9",
            "/ky/2019/phieu/skhcn/muc/%3Cscript%3E",
            "/ky/2019/phieu/skhcn/tai-lieu/999999",
            "/ky/2019/phieu/skhcn/tai-lieu/abc",
            "/ky/2030/bo-chi-so/so",
            "/xep-hang/2019/khong/skhcn",
            "/xep-hang/abc/so",
            "/don-vi/khong-co",
            "/nguoi-dung/khong-co",
            "/dang-nhap?next=%0d%0aSet-Cookie:x",
        ];
        for path in gets {
            let res = c.get(path).await;
            assert!((200..500).contains(&res.status), "{path}: {}", res.status);
        }
        let posts: &[(&str, Vec<(&str, &str)>)] = &[
            ("/ky/2019/phieu/skhcn/luu", vec![("kind", "self")]),
            (
                "/ky/2019/phieu/skhcn/luu",
                vec![("kind", "a1"), ("p:1.1.1", "∞"), ("v:1.1.1", "-5")],
            ),
            (
                "/ky/2019/phieu/skhcn/luu",
                vec![("kind", "zzz"), ("d:9.9.9", "x")],
            ),
            ("/ky/2019/phieu/skhcn/luu/9.9.9", vec![("kind", "a1")]),
            (
                "/ky/2019/phieu/skhcn/chuyen",
                vec![("to", "bay-len-troi"), ("version", "x")],
            ),
            (
                "/ky/2019/phieu/skhcn/chuyen",
                vec![("to", "published"), ("version", "99999999999999999999")],
            ),
            (
                "/ky/2019/phieu/skhcn/tai-lieu/1/xoa",
                vec![("code", "1.1.1")],
            ),
            (
                "/ky/2019/han",
                vec![("self_assessment", "32/13/2019 25:61")],
            ),
            ("/ky/2019/han", vec![("appraisal_1", "2019-02-30T10:00")]),
            (
                "/ky/2019/cong-bo",
                vec![("group", "khong-co"), ("reason", "")],
            ),
            (
                "/ky/2019/cong-bo",
                vec![("group", "so"), ("reason", "QĐ 1")],
            ),
            ("/ky/2019/mo", vec![]),
            ("/ky", vec![("year", "2019"), ("title", "")]),
            ("/don-vi", vec![("code", ""), ("name", "")]),
            (
                "/don-vi/skhcn",
                vec![("version", "abc"), ("name", "x"), ("group", "")],
            ),
            (
                "/nguoi-dung",
                vec![("username", "x y"), ("password", "1"), ("roles", "vua")],
            ),
            (
                "/nguoi-dung/thamdinh",
                vec![
                    ("version", "0"),
                    ("display_name", ""),
                    ("roles", "unit_officer"),
                ],
            ),
            (
                "/nguoi-dung/thamdinh/phan-cong",
                vec![("year", "x"), ("group", "so"), ("area", "99")],
            ),
            (
                "/nguoi-dung/thamdinh/phan-cong/xoa",
                vec![("year", "2019"), ("group", "so"), ("area", "99")],
            ),
            ("/nguoi-dung/thamdinh/mat-khau", vec![("password", "")]),
            ("/tai-khoan/mat-khau", vec![]),
        ];
        for (path, pairs) in posts {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(pairs.iter().copied());
            let res = c.post_form(path, &all).await;
            assert!(
                (200..500).contains(&res.status),
                "{path} {pairs:?}: {} {}",
                res.status,
                res.text()
            );
        }
        // Not a form at all.
        let res = c
            .send(
                "POST",
                "/ky/2019/phieu/skhcn/luu",
                Some("application/json"),
                b"{}".to_vec(),
                &[("x-csrf-token", &csrf)],
            )
            .await;
        assert!((400..500).contains(&res.status), "{}", res.status);
        let res = c
            .send(
                "POST",
                "/ky/2019/bo-chi-so?csrf=".to_string().as_str(),
                Some("multipart/form-data; boundary=x"),
                b"garbage".to_vec(),
                &[],
            )
            .await;
        assert!((400..500).contains(&res.status), "{}", res.status);
        let res = c
            .send(
                "POST",
                &format!("/ky/2019/bo-chi-so?csrf={csrf}"),
                Some("multipart/form-data; boundary=x"),
                b"garbage".to_vec(),
                &[],
            )
            .await;
        assert!((400..500).contains(&res.status), "{}", res.status);
    })
    .await;
}

/// Bonus and penalty proposals from the sheet page: the unit proposes while self-assessing (a
/// refusal shown beside the form with what was typed), an appraiser grants points in round 1.
#[tokio::test]
async fn bonus_and_penalty_proposals_from_the_sheet_page() {
    each_demo(async |app: &DemoApp| {
        let officer = app.login("canbo.e2e").await;
        assert_eq!(move_sheet(&officer, "self_assessing").await.status, 303);
        let page = officer.get(SHEET).await;
        let html = page.text();
        assert!(html.contains("Đề xuất điểm thưởng, điểm trừ"), "{html}");
        assert!(html.contains("Chưa có đề xuất nào."));
        let csrf = page.csrf();
        let post = |points: &'static str, reason: &'static str| {
            let csrf = csrf.clone();
            let officer = &officer;
            async move {
                officer
                    .post_form(
                        &format!("{SHEET}/de-xuat"),
                        &[
                            ("csrf", &csrf),
                            ("kind", "bonus"),
                            ("points", points),
                            ("reason", reason),
                        ],
                    )
                    .await
            }
        };
        // No reason: refused in place, what was typed kept, nothing stored.
        let res = post("1,5", "").await;
        assert_eq!(res.status, 422, "{}", res.text());
        let text = res.text();
        assert!(text.contains("id=\"proposal-errors\""), "{text}");
        assert!(text.contains("value=\"1,5\""), "{text}");
        // Points that are no number: refused too.
        let res = post("nhiều", "Sáng kiến").await;
        assert!(res.status == 422 || res.status == 400, "{}", res.text());
        assert!(res.text().contains("id=\"proposal-errors\""));
        assert!(app.db().proposals(2019, "e2e").await.unwrap().is_empty());
        // A good one, with the decimal comma.
        let res = post(
            "1,5",
            "Sáng kiến cải cách hành chính được UBND tỉnh công nhận",
        )
        .await;
        assert_eq!(res.status, 303, "{}", res.text());
        let stored = app.db().proposals(2019, "e2e").await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].points.to_string(), "1.5");
        let page = officer.get(SHEET).await.text();
        assert!(
            page.contains("+1,5") && page.contains("được UBND tỉnh công nhận"),
            "{page}"
        );
        let en = app.login("canbo.e2e").await;
        let en_page = en.get(&format!("{SHEET}?lang=en")).await.text();
        assert!(en_page.contains("Bonus and penalty proposals") && en_page.contains("+1.5"));

        // Appraisal round 1: more than proposed is refused in place, then 1 point is granted.
        assert_eq!(move_sheet(&officer, "submitted").await.status, 303);
        let appraiser = app.login("thamdinh").await;
        assert_eq!(move_sheet(&appraiser, "appraisal_1").await.status, 303);
        let page = appraiser.get(SHEET).await;
        let csrf = page.csrf();
        let id = stored[0].id;
        let action = format!("{SHEET}/de-xuat/{id}");
        assert!(page.text().contains(&format!("action=\"{action}\"")));
        let version = stored[0].version.to_string();
        let res = appraiser
            .post_form(
                &action,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("points", "2"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.text().contains("id=\"proposal-errors\""));
        let res = appraiser
            .post_form(
                &action,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("points", "1"),
                    ("note", "Chỉ một phần được công nhận"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        let p = app.db().proposal(id).await.unwrap();
        assert_eq!(p.appraised_points.map(|x| x.to_string()), Some("1".into()));
        assert_eq!(p.appraisal_note, "Chỉ một phần được công nhận");
        // The officer cannot appraise.
        let res = officer
            .post_form(
                &action,
                &[
                    ("csrf", &officer.get(SHEET).await.csrf()),
                    ("version", "9"),
                    ("points", "1"),
                ],
            )
            .await;
        assert!(res.status == 403 || res.status == 409, "{}", res.status);
    })
    .await;
}
