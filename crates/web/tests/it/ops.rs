//! Health, metrics, the OpenAPI document, configuration on first start.

use crate::harness::{each_backend, seed, spawn_app};
use crate::matrix::ROUTES;

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
            .filter(|r| r.template.starts_with("/api/") && r.template != "/api/openapi.json")
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
