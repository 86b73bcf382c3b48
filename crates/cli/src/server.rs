//! `parindex serve | demo | users | audit | backup | restore`: the server and the commands that
//! work on its database and evidence files, configured exactly as the server is.

use crate::{Failure, Outcome, block_on};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use parindex_core::diag::{Location, Problem};
use parindex_core::locale::Locale;
use parindex_store::demo::{DemoSets, seed_demo};
use parindex_store::users::{Role, UserFields};
use parindex_store::{Actor, Db};
use parindex_web::{Application, Config, ConfigOverrides};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the data is: the same flags for every command that opens the database.
#[derive(Args, Clone, Default)]
pub struct StoreArgs {
    /// Configuration file (TOML); PARINDEX_* environment variables and these flags override it.
    #[arg(long, env = "PARINDEX_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the default SQLite database and the evidence files live here.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// sqlite:PATH or postgres://… (default: SQLite in the data directory).
    #[arg(long)]
    database_url: Option<String>,
}

impl StoreArgs {
    fn load(&self, bind: Option<SocketAddr>) -> Result<Config, Failure> {
        let overrides = ConfigOverrides {
            bind,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        };
        Ok(Config::load(self.config.as_deref(), overrides)?)
    }
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create an account. The password is read from standard input, or generated and printed.
    Add {
        username: String,
        /// secretariat, appraiser, unit_officer or leader (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The unit of a unit officer.
        #[arg(long)]
        unit: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a new password (read from standard input, or generated and printed); ends the user's
    /// sessions.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the audit log; names the first broken entry.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub(crate) fn store_failure(e: parindex_store::Error) -> Failure {
    Failure::from(e.problems())
}

pub(crate) fn cli_actor() -> Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor::new(format!("cli:{who}"))
}

/// A random password of 16 characters from an alphabet without look-alikes.
fn generate_password() -> Result<String, Failure> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Problem::new(
            Location::default(),
            format!("không tạo được mật khẩu ngẫu nhiên: {e}"),
            format!("cannot generate a random password: {e}"),
        )
    })?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

fn read_password(from_stdin: bool) -> Result<(String, bool), Failure> {
    if !from_stdin {
        return Ok((generate_password()?, true));
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| {
        Problem::new(
            Location::default(),
            format!("không đọc được mật khẩu: {e}"),
            format!("cannot read the password: {e}"),
        )
    })?;
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    let min = parindex_web::MIN_PASSWORD_LEN;
    if password.chars().count() < min {
        return Err(Problem::new(
            Location::default().with_field("password"),
            format!("mật khẩu cần ít nhất {min} ký tự"),
            format!("the password needs at least {min} characters"),
        )
        .into());
    }
    Ok((password, false))
}

impl StoreArgs {
    /// Opens the database and evidence files the server would use with these settings.
    pub async fn open(
        &self,
    ) -> Result<(Config, Db, parindex_store::evidence::EvidenceStore), Failure> {
        let config = self.load(None)?;
        let (db, evidence) = parindex_web::open_store(&config).await?;
        Ok((config, db, evidence))
    }
}

const DEPARTMENT_SET: (&str, &str) = (
    "so-2019.set.toml",
    include_str!("../../../sets/so-2019.set.toml"),
);
const DISTRICT_SET: (&str, &str) = (
    "huyen-2019.set.toml",
    include_str!("../../../sets/huyen-2019.set.toml"),
);

/// Loads the demo province into an empty database and prints the accounts.
async fn demo(
    db: &Db,
    evidence: &parindex_store::evidence::EvidenceStore,
    locale: Locale,
) -> Result<(), Failure> {
    let bar = spinner(
        locale
            .pick("Đang nạp dữ liệu mẫu", "Loading the demo data")
            .to_string(),
    );
    let hash = |p: &str| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(parindex_web::hash_password(p))
        })
    };
    let sets = DemoSets {
        department: DEPARTMENT_SET,
        district: DISTRICT_SET,
    };
    let summary = seed_demo(db, evidence, sets, &hash, &mut |step| {
        bar.set_message(step.to_string())
    })
    .await;
    bar.finish_and_clear();
    let summary = summary.map_err(store_failure)?;
    say!(
        "{}: {} {}, {} {}, {} {}",
        locale.pick("Đã nạp dữ liệu mẫu", "Demo data loaded"),
        summary.units,
        locale.pick("đơn vị", "units"),
        summary.entries,
        locale.pick("lượt chấm", "score entries"),
        summary.evidence,
        locale.pick("tài liệu kiểm chứng", "evidence files"),
    );
    say!(
        "{}",
        locale.pick(
            "Tài khoản dùng thử (tên đăng nhập / mật khẩu):",
            "Demo accounts (username / password):"
        )
    );
    for a in &summary.accounts {
        say!("  {:<18} {:<26} {}", a.username, a.password, a.who);
    }
    say!(
        "{}",
        locale.pick(
            "Mỗi đơn vị có tài khoản canbo.<mã đơn vị> với mật khẩu demo-canbo-<mã đơn vị>.",
            "Every unit has an account canbo.<unit code> with password demo-canbo-<unit code>."
        )
    );
    Ok(())
}

