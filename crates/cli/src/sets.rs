//! `parindex sets …`: check, show, export and import criteria sets.

use crate::{Failure, Outcome, read_text};
use clap::Subcommand;
use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use parindex_core::questionnaire::{Questionnaire, parse_questionnaire};
use parindex_core::set::{CriteriaSet, parse_set};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum SetsCommand {
    /// Validate criteria-set files (and SIPAS questionnaires, `*.survey.toml`); every error is
    /// listed; exit 1 if any.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the tree with maxima and rules, and counts per level.
    Show { file: PathBuf },
    /// Export a set to XLSX in the secretariat's layout.
    Export {
        file: PathBuf,
        #[arg(long, value_name = "OUT")]
        xlsx: PathBuf,
    },
    /// Import a set from XLSX and write it as a criteria-set file.
    Import {
        input: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Loads a criteria set from a `.set.toml` file (or an `.xlsx` workbook).
pub fn load_set(path: &Path) -> Result<CriteriaSet, Failure> {
    let name = path.display().to_string();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        let bytes = crate::read_bytes(path)?;
        return Ok(parindex_report::set_xlsx::read_set_xlsx(&name, &bytes)?);
    }
    let text = read_text(path)?;
    Ok(parse_set(&name, &text)?)
}

/// SIPAS questionnaires live beside the criteria sets as `*.survey.toml`.
fn is_questionnaire(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".survey.toml"))
}

fn load_questionnaire(path: &Path) -> Result<Questionnaire, Failure> {
    let text = read_text(path)?;
    Ok(parse_questionnaire(&path.display().to_string(), &text)?)
}

pub fn run(cmd: SetsCommand, locale: Locale) -> Outcome {
    match cmd {
        SetsCommand::Check { files } => {
            let mut all = Problems::default();
            for f in &files {
                let summary = if is_questionnaire(f) {
                    load_questionnaire(f).map(|q| crate::output::questionnaire_line(&q, locale))
                } else {
                    load_set(f).map(|set| crate::output::shape_line(&set.shape(), locale))
                };
                match summary {
                    Ok(line) => say!(
                        "{}: {} — {line}",
                        f.display(),
                        locale.pick("hợp lệ", "valid")
                    ),
                    Err(Failure(p)) => all.extend(p),
                }
            }
            all.into_result(()).map_err(Failure)
        }
        SetsCommand::Show { file } => {
            if is_questionnaire(&file) {
                say_raw!(
                    "{}",
                    crate::output::questionnaire_tree(&load_questionnaire(&file)?, locale)
                );
            } else {
                say_raw!("{}", crate::output::set_tree(&load_set(&file)?, locale));
            }
            Ok(())
        }
        SetsCommand::Export { file, xlsx } => {
            let set = load_set(&file)?;
            let bytes = parindex_report::set_xlsx::write_set_xlsx(&set, locale).map_err(|e| {
                parindex_core::diag::Problem::new(
                    parindex_core::diag::Location::file(xlsx.display().to_string()),
                    format!("không tạo được tệp XLSX: {e}"),
                    format!("cannot build the XLSX file: {e}"),
                )
            })?;
            crate::write_atomically(&xlsx, &bytes)?;
            eprintln!("{} {}", locale.pick("Đã ghi", "Wrote"), xlsx.display());
            Ok(())
        }
        SetsCommand::Import { input, out } => {
            let bytes = crate::read_bytes(&input)?;
            let set =
                parindex_report::set_xlsx::read_set_xlsx(&input.display().to_string(), &bytes)?;
            let text = parindex_report::set_toml::write_set_toml(&set);
            // The written file must load back to the same set; refuse to write anything otherwise.
            parse_set(&out.display().to_string(), &text)?;
            crate::write_atomically(&out, text.as_bytes())?;
            eprintln!(
                "{} {} — {}",
                locale.pick("Đã ghi", "Wrote"),
                out.display(),
                crate::output::shape_line(&set.shape(), locale)
            );
            Ok(())
        }
    }
}
