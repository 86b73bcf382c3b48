//! Accounts: argon2id password hashing, sessions stored in the database (a random 256-bit secret
//! in the cookie, only its SHA-256 in the table), the per-session CSRF token, the sign-in
//! throttle, and the `Caller` every handler authorizes against.

use crate::app::AppState;
use crate::error::{Error, Result};
use crate::locale::cookie;
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use parindex_store::Timestamp;
use parindex_store::users::{AreaAssignment, Role, Session, User};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "parindex_session";
/// The header carrying the CSRF token on state-changing API requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string. Runs on
/// the blocking pool: a hash takes tens of milliseconds.
pub async fn hash_password(password: &str) -> String {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .unwrap_or_else(|_| hash_now(""))
}

fn hash_now(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        // Only an RNG failure gets here; an unusable hash then refuses every sign-in.
        .unwrap_or_else(|_| "!".to_string())
}

/// Whether `password` matches a PHC string from `hash_password` (false for a malformed hash).
pub async fn verify_password(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify_now(&password, &phc))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A hash to check unknown usernames against, so their sign-in takes as long as a real one.
async fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h;
    }
    let h = hash_password(&random_hex()).await;
    DUMMY.get_or_init(|| h)
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Refuses a password too short or too long (argon2 would happily hash a megabyte).
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Error::invalid(
            "password",
            format!("mật khẩu cần ít nhất {MIN_PASSWORD_LEN} ký tự"),
            format!("the password needs at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if n > 256 {
        return Err(Error::invalid(
            "password",
            "mật khẩu dài quá 256 ký tự",
            "the password is longer than 256 characters",
        ));
    }
    Ok(())
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // Without an RNG no secret is safe: refuse rather than make a guessable one.
        panic!("the operating system's random number generator failed");
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Compares two secrets without an early exit.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What the session row keeps besides the user.
#[derive(Serialize, Deserialize)]
struct SessionData {
    csrf: String,
}

/// The signed-in user of a request, with their appraisal assignments.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub areas: Vec<AreaAssignment>,
    pub csrf: String,
    session_hash: String,
}

impl Caller {
    pub fn is(&self, role: Role) -> bool {
        self.user.has(role)
    }
    pub fn name(&self) -> &str {
        &self.user.username
    }
    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }
    /// An officer of this unit.
    pub fn officer_of(&self, unit: &str) -> bool {
        self.is(Role::UnitOfficer) && self.user.unit.as_deref() == Some(unit)
    }
    /// Assigned to appraise this area (`None`: any area) of a group in a round.
    /// Whether the caller appraises this sheet (its group, and `area` if given): never a sheet
    /// of the caller's own unit, whatever the assignment.
    pub fn appraises_sheet(
        &self,
        sheet: &parindex_store::sheets::Sheet,
        area: Option<&str>,
    ) -> bool {
        self.appraises(sheet.year, &sheet.group, area) && !self.of_unit(&sheet.unit)
    }

    /// Whether the caller's account belongs to `unit`.
    pub fn of_unit(&self, unit: &str) -> bool {
        self.user.unit.as_deref() == Some(unit)
    }

    pub fn appraises(&self, year: i32, group: &str, area: Option<&str>) -> bool {
        self.is(Role::Appraiser)
            && self
                .areas
                .iter()
                .any(|a| a.year == year && a.group == group && area.is_none_or(|x| a.area == x))
    }
}

/// Requires a signed-in caller (401 otherwise).
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<SignedIn> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(SignedIn)
            .ok_or(Error::Unauthenticated)
    }
}

/// The peer's address, when the server was started with connect info (tests may not).
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<PeerAddr, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The caller if signed in.
pub struct MaybeSignedIn(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<MaybeSignedIn, Self::Rejection> {
        Ok(MaybeSignedIn(parts.extensions.get::<Caller>().cloned()))
    }
}

