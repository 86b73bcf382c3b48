//! The public portal on both backends: news managed through the API, search that ignores
//! diacritics (ranked, paginated) through the API and the pages, bad input that never gives a
//! 500, sanitized bodies, attachments of allowed types only, the Atom feed, the sitemap, the work
//! calendar by week, and the visit counter (no bots, no reloads, flushed to the database); on
//! the demo province, the portal home and a unit's profile with its charts.

use crate::harness::{Body, Client, TestApp, each_backend, multipart, pdf, png, seed};
use crate::pages::{DemoApp, each_demo};
use serde_json::{Value, json};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn get_as(c: &Client, path: &str, ua: &str) -> crate::harness::Res {
    c.send("GET", path, Body::None, &[("user-agent", ua)]).await
}

/// A category and four items (one scheduled for tomorrow) through the API.
async fn publish_news(app: &TestApp) -> Client {
    seed(app.db()).await;
    let sec = app.login("sec").await;
    let res = sec
        .put(
            "/api/news-categories/tin",
            json!({"name": "Tin cải cách hành chính"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    sec.put(
        "/api/news-categories/thong-bao",
        json!({"name": "Thông báo"}),
    )
    .await;
    let items = [
        (
            "tin",
            "Cải cách hành chính năm 2019",
            "Kết quả cải cách hành chính, cải cách thủ tục.",
            "<p>Nội dung <b>cải cách</b></p>",
            "2019-12-10",
        ),
        (
            "tin",
            "Đồng Nai chia sẻ kinh nghiệm",
            "Đoàn công tác làm việc tại Đồng Nai.",
            "<p>Một cửa</p>",
            "2019-06-01",
        ),
        (
            "thong-bao",
            "Thông báo <b>lịch</b> thẩm định",
            "Lịch họp.",
            "<p onclick=\"x()\">Họp</p><script>alert('xss')</script><a href=\"javascript:alert(1)\">x</a>",
            "2020-01-05",
        ),
    ];
    for (cat, title, summary, body, day) in items {
        let res = sec
            .post(
                "/api/news",
                json!({"category": cat, "title": title, "summary": summary, "body_html": body,
                       "hot": day == "2019-12-10", "published_at": day}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let tomorrow = parindex_store::Timestamp::now()
        .plus_seconds(86_400)
        .to_string();
    let res = sec
        .post(
            "/api/news",
            json!({"category": "tin", "title": "Tin hẹn giờ cải cách", "published_at": tomorrow}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    sec
}

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_ignores_diacritics_on_both_backends() {
    each_backend(async |app| {
        publish_news(app).await;
        let anon = app.client();
        let res = anon.get("/api/public/news?q=cai%20cach").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let found = titles(&res.json());
        // The one with "cải cách" in title, summary and body ranks first; the scheduled item
        // is not public yet.
        assert_eq!(found[0], "Cải cách hành chính năm 2019", "{found:?}");
        assert!(!found.iter().any(|t| t.contains("hẹn giờ")), "{found:?}");
        let res = anon.get("/api/public/news?q=dong%20nai").await;
        assert_eq!(titles(&res.json()), vec!["Đồng Nai chia sẻ kinh nghiệm"]);
        let res = anon.get("/api/public/news?q=%C4%90%E1%BB%93ng%20NAI").await;
        assert_eq!(titles(&res.json()), vec!["Đồng Nai chia sẻ kinh nghiệm"]);
        // Category and date range.
        let res = anon
            .get("/api/public/news?category=tin&from=2019-06-01&to=2019-06-30")
            .await;
        assert_eq!(titles(&res.json()), vec!["Đồng Nai chia sẻ kinh nghiệm"]);
        // Paginated, newest first without words.
        let res = anon.get("/api/public/news?per_page=2&page=2").await;
        let v = res.json();
        assert_eq!(
            (v["total"].as_i64(), v["pages"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(titles(&v), vec!["Đồng Nai chia sẻ kinh nghiệm"]);

        // The pages: the same search from the form, in Vietnamese.
        let res = anon.get("/tin-tuc?q=cai+cach").await;
        assert_eq!(res.status, 200);
        let html = res.text();
        assert!(html.contains("Cải cách hành chính năm 2019"), "{html}");
        assert!(!html.contains("Đồng Nai chia sẻ"), "{html}");
        let res = anon.get("/tin-tuc?q=dong+nai&lang=en").await;
        assert!(res.text().contains("Đồng Nai chia sẻ kinh nghiệm"));
        assert!(res.text().contains("Items found"));
    })
    .await;
}

#[tokio::test]
async fn bad_search_input_never_fails() {
    each_backend(async |app| {
        publish_news(app).await;
        let anon = app.client();
        let long = "cải cách ".repeat(2000);
        let nasty = [
            "\"cai cach\"",
            "cai NEAR(cach) OR * -x ^y",
            "' OR 1=1; DROP TABLE news; --",
            "\"\"\"",
            "*",
            "",
            long.as_str(),
        ];
        for q in nasty {
            let enc: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            for path in [
                format!("/api/public/news?q={enc}"),
                format!("/tin-tuc?q={enc}"),
            ] {
                let res = anon.get(&path).await;
                assert_eq!(
                    res.status,
                    200,
                    "{path}: {}",
                    &res.text()[..res.text().len().min(300)]
                );
            }
        }
        let res = anon.get("/api/public/news?q=%27%20OR%201%3D1%20--").await;
        assert_eq!(res.json()["total"], 0);
        // Dates: malformed and reversed, in the user's language, with the field named.
        let res = anon.get("/api/public/news?from=2019-13-45").await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.text().contains("2019-13-45"));
        let res = anon.get("/tin-tuc?tu=ngay-hom-qua").await;
        assert_eq!(res.status, 400);
        assert!(
            res.text()
                .contains("Từ ngày: &#34;ngay-hom-qua&#34; không phải ngày hợp lệ"),
            "{}",
            res.text()
        );
        let res = anon
            .get("/tin-tuc?tu=2020-01-10&den=2019-01-01&lang=en")
            .await;
        assert_eq!(res.status, 400);
        assert!(
            res.text()
                .contains("To: the end date is before the start date"),
            "{}",
            res.text()
        );
        // Pages: past the last, and not a number.
        let res = anon.get("/tin-tuc?trang=999&lang=vi").await;
        assert_eq!(res.status, 200);
        assert!(res.text().contains("vượt quá trang cuối"), "{}", res.text());
        let res = anon.get("/api/public/news?page=999").await;
        assert_eq!(
            (res.status, res.json()["items"].as_array().unwrap().len()),
            (200, 0)
        );
        let res = anon.get("/tin-tuc?trang=-1%27").await;
        assert_eq!(res.status, 400);
        assert!(res.text().contains("số trang"));
        let res = anon.get("/tin-tuc?chuyen-muc=khong-co").await;
        assert_eq!(res.status, 400);
        let res = anon.get("/lich-cong-tac?tuan=2019-02-30").await;
        assert_eq!(res.status, 400);
        assert!(res.text().contains("2019-02-30"));
        let res = anon.get("/tin-tuc/khong-co-tin-nay").await;
        assert_eq!(res.status, 404);
    })
    .await;
}

#[tokio::test]
async fn bodies_are_sanitized_and_titles_escaped() {
    each_backend(async |app| {
        let sec = publish_news(app).await;
        let anon = app.client();
        let res = anon.get("/api/public/news?q=tham+dinh").await;
        let slug = res.json()["items"][0]["slug"].as_str().unwrap().to_string();
        let body = res.json()["items"][0]["body_html"].as_str().unwrap().to_string();
        assert!(!body.contains("script") && !body.contains("onclick") && !body.contains("javascript"), "{body}");
        let html = anon.get(&format!("/tin-tuc/{slug}")).await.text();
        assert!(html.contains("Thông báo &lt;b&gt;lịch&lt;/b&gt; thẩm định") || html.contains("Thông báo &#60;b&#62;lịch"), "{html}");
        assert!(!html.contains("alert("), "{html}");
        assert!(html.contains("<p>Họp</p>"), "{html}");
        // Changed through the API: sanitized again.
        let res = sec
            .put(
                &format!("/api/news/{slug}"),
                json!({"category": "thong-bao", "title": "Thông báo", "body_html": "<img src=x onerror=alert(1)><p>Mới</p>"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(!res.json()["body_html"].as_str().unwrap().contains("onerror"));
        // Writes are the secretariat's: anonymous 401, others 403 (the matrix has every route).
        let res = anon.post("/api/news", json!({"category": "tin", "title": "x"})).await;
        assert_eq!(res.status, 401);
        let res = sec.post("/api/news", json!({"category": "tin", "title": " "})).await;
        assert_eq!(res.status, 422);
        let res = sec.post("/api/news", json!({"category": "khong", "title": "x"})).await;
        assert_eq!(res.status, 404);
        let res = sec
            .post("/api/news", json!({"category": "tin", "title": "x", "published_at": "hôm qua"}))
            .await;
        assert_eq!(res.status, 422);
        assert!(res.message().contains("hôm qua"));
    })
    .await;
}

#[tokio::test]
async fn attachments_of_allowed_types_only() {
    each_backend(async |app| {
        let sec = publish_news(app).await;
        let anon = app.client();
        let res = anon.get("/api/public/news?q=dong+nai").await;
        let slug = res.json()["items"][0]["slug"].as_str().unwrap().to_string();
        let path = format!("/api/news/{slug}/attachments");
        let res = sec.upload(&path, "kế hoạch.pdf", &pdf(), "").await;
        assert_eq!(res.status, 201, "{}", res.text());
        let href = res.json()["href"].as_str().unwrap().to_string();
        for (name, content) in [
            ("virus.exe", b"MZ\x90\x00".to_vec()),
            ("trang.html", b"<script>alert(1)</script>".to_vec()),
            ("gia.pdf", png()),
        ] {
            let res = sec.upload(&path, name, &content, "").await;
            assert_eq!(res.status, 422, "{name}: {}", res.text());
            assert!(res.message().contains(name), "{}", res.message());
        }
        let v = anon.get(&format!("/api/public/news/{slug}")).await.json();
        assert_eq!(v["attachments"].as_array().unwrap().len(), 1);
        let res = anon.get(&href).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.headers["content-type"], "application/pdf");
        assert_eq!(res.body.as_ref(), pdf().as_slice());
        // The page links it, and relays the download.
        let html = anon.get(&format!("/tin-tuc/{slug}")).await.text();
        assert!(html.contains("kế hoạch.pdf"), "{html}");
        let id = href.rsplit('/').next().unwrap();
        let res = anon.get(&format!("/tin-tuc/{slug}/tep/{id}")).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.body.as_ref(), pdf().as_slice());
        // A page upload without a file type we take is refused in place.
        let (ct, body) = multipart("x.exe", b"MZ", "");
        let res = sec.send("POST", &path, Body::Raw(ct, body), &[]).await;
        assert_eq!(res.status, 422);
    })
    .await;
}

#[tokio::test]
async fn feed_sitemap_and_calendar() {
    each_backend(async |app| {
        let sec = publish_news(app).await;
        let anon = app.client();
        let res = anon.get("/tin-tuc.atom").await;
        assert_eq!(res.status, 200);
        assert!(res.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
        let feed = res.text();
        assert_eq!(feed.matches("<entry>").count(), 3, "{feed}");
        assert!(feed.contains("<title>Cải cách hành chính năm 2019</title>"));
        assert!(feed.contains("Thông báo &lt;b&gt;lịch&lt;/b&gt; thẩm định"));
        assert!(!feed.contains("hẹn giờ"));
        assert!(!feed.contains("<script"), "{feed}");
        let res = anon.get("/sitemap.xml").await;
        assert_eq!(res.status, 200);
        let map = res.text();
        assert!(map.contains("/tin-tuc/cai-cach-hanh-chinh-nam-2019</loc>"), "{map}");
        assert!(map.contains("/lich-cong-tac</loc>"));
        assert!(!map.contains("hen-gio"));

        // The calendar: one event on Tuesday 2019-12-10, seen in its week only.
        let res = sec
            .post(
                "/api/calendar",
                json!({"starts_at": "2019-12-10T08:00:00+07:00", "ends_at": "2019-12-10T10:30:00+07:00",
                       "title": "Họp Hội đồng thẩm định", "location": "Phòng họp số 1", "chair": "Giám đốc Sở Nội vụ"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = sec
            .post("/api/calendar", json!({"starts_at": "2019-12-10T10:00:00+07:00", "ends_at": "2019-12-10T09:00:00+07:00", "title": "Ngược"}))
            .await;
        assert_eq!(res.status, 422);
        let html = anon.get("/lich-cong-tac?tuan=2019-12-12").await.text();
        assert!(html.contains("Họp Hội đồng thẩm định"), "{html}");
        assert!(html.contains("08:00–10:30"));
        assert!(html.contains("Thứ Ba") && html.contains("10/12/2019"));
        assert!(html.contains("href=\"/lich-cong-tac?tuan=2019-12-02\""), "{html}");
        assert!(html.contains("href=\"/lich-cong-tac?tuan=2019-12-16\""));
        let next = anon.get("/lich-cong-tac?tuan=2019-12-16").await.text();
        assert!(!next.contains("Họp Hội đồng thẩm định"));
        let v = anon
            .get("/api/public/calendar?from=2019-12-09&to=2019-12-15")
            .await
            .json();
        assert_eq!(v.as_array().unwrap().len(), 1);
        let res = anon.get("/api/public/calendar?from=2019-01-01&to=2020-01-01").await;
        assert_eq!(res.status, 422);

        // Links: added, listed in order, shown on the portal home.
        let res = sec
            .post("/api/links", json!({"title": "Bộ Nội vụ", "url": "https://moha.gov.vn", "position": 1}))
            .await;
        assert_eq!(res.status, 201);
        let res = sec
            .post("/api/links", json!({"title": "Xấu", "url": "javascript:alert(1)"}))
            .await;
        assert_eq!(res.status, 422);
        let home = anon.get("/cong-thong-tin").await;
        assert_eq!(home.status, 200);
        let home = home.text();
        assert!(home.contains("https://moha.gov.vn") && home.contains("Cải cách hành chính năm 2019"));
    })
    .await;
}

#[tokio::test]
async fn the_visit_counter_skips_bots_and_reloads() {
    each_backend(async |app| {
        let anon = app.client();
        let footer = |html: &str| -> String {
            let at = html
                .find("class=\"visits\"")
                .expect("the counter in the footer");
            html[at..].split("</p>").next().unwrap().to_string()
        };
        let first = get_as(&anon, "/cong-thong-tin", FIREFOX).await.text();
        assert!(
            footer(&first).contains("Hôm nay <b>1</b>"),
            "{}",
            footer(&first)
        );
        // A reload and the next page by the same visitor: the same visit.
        get_as(&anon, "/cong-thong-tin", FIREFOX).await;
        let again = get_as(&anon, "/tin-tuc", FIREFOX).await.text();
        assert!(
            footer(&again).contains("Hôm nay <b>1</b>"),
            "{}",
            footer(&again)
        );
        // Robots and scripts are not counted; another browser is.
        get_as(
            &anon,
            "/cong-thong-tin",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
        .await;
        anon.get("/tin-tuc").await;
        let other = get_as(
            &anon,
            "/lich-cong-tac",
            "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0",
        )
        .await;
        assert!(footer(&other.text()).contains("Hôm nay <b>2</b>"));
        // Flushed to the database (as every few seconds and at shutdown).
        app.state.visits().flush(app.db()).await.unwrap();
        let day = parindex_web::visits::local_day(parindex_store::Timestamp::now());
        assert_eq!(app.db().visit_counts(&day).await.unwrap(), (2, 2));
        assert_eq!(app.state.visits().snapshot(), (2, 2));
    })
    .await;
}

#[tokio::test]
async fn the_demo_portal_and_a_unit_profile() {
    each_demo(async |app: &DemoApp| {
        let anon = app.client();
        let home = anon.get("/cong-thong-tin").await;
        assert_eq!(home.status, 200);
        let html = home.text();
        assert!(
            html.contains("Công bố Chỉ số cải cách hành chính năm 2018"),
            "{html}"
        );
        assert!(html.contains("Cổng Dịch vụ công quốc gia"));
        let res = anon.get("/ho-so-don-vi/skhcn").await;
        assert_eq!(res.status, 200);
        let html = res.text();
        assert!(html.contains("Sở Khoa học và Công nghệ"));
        // 2018 is published (86,60 with the decimal comma); 2019 is not yet.
        assert!(html.contains("86,60"), "{html}");
        assert!(
            html.contains("<svg") && html.contains("chart-trend") && html.contains("chart-areas")
        );
        assert!(!html.contains(">2019<"), "{html}");
        let en = anon.get("/ho-so-don-vi/skhcn?lang=en").await.text();
        assert!(en.contains("86.60") && en.contains("Results across years"));
        let res = anon.get("/ho-so-don-vi/khong-co").await;
        assert_eq!(res.status, 404);
        // The secretariat's pages: a news item through the form, shown on the portal.
        let sec = app.login("sonoivu").await;
        let page = sec.get("/quan-tri/tin-tuc").await;
        assert_eq!(page.status, 200, "{}", page.text());
        let csrf = page.csrf();
        let res = sec
            .post_form(
                "/quan-tri/tin-tuc",
                &[
                    ("csrf", &csrf),
                    ("category", "thong-bao"),
                    ("title", "Thông báo mới về SIPAS"),
                    ("summary", "Tóm tắt"),
                    ("body", "<p>Nội dung</p><script>x()</script>"),
                    ("hot", "1"),
                    ("published_at", ""),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert!(
            res.location()
                .starts_with("/quan-tri/tin-tuc/thong-bao-moi-ve-sipas")
        );
        let res = sec
            .post_form(
                "/quan-tri/tin-tuc",
                &[("csrf", &csrf), ("category", "thong-bao"), ("title", "")],
            )
            .await;
        assert_eq!(res.status, 422);
        assert!(res.text().contains("thiếu tiêu đề"));
        let item = anon.get("/tin-tuc/thong-bao-moi-ve-sipas").await.text();
        assert!(item.contains("Thông báo mới về SIPAS") && !item.contains("x()"));
        let res = sec
            .post_form(
                "/quan-tri/lien-ket",
                &[("csrf", &csrf), ("title", "Sai"), ("url", "ftp://x")],
            )
            .await;
        assert_eq!(res.status, 422);
        let res = sec
            .post_form(
                "/quan-tri/lich",
                &[
                    ("csrf", &csrf),
                    ("starts", "2026-12-01T08:00"),
                    ("title", "Họp giao ban"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
        assert!(
            anon.get("/lich-cong-tac?tuan=2026-12-01")
                .await
                .text()
                .contains("Họp giao ban")
        );
        // Others may not manage the portal.
        let officer = app.login("canbo.skhcn").await;
        assert_eq!(officer.get("/quan-tri/tin-tuc").await.status, 403);
    })
    .await;
}

/// A closed survey of a published year shows on the unit's profile: element indices with their
/// intervals, as a table and a chart; the class label follows the page's language.
#[tokio::test]
async fn a_unit_profile_shows_its_survey_elements() {
    each_demo(async |app: &DemoApp| {
        let db = app.db();
        let anon = app.client();
        // The 2018 class label in English comes from the set's `label_en`.
        let vi = anon.get("/ho-so-don-vi/skhcn").await.text();
        // (`?lang=en` keeps English for this client: another one reads in English.)
        let en = app.client().get("/ho-so-don-vi/skhcn?lang=en").await.text();
        assert!(!vi.contains("chart-survey"), "no survey yet");
        assert!(
            en.contains("<td>Good</td>") || en.contains("<td>Excellent</td>"),
            "{en}"
        );
        assert!(
            !en.contains("<td>Tốt</td>") && !en.contains("<td>Xuất sắc</td>"),
            "{en}"
        );

        crate::survey::demo_responses(db, 2018, "skhcn", 12).await;
        // Open: not on the public profile yet.
        let page = anon.get("/ho-so-don-vi/skhcn").await.text();
        assert!(
            !page.contains("chart-survey"),
            "an open survey is not public"
        );
        crate::survey::close_demo_survey(db, 2018).await;
        let page = anon.get("/ho-so-don-vi/skhcn").await;
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains("Mức độ hài lòng theo yếu tố 2018"), "{html}");
        assert!(html.contains("chart-survey") && html.contains("<svg"));
        // Five elements, each with 12 respondents, values with the decimal comma.
        let report = db.survey_report(2018, "sipas-2017-22").await.unwrap();
        let unit = report.units.iter().find(|u| u.unit == "skhcn").unwrap();
        assert_eq!(unit.official.respondents, 12);
        for e in &unit.official.elements {
            let shown = format!("{:.1}", e.estimate.value).replace('.', ",");
            assert!(html.contains(&shown), "element {} {shown}: {html}", e.code);
        }
        let en = app.client().get("/ho-so-don-vi/skhcn?lang=en").await.text();
        assert!(en.contains("Satisfaction by element 2018"), "{en}");
        // Another unit without responses shows no survey section.
        let other = anon.get("/ho-so-don-vi/stp").await.text();
        assert!(!other.contains("chart-survey"));
    })
    .await;
}

#[tokio::test]
async fn the_published_ranking_downloads_as_csv_and_xlsx() {
    each_demo(async |app: &DemoApp| {
        let anon = app.client();
        let page = anon.get("/xep-hang/2018/so").await.text();
        assert!(
            page.contains(r#"href="/api/public/results/2018/so/csv""#)
                && page.contains(r#"href="/api/public/results/2018/so/xlsx""#),
            "{page}"
        );
        // The CSV: fixed English headers, decimal points, one row per unit in rank order.
        let csv = anon.get("/api/public/results/2018/so/csv").await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        assert!(
            csv.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("ket-qua-2018-so.csv"),
            "{:?}",
            csv.headers
        );
        let text = csv.text();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "group,rank,unit,name,direct,survey,bonus,penalty,total,max,percent,class,delta_total,delta_rank"
        );
        let published = app.db().published(2018, "so").await.unwrap();
        assert_eq!(lines.clone().count(), published.units.len());
        let first = &published.units[0];
        let mut total = first.total;
        total.rescale(published.decimals);
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with(&format!("so,1,{},{},", first.unit, first.name)),
            "{text}"
        );
        assert!(text.contains(&format!(",{total},")), "{total}: {text}");
        // The workbook.
        let xlsx = anon.get("/api/public/results/2018/so/xlsx").await;
        assert_eq!(xlsx.status, 200);
        assert_eq!(
            xlsx.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(xlsx.body.starts_with(b"PK"), "a zip file");
        // Bad addresses: a clear 404, in the caller's language.
        let odd = anon.get("/api/public/results/2018/so/pdf").await;
        assert_eq!(odd.status, 404);
        assert!(odd.text().contains("csv, xlsx"), "{}", odd.text());
        let none = anon.get("/api/public/results/2017/so/csv").await;
        assert_eq!(none.status, 404);
        assert!(none.text().contains("chưa công bố"), "{}", none.text());
    })
    .await;
}

#[tokio::test]
async fn a_closed_survey_has_a_public_ranking() {
    each_demo(async |app: &DemoApp| {
        let db = app.db();
        let anon = app.client();
        crate::survey::demo_responses(db, 2019, "skhcn", 12).await;
        let page = "/khao-sat/2019/sipas-2017-22/xep-hang";
        // Open: not public, and not listed.
        let open = anon.get(page).await;
        assert_eq!(open.status, 404);
        assert!(
            open.text().contains("khi khảo sát đã kết thúc"),
            "{}",
            open.text()
        );
        assert!(!anon.get("/xep-hang").await.text().contains(page));

        crate::survey::close_demo_survey(db, 2019).await;
        assert!(anon.get("/xep-hang").await.text().contains(page));
        let res = anon.get(page).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let html = res.text();
        assert!(html.contains("Xếp hạng mức độ hài lòng"), "{html}");
        // The official ranking's figures, with the decimal comma; not the quarantine column.
        let report = db.survey_report(2019, "sipas-2017-22").await.unwrap();
        let unit = report.units.iter().find(|u| u.unit == "skhcn").unwrap();
        let shown = format!("{:.1}", unit.official.overall.value).replace('.', ",");
        assert!(html.contains("Sở Khoa học và Công nghệ"), "{html}");
        assert!(html.contains(&shown), "{shown}: {html}");
        assert!(!html.contains("Hạng nếu tính cả phiếu tạm giữ"), "{html}");
        let en = app.client().get(&format!("{page}?lang=en")).await.text();
        assert!(en.contains("Satisfaction ranking"), "{en}");
    })
    .await;
}