pub fn serve(
    store: StoreArgs,
    bind: Option<SocketAddr>,
    with_demo: bool,
    locale: Locale,
) -> Outcome {
    let config = store.load(bind)?;
    block_on(async move {
        let app = Application::build(config).await?;
        if with_demo {
            let state = app.state();
            if state.db().units().await.map_err(store_failure)?.is_empty() {
                demo(state.db(), state.evidence(), locale).await?;
            }
        }
        eprintln!(
            "{} http://{}",
            locale.pick("Đang phục vụ tại", "Serving at"),
            app.local_addr()
        );
        app.run_until_stopped().await.map_err(|e| {
            Failure::from(Problem::new(
                Location::default(),
                format!("máy chủ dừng do lỗi: {e}"),
                format!("the server stopped on an error: {e}"),
            ))
        })
    })?
}

pub fn run_demo(store: StoreArgs, locale: Locale) -> Outcome {
    block_on(async move {
        let (_, db, evidence) = store.open().await?;
        demo(&db, &evidence, locale).await
    })?
}

pub fn users(cmd: UsersCommand, locale: Locale) -> Outcome {
    block_on(async move {
        match cmd {
            UsersCommand::Add {
                username,
                roles,
                unit,
                name,
                password_stdin,
                store,
            } => {
                let roles = roles
                    .iter()
                    .map(|r| {
                        Role::parse(r).ok_or_else(|| {
                            Failure::from(Problem::new(
                                Location::default().with_field("--role"),
                                format!("vai trò \"{r}\" không có: dùng secretariat, appraiser, unit_officer hoặc leader"),
                                format!("no role \"{r}\": use secretariat, appraiser, unit_officer or leader"),
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let (password, generated) = read_password(password_stdin)?;
                let (_, db, _) = store.open().await?;
                let fields = UserFields {
                    display_name: name.unwrap_or_else(|| username.clone()),
                    email: None,
                    unit,
                    locale,
                    roles,
                };
                let hash = parindex_web::hash_password(&password).await;
                db.create_user(&username, &fields, &hash, &cli_actor())
                    .await
                    .map_err(store_failure)?;
                say!(
                    "{} {username}",
                    locale.pick("Đã tạo tài khoản", "Created account")
                );
                if generated {
                    say!("{}: {password}", locale.pick("Mật khẩu", "Password"));
                }
                Ok(())
            }
            UsersCommand::List { store } => {
                let (_, db, _) = store.open().await?;
                let mut users = db.users().await.map_err(store_failure)?;
                users.sort_by(|a, b| parindex_core::text::compare(&a.username, &b.username));
                for u in users {
                    let roles = u
                        .roles
                        .iter()
                        .map(|r| locale.pick(r.vi(), r.en()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let active = if u.active {
                        ""
                    } else {
                        locale.pick(" (đã khóa)", " (disabled)")
                    };
                    say!(
                        "{:<20} {:<40} {:<28} {}{active}",
                        u.username,
                        u.display_name,
                        roles,
                        u.unit.unwrap_or_default()
                    );
                }
                Ok(())
            }
            UsersCommand::ResetPassword {
                username,
                password_stdin,
                store,
            } => {
                let (password, generated) = read_password(password_stdin)?;
                let (_, db, _) = store.open().await?;
                let hash = parindex_web::hash_password(&password).await;
                db.set_password_hash(&username, &hash, &cli_actor())
                    .await
                    .map_err(store_failure)?;
                say!(
                    "{} {username}",
                    locale.pick("Đã đặt lại mật khẩu cho", "Password reset for")
                );
                if generated {
                    say!(
                        "{}: {password}",
                        locale.pick("Mật khẩu mới", "New password")
                    );
                }
                Ok(())
            }
        }
    })?
}

pub fn audit(cmd: AuditCommand, locale: Locale) -> Outcome {
    let AuditCommand::Verify { store } = cmd;
    block_on(async move {
        let (_, db, _) = store.open().await?;
        let bar = spinner(
            locale
                .pick("Đang kiểm tra nhật ký", "Checking the audit log")
                .to_string(),
        );
        let verified = db.verify_audit().await;
        bar.finish_and_clear();
        let verified = verified.map_err(store_failure)?;
        say!(
            "{}: {} {}",
            locale.pick("Nhật ký toàn vẹn", "The audit log is intact"),
            verified.entries,
            locale.pick("mục", "entries")
        );
        Ok(())
    })?
}

pub fn backup(out: PathBuf, store: StoreArgs, locale: Locale) -> Outcome {
    block_on(async move {
        let (_, db, evidence) = store.open().await?;
        let bar = spinner(locale.pick("Đang sao lưu", "Backing up").to_string());
        let manifest = parindex_store::backup::backup(&db, &evidence, &out).await;
        bar.finish_and_clear();
        let manifest = manifest.map_err(store_failure)?;
        let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
        say!(
            "{} {}: {rows} {}, {} {}",
            locale.pick("Đã sao lưu vào", "Backed up to"),
            out.display(),
            locale.pick("dòng dữ liệu", "rows"),
            manifest.evidence.len(),
            locale.pick("tệp tài liệu", "files")
        );
        Ok(())
    })?
}

pub fn restore(from: PathBuf, store: StoreArgs, locale: Locale) -> Outcome {
    block_on(async move {
        let (_, db, evidence) = store.open().await?;
        let bar = spinner(locale.pick("Đang khôi phục", "Restoring").to_string());
        let manifest = parindex_store::backup::restore(&db, &evidence, &from).await;
        bar.finish_and_clear();
        let manifest = manifest.map_err(store_failure)?;
        let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
        say!(
            "{} {}: {rows} {}",
            locale.pick("Đã khôi phục từ", "Restored from"),
            from.display(),
            locale.pick("dòng dữ liệu", "rows")
        );
        Ok(())
    })?
}