impl AppState {
    /// The caller behind a session cookie's secret, if the session is live and the user active.
    pub(crate) async fn caller(&self, secret: &str) -> Result<Option<Caller>> {
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = sha256_hex(secret);
        let Some(session) = self.db().session(&hash, Timestamp::now()).await? else {
            return Ok(None);
        };
        let Some(user_id) = session.user_id else {
            return Ok(None);
        };
        let user = match self.db().user_by_id(user_id).await {
            Ok(u) if u.active => u,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == parindex_store::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let data: SessionData =
            serde_json::from_str(&session.data).context("session data is not JSON")?;
        let areas = self.db().areas_of(&user.username).await?;
        Ok(Some(Caller {
            user,
            areas,
            csrf: data.csrf,
            session_hash: hash,
        }))
    }

    /// Starts a session for a user: returns the cookie's secret and the CSRF token.
    pub(crate) async fn start_session(&self, user: &User) -> Result<(String, String)> {
        let secret = random_hex();
        let csrf = random_hex();
        let hours = i64::from(self.config().session_hours);
        let session = Session {
            id_hash: sha256_hex(&secret),
            user_id: Some(user.id),
            expires_at: Timestamp::now().plus_seconds(hours * 3600),
            data: serde_json::to_string(&SessionData { csrf: csrf.clone() })
                .context("session data")?,
        };
        self.db().put_session(&session).await?;
        Ok((secret, csrf))
    }

    /// The client's address: the peer, or behind a trusted proxy the last `X-Forwarded-For` hop.
    pub(crate) fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
        if self.config().behind_proxy
            && let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return ip.to_string();
        }
        peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
    }
}

/// Whether the request came over TLS, as far as the server can tell (it listens on plain HTTP;
/// a TLS-terminating proxy says so with `X-Forwarded-Proto` or `Forwarded`).
pub(crate) fn over_tls(headers: &HeaderMap) -> bool {
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    proto || forwarded
}

