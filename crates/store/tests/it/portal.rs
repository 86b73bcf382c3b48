//! The portal's content: news search that ignores diacritics on both backends, hostile search
//! strings, pagination, sanitized bodies; the work calendar; links; visit counts.

use crate::harness::each_backend;
use parindex_store::portal::{EventInput, NewsInput, NewsQuery};
use parindex_store::{Actor, Timestamp};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[tokio::test]
async fn news_search_ignores_diacritics_and_survives_hostile_input() {
    each_backend(async |t| {
        let db = &t.db;
        let by = Actor::new("sonoivu");
        db.put_category("cchc", "Cải cách hành chính", &by)
            .await
            .unwrap();
        db.put_category("thongbao", "Thông báo", &by).await.unwrap();
        let items = [
            (
                "cchc",
                "Sở Khoa học và Công nghệ rà soát chỉ số cải cách hành chính",
                "2020-06-12T01:24:00Z",
                true,
                false,
            ),
            (
                "cchc",
                "Đồng Nai công bố chỉ số SIPAS năm 2019",
                "2020-05-02T01:00:00Z",
                false,
                true,
            ),
            (
                "thongbao",
                "Lịch tiếp công dân tháng 6",
                "2020-06-01T01:00:00Z",
                false,
                false,
            ),
            (
                "thongbao",
                "Hội nghị tổng kết năm",
                "2030-01-01T01:00:00Z",
                false,
                false,
            ),
        ];
        for (cat, title, when, hot, featured) in items {
            let input = NewsInput {
                category: cat.into(),
                title: title.into(),
                summary: format!("Tóm tắt: {title}"),
                body_html: format!(
                    "<p>{title}</p><script>alert('x')</script><p onclick=\"steal()\">Chi tiết</p>"
                ),
                hot,
                featured,
                published_at: Some(at(when)),
            };
            db.create_news(&input, &by).await.unwrap();
        }
        let now = at("2026-11-28T00:00:00Z");
        let search = |text: &str| NewsQuery {
            text: text.into(),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        let titles = |page: parindex_store::portal::NewsPage| {
            page.items.into_iter().map(|n| n.title).collect::<Vec<_>>()
        };

        let found = titles(db.search_news(&search("cai cach"), now).await.unwrap());
        assert_eq!(
            found,
            vec!["Sở Khoa học và Công nghệ rà soát chỉ số cải cách hành chính"]
        );
        let found = titles(db.search_news(&search("dong nai"), now).await.unwrap());
        assert_eq!(found, vec!["Đồng Nai công bố chỉ số SIPAS năm 2019"]);
        let found = titles(db.search_news(&search("ĐỒNG NAI"), now).await.unwrap());
        assert_eq!(found.len(), 1);
        // Not yet published: never found.
        assert!(
            db.search_news(&search("tong ket"), now)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        // Everything published, newest first, when there are no words.
        let all = db.search_news(&search(""), now).await.unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(
            all.items[0].title,
            "Sở Khoa học và Công nghệ rà soát chỉ số cải cách hành chính"
        );

        for hostile in [
            "\"",
            "\"\"\"",
            "chi so\" OR \"x",
            "NEAR(cai cach)",
            "cai* AND NOT",
            "'; DROP TABLE news; --",
            "%_\\",
            "()",
            ":*&|!",
            &"cải cách ".repeat(5000),
        ] {
            let r = db.search_news(&search(hostile), now).await;
            assert!(r.is_ok(), "{hostile:.40}: {r:?}");
        }
        assert_eq!(
            db.search_news(&search("'; DROP TABLE news; --"), now)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            db.search_news(&search(""), now).await.unwrap().total,
            3,
            "the table is still there"
        );

        // Category, dates (reversed range: nothing), flags, pages past the last.
        let q = NewsQuery {
            category: Some("thongbao".into()),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(db.search_news(&q, now).await.unwrap().total, 1);
        let q = NewsQuery {
            from: Some(at("2020-06-01T00:00:00Z")),
            to: Some(at("2020-06-30T00:00:00Z")),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(db.search_news(&q, now).await.unwrap().total, 2);
        let q = NewsQuery {
            from: Some(at("2020-06-30T00:00:00Z")),
            to: Some(at("2020-06-01T00:00:00Z")),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(db.search_news(&q, now).await.unwrap().total, 0);
        let q = NewsQuery {
            hot: true,
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(db.search_news(&q, now).await.unwrap().total, 1);
        let q = NewsQuery {
            featured: true,
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(db.search_news(&q, now).await.unwrap().total, 1);
        let q = NewsQuery {
            page: 1,
            per_page: 2,
            ..Default::default()
        };
        let first = db.search_news(&q, now).await.unwrap();
        assert_eq!((first.items.len(), first.pages), (2, 2));
        let q = NewsQuery {
            page: 9,
            per_page: 2,
            ..Default::default()
        };
        let beyond = db.search_news(&q, now).await.unwrap();
        assert!(beyond.items.is_empty());
        assert_eq!(beyond.total, 3);

        // Bodies are stored sanitized.
        let item = db.news_item(&first.items[0].slug).await.unwrap();
        assert!(
            !item.body_html.contains("script") && !item.body_html.contains("onclick"),
            "{}",
            item.body_html
        );
        assert!(item.body_html.contains("Chi tiết"));
        // Same title twice: distinct slugs.
        let dup = NewsInput {
            category: "cchc".into(),
            title: "Đồng Nai công bố chỉ số SIPAS năm 2019".into(),
            ..Default::default()
        };
        let again = db.create_news(&dup, &by).await.unwrap();
        assert_eq!(again.slug, "dong-nai-cong-bo-chi-so-sipas-nam-2019-2");
        let missing = NewsInput {
            category: "nope".into(),
            title: "x".into(),
            ..Default::default()
        };
        assert!(db.create_news(&missing, &by).await.is_err());
        assert!(
            db.create_news(
                &NewsInput {
                    category: "cchc".into(),
                    ..Default::default()
                },
                &by
            )
            .await
            .is_err()
        );
        db.verify_audit().await.unwrap();

        // A restored database finds the same news: the search index is rebuilt from the rows.
        let out = t.dir.path().join("backup");
        parindex_store::backup::backup(db, &t.evidence(), &out)
            .await
            .unwrap();
        let (fresh, pg_name) = t.sibling().await;
        let evidence = fresh.evidence();
        parindex_store::backup::restore(&fresh.db, &evidence, &out)
            .await
            .unwrap();
        // (The second "Đồng Nai" item was published just now, after the test's `now`.)
        let found = titles(
            fresh
                .db
                .search_news(&search("dong nai"), now)
                .await
                .unwrap(),
        );
        assert_eq!(found, vec!["Đồng Nai công bố chỉ số SIPAS năm 2019"]);
        if let Some(pg) = pg_name {
            crate::harness::drop_pg(fresh, pg).await;
        }
    })
    .await;
}

#[tokio::test]
async fn calendar_links_and_visits() {
    each_backend(async |t| {
        let db = &t.db;
        let by = Actor::new("sonoivu");
        let event = |when: &str, title: &str| EventInput {
            starts_at: Some(at(when)),
            ends_at: None,
            title: title.into(),
            location: "Phòng họp tầng 3".into(),
            chair: "Giám đốc Sở".into(),
            participants: "Các phòng, đơn vị thuộc Sở".into(),
        };
        db.add_event(
            &event(
                "2020-06-08T07:00:00Z",
                "Họp đánh giá, xếp hạng chỉ số CCHC năm 2019",
            ),
            &by,
        )
        .await
        .unwrap();
        db.add_event(&event("2020-06-15T01:00:00Z", "Giao ban tuần"), &by)
            .await
            .unwrap();
        let week = db
            .events_between(at("2020-06-08T00:00:00Z"), at("2020-06-15T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(week.len(), 1);
        assert_eq!(week[0].title, "Họp đánh giá, xếp hạng chỉ số CCHC năm 2019");
        let mut reversed = event("2020-06-08T07:00:00Z", "x");
        reversed.ends_at = Some(at("2020-06-07T07:00:00Z"));
        assert!(db.add_event(&reversed, &by).await.is_err());
        assert!(
            db.add_event(
                &EventInput {
                    title: "x".into(),
                    ..Default::default()
                },
                &by
            )
            .await
            .is_err()
        );
        db.delete_event(week[0].id, &by).await.unwrap();
        assert!(db.delete_event(week[0].id, &by).await.is_err());

        db.put_link(
            "Cổng Dịch vụ công quốc gia",
            "https://dichvucong.gov.vn",
            1,
            &by,
        )
        .await
        .unwrap();
        assert!(
            db.put_link("x", "javascript:alert(1)", 2, &by)
                .await
                .is_err()
        );
        assert_eq!(db.links().await.unwrap().len(), 1);

        db.add_visits("2020-06-12", 354).await.unwrap();
        db.add_visits("2020-06-11", 1_988_953).await.unwrap();
        db.add_visits("2020-06-12", 0).await.unwrap();
        assert_eq!(
            db.visit_counts("2020-06-12").await.unwrap(),
            (354, 1_989_307)
        );
    })
    .await;
}

#[tokio::test]
async fn attachments_links_and_the_news_index() {
    each_backend(async |t| {
        let db = &t.db;
        let files = t.evidence();
        let by = Actor::new("sonoivu");
        db.put_category("tb", "Thông báo", &by).await.unwrap();
        let item = db
            .create_news(
                &NewsInput {
                    category: "tb".into(),
                    title: "Kế hoạch năm 2020".into(),
                    published_at: Some(at("2020-01-02T00:00:00Z")),
                    ..Default::default()
                },
                &by,
            )
            .await
            .unwrap();
        let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
        let a = files
            .put_news_attachment(db, &item.slug, "kế hoạch.pdf", pdf.as_slice(), &by)
            .await
            .unwrap();
        assert_eq!((a.kind.as_str(), a.size), ("pdf", pdf.len() as i64));
        assert_eq!(files.read(&a.sha256).await.unwrap(), pdf);
        // Forbidden types, and a PNG named .pdf, leave no row.
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        for (name, bytes) in [
            ("x.exe", b"MZ".to_vec()),
            ("x.html", b"<p>".to_vec()),
            ("anh.pdf", png),
        ] {
            let err = files
                .put_news_attachment(db, &item.slug, name, bytes.as_slice(), &by)
                .await
                .unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
        assert_eq!(
            db.news_attachments(&item.slug).await.unwrap(),
            vec![a.clone()]
        );
        assert!(
            files
                .put_news_attachment(db, "khong-co", "a.pdf", pdf.as_slice(), &by)
                .await
                .is_err()
        );
        // Another item's attachment is not reachable through this item.
        assert!(db.news_attachment("khong-co", a.id).await.is_err());
        db.delete_news_attachment(&item.slug, a.id, &by)
            .await
            .unwrap();
        assert!(db.news_attachments(&item.slug).await.unwrap().is_empty());

        // The index lists published items only.
        db.create_news(
            &NewsInput {
                category: "tb".into(),
                title: "Tin sau".into(),
                published_at: Some(at("2030-01-01T00:00:00Z")),
                ..Default::default()
            },
            &by,
        )
        .await
        .unwrap();
        let index = db
            .news_index(at("2025-01-01T00:00:00Z"), 100)
            .await
            .unwrap();
        assert_eq!(
            index.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
            vec![item.slug.as_str()]
        );

        let link = db
            .put_link("Bộ Nội vụ", "https://moha.gov.vn", 1, &by)
            .await
            .unwrap();
        db.delete_link(link.id, &by).await.unwrap();
        assert!(db.delete_link(link.id, &by).await.is_err());
        assert!(db.links().await.unwrap().is_empty());
    })
    .await;
}
