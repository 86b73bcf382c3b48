//! The action-plan and analysis pages on the demo province: the unit's officer plans, adopts the
//! planner's suggestion, adds and moves tasks, with bad input shown in place; other roles are
//! refused; the secretariat's analysis page draws the uncertainty run with its seed.

use crate::pages::{DemoApp, each_demo};

#[tokio::test]
async fn the_unit_plans_and_the_secretariat_analyses() {
    each_demo(async |app: &DemoApp| {
        let officer = app.login("canbo.skhcn").await;
        let page = officer.get("/ky/2019/ke-hoach/skhcn?target=rank:3").await;
        assert_eq!(page.status, 200, "{}", page.text());
        let text = page.text();
        assert!(text.contains("Kế hoạch khắc phục"), "{text}");
        assert!(text.contains("<td>3.3.1</td>"), "{text}");
        let csrf = page.csrf();

        // Bad input is shown in place, naming what is wrong; nothing is written.
        let bad = officer
            .post_form(
                "/ky/2019/ke-hoach/skhcn/viec",
                &[
                    ("csrf", &csrf),
                    ("remedy", "Rà soát"),
                    ("codes", "1.1.1, 99.1"),
                    ("division", "VP"),
                    ("owner", "An"),
                    ("deadline", "31/02/2020"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        assert!(
            bad.text().contains("không có tiêu chí thành phần") && bad.text().contains("99.1"),
            "{}",
            bad.text()
        );
        assert!(
            bad.text().contains("không phải ngày hợp lệ"),
            "{}",
            bad.text()
        );
        assert!(app.db().tasks(2019, "skhcn").await.unwrap().is_empty());

        let added = officer
            .post_form(
                "/ky/2019/ke-hoach/skhcn/viec",
                &[
                    ("csrf", &csrf),
                    ("remedy", "Rà soát quy trình một cửa"),
                    ("codes", "3.3.1"),
                    ("division", "Văn phòng"),
                    ("owner", "Chánh VP"),
                    ("deadline", "30/06/2020"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.text());
        let adopted = officer
            .post_form(
                "/ky/2019/ke-hoach/skhcn/ap-dung",
                &[
                    ("csrf", &csrf),
                    ("target", "rank:3"),
                    ("division", "Văn phòng"),
                    ("owner", "Chánh VP"),
                    ("deadline", "2020-06-30"),
                ],
            )
            .await;
        assert_eq!(adopted.status, 303, "{}", adopted.text());
        // One task per change of the planner's smallest plan, after the one added by hand.
        let u = parindex_web::analysis::unit(app.db(), 2019, "skhcn")
            .await
            .unwrap();
        let planned = u
            .plan(u.target("rank:3").unwrap(), &Default::default())
            .unwrap()
            .changes
            .len();
        assert!(planned >= 1);
        let tasks = app.db().tasks(2019, "skhcn").await.unwrap();
        assert_eq!(tasks.len(), 1 + planned);
        let progress = format!("<b>1/{}</b>", 1 + planned);
        let moved = officer
            .post_form(
                &format!("/ky/2019/ke-hoach/skhcn/viec/{}/trang-thai", tasks[0].id),
                &[
                    ("csrf", &csrf),
                    ("version", &tasks[0].version.to_string()),
                    ("status", "done"),
                ],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.text());
        let page = officer
            .get("/ky/2019/ke-hoach/skhcn?code=3.3.1&value=95")
            .await;
        let text = page.text();
        assert!(text.contains(&progress), "{text}");
        assert!(text.contains("Rà soát quy trình một cửa"), "{text}");
        assert!(text.contains("Đánh giá năm sau"), "{text}");
        assert!(text.contains("Trước") && text.contains("hạng"), "{text}");

        // Another unit's appraiser and officer may not see it; the leader reads it.
        let appraiser = app.login("thamdinh").await;
        assert_eq!(appraiser.get("/ky/2019/ke-hoach/skhcn").await.status, 403);
        let leader = app.login("lanhdao").await;
        assert_eq!(leader.get("/ky/2019/ke-hoach/skhcn").await.status, 200);
        assert_eq!(officer.get("/ky/2019/phan-tich/so").await.status, 403);

        let sec = app.login("sonoivu").await;
        let dash = sec.get("/ky/2019").await;
        assert!(
            dash.text()
                .contains(&format!("Tiến độ kế hoạch khắc phục: {progress}")),
            "{}",
            dash.text()
        );
        assert!(dash.text().contains("/ky/2019/phan-tich/so"));
        let started = std::time::Instant::now();
        let an = sec
            .get("/ky/2019/phan-tich/so?seed=7&replicates=2000&jitter=0,1")
            .await;
        eprintln!(
            "analysis page with 2,000 replicates: {:?}",
            started.elapsed()
        );
        assert_eq!(an.status, 200, "{}", an.text());
        let text = an.text();
        for marker in [
            "Hạng trung vị",
            "<svg",
            "Hạt giống ngẫu nhiên: <b>7</b>",
            "Độ nhất quán của thẩm định viên",
            "Sở Khoa học và Công nghệ",
        ] {
            assert!(text.contains(marker), "no {marker:?} in\n{text}");
        }
        let again = sec
            .get("/ky/2019/phan-tich/so?seed=7&replicates=2000&jitter=0,1")
            .await;
        assert_eq!(again.text(), text, "the same seed draws the same page");
        let bad = sec.get("/ky/2019/phan-tich/so?seed=x").await;
        assert!(bad.text().contains("phải là số"), "{}", bad.text());
        let lead = leader.get("/ky/2019/phan-tich/so").await;
        assert_eq!(lead.status, 200, "{}", lead.text());
        assert!(!lead.text().contains("Độ nhất quán của thẩm định viên"));
    })
    .await;
}

#[tokio::test]
async fn the_planner_starts_from_the_appraised_sheet() {
    each_demo(async |app: &DemoApp| {
        let sheet_total = app
            .db()
            .round_results(2019)
            .await
            .unwrap()
            .iter()
            .flat_map(|r| r.results.groups.iter())
            .flat_map(|g| g.units.iter())
            .find(|u| u.unit == "skhcn")
            .map(|u| u.total)
            .unwrap();
        assert_eq!(sheet_total.to_string(), "86.80");
        let u = parindex_web::analysis::unit(app.db(), 2019, "skhcn")
            .await
            .unwrap();
        let baseline = parindex_core::engine::score_unit(&u.group.set, &u.input).unwrap();
        assert_eq!(u.group.set.publish(baseline.total), sheet_total);
        assert_eq!(u.standing().total, sheet_total);
        // The demo's appraisers did change skhcn's points: from the declared data alone the
        // baseline would be higher, which is what this guards against.
        let parindex_core::engine::UnitData::Appraised { declared, points } = &u.input.data else {
            panic!("the planner's input is not the appraised sheet");
        };
        assert!(points.iter().any(Option::is_some));
        let declared_only = parindex_core::engine::UnitInput {
            data: parindex_core::engine::UnitData::Declared(declared.clone()),
            ..u.input.clone()
        };
        let optimistic = parindex_core::engine::score_unit(&u.group.set, &declared_only).unwrap();
        assert!(optimistic.total > baseline.total, "{}", optimistic.total);
        let p = u.plan(u.target("next-class").unwrap(), &Default::default());
        assert_eq!(p.unwrap().before.total, sheet_total);

        // The page's what-if starts there too.
        let officer = app.login("canbo.skhcn").await;
        let page = officer
            .get("/ky/2019/ke-hoach/skhcn?code=3.3.1&value=95")
            .await;
        assert!(
            page.text().contains("Trước: <b>86,8 — hạng"),
            "{}",
            page.text()
        );
    })
    .await;
}

#[tokio::test]
async fn a_task_is_edited_from_the_plan_page_with_bad_input_shown_in_place() {
    each_demo(async |app: &DemoApp| {
        let officer = app.login("canbo.skhcn").await;
        let csrf = officer.get("/ky/2019/ke-hoach/skhcn").await.csrf();
        let added = officer
            .post_form(
                "/ky/2019/ke-hoach/skhcn/viec",
                &[
                    ("csrf", &csrf),
                    ("remedy", "Rà soát quy trình một cửa"),
                    ("codes", "3.3.1"),
                    ("division", "Văn phòng"),
                    ("owner", "Chánh VP"),
                    ("deadline", "30/06/2020"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.text());
        let task = app.db().tasks(2019, "skhcn").await.unwrap().remove(0);
        let page = officer.get("/ky/2019/ke-hoach/skhcn").await;
        let text = page.text();
        let action = format!("action=\"/ky/2019/ke-hoach/skhcn/viec/{}#viec-", task.id);
        assert!(text.contains(&action), "no edit form in\n{text}");
        assert!(text.contains("Sửa #"), "{text}");
        let edit = format!("/ky/2019/ke-hoach/skhcn/viec/{}", task.id);
        let version = task.version.to_string();

        // Empty remedy, a malformed deadline and an unknown code: refused in place, each named,
        // beside the task's form (open, with what was posted); nothing changes.
        let bad = officer
            .post_form(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("remedy", "  "),
                    ("codes", "3.3.1, 99.9"),
                    ("division", "Phòng Tổ chức"),
                    ("owner", "Trưởng phòng"),
                    ("deadline", "31/02/2020"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        let text = bad.text();
        for marker in [
            "cần nhập nội dung giải pháp",
            "không có tiêu chí thành phần &#34;99.9&#34;",
            "không phải ngày hợp lệ",
            "<details open>",
            "value=\"3.3.1, 99.9\"",
            "value=\"Phòng Tổ chức\"",
        ] {
            assert!(text.contains(marker), "no {marker:?} in\n{text}");
        }
        let open = text.find("<details open>").unwrap();
        let first_error = text.find("class=\"error\"").unwrap();
        assert!(first_error > open, "the messages are not beside the form");
        assert_eq!(app.db().task(task.id).await.unwrap(), task);

        // The same refusal in English.
        officer.set_cookie("lang", "en");
        let bad = officer
            .post_form(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("remedy", ""),
                    ("codes", "99.9"),
                    ("division", "Office"),
                    ("owner", "Head"),
                    ("deadline", "2020-13-40"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text());
        let text = bad.text();
        for marker in [
            "the remedy is required",
            "has no sub-criterion &#34;99.9&#34;",
            "Save changes",
        ] {
            assert!(text.contains(marker), "no {marker:?} in\n{text}");
        }
        officer.set_cookie("lang", "vi");

        // A good edit is saved and audited.
        let good = officer
            .post_form(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("remedy", "Số hoá hồ sơ một cửa"),
                    ("codes", "3.3.1; 1.1.1"),
                    ("division", "Phòng Tổ chức"),
                    ("owner", "Trưởng phòng"),
                    ("deadline", "15/09/2020"),
                ],
            )
            .await;
        assert_eq!(good.status, 303, "{}", good.text());
        let t = app.db().task(task.id).await.unwrap();
        assert_eq!(
            (
                t.remedy.as_str(),
                t.codes.clone(),
                t.division.as_str(),
                t.owner.as_str(),
                t.deadline.as_str()
            ),
            (
                "Số hoá hồ sơ một cửa",
                vec!["1.1.1".to_string(), "3.3.1".to_string()],
                "Phòng Tổ chức",
                "Trưởng phòng",
                "2020-09-15"
            )
        );
        let audit = app
            .db()
            .audit_of("plan_task", &task.id.to_string())
            .await
            .unwrap();
        assert!(
            audit.iter().any(|a| a.actor == "canbo.skhcn"
                && a.field.as_deref() == Some("remedy")
                && a.new.as_deref() == Some("Số hoá hồ sơ một cửa")),
            "{audit:?}"
        );
        let page = officer.get("/ky/2019/ke-hoach/skhcn").await;
        assert!(page.text().contains("Số hoá hồ sơ một cửa"));

        // A stale version is refused in place too, and others may not edit.
        let stale = officer
            .post_form(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("remedy", "Khác"),
                    ("codes", "3.3.1"),
                    ("division", "VP"),
                    ("owner", "An"),
                    ("deadline", "2020-09-15"),
                ],
            )
            .await;
        assert_eq!(stale.status, 409, "{}", stale.text());
        let leader = app.login("lanhdao").await;
        let lcsrf = leader.get("/ky/2019/ke-hoach/skhcn").await.csrf();
        assert!(
            !leader
                .get("/ky/2019/ke-hoach/skhcn")
                .await
                .text()
                .contains(&action)
        );
        let refused = leader
            .post_form(
                &edit,
                &[
                    ("csrf", &lcsrf),
                    ("version", &t.version.to_string()),
                    ("remedy", "Khác"),
                    ("codes", "3.3.1"),
                    ("division", "VP"),
                    ("owner", "An"),
                    ("deadline", "2020-09-15"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert_eq!(app.db().task(task.id).await.unwrap().remedy, t.remedy);
    })
    .await;
}

#[tokio::test]
async fn the_scorecard_links_to_the_plan_with_its_progress() {
    each_demo(async |app: &DemoApp| {
        let card = "/xep-hang/2019/so/skhcn";
        let link = "<a href=\"/ky/2019/ke-hoach/skhcn\">";
        let officer = app.login("canbo.skhcn").await;
        let text = officer.get(card).await.text();
        assert!(text.contains(link), "{text}");
        assert!(text.contains("<b>0/0</b> việc đã xong"), "{text}");

        // A task past its deadline and one done: 1/2, one overdue.
        let csrf = officer.get("/ky/2019/ke-hoach/skhcn").await.csrf();
        for (remedy, deadline) in [
            ("Rà soát quy trình", "30/06/2020"),
            ("Số hoá", "2020-07-31"),
        ] {
            let r = officer
                .post_form(
                    "/ky/2019/ke-hoach/skhcn/viec",
                    &[
                        ("csrf", &csrf),
                        ("remedy", remedy),
                        ("codes", "3.3.1"),
                        ("division", "Văn phòng"),
                        ("owner", "Chánh VP"),
                        ("deadline", deadline),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.text());
        }
        let t = app.db().tasks(2019, "skhcn").await.unwrap().remove(1);
        let moved = officer
            .post_form(
                &format!("/ky/2019/ke-hoach/skhcn/viec/{}/trang-thai", t.id),
                &[
                    ("csrf", &csrf),
                    ("version", &t.version.to_string()),
                    ("status", "done"),
                ],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.text());
        let text = officer.get(card).await.text();
        assert!(
            text.contains("<b>1/2</b> việc đã xong, <b class=\"down\">1</b> quá hạn"),
            "{text}"
        );
        let en = officer.get(&format!("{card}?lang=en")).await.text();
        assert!(
            en.contains("Action plan</a>: <b>1/2</b> tasks done, <b class=\"down\">1</b> overdue"),
            "{en}"
        );

        // The secretariat and leaders read the plan; the public (on 2018's published scorecard)
        // and an appraiser do not see it.
        for user in ["sonoivu", "lanhdao"] {
            let c = app.login(user).await;
            assert!(c.get(card).await.text().contains(link), "{user}");
        }
        let anon = app.client().get("/xep-hang/2018/so/skhcn").await;
        assert_eq!(anon.status, 200, "{}", anon.text());
        assert!(!anon.text().contains("/ke-hoach/"));
        let own = officer.get("/xep-hang/2018/so/skhcn").await.text();
        assert!(
            own.contains("<a href=\"/ky/2018/ke-hoach/skhcn\">"),
            "{own}"
        );
        let appraiser = app.login("thamdinh").await;
        let page = appraiser.get(card).await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(!page.text().contains("/ke-hoach/"));
    })
    .await;
}
