//! Health, metrics, the OpenAPI document, configuration on first start.

use crate::harness::{each_backend, seed, sets_dir, spawn_app};
use crate::matrix::ROUTES;
use serde_json::json;

#[tokio::test]
async fn healthz_metrics_and_openapi() {
    each_backend(async |app| {
        let c = app.client();
        let h = c.get("/healthz").await;
        assert_eq!(h.status, 200, "{}", h.text());
        assert_eq!(h.json()["status"], "ok");

        c.get("/api/public/results").await;
        let m = c.get("/metrics").await;
        assert_eq!(m.status, 200);
        assert!(
            m.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4")
        );
        let text = m.text();
        assert!(
            text.contains(
                "parindex_http_requests_total{method=\"GET\",route=\"/api/public/results\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("parindex_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 1"), "{text}");
        assert!(text.contains("parindex_db_pool_connections{state=\"open\"}"));

        let doc = c.get("/api/openapi.json").await;
        assert_eq!(doc.status, 200);
        let doc = doc.json();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        let paths = doc["paths"].as_object().unwrap();
        let mut documented = Vec::new();
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    documented.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        documented.sort();
        // Every API route of the authorization matrix is documented, and nothing else is.
        let mut routed: Vec<String> = ROUTES
            .iter()
            .filter(|r| r.template.starts_with("/api/") && !r.template.ends_with("/openapi.json"))
            .map(|r| format!("{} {}", r.method, r.template))
            .collect();
        routed.sort();
        routed.dedup();
        assert_eq!(documented, routed);
    })
    .await;
}

#[tokio::test]
async fn first_start_creates_the_sqlite_database() {
    let app = spawn_app(None).await;
    assert!(app.dir.path().join("parindex.db").exists());
    assert!(app.dir.path().join("evidence").is_dir());
    seed(app.db()).await;
    assert_eq!(app.db().units().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_secretariat_sets_up_a_round_with_the_bundled_set() {
    each_backend(async |app| {
        seed(app.db()).await;
        let sec = app.login("sec").await;
        let toml = std::fs::read_to_string(sets_dir().join("so-2019.set.toml")).unwrap();
        let res = sec
            .post("/api/rounds", json!({ "year": 2020, "title": "Chỉ số CCHC năm 2020" }))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["state"], "draft");
        let res = sec
            .post(
                "/api/rounds/2020/sets",
                json!({ "source": "so-2019.set.toml", "toml": toml }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["groups"], json!(["so"]));
        let res = sec
            .put(
                "/api/rounds/2020/deadlines/self_assessment",
                json!({ "due": "2020-12-10T23:59:00+07:00" }),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deadlines"][0]["due"], "2020-12-10T16:59:00.000Z");
        let res = sec
            .post(
                "/api/units",
                json!({ "code": "SKHCN", "name": "Sở Khoa học và Công nghệ", "group": "so", "level": "so" }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = sec.post("/api/rounds/2020/open", json!({})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let sheets = sec.get("/api/rounds/2020/sheets").await.json();
        assert_eq!(sheets.as_array().unwrap().len(), 4);
        let set = sec.get("/api/rounds/2020/sets/so?level=so").await.json();
        let leaves = set["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["rule"].is_string())
            .count();
        assert_eq!(leaves, 58);
        // An officer sees only their own unit's sheet; the deadline is in the sheet view.
        let officer = app.login("off.snv").await;
        let mine = officer.get("/api/rounds/2020/sheets").await.json();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let view = officer.get("/api/rounds/2020/sheets/SNV").await.json();
        assert_eq!(view["entries"].as_array().unwrap().len(), 58);
        assert_eq!(view["deadlines"][0]["phase"], "self_assessment");
        let res = sec.post("/api/rounds/2020/close", json!({})).await;
        assert_eq!(res.json()["state"], "closed");
        // A closed round takes no more changes.
        let res = sec
            .post(
                "/api/rounds/2020/sheets/SNV/transitions",
                json!({ "to": "self_assessing", "version": view["sheet"]["version"] }),
            )
            .await;
        assert_eq!(res.status, 409, "{}", res.text());
        assert_eq!(res.code(), "round_state");
    })
    .await;
}

#[tokio::test]
async fn graceful_shutdown_stops_serving() {
    let app = spawn_app(None).await;
    let addr = app.addr;
    assert_eq!(app.client().get("/healthz").await.status, 200);
    app.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn errors_speak_the_callers_language() {
    let app = spawn_app(None).await;
    let c = app.client();
    let vi = c.get("/api/me").await;
    assert_eq!(vi.message(), "cần đăng nhập để thực hiện thao tác này");
    let en = c.get("/api/me?lang=en").await;
    assert_eq!(en.message(), "you need to sign in to do this");
    let cookie = c
        .send(
            "GET",
            "/api/me",
            crate::harness::Body::None,
            &[("cookie", "lang=en")],
        )
        .await;
    assert_eq!(cookie.message(), "you need to sign in to do this");
    let header = c
        .send(
            "GET",
            "/api/nothing",
            crate::harness::Body::None,
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(header.status, 404);
    assert_eq!(header.message(), "there is no such address");
    app.shutdown().await;
}
