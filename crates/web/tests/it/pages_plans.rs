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
        let tasks = app.db().tasks(2019, "skhcn").await.unwrap();
        assert_eq!(tasks.len(), 2);
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
        assert!(text.contains("<b>1/2</b>"), "{text}");
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
                .contains("Tiến độ kế hoạch khắc phục: <b>1/2</b>"),
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
