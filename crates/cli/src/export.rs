//! `parindex export …`: published results (the annex workbook, or open data as CSV and JSON) and
//! a unit's score sheet, from the database.

use crate::server::StoreArgs;
use crate::{Failure, Outcome, block_on};
use clap::{Subcommand, ValueEnum};
use parindex_core::diag::{Location, Problem};
use parindex_core::locale::Locale;
use parindex_core::ranking::{GroupResult, Results};
use parindex_report::sheet_xlsx::{ScoreSheet, SheetLine, write_sheet_xlsx};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Json,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// The published results of a round: every group, or one.
    Results {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        group: Option<String>,
        #[arg(long, value_enum, default_value = "xlsx")]
        format: ExportFormat,
        /// The announcing decision, printed under the title of the workbook.
        #[arg(long)]
        decision: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A unit's score sheet (BẢNG CHẤM ĐIỂM) for a round, as XLSX.
    Sheet {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn failure(e: parindex_store::Error) -> Failure {
    Failure::from(e.problems())
}

fn xlsx_failure(e: impl std::fmt::Display) -> Failure {
    Failure::from(Problem::new(
        Location::default(),
        format!("không tạo được tệp XLSX: {e}"),
        format!("cannot build the XLSX file: {e}"),
    ))
}

pub fn run(cmd: ExportCommand, locale: Locale) -> Outcome {
    block_on(async move {
        match cmd {
            ExportCommand::Results {
                year,
                group,
                format,
                decision,
                out,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let round = db.round(year).await.map_err(failure)?;
                let groups: Vec<String> = match group {
                    Some(g) => vec![g],
                    None => round.groups.iter().map(|(g, _)| g.clone()).collect(),
                };
                // One workbook or document per round; sections follow the sets' group order.
                let mut results: Option<(
                    std::sync::Arc<parindex_core::set::CriteriaSet>,
                    Results,
                )> = None;
                let mut all = Vec::new();
                for g in &groups {
                    let published = db.published(year, g).await.map_err(failure)?;
                    let set = db.criteria_set(year, g).await.map_err(failure)?;
                    let group = set.group(g).cloned().ok_or_else(|| {
                        Failure::from(Problem::new(
                            Location::default().with_field("--group"),
                            format!("không có khối \"{g}\""),
                            format!("no group \"{g}\""),
                        ))
                    })?;
                    let section = GroupResult {
                        group,
                        units: published.units,
                        summary: published.summary,
                    };
                    all.push(section.clone());
                    let entry = results.get_or_insert_with(|| {
                        (
                            set.clone(),
                            Results {
                                set: set.code.clone(),
                                year,
                                decimals: published.decimals,
                                groups: Vec::new(),
                            },
                        )
                    });
                    entry.1.groups.push(section);
                }
                let Some((set, mut combined)) = results else {
                    return Err(Failure::from(Problem::new(
                        Location::default(),
                        format!("kỳ {year} chưa có kết quả công bố"),
                        format!("round {year} has no published results"),
                    )));
                };
                combined.groups = all;
                let bytes = match format {
                    ExportFormat::Xlsx => parindex_report::results_xlsx::write_results_xlsx(
                        &combined,
                        &set,
                        decision.as_deref(),
                        locale,
                    )
                    .map_err(xlsx_failure)?,
                    ExportFormat::Csv => crate::output::results_csv(&combined).into_bytes(),
                    ExportFormat::Json => crate::output::results_json(&combined).into_bytes(),
                };
                crate::write_atomically(&out, &bytes)?;
                eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), out.display());
                Ok(())
            }
            ExportCommand::Sheet {
                year,
                unit,
                out,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let sheet = db.sheet(year, &unit).await.map_err(failure)?;
                let set = db.criteria_set(year, &sheet.group).await.map_err(failure)?;
                let lines = db
                    .entries(year, &unit)
                    .await
                    .map_err(failure)?
                    .into_iter()
                    .map(|e| SheetLine {
                        appraised: e.appraisal2_points.or(e.appraisal1_points),
                        appraiser_note: [e.appraisal1_note, e.appraisal2_note]
                            .into_iter()
                            .filter(|n| !n.is_empty())
                            .collect::<Vec<_>>()
                            .join(" — "),
                        code: e.code,
                        self_points: e.self_points,
                        not_applicable: e.not_applicable,
                        unit_note: if e.explanation.is_empty() {
                            e.note
                        } else {
                            format!("{} — {}", e.note, e.explanation)
                        },
                    })
                    .collect();
                let data = ScoreSheet {
                    year,
                    unit_name: sheet.unit_name,
                    level: sheet.level,
                    lines,
                };
                let bytes = write_sheet_xlsx(&set, &data, locale).map_err(xlsx_failure)?;
                crate::write_atomically(&out, &bytes)?;
                eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), out.display());
                Ok(())
            }
        }
    })?
}
