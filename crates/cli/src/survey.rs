//! `parindex survey …`: SIPAS surveys from the command line — create one for a round, plan samples,
//! make invitation tokens, import batches (CSV, XLSX), export raw responses as a stream, recompute
//! the statistics from the raw rows, and print the report. Opens the database as the server does.

use crate::server::StoreArgs;
use crate::{Failure, Outcome, block_on, read_bytes};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_core::survey_stats::{Estimate, Measure};
use parindex_store::Actor;
use parindex_store::survey::{
    CsvRows, ImportMode, ImportRows, SurveyReport, SurveySettings, SurveyState, VecRows, View,
    batch_id,
};
use parindex_store::units::UnitFields;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Create a survey for a round from a questionnaire (*.survey.toml, or an XLSForm .xlsx).
    Create {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        questionnaire: PathBuf,
        /// Settings as JSON (measure, weights, thresholds, service fields…); defaults otherwise.
        #[arg(long)]
        settings: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The surveys of a round.
    List {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Open or close a survey (a closed survey takes no responses).
    State {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(value_enum)]
        state: StateArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The sample plan (people served, sample size, quota, progress); sets one unit's first.
    Plan {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long, requires = "population")]
        unit: Option<String>,
        #[arg(long, requires = "unit")]
        population: Option<u64>,
        #[arg(long, requires = "unit")]
        quota: Option<u64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Make one-time invitation tokens for a unit (CSV: token, link). Only their hashes are kept.
    Tokens {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        service_field: Option<String>,
        /// The start of the links printed next to each token.
        #[arg(long, default_value = "/khao-sat")]
        base_url: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import a batch of responses (CSV or XLSX); the same file twice adds nothing.
    Import {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        /// all: nothing unless every row is valid; valid: the valid rows.
        #[arg(long, value_enum, default_value = "all")]
        mode: ModeArg,
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export the raw responses (every status), streamed page by page.
    Export {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Output file (`-` for standard output, CSV only).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Rebuild the statistics from the raw responses and report any difference (there should be
    /// none); with --apply, replace the running statistics by the rebuilt ones.
    Recompute {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The survey report: per unit, indices with 95 % intervals, with and without quarantined
    /// responses, and the ranking of each group.
    Report {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Add the breakdown per service field and respondent segment.
        #[arg(long)]
        segments: bool,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print how long computing the report took (standard error).
        #[arg(long, hide = true)]
        timing: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Synthetic responses for benchmarks and demos: statistics written directly and/or files of
    /// raw responses.
    #[command(hide = true)]
    Sample {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        survey: String,
        #[arg(long)]
        responses: u64,
        /// Make sure the survey has at least this many units (BENCH-001… in the first group).
        #[arg(long)]
        units: Option<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace the survey's statistics by those of the sample (no raw rows are stored).
        #[arg(long)]
        stats: bool,
        /// Write the raw answers (unit, a1…aN) as CSV, e.g. for DuckDB.
        #[arg(long)]
        raw_out: Option<PathBuf>,
        /// Write an import file (the columns `survey import` reads).
        #[arg(long)]
        import_out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StateArg {
    Open,
    Closed,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    All,
    Valid,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
}

fn fail(e: parindex_store::Error) -> Failure {
    Failure::from(e.problems())
}

fn actor() -> Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor::new(format!("cli:{who}"))
}

fn io_problem(path: &Path, e: impl std::fmt::Display) -> Problem {
    Problem::new(
        Location::file(path.display().to_string()),
        format!("không ghi được tệp: {e}"),
        format!("cannot write the file: {e}"),
    )
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(what.to_string());
    b
}

pub fn run(cmd: SurveyCommand, locale: Locale) -> Outcome {
    block_on(async move {
        match cmd {
            SurveyCommand::Create {
                year,
                questionnaire,
                settings,
                store,
            } => create(&store, year, &questionnaire, settings.as_deref(), locale).await,
            SurveyCommand::List { year, store } => list(&store, year, locale).await,
            SurveyCommand::State {
                year,
                survey,
                state,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let st = match state {
                    StateArg::Open => SurveyState::Open,
                    StateArg::Closed => SurveyState::Closed,
                };
                let s = db
                    .set_survey_state(year, &survey, st, &actor())
                    .await
                    .map_err(fail)?;
                say!("{} {}: {}", s.year, s.code, locale.pick(st.vi(), st.en()));
                Ok(())
            }
            SurveyCommand::Plan {
                year,
                survey,
                unit,
                population,
                quota,
                store,
            } => plan(&store, year, &survey, unit, population, quota, locale).await,
            SurveyCommand::Tokens {
                year,
                survey,
                unit,
                count,
                service_field,
                base_url,
                out,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let tokens = db
                    .create_tokens(
                        year,
                        &survey,
                        &unit,
                        count,
                        service_field.as_deref(),
                        &actor(),
                    )
                    .await
                    .map_err(fail)?;
                let mut text = String::from("unit,token,link\n");
                let base = base_url.trim_end_matches('/');
                for t in &tokens {
                    let _ = writeln!(text, "{unit},{t},{base}/{year}/{survey}?ma={t}");
                }
                crate::write_atomically(&out, text.as_bytes())?;
                say!(
                    "{}",
                    match locale {
                        Locale::Vi => format!(
                            "Đã tạo {} mã khảo sát cho {unit} vào {} (chỉ lưu mã băm: hãy giữ tệp này)",
                            tokens.len(),
                            out.display()
                        ),
                        Locale::En => format!(
                            "Made {} tokens for {unit} in {} (only their hashes are kept: keep this file)",
                            tokens.len(),
                            out.display()
                        ),
                    }
                );
                Ok(())
            }
            SurveyCommand::Import {
                year,
                survey,
                mode,
                file,
                store,
            } => import(&store, year, &survey, mode, &file, locale).await,
            SurveyCommand::Export {
                year,
                survey,
                format,
                out,
                store,
            } => export(&store, year, &survey, format, &out, locale).await,
            SurveyCommand::Recompute {
                year,
                survey,
                apply,
                store,
            } => recompute(&store, year, &survey, apply, locale).await,
            SurveyCommand::Report {
                year,
                survey,
                format,
                segments,
                out,
                timing,
                store,
            } => report(&store, year, &survey, format, segments, out, timing, locale).await,
            SurveyCommand::Sample {
                year,
                survey,
                responses,
                units,
                seed,
                stats,
                raw_out,
                import_out,
                store,
            } => {
                sample(
                    &store, year, &survey, responses, units, seed, stats, raw_out, import_out,
                )
                .await
            }
        }
    })?
}

async fn create(
    store: &StoreArgs,
    year: i32,
    questionnaire: &Path,
    settings: Option<&Path>,
    locale: Locale,
) -> Outcome {
    let name = questionnaire
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let text = if name.to_ascii_lowercase().ends_with(".xlsx") {
        let bytes = read_bytes(questionnaire)?;
        parindex_report::xlsform::xlsform_to_toml(&name, &bytes, year)?
    } else {
        crate::read_text(questionnaire)?
    };
    let settings = match settings {
        Some(p) => SurveySettings::from_json(&crate::read_text(p)?)?,
        None => SurveySettings::default(),
    };
    let (_, db, _) = store.open().await?;
    let s = db
        .create_survey(year, &name, &text, &settings, &actor())
        .await
        .map_err(fail)?;
    let ctx = db.survey_context(year, &s.code).await.map_err(fail)?;
    say!(
        "{}",
        match locale {
            Locale::Vi => format!(
                "Đã tạo khảo sát {} năm {year}: {}; {} đơn vị",
                s.code,
                crate::output::questionnaire_line(&ctx.questionnaire, locale),
                ctx.units.len()
            ),
            Locale::En => format!(
                "Created survey {} for {year}: {}; {} units",
                s.code,
                crate::output::questionnaire_line(&ctx.questionnaire, locale),
                ctx.units.len()
            ),
        }
    );
    Ok(())
}

async fn list(store: &StoreArgs, year: i32, locale: Locale) -> Outcome {
    let (_, db, _) = store.open().await?;
    for s in db.surveys(year).await.map_err(fail)? {
        let counts = db.response_counts(year, &s.code).await.map_err(fail)?;
        let counts = counts
            .iter()
            .map(|(st, n)| {
                format!(
                    "{} {}",
                    locale.pick(st.vi(), st.en()),
                    locale.integer(*n as i64)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        say!(
            "{}  {}  [{}]  {counts}",
            s.code,
            s.title,
            locale.pick(s.state.vi(), s.state.en())
        );
    }
    Ok(())
}

async fn plan(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    unit: Option<String>,
    population: Option<u64>,
    quota: Option<u64>,
    locale: Locale,
) -> Outcome {
    let (_, db, _) = store.open().await?;
    if let Some(u) = unit {
        db.set_sample_plan(year, survey, &u, population, quota, &actor())
            .await
            .map_err(fail)?;
    }
    let plan = db.sample_plan(year, survey).await.map_err(fail)?;
    let head = match locale {
        Locale::Vi => [
            "Đơn vị",
            "Số người được phục vụ",
            "Cỡ mẫu",
            "Chỉ tiêu",
            "Đã nhận",
            "Tạm giữ",
            "Tiến độ",
        ],
        Locale::En => [
            "Unit",
            "People served",
            "Sample size",
            "Quota",
            "Accepted",
            "Quarantined",
            "Progress",
        ],
    };
    let opt = |v: Option<u64>| v.map_or("—".to_string(), |n| locale.integer(n as i64));
    let rows: Vec<Vec<String>> = plan
        .iter()
        .map(|p| {
            vec![
                p.unit.clone(),
                opt(p.population),
                opt(p.sample_size),
                opt(p.quota),
                locale.integer(p.accepted as i64),
                locale.integer(p.quarantined as i64),
                p.progress
                    .map_or("—".into(), |x| format!("{} %", pct(x, locale))),
            ]
        })
        .collect();
    say_raw!("{}", table(&head.map(String::from), &rows));
    Ok(())
}

async fn import(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    mode: ModeArg,
    file: &Path,
    locale: Locale,
) -> Outcome {
    let name = file.display().to_string();
    let bytes = read_bytes(file)?;
    let mut rows: Box<dyn ImportRows> = if name.to_ascii_lowercase().ends_with(".xlsx") {
        let sheet = parindex_report::xlsform::read_sheet_rows(&name, &bytes)?;
        Box::new(VecRows::new(
            &name,
            &batch_id(&bytes),
            sheet.header,
            sheet.rows,
        ))
    } else {
        Box::new(CsvRows::from_bytes(&name, bytes)?)
    };
    let (_, db, _) = store.open().await?;
    let mode = match mode {
        ModeArg::All => ImportMode::AllOrNothing,
        ModeArg::Valid => ImportMode::ValidOnly,
    };
    let b = bar(0, locale.pick("Nhập phiếu", "Importing"));
    let started = Instant::now();
    let rep = db
        .import_responses(year, survey, rows.as_mut(), mode, &mut |n| {
            b.set_position(n)
        })
        .await
        .map_err(fail)?;
    b.finish_and_clear();
    for p in rep.problems.iter() {
        eprintln!("{}", p.render(locale));
    }
    if rep.refused as usize > rep.problems.len() {
        eprintln!(
            "{}",
            match locale {
                Locale::Vi => format!("… và các dòng lỗi khác (tổng {} dòng)", rep.refused),
                Locale::En => format!("… and more refused rows ({} in all)", rep.refused),
            }
        );
    }
    let i = |n: u64| locale.integer(n as i64);
    say!(
        "{}",
        match locale {
            Locale::Vi => format!(
                "{name}: {} dòng; đã nhập {} (tạm giữ {}), đã có từ trước {}, bị từ chối {}; {} ({:.1} s)",
                i(rep.rows),
                i(rep.imported),
                i(rep.quarantined),
                i(rep.already),
                i(rep.refused),
                if rep.committed {
                    "đã lưu"
                } else {
                    "không lưu gì"
                },
                started.elapsed().as_secs_f64()
            ),
            Locale::En => format!(
                "{name}: {} rows; imported {} ({} quarantined), already there {}, refused {}; {} ({:.1} s)",
                i(rep.rows),
                i(rep.imported),
                i(rep.quarantined),
                i(rep.already),
                i(rep.refused),
                if rep.committed {
                    "committed"
                } else {
                    "nothing stored"
                },
                started.elapsed().as_secs_f64()
            ),
        }
    );
    if !rep.committed {
        return Err(Failure(Problems(vec![Problem::new(
            Location::file(name),
            "tệp có dòng lỗi: không lưu dòng nào (dùng --mode valid để nhập các dòng hợp lệ)",
            "the file has refused rows: nothing was stored (use --mode valid to import the valid rows)",
        )])));
    }
    Ok(())
}

/// Excel's last row.
const XLSX_MAX_ROWS: u64 = 1_048_576;

async fn export(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    format: ExportFormat,
    out: &Path,
    locale: Locale,
) -> Outcome {
    let (_, db, _) = store.open().await?;
    let total: u64 = db
        .response_counts(year, survey)
        .await
        .map_err(fail)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let to_stdout = out == Path::new("-");
    if format == ExportFormat::Xlsx && (to_stdout || total + 1 > XLSX_MAX_ROWS) {
        return Err(Problem::new(
            Location::default().with_field("--format"),
            "XLSX cần --out TỆP và tối đa 1.048.575 phiếu: hãy xuất CSV",
            "XLSX needs --out FILE and at most 1,048,575 responses: export CSV instead",
        )
        .into());
    }
    let mut cursor = db
        .export_responses(year, survey, 5000)
        .await
        .map_err(fail)?;
    let header = cursor.header();
    let items = cursor.item_columns();
    let b = bar(total, locale.pick("Xuất phiếu", "Exporting"));
    let started = Instant::now();
    let mut n = 0u64;
    let tmp = out.with_file_name(format!(
        ".{}.part",
        out.file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default()
    ));
    match format {
        ExportFormat::Csv => {
            let sink: Box<dyn std::io::Write> = if to_stdout {
                Box::new(std::io::stdout().lock())
            } else {
                Box::new(std::fs::File::create(&tmp).map_err(|e| io_problem(out, e))?)
            };
            let mut w = csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(sink);
            w.write_record(&header).map_err(|e| io_problem(out, e))?;
            let mut page = cursor.next_page().await.map_err(fail)?;
            while let Some(rows) = page {
                // The next page is read (on the database's thread) while this one is written.
                let write = async {
                    for r in &rows {
                        w.write_record(r.cells().iter().map(|c| c.as_bytes()))?;
                    }
                    Ok::<_, csv::Error>(())
                };
                let (next, written) = tokio::join!(cursor.next_page(), write);
                written.map_err(|e| io_problem(out, e))?;
                n += rows.len() as u64;
                b.set_position(n);
                page = next.map_err(fail)?;
            }
            w.flush().map_err(|e| io_problem(out, e))?;
        }
        ExportFormat::Xlsx => {
            use rust_xlsxwriter::Workbook;
            let xerr = |e: rust_xlsxwriter::XlsxError| io_problem(out, e);
            let mut wb = Workbook::new();
            let mut ws = wb.new_worksheet_with_constant_memory().map_err(xerr)?;
            ws.set_name(locale.pick("Phiếu trả lời", "Responses"))
                .map_err(xerr)?;
            for (c, h) in header.iter().enumerate() {
                ws.write_string(0, c as u16, h).map_err(xerr)?;
            }
            let mut row = 1u32;
            let mut page = cursor.next_page().await.map_err(fail)?;
            while let Some(rows) = page {
                let write = async {
                    for r in &rows {
                        for (c, cell) in r.cells().iter().enumerate() {
                            if cell.is_empty() {
                                continue;
                            }
                            if items.contains(&c) || c == 0 {
                                let v: f64 = cell.parse().unwrap_or_default();
                                ws.write_number(row, c as u16, v)?;
                            } else {
                                ws.write_string(row, c as u16, cell.as_ref())?;
                            }
                        }
                        row += 1;
                    }
                    Ok::<_, rust_xlsxwriter::XlsxError>(())
                };
                let (next, written) = tokio::join!(cursor.next_page(), write);
                written.map_err(xerr)?;
                n += rows.len() as u64;
                b.set_position(n);
                page = next.map_err(fail)?;
            }
            wb.push_worksheet(ws);
            wb.save(&tmp).map_err(xerr)?;
        }
    }
    if !to_stdout {
        std::fs::rename(&tmp, out).map_err(|e| io_problem(out, e))?;
    }
    b.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if !to_stdout {
        say!(
            "{}",
            match locale {
                Locale::Vi => format!(
                    "Đã xuất {} phiếu vào {} trong {secs:.2} s ({} phiếu/giây)",
                    locale.integer(n as i64),
                    out.display(),
                    locale.integer((n as f64 / secs.max(1e-9)) as i64)
                ),
                Locale::En => format!(
                    "Exported {} responses to {} in {secs:.2} s ({} rows/s)",
                    locale.integer(n as i64),
                    out.display(),
                    locale.integer((n as f64 / secs.max(1e-9)) as i64)
                ),
            }
        );
    }
    Ok(())
}

async fn recompute(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    apply: bool,
    locale: Locale,
) -> Outcome {
    let (_, db, _) = store.open().await?;
    let total: u64 = db
        .response_counts(year, survey)
        .await
        .map_err(fail)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let b = bar(total, locale.pick("Tính lại", "Recomputing"));
    let rep = db
        .recompute_survey(year, survey, apply, &mut |n| b.set_position(n))
        .await
        .map_err(fail)?;
    b.finish_and_clear();
    for d in &rep.differences {
        let seg = if d.segment.is_empty() {
            "*"
        } else {
            &d.segment
        };
        eprintln!(
            "{} {seg} {}: {} {} → {} ({})",
            d.unit,
            d.bucket,
            locale.pick("người trả lời", "respondents"),
            d.stored_respondents,
            d.recomputed_respondents,
            d.parts.join(", ")
        );
    }
    say!(
        "{}",
        match locale {
            Locale::Vi => format!(
                "Đã đọc {} phiếu, so {} dòng thống kê: {} khác biệt{}",
                locale.integer(rep.responses as i64),
                rep.rows,
                rep.differences.len(),
                if rep.applied {
                    "; đã thay bằng số liệu tính lại"
                } else {
                    ""
                }
            ),
            Locale::En => format!(
                "Read {} responses, compared {} statistics rows: {} differences{}",
                locale.integer(rep.responses as i64),
                rep.rows,
                rep.differences.len(),
                if rep.applied {
                    "; replaced by the recomputed ones"
                } else {
                    ""
                }
            ),
        }
    );
    if !rep.differences.is_empty() && !rep.applied {
        return Err(Problem::new(
            Location::default(),
            "số liệu thống kê đang chạy khác số liệu tính lại từ phiếu gốc (dùng --apply để sửa)",
            "the running statistics differ from those rebuilt from the raw responses (use --apply to repair)",
        )
        .into());
    }
    Ok(())
}

fn pct(v: f64, locale: Locale) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    Decimal::try_from(v)
        .map(|d| locale.decimal(d.round_dp(1), 1))
        .unwrap_or_else(|_| "—".into())
}

fn estimate(e: &Estimate, locale: Locale) -> String {
    if e.is_empty() {
        return "—".into();
    }
    format!("{} ±{}", pct(e.value, locale), pct(e.half_width(), locale))
}

fn table(head: &[String], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i == 0 {
                out.push_str(c);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            }
        }
        out.push('\n');
    };
    line(head, &mut out);
    let total: usize = width.iter().sum::<usize>() + 2 * (width.len().saturating_sub(1));
    out.push_str(&"─".repeat(total));
    out.push('\n');
    for r in rows {
        line(r, &mut out);
    }
    out
}

fn measure_name(m: Measure, locale: Locale) -> &'static str {
    match (m, locale) {
        (Measure::Satisfied, Locale::Vi) => "tỷ lệ hài lòng",
        (Measure::Satisfied, Locale::En) => "satisfaction rate",
        (Measure::MeanScore, Locale::Vi) => "điểm trung bình / 5",
        (Measure::MeanScore, Locale::En) => "mean score / 5",
        (Measure::TopBox, Locale::Vi) => "tỷ lệ rất hài lòng",
        (Measure::TopBox, Locale::En) => "top-box rate",
    }
}

fn report_table(r: &SurveyReport, locale: Locale) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} {} ({}, %; {})",
        r.title,
        locale.pick("năm", "year"),
        r.year,
        measure_name(r.measure, locale),
        locale.pick("khoảng tin cậy 95 %", "95 % intervals")
    );
    let mut head: Vec<String> = vec![
        locale.pick("Đơn vị", "Unit").into(),
        "n".into(),
        locale.pick("Chung", "Overall").into(),
    ];
    head.extend(
        r.elements
            .iter()
            .map(|(c, _, _)| format!("{}{c}", locale.pick("YT", "E"))),
    );
    head.extend([
        locale.pick("Hạng", "Rank").into(),
        locale.pick("Khoảng hạng", "Rank range").into(),
        locale
            .pick("n (kể cả tạm giữ)", "n (with quarantined)")
            .into(),
        locale
            .pick("Chung (kể cả tạm giữ)", "Overall (with quarantined)")
            .into(),
    ]);
    for g in &r.rankings {
        let _ = writeln!(out, "\n{} {}", locale.pick("Khối", "Group"), g.group);
        let mut rows = Vec::new();
        let ranked: Vec<&str> = g.official.iter().map(|x| x.unit.as_str()).collect();
        let mut order: Vec<&parindex_store::survey::UnitResult> =
            r.units.iter().filter(|u| u.group == g.group).collect();
        order.sort_by_key(|u| {
            ranked
                .iter()
                .position(|c| *c == u.unit)
                .unwrap_or(usize::MAX)
        });
        for u in order {
            let v: &View = &u.official;
            let mark = if v.small_sample { "*" } else { "" };
            let mut row = vec![
                u.unit.clone(),
                locale.integer(v.respondents as i64),
                format!("{}{mark}", estimate(&v.overall, locale)),
            ];
            row.extend(v.elements.iter().map(|e| pct(e.estimate.value, locale)));
            match g.official.iter().find(|x| x.unit == u.unit) {
                Some(x) => {
                    row.push(format!(
                        "{}{}",
                        x.rank,
                        if x.same_as_next { " ≈" } else { "" }
                    ));
                    row.push(format!("{}–{}", x.best_rank, x.worst_rank));
                }
                None => row.extend(["—".to_string(), "—".to_string()]),
            }
            row.push(locale.integer(u.with_quarantined.respondents as i64));
            row.push(estimate(&u.with_quarantined.overall, locale));
            rows.push(row);
        }
        out.push_str(&table(&head, &rows));
    }
    let p = &r.province.official;
    let _ = writeln!(
        out,
        "\n{}: n = {}, {} {}",
        locale.pick("Toàn tỉnh", "Province"),
        locale.integer(p.respondents as i64),
        locale.pick("chung", "overall"),
        estimate(&p.overall, locale)
    );
    let _ = writeln!(
        out,
        "{}",
        locale.pick(
            "* mẫu nhỏ (ít người trả lời hoặc khoảng tin cậy rộng); ≈ không khác biệt có ý nghĩa với đơn vị xếp sau",
            "* small sample (few respondents or a wide interval); ≈ not significantly different from the next unit"
        )
    );
    out
}

#[allow(clippy::too_many_arguments)]
async fn report(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    format: ReportFormat,
    segments: bool,
    out: Option<PathBuf>,
    timing: bool,
    locale: Locale,
) -> Outcome {
    let (_, db, _) = store.open().await?;
    let started = Instant::now();
    let rep = db.survey_report(year, survey).await.map_err(fail)?;
    let segs = if segments {
        Some(db.survey_segments(year, survey, None).await.map_err(fail)?)
    } else {
        None
    };
    if timing {
        eprintln!("report: {:.2} ms", started.elapsed().as_secs_f64() * 1000.0);
    }
    let text = match format {
        ReportFormat::Json => {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                report: &'a SurveyReport,
                segments: Option<&'a Vec<parindex_store::survey::SegmentResult>>,
            }
            let out = Out {
                report: &rep,
                segments: segs.as_ref(),
            };
            serde_json::to_string(&out).unwrap_or_default() + "\n"
        }
        ReportFormat::Table => {
            let mut t = report_table(&rep, locale);
            if let Some(segs) = &segs {
                let _ = writeln!(t, "\n{}", locale.pick("Theo nhóm", "By segment"));
                let head = vec![
                    locale.pick("Nhóm", "Segment").to_string(),
                    "n".into(),
                    locale.pick("Chung", "Overall").into(),
                ];
                let rows: Vec<Vec<String>> = segs
                    .iter()
                    .map(|s| {
                        vec![
                            s.segment.clone(),
                            locale.integer(s.official.respondents as i64),
                            estimate(&s.official.overall, locale),
                        ]
                    })
                    .collect();
                t.push_str(&table(&head, &rows));
            }
            t
        }
    };
    match out {
        Some(p) => crate::write_atomically(&p, text.as_bytes())?,
        None => say_raw!("{text}"),
    }
    Ok(())
}

/// SplitMix64: reproducible synthetic answers.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One synthetic respondent of a unit whose satisfaction level is `level`: a shared disposition
/// decides 40 % of the items, so answers are correlated as real ones are.
fn synthetic(rng: &mut Mix, level: f64, items: usize, out: &mut Vec<u8>) {
    out.clear();
    let mood = rng.unit();
    for _ in 0..items {
        let u = if rng.unit() < 0.4 { mood } else { rng.unit() };
        let a = if u < level * 0.45 {
            5
        } else if u < level {
            4
        } else if u < level + (1.0 - level) * 0.6 {
            3
        } else if u < level + (1.0 - level) * 0.9 {
            2
        } else {
            1
        };
        out.push(a);
    }
}

fn writer(path: &Path) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>, Failure> {
    let f = std::fs::File::create(path).map_err(|e| io_problem(path, e))?;
    Ok(csv::Writer::from_writer(std::io::BufWriter::with_capacity(
        1 << 20,
        f,
    )))
}

#[allow(clippy::too_many_arguments)]
async fn sample(
    store: &StoreArgs,
    year: i32,
    survey: &str,
    responses: u64,
    units: Option<usize>,
    seed: u64,
    stats: bool,
    raw_out: Option<PathBuf>,
    import_out: Option<PathBuf>,
) -> Outcome {
    let (_, db, _) = store.open().await?;
    let mut ctx = db.survey_context(year, survey).await.map_err(fail)?;
    if let Some(want) = units
        && ctx.units.len() < want
    {
        let first = ctx.units.first().cloned().ok_or_else(|| {
            Problem::new(
                Location::default(),
                "kỳ đánh giá chưa có đơn vị nào",
                "the round has no units yet",
            )
        })?;
        let level = db.unit(&first.code).await.map_err(fail)?.level;
        for k in ctx.units.len()..want {
            let code = format!("BENCH-{:03}", k + 1);
            let fields = UnitFields {
                name: format!("Đơn vị thử {}", k + 1),
                group: first.group.clone(),
                level: level.clone(),
                ..Default::default()
            };
            db.create_unit(&code, &fields, &actor())
                .await
                .map_err(fail)?;
        }
        ctx = db.survey_context(year, survey).await.map_err(fail)?;
    }
    let codes: Vec<String> = ctx.units.iter().map(|u| u.code.clone()).collect();
    let n_units = codes.len() as u64;
    let items = ctx.questionnaire.items.len();
    let item_codes: Vec<String> = ctx
        .questionnaire
        .items
        .iter()
        .map(|i| i.code.clone())
        .collect();
    let mut raw = match &raw_out {
        Some(p) => {
            let mut w = writer(p)?;
            let mut h = vec!["unit".to_string()];
            h.extend((1..=items).map(|k| format!("a{k}")));
            w.write_record(&h).map_err(|e| io_problem(p, e))?;
            Some(w)
        }
        None => None,
    };
    let mut imp = match &import_out {
        Some(p) => {
            let mut w = writer(p)?;
            let mut h = vec!["unit".to_string(), "channel".into(), "submitted_at".into()];
            h.extend(item_codes.iter().cloned());
            w.write_record(&h).map_err(|e| io_problem(p, e))?;
            Some(w)
        }
        None => None,
    };
    let mut rng = Mix(seed);
    let levels: Vec<f64> = (0..n_units)
        .map(|u| 0.62 + 0.33 * (u as f64 + 0.5) / n_units as f64)
        .collect();
    let digits = ["0", "1", "2", "3", "4", "5"];
    let base = parindex_store::Timestamp::parse_rfc3339(&format!("{year}-06-01T00:00:00+07:00"))
        .unwrap_or(parindex_store::Timestamp(0));
    let mut failure: Option<Problem> = None;
    let mut buf = Vec::with_capacity(items);
    let b = bar(responses, "Sample");
    let mut gen_iter = (0..responses).map(|r| {
        let u = (r % n_units.max(1)) as usize;
        synthetic(&mut rng, levels[u], items, &mut buf);
        if let Some(w) = raw.as_mut() {
            let mut rec = vec![codes[u].as_str()];
            rec.extend(buf.iter().map(|a| digits[*a as usize]));
            if let Err(e) = w.write_record(&rec) {
                failure.get_or_insert(io_problem(Path::new("raw"), e));
            }
        }
        if let Some(w) = imp.as_mut() {
            let t = base.plus_seconds(r as i64).to_string();
            let mut rec = vec![codes[u].as_str(), "paper", t.as_str()];
            rec.extend(buf.iter().map(|a| digits[*a as usize]));
            if let Err(e) = w.write_record(&rec) {
                failure.get_or_insert(io_problem(Path::new("import"), e));
            }
        }
        if r % 100_000 == 0 {
            b.set_position(r);
        }
        (codes[u].clone(), buf.clone())
    });
    if stats {
        db.replace_stats_from_answers(year, survey, &mut gen_iter)
            .await
            .map_err(fail)?;
    } else {
        for _ in gen_iter.by_ref() {}
    }
    drop(gen_iter);
    b.finish_and_clear();
    if let Some(p) = failure {
        return Err(p.into());
    }
    for (w, p) in [(raw, &raw_out), (imp, &import_out)] {
        if let (Some(mut w), Some(p)) = (w, p) {
            w.flush().map_err(|e| io_problem(p, e))?;
        }
    }
    say!(
        "{} responses over {} units × {} items{}",
        responses,
        n_units,
        items,
        if stats { " (statistics written)" } else { "" }
    );
    Ok(())
}
