//! The server-rendered pages on the demo province: each main page renders for its role, is
//! refused to roles that may not see it, stays under 200 KB with its stylesheet and script,
//! speaks the user's language, answers unknown addresses with a page, and carries the security
//! headers. The demo is seeded once per build of this test binary (a data directory, and a
//! PostgreSQL template database when `PARINDEX_TEST_PG_URL` is set) and copied for each test, so
//! every test has its own database on each backend.

use crate::harness::{MAX_UPLOAD, PASSWORD, pg_url};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parindex_store::demo::{DemoSets, seed_demo};
use parindex_store::testing::{PgDatabase, with_pg_copy};
use parindex_store::units::UnitFields;
use parindex_store::users::{Role, UserFields};
use parindex_store::{Actor, Db};
use parindex_web::{AppState, Application, Config, ConfigOverrides};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// A server on the demo province, in its own copy of the data directory.
pub struct DemoApp {
    pub addr: SocketAddr,
    pub state: AppState,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl DemoApp {
    pub fn db(&self) -> &Db {
        self.state.db()
    }
    pub fn client(&self) -> Page {
        Page::new(self.addr)
    }
    /// A client signed in (through the sign-in page) as `username`.
    pub async fn login(&self, username: &str) -> Page {
        let p = self.client();
        let res = p
            .post_form(
                "/dang-nhap",
                &[("username", username), ("password", PASSWORD), ("next", "")],
            )
            .await;
        assert_eq!(res.status, 303, "sign-in of {username}: {}", res.text());
        p
    }
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }
}

fn set_text(name: &str) -> (String, String) {
    let path = crate::harness::sets_dir().join(name);
    (
        name.to_string(),
        std::fs::read_to_string(path).expect("bundled set"),
    )
}

/// The users whose password the tests know (PASSWORD), and the extra unit `e2e` (group `so`)
/// with a not-started sheet in 2019, for the self-assessment.
const KNOWN: [&str; 6] = [
    "sonoivu",
    "thamdinh",
    "thamdinh.tuphap",
    "lanhdao",
    "canbo.skhcn",
    "canbo.e2e",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A server's settings: data (SQLite and evidence) in `dir`, or the database `database_url`.
fn config(dir: &Path, database_url: Option<String>) -> Config {
    let overrides = ConfigOverrides {
        bind: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.to_path_buf()),
        database_url,
        max_upload_bytes: Some(MAX_UPLOAD),
        ..Default::default()
    };
    Config::load_with(None, |_| None, overrides).expect("config")
}

/// Seeds the demo into `dir` (a fresh data directory), or into the database `database_url` with
/// its evidence files in `dir`.
async fn seed_into(dir: &Path, database_url: Option<String>) {
    let (db, evidence) = parindex_web::open_store(&config(dir, database_url))
        .await
        .expect("store");
    let (so, huyen) = (
        set_text("so-2019.set.toml"),
        set_text("huyen-2019.set.toml"),
    );
    let sets = DemoSets {
        department: (&so.0, &so.1),
        district: (&huyen.0, &huyen.1),
    };
    // The demo's own passwords are not used: a cheap stand-in, then PASSWORD for KNOWN.
    seed_demo(&db, &evidence, sets, &|p| format!("plain:{p}"), &mut |_| {})
        .await
        .expect("demo");
    let a = Actor::new("test");
    db.create_unit(
        "e2e",
        &UnitFields {
            name: "Ban Thử nghiệm".into(),
            group: "so".into(),
            level: Some("so".into()),
            ..Default::default()
        },
        &a,
    )
    .await
    .unwrap();
    db.create_sheet(2019, "e2e", &a).await.unwrap();
    db.create_user(
        "canbo.e2e",
        &UserFields {
            display_name: "Cán bộ Ban Thử nghiệm".into(),
            unit: Some("e2e".into()),
            roles: vec![Role::UnitOfficer],
            ..Default::default()
        },
        "!",
        &a,
    )
    .await
    .unwrap();
    let hash = parindex_web::hash_password(PASSWORD).await;
    for u in KNOWN {
        db.set_password_hash(u, &hash, &a).await.unwrap();
    }
    db.close().await;
}

