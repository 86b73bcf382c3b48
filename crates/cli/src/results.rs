//! `parindex results …`: compute totals, index %, classes and ranks from a scores file.

use crate::{Outcome, read_text};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parindex_core::diag::{Location, Problem};
use parindex_core::locale::Locale;
use parindex_core::ranking::rank;
use parindex_core::scores::{Progress, read_previous, score_file};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Xlsx,
}

#[derive(Subcommand)]
pub enum ResultsCommand {
    /// Score every unit of SCORES.csv with the set, then rank per group.
    Compute {
        #[arg(long)]
        set: PathBuf,
        #[arg(long)]
        scores: PathBuf,
        /// Last year's results (unit, total, rank) for the change in points and rank.
        #[arg(long)]
        previous: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Write to this file instead of standard output (required for xlsx).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a sample scores file: valid declared data for every sub-criterion (demos, benchmarks).
    Sample {
        #[arg(long)]
        set: PathBuf,
        #[arg(long, default_value_t = 20)]
        units: usize,
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        /// CSV of units to generate with exact totals (columns unit, name, group, total)
        /// instead of --units random ones.
        #[arg(long)]
        targets: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(cmd: ResultsCommand, locale: Locale) -> Outcome {
    match cmd {
        ResultsCommand::Compute {
            set,
            scores,
            previous,
            format,
            out,
        } => compute(set, scores, previous, format, out, locale),
        ResultsCommand::Sample {
            set,
            units,
            seed,
            targets,
            out,
        } => {
            let set = crate::sets::load_set(&set)?;
            let text = match targets {
                None => parindex_core::sample::sample_scores_csv(&set, units, seed),
                Some(path) => {
                    let name = path.display().to_string();
                    let targets = parindex_core::scores::read_targets(&name, &read_text(&path)?)?;
                    parindex_core::sample::targeted_scores_csv(&set, &targets, seed).map_err(|unit| {
                        Problem::new(
                            Location::file(name).with_field("total"),
                            format!("không tạo được dữ liệu cho đơn vị \"{unit}\" với tổng điểm đã cho"),
                            format!("no declared data could be fitted to unit \"{unit}\"'s total"),
                        )
                    })?
                }
            };
            emit(out, text.as_bytes())
        }
    }
}

fn emit(out: Option<PathBuf>, bytes: &[u8]) -> Outcome {
    match out {
        Some(path) => crate::write_atomically(&path, bytes)?,
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth a message.
            let _ = stdout.write_all(bytes).and_then(|_| stdout.flush());
        }
    }
    Ok(())
}

fn compute(
    set: PathBuf,
    scores: PathBuf,
    previous: Option<PathBuf>,
    format: Format,
    out: Option<PathBuf>,
    locale: Locale,
) -> Outcome {
    let set = crate::sets::load_set(&set)?;
    let text = read_text(&scores)?;
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(locale.pick("Tính điểm", "Scoring").to_string());
    let scored = score_file(
        &scores.display().to_string(),
        &text,
        &set,
        &mut |p| match p {
            Progress::Total(n) => bar.set_length(n as u64),
            Progress::Done(n) => bar.set_position(n as u64),
        },
    );
    bar.finish_and_clear();
    let scored = scored?;
    let previous = match previous {
        Some(p) => read_previous(&p.display().to_string(), &read_text(&p)?)?,
        None => Vec::new(),
    };
    let results = rank(&set, &scored, &previous);
    let bytes = match format {
        Format::Table => crate::output::results_table(&results, &set, locale).into_bytes(),
        Format::Csv => parindex_core::ranking::results_csv(&results).into_bytes(),
        Format::Json => crate::output::results_json(&results).into_bytes(),
        Format::Xlsx => {
            if out.is_none() {
                return Err(Problem::new(
                    Location::default().with_field("--out"),
                    "định dạng xlsx cần --out TỆP",
                    "the xlsx format needs --out FILE",
                )
                .into());
            }
            parindex_report::results_xlsx::write_results_xlsx(&results, &set, None, locale)
                .map_err(|e| {
                    Problem::new(
                        Location::default(),
                        format!("không tạo được tệp XLSX: {e}"),
                        format!("cannot build the XLSX file: {e}"),
                    )
                })?
        }
    };
    emit(out, &bytes)
}
