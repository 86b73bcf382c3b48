//! Server configuration, in layers: defaults → TOML file → `PARINDEX_*` environment → flags.
//!
//! Hand-rolled rather than figment: the layers are one struct of optional fields applied in
//! order, which is about as long as figment's setup, and it avoids figment's `pear` parser
//! (a proc-macro) and a second `toml` version in the build (see docs/web.md, "Build cost").

use parindex_core::diag::{Location, Problem, line_of};
use parindex_core::locale::Locale;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The server's settings. `Debug` hides the database URL (it may carry a password).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen; `127.0.0.1:0` picks a free port (tests).
    pub bind: SocketAddr,
    /// Holds the SQLite database and the evidence directory unless they are set elsewhere.
    pub data_dir: PathBuf,
    /// `sqlite:path` or `postgres://…`; default: SQLite at `data_dir/parindex.db`.
    pub database_url: Option<String>,
    /// Default: `data_dir/evidence`.
    pub evidence_dir: Option<PathBuf>,
    /// Largest evidence file accepted, in bytes (default 25 MB).
    pub max_upload_bytes: u64,
    /// Largest JSON request body, in bytes (default 1 MiB).
    pub max_json_bytes: usize,
    /// `Secure` cookies: always, never, or (unset) when the request came over TLS as the proxy
    /// says with `X-Forwarded-Proto: https`.
    pub secure_cookies: Option<bool>,
    /// How long a sign-in lasts.
    pub session_hours: u32,
    /// Failed sign-ins of one username before it is locked out for a while.
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    /// Trust `X-Forwarded-For` for the client address (only behind a reverse proxy that sets it).
    pub behind_proxy: bool,
    /// The language of messages when the request does not say (`lang` cookie, `?lang=`,
    /// `Accept-Language`).
    pub default_locale: Locale,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            evidence_dir: None,
            max_upload_bytes: 25 * 1000 * 1000,
            max_json_bytes: 1024 * 1024,
            secure_cookies: None,
            session_hours: 12,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            behind_proxy: false,
            default_locale: Locale::Vi,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("evidence_dir", &self.evidence_dir)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_hours", &self.session_hours)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_lockout_minutes", &self.login_lockout_minutes)
            .field("behind_proxy", &self.behind_proxy)
            .field("default_locale", &self.default_locale)
            .finish()
    }
}

/// A URL with its password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let host_start = rest.find('/').unwrap_or(rest.len());
    match rest[..host_start].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..scheme_end], &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// One layer of settings: every field optional. Flags of `parindex serve` fill one of these.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigOverrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub evidence_dir: Option<PathBuf>,
    pub max_upload_bytes: Option<u64>,
    pub max_json_bytes: Option<usize>,
    pub secure_cookies: Option<bool>,
    pub session_hours: Option<u32>,
    pub login_max_failures: Option<u32>,
    pub login_lockout_minutes: Option<u32>,
    pub behind_proxy: Option<bool>,
    pub default_locale: Option<Locale>,
}

impl Config {
    /// Defaults, then the TOML file (if given; it must exist), then `PARINDEX_*` variables of
    /// the process environment, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: ConfigOverrides) -> Result<Config, Problem> {
        Config::load_with(file, |name| std::env::var(name).ok(), overrides)
    }

    /// `load` with the environment given as a lookup function (tests).
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: ConfigOverrides,
    ) -> Result<Config, Problem> {
        let mut config = Config::default();
        if let Some(path) = file {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| {
                Problem::new(
                    Location::file(&name),
                    format!("không đọc được tệp cấu hình: {e}"),
                    format!("cannot read the configuration file: {e}"),
                )
            })?;
            config.apply(parse_toml(&name, &text)?);
        }
        config.apply(from_env(env)?);
        config.apply(overrides);
        config.check()?;
        Ok(config)
    }

    fn apply(&mut self, o: ConfigOverrides) {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = o.$f { self.$f = v; })* };
        }
        set!(
            bind,
            data_dir,
            max_upload_bytes,
            max_json_bytes,
            session_hours,
            login_max_failures,
            login_lockout_minutes,
            behind_proxy,
            default_locale
        );
        if o.database_url.is_some() {
            self.database_url = o.database_url;
        }
        if o.evidence_dir.is_some() {
            self.evidence_dir = o.evidence_dir;
        }
        if o.secure_cookies.is_some() {
            self.secure_cookies = o.secure_cookies;
        }
    }

    fn check(&self) -> Result<(), Problem> {
        let bad = |field: &str, vi: &str, en: &str| {
            Err(Problem::new(Location::default().with_field(field), vi, en))
        };
        if self.max_upload_bytes == 0 {
            return bad(
                "max_upload_bytes",
                "giới hạn tải lên phải lớn hơn 0",
                "the upload limit must be above 0",
            );
        }
        if self.max_json_bytes == 0 {
            return bad(
                "max_json_bytes",
                "giới hạn JSON phải lớn hơn 0",
                "the JSON limit must be above 0",
            );
        }
        if self.session_hours == 0 {
            return bad(
                "session_hours",
                "thời hạn phiên phải lớn hơn 0 giờ",
                "sessions must last more than 0 hours",
            );
        }
        if self.login_max_failures == 0 {
            return bad(
                "login_max_failures",
                "số lần đăng nhập sai tối đa phải lớn hơn 0",
                "the number of failed sign-ins allowed must be above 0",
            );
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => format!("sqlite:{}", self.data_dir.join("parindex.db").display()),
        }
    }

    /// The evidence directory in force.
    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidence"))
    }
}