/// The `Set-Cookie` value for the session (an empty value with `Max-Age=0` signs out).
pub(crate) fn session_cookie(
    state: &AppState,
    headers: &HeaderMap,
    secret: Option<&str>,
) -> String {
    let secure = state
        .config()
        .secure_cookies
        .unwrap_or_else(|| over_tls(headers));
    let max_age = match secret {
        Some(_) => u64::from(state.config().session_hours) * 3600,
        None => 0,
    };
    format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        secret.unwrap_or(""),
        if secure { "; Secure" } else { "" }
    )
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Loads the caller from the session cookie, and refuses every state-changing request (but
/// signing in) without a session (401) or without the session's CSRF token in `X-CSRF-Token`
/// or, for a urlencoded form, its `csrf` field (403).
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let caller = match cookie(req.headers(), SESSION_COOKIE) {
        Some(secret) => state.caller(secret).await?,
        None => None,
    };
    let signing_in = req.method() == Method::POST && req.uri().path() == "/api/session";
    if unsafe_method(req.method()) && !signing_in {
        let Some(c) = &caller else {
            return Err(Error::Unauthenticated);
        };
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let token = match header_token {
            Some(t) => Some(t),
            None if is_form(req.headers()) => {
                let (parts, body) = req.into_parts();
                let limit = state.config().max_json_bytes;
                let bytes =
                    axum::body::to_bytes(body, limit)
                        .await
                        .map_err(|_| Error::TooLarge {
                            limit: limit as u64,
                        })?;
                let field = form_field(&bytes, "csrf");
                req = Request::from_parts(parts, axum::body::Body::from(bytes));
                field
            }
            None => None,
        };
        match token {
            None => return Err(Error::CsrfMissing),
            Some(t) if !same(&t, &c.csrf) => return Err(Error::CsrfInvalid),
            Some(_) => {}
        }
    }
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    Ok(next.run(req).await)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Failed sign-ins per username and per client address, with a temporary lockout. Kept in
/// memory: a restart forgets them (acceptable for one server; several servers behind a load
/// balancer would each count on their own).
pub struct Throttle {
    entries: Mutex<HashMap<String, Attempts>>,
    max_failures: u32,
    lockout: Duration,
}

#[derive(Clone, Copy)]
struct Attempts {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// How many times the per-user limit one address may fail before it is locked out itself (an
/// office behind one address should not be locked out by one person's typing).
const IP_FACTOR: u32 = 4;

impl Throttle {
    pub fn new(max_failures: u32, lockout: Duration) -> Throttle {
        Throttle {
            entries: Mutex::default(),
            max_failures,
            lockout,
        }
    }

    fn keys(username: &str, ip: &str) -> [(String, u32); 2] {
        [
            (format!("user:{}", username.trim().to_lowercase()), 1),
            (format!("ip:{ip}"), IP_FACTOR),
        ]
    }

    /// `Err(minutes left)` while the username or the address is locked out.
    pub fn check(&self, username: &str, ip: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(map) = self.entries.lock() else {
            return Ok(());
        };
        let mut left = None;
        for (key, _) in Self::keys(username, ip) {
            if let Some(until) = map.get(&key).and_then(|a| a.locked_until)
                && until > now
            {
                let mins = (until - now).as_secs().div_ceil(60).max(1);
                left = Some(left.map_or(mins, |l: u64| l.max(mins)));
            }
        }
        left.map_or(Ok(()), Err)
    }

    pub fn failed(&self, username: &str, ip: &str) {
        let now = Instant::now();
        let Ok(mut map) = self.entries.lock() else {
            return;
        };
        for (key, factor) in Self::keys(username, ip) {
            let a = map.entry(key).or_insert(Attempts {
                failures: 0,
                last: now,
                locked_until: None,
            });
            // Failures long ago (or a lockout served) start a new count.
            if now.duration_since(a.last) > self.lockout || a.locked_until.is_some_and(|u| u <= now)
            {
                a.failures = 0;
                a.locked_until = None;
            }
            a.failures += 1;
            a.last = now;
            if a.failures >= self.max_failures.saturating_mul(factor) {
                a.locked_until = Some(now + self.lockout);
            }
        }
    }

    pub fn succeeded(&self, username: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&format!("user:{}", username.trim().to_lowercase()));
        }
    }

    /// Forgets entries that no longer matter.
    pub fn prune(&self) {
        let now = Instant::now();
        if let Ok(mut map) = self.entries.lock() {
            map.retain(|_, a| {
                a.locked_until.is_some_and(|u| u > now)
                    || now.duration_since(a.last) <= self.lockout
            });
        }
    }
}

/// Checks a sign-in; on success starts a session. Returns the user, the cookie secret and the
/// CSRF token.
pub(crate) async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<(User, String, String)> {
    if let Err(minutes) = state.throttle().check(username, ip) {
        return Err(Error::LockedOut { minutes });
    }
    let creds = state.db().credentials(username.trim()).await?;
    let ok = match &creds {
        Some(c) => verify_password(password, &c.password_hash).await,
        None => {
            verify_password(password, dummy_hash().await).await;
            false
        }
    };
    let Some(creds) = creds.filter(|_| ok) else {
        state.throttle().failed(username, ip);
        state.metrics().login_failed();
        return Err(Error::BadCredentials);
    };
    state.throttle().succeeded(username);
    let (secret, csrf) = state.start_session(&creds.user).await?;
    Ok((creds.user, secret, csrf))
}

/// Roles as their stable names.
pub fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_and_releases() {
        let t = Throttle::new(3, Duration::from_millis(200));
        for _ in 0..2 {
            t.failed("a", "1.2.3.4");
        }
        assert!(t.check("a", "1.2.3.4").is_ok());
        t.failed("A", "1.2.3.4");
        assert!(t.check("a", "5.6.7.8").is_err());
        assert!(t.check("b", "1.2.3.4").is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.check("a", "1.2.3.4").is_ok());
    }

    #[test]
    fn hashes_verify() {
        let h = hash_now("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_now("correct horse battery", &h));
        assert!(!verify_now("wrong", &h));
        assert!(!verify_now("x", "not a hash"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