/// When this test binary was built (seconds): templates are made once per build.
fn build_stamp() -> u64 {
    let exe = std::env::current_exe().unwrap();
    std::fs::metadata(&exe)
        .and_then(|m| m.modified())
        .map(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs()
        })
        .unwrap_or(0)
}

/// The seeded template, made once per build of the test binary (several test processes may
/// race for it: the first to create the lock directory seeds, the others wait).
async fn template() -> PathBuf {
    let stamp = build_stamp();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pages-demo-{stamp}"));
    let done = root.join("done");
    let lock = root.with_extension("lock");
    loop {
        if done.exists() {
            return root.join("data");
        }
        if std::fs::create_dir(&lock).is_ok() {
            // Templates of earlier builds are no longer used.
            if let Ok(entries) = std::fs::read_dir(root.parent().unwrap()) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with("pages-demo-")
                        && !name.ends_with(".lock")
                        && e.path() != root
                    {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("data")).unwrap();
            seed_into(&root.join("data"), None).await;
            std::fs::write(&done, b"").unwrap();
            let _ = std::fs::remove_dir(&lock);
            return root.join("data");
        }
        // Another process is seeding; a lock older than 10 minutes is a crashed one.
        let stale = std::fs::metadata(&lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e > Duration::from_secs(600));
        if stale {
            let _ = std::fs::remove_dir(&lock);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The PostgreSQL template of this build of the test binary: the demo seeded once, copied per
/// test (`CREATE DATABASE … TEMPLATE`). Its evidence files are the SQLite template's (the demo's
/// files are the same bytes, stored by their hash).
async fn pg_template(base: &str) -> String {
    let stamp = build_stamp();
    let name = format!("{PG_TEMPLATE_PREFIX}{stamp}");
    parindex_store::testing::pg_template(base, &name, PG_TEMPLATE_PREFIX, async |url: &str| {
        let scratch = tempfile::tempdir().unwrap();
        seed_into(scratch.path(), Some(url.to_string())).await;
    })
    .await;
    name
}

const PG_TEMPLATE_PREFIX: &str = "parindex_pagesdemo_";

/// Starts a server with data in `dir` (and the database `database_url`, else SQLite in `dir`).
async fn start(dir: tempfile::TempDir, database_url: Option<String>) -> DemoApp {
    let app = Application::build(config(dir.path(), database_url))
        .await
        .expect("app");
    let addr = app.local_addr();
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    DemoApp {
        addr,
        state,
        _dir: dir,
        stop: Some(tx),
        server: Some(server),
    }
}

/// Runs `test` on a server over a fresh copy of the demo province on SQLite, then (when
/// `PARINDEX_TEST_PG_URL` is set) on PostgreSQL, in a database dropped afterwards.
pub async fn each_demo<F>(test: F)
where
    F: AsyncFn(&DemoApp),
{
    let template = template().await;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&template, dir.path());
    let app = start(dir, None).await;
    test(&app).await;
    app.stop().await;
    if let Some(base) = pg_url() {
        let tmpl = pg_template(&base).await;
        with_pg_copy(
            &base,
            "parindex_pagestest",
            Some(&tmpl),
            async |pg: &PgDatabase| {
                let dir = tempfile::tempdir().unwrap();
                copy_dir(&template, dir.path());
                let app = start(dir, Some(pg.url.clone())).await;
                test(&app).await;
                app.stop().await;
            },
        )
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
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let t = self.text();
        let at = t
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in: {}", &t[..t.len().min(500)]));
        t[at + 19..].split('"').next().unwrap().to_string()
    }
}

/// A browser-like client: keeps its cookies, does not follow redirects.
pub struct Page {
    addr: SocketAddr,
    http: HyperClient<HttpConnector, Full<Bytes>>,
    cookies: Mutex<Vec<(String, String)>>,
}

fn encode(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

impl Page {
    pub fn new(addr: SocketAddr) -> Page {
        Page {
            addr,
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
            cookies: Mutex::new(Vec::new()),
        }
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut c = self.cookies.lock().unwrap();
        c.retain(|(k, _)| k != name);
        c.push((name.to_string(), value.to_string()));
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("host", self.addr.to_string());
        let cookie = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            b = b.header("cookie", cookie);
        }
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self
            .http
            .request(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .expect("request");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        for set in parts.headers.get_all("set-cookie") {
            let pair = set.to_str().unwrap_or("").split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                let mut c = self.cookies.lock().unwrap();
                c.retain(|(name, _)| name != k);
                if !v.is_empty() {
                    c.push((k.to_string(), v.to_string()));
                }
            }
        }
        Res {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send("GET", path, None, Vec::new(), &[]).await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Res {
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            encode(pairs),
            &[],
        )
        .await
    }

    /// A form post as htmx sends it (`HX-Request`, from the page at `from`).
    pub async fn htmx_post(&self, path: &str, from: &str, pairs: &[(&str, &str)]) -> Res {
        let current = format!("http://{}{from}", self.addr);
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            encode(pairs),
            &[("hx-request", "true"), ("hx-current-url", &current)],
        )
        .await
    }
}

/// The weight of a page as a browser loads it before images: the HTML, the stylesheet and the
/// script (uncompressed).
pub fn weight(res: &Res) -> usize {
    let text = res.text();
    let mut total = res.body.len();
    for asset in ["app.css", "htmx.min.js"] {
        if text.contains(&format!("/static/{asset}")) {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("static")
                .join(asset);
            total += std::fs::metadata(path)
                .map(|m| m.len() as usize)
                .unwrap_or(0);
        }
    }
    total
}

const LIMIT: usize = 200 * 1000;

#[tokio::test]
async fn each_main_page_renders_for_its_role_under_200_kb() {
    each_demo(async |app: &DemoApp| {
        let cases: &[(&str, &str, &str)] = &[
            ("-", "/", "Chỉ số cải cách hành chính"),
            ("-", "/xep-hang", "Kết quả Chỉ số CCHC đã công bố"),
            ("-", "/xep-hang/2018/so", "Sở Khoa học và Công nghệ"),
            ("-", "/xep-hang/2018/so/skhcn", "<svg"),
            ("-", "/dang-nhap", "Tên đăng nhập"),
            ("sonoivu", "/ky", "Kỳ đánh giá"),
            ("sonoivu", "/ky/2019", "Sở Khoa học và Công nghệ"),
            ("sonoivu", "/ky/2019/thiet-lap", "Thời hạn"),
            ("sonoivu", "/ky/2019/bo-chi-so/so", "Cách tính điểm"),
            ("sonoivu", "/ky/2019/ket-qua", "Bình quân của khối"),
            ("sonoivu", "/don-vi", "Sở Tài chính"),
            ("sonoivu", "/don-vi/skhcn", "Sở Khoa học và Công nghệ"),
            ("sonoivu", "/nguoi-dung", "thamdinh"),
            ("sonoivu", "/nguoi-dung/thamdinh", "Phân công thẩm định"),
            ("sonoivu", "/ky/2019/phieu/skhcn", "Thẩm định lần 1"),
            (
                "sonoivu",
                "/ky/2019/phieu/skhcn/nhat-ky",
                "Nhật ký thay đổi",
            ),
            ("sonoivu", "/xep-hang/2019/so/skhcn", "86,80"),
            ("lanhdao", "/ky/2019", "Sở Tài chính"),
            ("lanhdao", "/ky/2019/ket-qua", "Sở Tài chính"),
            ("thamdinh", "/tham-dinh", "Sở Khoa học và Công nghệ"),
            ("thamdinh", "/ky/2019/phieu/skhcn", "Nhận xét"),
            (
                "thamdinh",
                "/ky/2019/phieu/skhcn/muc/1.1.1",
                "Nhật ký của tiêu chí thành phần",
            ),
            (
                "canbo.skhcn",
                "/ky/2019/phieu/skhcn",
                "Sở Khoa học và Công nghệ",
            ),
            (
                "canbo.skhcn",
                "/ky/2019/phieu/skhcn?linh-vuc=3",
                "Cải cách thủ tục hành chính",
            ),
            ("canbo.e2e", "/ky/2019/phieu/e2e", "Bắt đầu tự đánh giá"),
            ("canbo.skhcn", "/tai-khoan", "Đổi mật khẩu"),
        ];
        let mut clients = std::collections::HashMap::new();
        for (user, path, marker) in cases {
            if !clients.contains_key(user) {
                let c = if *user == "-" {
                    app.client()
                } else {
                    app.login(user).await
                };
                clients.insert(*user, c);
            }
            let res = clients[user].get(path).await;
            assert_eq!(res.status, 200, "{user} {path}: {}", res.text());
            let text = res.text();
            assert!(
                text.contains(marker),
                "{user} {path}: no {marker:?} in\n{text}"
            );
            assert!(text.contains("<html lang=\"vi\">"), "{user} {path}");
            let w = weight(&res);
            assert!(w < LIMIT, "{user} {path} weighs {w} bytes");
            let ct = res.headers.get("content-type").unwrap().to_str().unwrap();
            assert!(ct.starts_with("text/html"), "{user} {path}: {ct}");
            assert_secure(&res, &format!("{user} {path}"));
        }
    })
    .await;
}

/// The security headers every answer must carry: a CSP that allows no inline script or style
/// and no framing, no MIME sniffing, no framing, and a referrer policy.
pub fn assert_secure(res: &Res, what: &str) {
    let header = |name: &str| {
        res.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("referrer-policy"), "same-origin", "{what}");
    if header("content-type").starts_with("text/html") {
        // What the CSP would block: an inline script or a style attribute.
        let text = res.text();
        assert!(!text.contains(" style=\""), "{what}: a style attribute");
        assert!(
            !text.contains("<script>") && !text.contains(" onclick="),
            "{what}: an inline script"
        );
    }
}

#[tokio::test]
async fn unknown_addresses_get_a_page_outside_the_api_and_json_inside_it() {
    each_demo(async |app: &DemoApp| {
        let anon = app.client();
        let res = anon.get("/khong-co-trang-nay").await;
        assert_eq!(res.status, 404);
        let text = res.text();
        assert!(
            res.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{text}"
        );
        assert!(
            text.contains("<html lang=\"vi\">")
                && text.contains("không có địa chỉ này trong hệ thống"),
            "{text}"
        );
        assert_secure(&res, "404 page");
        // In the visitor's language, and knowing who is signed in.
        let en = anon.get("/no/such/page?lang=en").await;
        assert_eq!(en.status, 404);
        assert!(
            en.text().contains("there is no such address"),
            "{}",
            en.text()
        );
        let officer = app.login("canbo.skhcn").await;
        let res = officer.get("/ky/2019/khong-co").await;
        assert_eq!(res.status, 404);
        assert!(
            res.text().contains("action=\"/dang-xuat\""),
            "{}",
            res.text()
        );
        // A method a page does not take, and a malformed path parameter: pages too, not text.
        let anon = app.client();
        let res = anon
            .send("OPTIONS", "/xep-hang", None, Vec::new(), &[])
            .await;
        assert_eq!(res.status, 405);
        assert!(
            res.text().contains("không nhận phương thức này"),
            "{}",
            res.text()
        );
        assert_secure(&res, "405 page");
        let res = anon.get("/xep-hang/nam-ngoai/so").await;
        assert_eq!(res.status, 400, "{}", res.text());
        assert!(res.text().contains("role=\"alert\""), "{}", res.text());
        // The API keeps answering in JSON, with its error code.
        for path in ["/api/khong-co", "/api", "/api/rounds/2019/khong-co"] {
            let res = anon.get(path).await;
            assert_eq!(res.status, 404, "{path}");
            let body: serde_json::Value = serde_json::from_slice(&res.body)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", res.text()));
            assert_eq!(body["error"]["code"], "not_found", "{path}");
            assert_secure(&res, path);
        }
    })
    .await;
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers() {
    each_demo(async |app: &DemoApp| {
        let anon = app.client();
        for path in [
            "/",
            "/dang-nhap",
            "/xep-hang/2018/so",
            "/static/app.css",
            "/static/htmx.min.js",
            "/healthz",
            "/api/openapi.json",
            "/api/public/results/2018/so",
            "/api/khong-co",
            "/khong-co",
            // The survey's public pages (no survey in the demo: their own error page).
            "/khao-sat/2019/khong-co",
            "/khao-sat/2019/khong-co/skhcn",
        ] {
            let res = anon.get(path).await;
            assert!(res.status < 500, "{path}: {}", res.status);
            assert_secure(&res, path);
        }
        // Signed in, and a refusal.
        let officer = app.login("canbo.skhcn").await;
        for path in ["/ky/2019/phieu/skhcn", "/don-vi", "/tai-khoan"] {
            let res = officer.get(path).await;
            assert_secure(&res, path);
        }
    })
    .await;
}

#[tokio::test]
async fn pages_are_refused_to_roles_that_may_not_see_them() {
    each_demo(async |app: &DemoApp| {
        // Not signed in: to the sign-in page, with the way back.
        let anon = app.client();
        for path in [
            "/ky/2019",
            "/ky/2019/phieu/skhcn",
            "/don-vi",
            "/tham-dinh",
            "/tai-khoan",
            "/xep-hang/2019/so/skhcn",
        ] {
            let res = anon.get(path).await;
            assert_eq!(res.status, 303, "{path}");
            let next = form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
            assert_eq!(res.location(), format!("/dang-nhap?next={next}"), "{path}");
        }
        // Signed in, but the role does not allow it: 403 with a page in Vietnamese.
        let cases: &[(&str, &str)] = &[
            ("canbo.skhcn", "/ky/2019"),
            ("canbo.skhcn", "/ky/2019/phieu/stc"),
            ("canbo.skhcn", "/ky/2019/phieu/stc/nhat-ky"),
            ("canbo.skhcn", "/don-vi"),
            ("canbo.skhcn", "/ky/2019/ket-qua"),
            ("canbo.skhcn", "/tham-dinh"),
            ("thamdinh", "/nguoi-dung"),
            ("thamdinh", "/ky/2019/thiet-lap"),
            ("lanhdao", "/don-vi"),
            ("lanhdao", "/nguoi-dung/thamdinh"),
            ("lanhdao", "/ky/2019/thiet-lap"),
            ("thamdinh.tuphap", "/ky/2019"),
        ];
        for (user, path) in cases {
            let c = app.login(user).await;
            let res = c.get(path).await;
            assert_eq!(res.status, 403, "{user} {path}: {}", res.text());
            let text = res.text();
            assert!(
                text.contains("Không có quyền truy cập"),
                "{user} {path}: {text}"
            );
            assert!(text.contains("role=\"alert\""));
        }
        // A write refused by the API's rules comes back as a page too (an officer approving).
        let c = app.login("canbo.skhcn").await;
        let page = c.get("/ky/2019/phieu/skhcn").await;
        let csrf = page.csrf();
        let res = c
            .post_form(
                "/ky/2019/phieu/skhcn/chuyen",
                &[("csrf", &csrf), ("to", "approved"), ("version", "1")],
            )
            .await;
        assert!(
            matches!(res.status, 403 | 409),
            "{}: {}",
            res.status,
            res.text()
        );
        assert!(res.text().contains("class=\"errors\""));
    })
    .await;
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_numbers_follow_it() {
    each_demo(async |app: &DemoApp| {
        let c = app.client();
        let vi = c.get("/xep-hang/2018/so").await;
        assert!(vi.text().contains("Xếp hạng") && vi.text().contains("86,60"));
        let en = c.get("/xep-hang/2018/so?lang=en").await;
        let set_cookie = en.headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(set_cookie.starts_with("lang=en"), "{set_cookie}");
        let text = en.text();
        assert!(
            text.contains("<html lang=\"en\">") && text.contains("Rank") && text.contains("86.60")
        );
        assert!(
            text.contains("href=\"/xep-hang/2018/so?lang=vi\""),
            "the switch back"
        );
        // Remembered: the next page is in English without asking.
        let next = c.get("/xep-hang").await;
        assert!(next.text().contains("Published PAR Index results"));
        // Errors too.
        let missing = c.get("/xep-hang/2030/so").await;
        assert_eq!(missing.status, 404);
        assert!(
            missing.text().contains("no results of group"),
            "{}",
            missing.text()
        );
    })
    .await;
}

#[tokio::test]
async fn static_files_are_cached_and_compressed_when_asked() {
    each_demo(async |app: &DemoApp| {
        let c = app.client();
        let css = c.get("/static/app.css").await;
        assert_eq!(css.status, 200);
        assert!(
            css.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let js = c
            .send(
                "GET",
                "/static/htmx.min.js",
                None,
                Vec::new(),
                &[("accept-encoding", "gzip")],
            )
            .await;
        assert_eq!(js.headers["content-encoding"], "gzip");
        assert!(js.body.len() < 20_000);
        assert_eq!(c.get("/static/nope.js").await.status, 404);
    })
    .await;
}
