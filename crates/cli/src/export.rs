//! `parindex export …`: published results (the annex workbook, or open data as CSV and JSON), a
//! unit's score sheet (XLSX or PDF) and the round report (PDF), from the database.

use crate::server::StoreArgs;
use crate::{Failure, Outcome, block_on};
use clap::{Subcommand, ValueEnum};
use parindex_core::diag::{Location, Problem};
use parindex_core::locale::Locale;
use parindex_core::ranking::Results;
use parindex_report::sheet_xlsx::{ScoreSheet, SheetLine, write_sheet_xlsx};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Json,
}

/// A score sheet as a workbook, or as a PDF to print and sign.
#[derive(Clone, Copy, ValueEnum)]
pub enum SheetFormat {
    Xlsx,
    Pdf,
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
    /// A unit's score sheet (BẢNG CHẤM ĐIỂM) for a round, as XLSX or PDF (PDF needs a build with
    /// the feature `pdf`).
    Sheet {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        unit: String,
        #[arg(long, value_enum, default_value = "xlsx")]
        format: SheetFormat,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The round report as PDF: national motto header, each group's published ranking, classes,
    /// index chart, and where the group lost most points (from the round's sheets). Needs a build
    /// with the feature `pdf`.
    Report {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        out: PathBuf,
        /// The province, e.g. "Vĩnh Phúc" (heads the report: ỦY BAN NHÂN DÂN TỈNH …).
        #[arg(long, env = "PARINDEX_PROVINCE")]
        province: Option<String>,
        /// The announcing decision, printed under the title.
        #[arg(long)]
        decision: Option<String>,
        /// The date after the place, YYYY-MM-DD (default: the day the results were published,
        /// Vietnam time).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn failure(e: parindex_store::Error) -> Failure {
    Failure::from(e.problems())
}

#[cfg(feature = "pdf")]
fn pdf_failure(e: impl std::fmt::Display) -> Failure {
    Failure::from(Problem::new(
        Location::default(),
        format!("không tạo được tệp PDF: {e}"),
        format!("cannot build the PDF file: {e}"),
    ))
}

#[cfg(not(feature = "pdf"))]
fn no_pdf() -> Failure {
    Failure::from(Problem::new(
        Location::default(),
        "bản parindex này được dựng không kèm PDF (tính năng `pdf`)".to_string(),
        "this parindex was built without PDF support (feature `pdf`)".to_string(),
    ))
}

/// `YYYY-MM-DD` as (year, month, day).
fn parse_date(text: &str) -> Result<(i32, u8, u8), Failure> {
    let t = parindex_store::Timestamp::parse_rfc3339(&format!("{}T00:00:00Z", text.trim()));
    let bad = || {
        Failure::from(Problem::new(
            Location::default().with_field("--date"),
            format!("ngày \"{text}\" không hợp lệ (cần YYYY-MM-DD)"),
            format!("date \"{text}\" is not valid (YYYY-MM-DD expected)"),
        ))
    };
    t.ok_or_else(bad)?;
    let mut parts = text.trim().split('-').map(|p| p.parse::<i64>().ok());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Some(y)), Some(Some(m)), Some(Some(d))) => Ok((y as i32, m as u8, d as u8)),
        _ => Err(bad()),
    }
}

