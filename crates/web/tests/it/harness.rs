//! A running server per test and per backend: SQLite in a temporary directory, and PostgreSQL
//! (when `PARINDEX_TEST_PG_URL` names a server) in a database created for the test and dropped
//! after it. A small HTTP client keeps one user's session cookie and CSRF token.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parindex_store::testing::{PgDatabase, with_pg_database};
use parindex_store::units::UnitFields;
use parindex_store::users::{Role, UserFields};
use parindex_store::{Actor, Db};
use parindex_web::{AppState, Application, Config, ConfigOverrides};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

pub const PASSWORD: &str = "mat-khau-thu-nghiem";
/// The upload limit of test servers (small, so "too large" is cheap to test).
pub const MAX_UPLOAD: u64 = 100_000;

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub fn db(&self) -> &Db {
        self.state.db()
    }
    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }
    /// A client signed in as `username`.
    pub async fn login(&self, username: &str) -> Client {
        let c = self.client();
        let res = c.login(username, PASSWORD).await;
        assert_eq!(res.status, 200, "sign-in of {username}: {}", res.text());
        c
    }
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

pub use parindex_store::testing::pg_url;

/// Builds and starts the application on `127.0.0.1:0` with the given database (None: SQLite in
/// the temporary directory).
pub async fn spawn_app(database_url: Option<String>) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let overrides = ConfigOverrides {
        bind: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        database_url,
        max_upload_bytes: Some(MAX_UPLOAD),
        login_max_failures: Some(3),
        login_lockout_minutes: Some(1),
        ..Default::default()
    };
    let config = Config::load_with(None, |_| None, overrides).expect("config");
    let app = Application::build(config).await.expect("build app");
    let addr = app.local_addr();
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        state,
        dir,
        stop: Some(tx),
        server: Some(server),
    }
}

/// Runs `test` on a fresh SQLite server, then on a fresh PostgreSQL one when configured. A panic
/// on PostgreSQL still drops its database before it propagates.
pub async fn each_backend<F>(test: F)
where
    F: AsyncFn(&TestApp),
{
    let app = spawn_app(None).await;
    test(&app).await;
    app.shutdown().await;
    if let Some(base) = pg_url() {
        with_pg_database(&base, "parindex_webtest", async |pg: &PgDatabase| {
            let app = spawn_app(Some(pg.url.clone())).await;
            test(&app).await;
            app.shutdown().await;
        })
        .await;
    }
}

/// One response, read whole.
pub struct Res {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Res {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    /// The error code of an error response.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// A client with one session: the cookie from sign-in and the CSRF token it returned.
pub struct Client {
    addr: SocketAddr,
    http: HyperClient<HttpConnector, Full<Bytes>>,
    cookie: Mutex<Option<String>>,
    pub csrf: Mutex<Option<String>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
            cookie: Mutex::new(None),
            csrf: Mutex::new(None),
        }
    }

    pub fn csrf(&self) -> Option<String> {
        self.csrf.lock().unwrap().clone()
    }

    /// Sends a request with the session cookie and (for state-changing methods) the CSRF token,
    /// plus `headers`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if let Some(c) = self.cookie.lock().unwrap().as_ref() {
            b = b.header("cookie", c.as_str());
        }
        let unsafe_method = !matches!(method, "GET" | "HEAD");
        let explicit_csrf = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-csrf-token") || *k == "no-csrf");
        if unsafe_method
            && !explicit_csrf
            && let Some(t) = self.csrf()
        {
            b = b.header("x-csrf-token", t);
        }
        for (k, v) in headers {
            if *k != "no-csrf" {
                b = b.header(*k, *v);
            }
        }
        let bytes = match body {
            Body::None => Vec::new(),
            Body::Json(v) => {
                b = b.header("content-type", "application/json");
                serde_json::to_vec(&v).unwrap()
            }
            Body::Raw(ct, bytes) => {
                if !ct.is_empty() {
                    b = b.header("content-type", ct);
                }
                bytes
            }
        };
        let res = self
            .http
            .request(b.body(Full::new(Bytes::from(bytes))).unwrap())
            .await
            .expect("request");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        if let Some(set) = parts
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or("").to_string();
            *self.cookie.lock().unwrap() = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        Res {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send("GET", path, Body::None, &[]).await
    }
    pub async fn post(&self, path: &str, v: Value) -> Res {
        self.send("POST", path, Body::Json(v), &[]).await
    }
    pub async fn put(&self, path: &str, v: Value) -> Res {
        self.send("PUT", path, Body::Json(v), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Res {
        self.send("DELETE", path, Body::None, &[]).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Res {
        let res = self
            .post(
                "/api/session",
                serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        if res.status == 200 {
            *self.csrf.lock().unwrap() = res.json()["csrf_token"].as_str().map(str::to_string);
        }
        res
    }

    /// Uploads a file as multipart form data (`page_ref` field, then `file`).
    pub async fn upload(&self, path: &str, name: &str, content: &[u8], page_ref: &str) -> Res {
        let (ct, body) = multipart(name, content, page_ref);
        self.send("POST", path, Body::Raw(ct, body), &[]).await
    }
}

pub const BOUNDARY: &str = "parindex-test-boundary-7MA4YWxkTrZu0gW";

pub fn multipart(name: &str, content: &[u8], page_ref: &str) -> (&'static str, Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"page_ref\"\r\n\r\n{page_ref}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (
        "multipart/form-data; boundary=parindex-test-boundary-7MA4YWxkTrZu0gW",
        body,
    )
}

/// A small PDF (by its magic bytes, which is what the server checks).
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A tiny PNG header.
pub fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0u8; 32]);
    v
}

