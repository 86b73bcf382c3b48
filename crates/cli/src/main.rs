//! The `parindex` command: criteria sets and ranked results from the command line.
#![forbid(unsafe_code)]

/// Prints a line to standard output. A closed pipe (`parindex … | head`) ends the output quietly
/// instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Like `say!` without the newline.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod analyze;
mod export;
mod output;
mod plans;
mod results;
mod server;
mod sets;
mod survey;

use clap::{Parser, Subcommand};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "parindex",
    version,
    about = "PAR Index and SIPAS for a province: criteria sets, scores, rankings"
)]
struct Cli {
    /// Language of messages and tables: vi (default) or en.
    #[arg(long, global = true, env = "PARINDEX_LOCALE", default_value = "vi", value_parser = parse_locale)]
    locale: Locale,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Criteria sets: check, show, export to and import from XLSX.
    #[command(subcommand)]
    Sets(sets::SetsCommand),
    /// Results of a round: totals, index %, classes and ranks per group.
    #[command(subcommand)]
    Results(results::ResultsCommand),
    /// Analysis: points lost, improvement plan, what-if, rank uncertainty, year over year.
    #[command(subcommand)]
    Analyze(analyze::AnalyzeCommand),
    /// Run the web server (SQLite in ./data by default, created on first start).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        /// Load the demo province first if the database is empty.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        store: server::StoreArgs,
    },
    /// Load the demo province (20 departments, 10 districts, 2018 published, 2019 in appraisal).
    Demo {
        #[command(flatten)]
        store: server::StoreArgs,
    },
    /// Accounts: add, list, reset a password.
    #[command(subcommand)]
    Users(server::UsersCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(server::AuditCommand),
    /// Published results, score sheets and the round report as files: XLSX, CSV, JSON, and PDF
    /// (score sheet, round report) in a build with the feature `pdf`.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// A consistent snapshot of the database and evidence files, taken while the server runs.
    Backup {
        out: PathBuf,
        #[command(flatten)]
        store: server::StoreArgs,
    },
    /// SIPAS surveys: create, plan, tokens, import, export, recompute, report.
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
    /// Action plans: list, add, set a task's status, suggest from the planner, review.
    #[command(subcommand)]
    Plans(plans::PlansCommand),
    /// Restore a backup into an empty database.
    Restore {
        from: PathBuf,
        #[command(flatten)]
        store: server::StoreArgs,
    },
}

fn parse_locale(text: &str) -> Result<Locale, String> {
    Locale::parse(text).ok_or_else(|| format!("unknown locale '{text}': use vi or en"))
}

/// A command's failure: the problems found, to print in the user's language.
pub struct Failure(pub Problems);

impl From<Problems> for Failure {
    fn from(p: Problems) -> Self {
        Failure(p)
    }
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure(Problems(vec![p]))
    }
}

pub type Outcome = Result<(), Failure>;

/// Reads a file as UTF-8 text (BOM dropped, NFC), or says why not.
pub fn read_text(path: &Path) -> Result<String, Problem> {
    let bytes = read_bytes(path)?;
    parindex_core::input::decode_text(&path.display().to_string(), &bytes)
}

pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Problem> {
    std::fs::read(path).map_err(|e| {
        Problem::new(
            Location::file(path.display().to_string()),
            format!("không đọc được tệp: {}", io_reason_vi(&e)),
            format!("cannot read the file: {e}"),
        )
    })
}

/// Writes a file whole or not at all: to a temporary name beside it, then renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Problem> {
    let fail = |e: std::io::Error| {
        Problem::new(
            Location::file(path.display().to_string()),
            format!("không ghi được tệp: {}", io_reason_vi(&e)),
            format!("cannot write the file: {e}"),
        )
    };
    let mut tmp = PathBuf::from(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    tmp.set_file_name(format!(".{name}.part"));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

fn io_reason_vi(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "không tìm thấy tệp hoặc thư mục".into(),
        std::io::ErrorKind::PermissionDenied => "không có quyền truy cập".into(),
        std::io::ErrorKind::IsADirectory => "đây là một thư mục".into(),
        _ => e.to_string(),
    }
}

/// Runs async work (database, server) from the synchronous command dispatcher.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Problem::new(
                Location::default(),
                format!("không khởi động được bộ chạy bất đồng bộ: {e}"),
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    Ok(rt.block_on(future))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let locale = cli.locale;
    let outcome = match cli.command {
        Command::Sets(cmd) => sets::run(cmd, locale),
        Command::Results(cmd) => results::run(cmd, locale),
        Command::Analyze(cmd) => analyze::run(cmd, locale),
        Command::Serve { bind, demo, store } => server::serve(store, bind, demo, locale),
        Command::Demo { store } => server::run_demo(store, locale),
        Command::Users(cmd) => server::users(cmd, locale),
        Command::Audit(cmd) => server::audit(cmd, locale),
        Command::Export(cmd) => export::run(cmd, locale),
        Command::Backup { out, store } => server::backup(out, store, locale),
        Command::Restore { from, store } => server::restore(from, store, locale),
        Command::Survey(cmd) => survey::run(cmd, locale),
        Command::Plans(cmd) => plans::run(cmd, locale),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(problems)) => {
            let title = locale.pick("Lỗi", "Error");
            for p in problems.iter() {
                eprintln!("{title}: {}", p.render(locale));
            }
            ExitCode::FAILURE
        }
    }
}