/// The calendar day of a moment in Vietnam (UTC+7, no daylight saving).
#[cfg(feature = "pdf")]
fn vietnam_day(t: parindex_store::Timestamp) -> Option<(i32, u8, u8)> {
    let text = t.plus_seconds(7 * 3600).to_string();
    let mut parts = text.get(..10)?.split('-').map(|p| p.parse::<i64>().ok());
    Some((
        parts.next()?? as i32,
        parts.next()?? as u8,
        parts.next()?? as u8,
    ))
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
                // One workbook or document per round; sections follow the round's group order.
                let mut results: Option<(
                    std::sync::Arc<parindex_core::set::CriteriaSet>,
                    Results,
                )> = None;
                for g in &groups {
                    let (set, section, _) = match db.published_results(year, g).await {
                        Err(e) if e.kind() == parindex_store::ErrorKind::NotFound => {
                            return Err(Failure::from(Problem::new(
                                Location::default().with_field("--group"),
                                format!("khối \"{g}\" năm {year} chưa có kết quả công bố"),
                                format!("group \"{g}\" has no published results for {year}"),
                            )));
                        }
                        other => other.map_err(failure)?,
                    };
                    match &mut results {
                        Some((_, combined)) => combined.groups.extend(section.groups),
                        None => results = Some((set, section)),
                    }
                }
                let Some((set, combined)) = results else {
                    return Err(Failure::from(Problem::new(
                        Location::default(),
                        format!("kỳ {year} chưa có kết quả công bố"),
                        format!("round {year} has no published results"),
                    )));
                };
                let bytes = match format {
                    ExportFormat::Xlsx => parindex_report::results_xlsx::write_results_xlsx(
                        &combined,
                        &set,
                        decision.as_deref(),
                        locale,
                    )
                    .map_err(xlsx_failure)?,
                    ExportFormat::Csv => {
                        parindex_core::ranking::results_csv(&combined).into_bytes()
                    }
                    ExportFormat::Json => crate::output::results_json(&combined).into_bytes(),
                };
                crate::write_atomically(&out, &bytes)?;
                eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), out.display());
                Ok(())
            }
            ExportCommand::Sheet {
                year,
                unit,
                format,
                out,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let sheet = db.sheet(year, &unit).await.map_err(failure)?;
                let set = db.criteria_set(year, &sheet.group).await.map_err(failure)?;
                let mut lines: Vec<SheetLine> = db
                    .entries(year, &unit)
                    .await
                    .map_err(failure)?
                    .into_iter()
                    .map(|e| SheetLine {
                        not_applicable: e.counts_as_not_applicable(),
                        appraised: e.appraisal2_points.or(e.appraisal1_points),
                        appraiser_note: [e.appraisal1_note, e.appraisal2_note]
                            .into_iter()
                            .filter(|n| !n.is_empty())
                            .collect::<Vec<_>>()
                            .join(" — "),
                        code: e.code,
                        self_points: e.self_points,
                        unit_note: if e.explanation.is_empty() {
                            e.note
                        } else {
                            format!("{} — {}", e.note, e.explanation)
                        },
                    })
                    .collect();
                // Survey-derived sub-criteria that a closed survey supplies count its points,
                // as in the round's results.
                for p in db.survey_points(year, &unit).await.map_err(failure)? {
                    let (Some(value), Some(points)) = (p.value, p.points) else {
                        continue;
                    };
                    let note = format!(
                        "{} {} %",
                        locale.pick("Kết quả điều tra xã hội học:", "Survey result:"),
                        locale.decimal(value.round_dp(2), 2)
                    );
                    let i = match lines.iter().position(|l| l.code == p.code) {
                        Some(i) => i,
                        None => {
                            lines.push(SheetLine {
                                code: p.code.clone(),
                                ..Default::default()
                            });
                            lines.len() - 1
                        }
                    };
                    let line = &mut lines[i];
                    line.appraised = Some(points);
                    line.not_applicable = false;
                    line.appraiser_note = note;
                }
                let data = ScoreSheet {
                    year,
                    unit_name: sheet.unit_name,
                    level: sheet.level,
                    lines,
                };
                let bytes = match format {
                    SheetFormat::Xlsx => {
                        write_sheet_xlsx(&set, &data, locale).map_err(xlsx_failure)?
                    }
                    #[cfg(feature = "pdf")]
                    SheetFormat::Pdf => parindex_report::pdf::score_sheet_pdf(&set, &data, locale)
                        .map_err(pdf_failure)?,
                    #[cfg(not(feature = "pdf"))]
                    SheetFormat::Pdf => return Err(no_pdf()),
                };
                crate::write_atomically(&out, &bytes)?;
                eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), out.display());
                Ok(())
            }
            ExportCommand::Report {
                year,
                out,
                province,
                decision,
                date,
                store,
            } => {
                let date = date.as_deref().map(parse_date).transpose()?;
                let (_, db, _) = store.open().await?;
                let bytes = report_pdf(&db, year, province, decision, date, locale).await?;
                crate::write_atomically(&out, &bytes)?;
                eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), out.display());
                Ok(())
            }
        }
    })?
}

#[cfg(not(feature = "pdf"))]
async fn report_pdf(
    _db: &parindex_store::Db,
    _year: i32,
    _province: Option<String>,
    _decision: Option<String>,
    _date: Option<(i32, u8, u8)>,
    _locale: Locale,
) -> Result<Vec<u8>, Failure> {
    Err(no_pdf())
}

/// The round report: each group's latest published revision, in the round's group order, with
/// the losses recomputed from the round's sheets (the scores behind the results).
#[cfg(feature = "pdf")]
async fn report_pdf(
    db: &parindex_store::Db,
    year: i32,
    province: Option<String>,
    decision: Option<String>,
    date: Option<(i32, u8, u8)>,
    locale: Locale,
) -> Result<Vec<u8>, Failure> {
    use parindex_report::pdf::{GroupReport, RoundReport};
    let round = db.round(year).await.map_err(failure)?;
    let computed = db.round_results(year).await.map_err(failure)?;
    let mut groups = Vec::new();
    let mut decimals = None;
    let mut published_at = None;
    for (g, _) in &round.groups {
        let published = match db.published(year, g).await {
            Ok(p) => p,
            Err(e) if e.kind() == parindex_store::ErrorKind::NotFound => continue,
            Err(e) => return Err(failure(e)),
        };
        let set = db.criteria_set(year, g).await.map_err(failure)?;
        let Some(group) = set.group(g).cloned() else {
            continue;
        };
        decimals.get_or_insert(published.decimals);
        published_at = published_at.max(Some(published.published_at));
        let scores: Vec<_> = computed
            .iter()
            .filter(|r| r.set.code == set.code)
            .flat_map(|r| r.scores.iter().filter(|s| &s.group == g).cloned())
            .collect();
        let result = parindex_core::ranking::GroupResult {
            group,
            units: published.units,
            summary: published.summary,
        };
        groups.push(GroupReport::from_scores(&set, result, &scores));
    }
    let Some(decimals) = decimals else {
        return Err(Failure::from(Problem::new(
            Location::default(),
            format!("kỳ {year} chưa có kết quả công bố"),
            format!("round {year} has no published results"),
        )));
    };
    let report = RoundReport {
        province: province
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "………………".to_string()),
        issuer: None,
        year,
        decision,
        date: date.or_else(|| published_at.and_then(vietnam_day)),
        decimals,
        groups,
    };
    parindex_report::pdf::round_report_pdf(&report, locale).map_err(pdf_failure)
}