fn parse_toml(name: &str, text: &str) -> Result<ConfigOverrides, Problem> {
    toml::from_str(text).map_err(|e| {
        let mut at = Location::file(name);
        if let Some(span) = e.span() {
            at = at.with_line(line_of(text, span.start));
        }
        let msg = e.message().to_string();
        Problem::new(
            at,
            format!("tệp cấu hình không hợp lệ: {msg}"),
            format!("invalid configuration file: {msg}"),
        )
    })
}

/// The `PARINDEX_*` variables this server reads (others, such as `PARINDEX_LOCALE` of the
/// command line, are left alone).
pub const ENV_VARS: &[&str] = &[
    "PARINDEX_BIND",
    "PARINDEX_DATA_DIR",
    "PARINDEX_DATABASE_URL",
    "PARINDEX_EVIDENCE_DIR",
    "PARINDEX_MAX_UPLOAD_BYTES",
    "PARINDEX_MAX_JSON_BYTES",
    "PARINDEX_SECURE_COOKIES",
    "PARINDEX_SESSION_HOURS",
    "PARINDEX_LOGIN_MAX_FAILURES",
    "PARINDEX_LOGIN_LOCKOUT_MINUTES",
    "PARINDEX_BEHIND_PROXY",
    "PARINDEX_DEFAULT_LOCALE",
];

fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<ConfigOverrides, Problem> {
    fn parse<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<Option<T>, Problem> {
        match v {
            None => Ok(None),
            Some(s) => s.trim().parse().map(Some).map_err(|_| {
                Problem::new(
                    Location::default().with_field(name),
                    format!("giá trị \"{s}\" của biến môi trường {name} không hợp lệ"),
                    format!("environment variable {name} has an invalid value \"{s}\""),
                )
            }),
        }
    }
    let get = |name: &str| env(name).filter(|s| !s.trim().is_empty());
    let locale = match get("PARINDEX_DEFAULT_LOCALE") {
        None => None,
        Some(s) => Some(Locale::parse(&s).ok_or_else(|| {
            Problem::new(
                Location::default().with_field("PARINDEX_DEFAULT_LOCALE"),
                format!("ngôn ngữ \"{s}\" không hỗ trợ: dùng vi hoặc en"),
                format!("unsupported language \"{s}\": use vi or en"),
            )
        })?),
    };
    Ok(ConfigOverrides {
        bind: parse("PARINDEX_BIND", get("PARINDEX_BIND"))?,
        data_dir: get("PARINDEX_DATA_DIR").map(PathBuf::from),
        database_url: get("PARINDEX_DATABASE_URL"),
        evidence_dir: get("PARINDEX_EVIDENCE_DIR").map(PathBuf::from),
        max_upload_bytes: parse(
            "PARINDEX_MAX_UPLOAD_BYTES",
            get("PARINDEX_MAX_UPLOAD_BYTES"),
        )?,
        max_json_bytes: parse("PARINDEX_MAX_JSON_BYTES", get("PARINDEX_MAX_JSON_BYTES"))?,
        secure_cookies: parse("PARINDEX_SECURE_COOKIES", get("PARINDEX_SECURE_COOKIES"))?,
        session_hours: parse("PARINDEX_SESSION_HOURS", get("PARINDEX_SESSION_HOURS"))?,
        login_max_failures: parse(
            "PARINDEX_LOGIN_MAX_FAILURES",
            get("PARINDEX_LOGIN_MAX_FAILURES"),
        )?,
        login_lockout_minutes: parse(
            "PARINDEX_LOGIN_LOCKOUT_MINUTES",
            get("PARINDEX_LOGIN_LOCKOUT_MINUTES"),
        )?,
        behind_proxy: parse("PARINDEX_BEHIND_PROXY", get("PARINDEX_BEHIND_PROXY"))?,
        default_locale: locale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("parindex.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/par\"\nsession_hours = 4\n",
        )
        .unwrap();
        let env: HashMap<&str, &str> = [
            ("PARINDEX_SESSION_HOURS", "6"),
            ("PARINDEX_DATABASE_URL", "postgres://u:secret@db/par"),
            ("PARINDEX_LOCALE", "en"),
        ]
        .into();
        let overrides = ConfigOverrides {
            bind: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::load_with(
            Some(&file),
            |k| env.get(k).map(|v| v.to_string()),
            overrides,
        )
        .unwrap();
        assert_eq!(c.bind.port(), 7000);
        assert_eq!(c.data_dir, PathBuf::from("/srv/par"));
        assert_eq!(c.session_hours, 6);
        assert_eq!(c.database_url(), "postgres://u:secret@db/par");
        assert_eq!(c.evidence_dir(), PathBuf::from("/srv/par/evidence"));
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(c.max_upload_bytes, 25_000_000);
    }

    #[test]
    fn defaults_and_errors() {
        let c = Config::load_with(None, |_| None, ConfigOverrides::default()).unwrap();
        assert_eq!(c.database_url(), "sqlite:data/parindex.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        let e = Config::load_with(
            None,
            |k| (k == "PARINDEX_SESSION_HOURS").then(|| "many".to_string()),
            ConfigOverrides::default(),
        )
        .unwrap_err();
        assert!(e.en.contains("PARINDEX_SESSION_HOURS"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:1\"\nport = 3\n").unwrap();
        let e = Config::load_with(Some(&file), |_| None, ConfigOverrides::default()).unwrap_err();
        assert_eq!(e.location.line, Some(2), "{e}");
    }
}