pub fn sets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sets")
}

/// A small set: group `so`, total 10; area 1: 1.1.1 binary (2), 1.1.2 proportional (2, may be
/// not applicable), 1.1.3 manual (2); area 2: 2.1.1 survey (4); bonus and penalty capped at 2.
pub const SMALL_SET: &str = r#"
format = 1
kind = "criteria-set"

[set]
code = "test-2019"
title = "Bộ chỉ số thử"
year = 2019
total = 10
levels = ["so"]

[[group]]
code = "so"
name = "Sở, ban, ngành"

[scoring]
rank_basis = "percent"
rank_method = "competition"
decimals = 2
rounding = "half_up"

[bonus]
max = 2
[penalty]
max = 2

[classes]
basis = "percent"
[[classes.class]]
label = "Tốt"
min = 80
[[classes.class]]
label = "Khá"
min = 0

[[node]]
code = "1"
title = "Chỉ đạo, điều hành"
max = 6
[[node]]
code = "1.1"
title = "Kế hoạch"
max = 6
[[node]]
code = "1.1.1"
title = "Có kế hoạch"
max = 2
rule = { type = "binary" }
[[node]]
code = "1.1.2"
title = "Tỷ lệ hoàn thành"
max = 2
allow_na = true
rule = { type = "proportional" }
[[node]]
code = "1.1.3"
title = "Chấm tay"
max = 2
rule = { type = "manual" }
[[node]]
code = "2"
title = "Hài lòng"
max = 4
[[node]]
code = "2.1"
title = "Khảo sát"
max = 4
[[node]]
code = "2.1.1"
title = "Chỉ số hài lòng"
max = 4
rule = { type = "survey", indicator = "sipas.overall" }
"#;

/// The argon2 hash of PASSWORD, computed once for every test user.
pub async fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return h.clone();
    }
    let h = parindex_web::hash_password(PASSWORD).await;
    HASH.get_or_init(|| h).clone()
}

/// The users of the seeded province, one per column of the authorization matrix.
pub const USERS: [(&str, Role, Option<&str>); 7] = [
    ("sec", Role::Secretariat, None),
    ("appr1", Role::Appraiser, None),
    ("appr2", Role::Appraiser, None),
    ("off.snv", Role::UnitOfficer, Some("SNV")),
    ("off.stp", Role::UnitOfficer, Some("STP")),
    ("leader", Role::Leader, None),
    ("x.user", Role::Leader, None),
];

/// Units SNV, STP and SXD (group `so`), round 2019 with SMALL_SET, opened; SNV self-assessing;
/// users of every role; appr1 appraises area 1 and appr2 area 2 of group `so` in 2019.
pub async fn seed(db: &Db) {
    let a = Actor::new("seed");
    db.create_round(2019, "Chỉ số CCHC năm 2019", &a)
        .await
        .unwrap();
    db.put_criteria_set(2019, "test.set.toml", SMALL_SET, &a)
        .await
        .unwrap();
    for (code, name) in [
        ("SNV", "Sở Nội vụ"),
        ("STP", "Sở Tư pháp"),
        ("SXD", "Sở Xây dựng"),
    ] {
        let f = UnitFields {
            name: name.into(),
            group: "so".into(),
            level: Some("so".into()),
            ..Default::default()
        };
        db.create_unit(code, &f, &a).await.unwrap();
    }
    let hash = password_hash().await;
    for (username, role, unit) in USERS {
        let f = UserFields {
            display_name: username.to_string(),
            unit: unit.map(str::to_string),
            roles: vec![role],
            ..Default::default()
        };
        db.create_user(username, &f, &hash, &a).await.unwrap();
    }
    db.open_round(2019, &a).await.unwrap();
    db.assign_area("appr1", 2019, "so", "1", &a).await.unwrap();
    db.assign_area("appr2", 2019, "so", "2", &a).await.unwrap();
    move_to(db, "SNV", &["self_assessing"]).await;
}

/// Moves a sheet through states as the secretariat would (through the store).
pub async fn move_to(db: &Db, unit: &str, states: &[&str]) {
    for s in states {
        let sheet = db.sheet(2019, unit).await.unwrap();
        let to = parindex_store::sheets::SheetState::parse(s).unwrap();
        db.transition(
            2019,
            unit,
            sheet.version,
            to,
            &Actor::new("seed").because("test"),
        )
        .await
        .unwrap();
    }
}
