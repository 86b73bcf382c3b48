//! Batch import of responses from a table (CSV here; XLSX read by parindex-report into
//! `VecRows`): columns checked first, then every row validated with its line and column named,
//! duplicate rows refused, and rows stored either all or nothing, or the valid ones only. The
//! batch id is the SHA-256 of the file, and a row is identified by its line, so importing the
//! same file again adds nothing.

use super::export::header as export_header;
use super::ingest::{begin_durable, insert_responses};
use super::validate::{RawResponse, ValidatedResponse, validate};
use super::{ResponseStatus, SurveyContext};
use crate::db::Db;
use crate::rounds::sha256_hex;
use crate::time::Timestamp;
use crate::{Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What to do with a file in which some rows are wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Store nothing unless every row is valid (one transaction).
    AllOrNothing,
    /// Store the valid rows, report the others.
    ValidOnly,
}

/// A table of text cells to import: a header row, then data rows with their line numbers.
pub trait ImportRows: Send {
    /// The file name, for messages.
    fn file(&self) -> &str;
    /// The batch id: the SHA-256 (hex) of the file's bytes.
    fn batch(&self) -> &str;
    fn header(&self) -> &[String];
    /// The next data row with its line (or spreadsheet row) number, or why it cannot be read.
    fn next_row(&mut self) -> Option<Result<(usize, Vec<String>), Problem>>;
}

/// The batch id of a file: the SHA-256 (hex) of its bytes.
pub fn batch_id(bytes: &[u8]) -> String {
    sha256_hex(bytes)
}

/// Rows already in memory (e.g. read from an XLSX sheet).
pub struct VecRows {
    file: String,
    batch: String,
    header: Vec<String>,
    rows: std::vec::IntoIter<(usize, Vec<String>)>,
}

impl VecRows {
    /// `bytes_sha256`: the SHA-256 (hex) of the file the rows were read from.
    pub fn new(
        file: &str,
        bytes_sha256: &str,
        header: Vec<String>,
        rows: Vec<(usize, Vec<String>)>,
    ) -> VecRows {
        VecRows {
            file: file.to_string(),
            batch: bytes_sha256.to_string(),
            header: header.into_iter().map(|h| h.trim().to_string()).collect(),
            rows: rows.into_iter(),
        }
    }
}

impl ImportRows for VecRows {
    fn file(&self) -> &str {
        &self.file
    }
    fn batch(&self) -> &str {
        &self.batch
    }
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<(usize, Vec<String>), Problem>> {
        self.rows.next().map(Ok)
    }
}

/// A CSV file (UTF-8, with or without a byte-order mark; comma, semicolon or tab separated,
/// guessed from the header line), read record by record.
pub struct CsvRows {
    file: String,
    batch: String,
    header: Vec<String>,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
}

fn file_problem(file: &str, line: Option<usize>, vi: String, en: String) -> Problem {
    let mut l = Location::file(file);
    if let Some(n) = line {
        l = l.with_line(n);
    }
    Problem::new(l, vi, en)
}

impl CsvRows {
    pub fn from_bytes(file: &str, bytes: Vec<u8>) -> Result<CsvRows, Problems> {
        let batch = sha256_hex(&bytes);
        let one = |line: Option<usize>, vi: String, en: String| {
            Problems(vec![file_problem(file, line, vi, en)])
        };
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err(one(
                None,
                "tệp mã hóa UTF-16: hãy lưu lại dưới dạng CSV UTF-8".into(),
                "the file is UTF-16: save it as CSV UTF-8".into(),
            ));
        }
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
        if let Err(e) = std::str::from_utf8(body) {
            let at = e.valid_up_to();
            let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(one(
                Some(line),
                "tệp không phải UTF-8 (có thể là Windows-1258 hoặc TCVN3): hãy lưu lại dưới dạng CSV UTF-8".into(),
                "the file is not UTF-8 (perhaps Windows-1258 or TCVN3): save it as CSV UTF-8".into(),
            ));
        }
        let first = body.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let count = |c: u8| first.iter().filter(|&&b| b == c).count();
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|c| count(*c))
            .unwrap_or(b',');
        let body = body.to_vec();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(std::io::Cursor::new(body));
        let header = reader
            .headers()
            .map_err(|e| {
                one(
                    Some(1),
                    format!("không đọc được dòng tiêu đề: {e}"),
                    format!("cannot read the header line: {e}"),
                )
            })?
            .iter()
            .map(|h| parindex_core::text::nfc(h.trim()))
            .collect::<Vec<_>>();
        if header.iter().all(String::is_empty) {
            return Err(one(
                Some(1),
                "tệp trống hoặc thiếu dòng tiêu đề".into(),
                "the file is empty or has no header line".into(),
            ));
        }
        Ok(CsvRows {
            file: file.to_string(),
            batch,
            header,
            reader,
        })
    }
}

impl ImportRows for CsvRows {
    fn file(&self) -> &str {
        &self.file
    }
    fn batch(&self) -> &str {
        &self.batch
    }
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<(usize, Vec<String>), Problem>> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                Some(Ok((line, record.iter().map(str::to_string).collect())))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                Some(Err(file_problem(
                    &self.file,
                    line,
                    format!("dòng không đọc được: {e}"),
                    format!("unreadable line: {e}"),
                )))
            }
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub batch: String,
    pub mode: ImportMode,
    /// Data rows read.
    pub rows: u64,
    /// Rows stored now.
    pub imported: u64,
    /// Of those, quarantined on a quality flag.
    pub quarantined: u64,
    /// Rows stored by an earlier import of the same file.
    pub already: u64,
    /// Rows refused (with their problems).
    pub refused: u64,
    #[serde(skip)]
    pub problems: Problems,
    /// Whether anything was committed.
    pub committed: bool,
}

/// How each column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Unit,
    Channel,
    ServiceField,
    Token,
    StartedAt,
    SubmittedAt,
    FreeText,
    Item,
    Profile,
    Expectation,
    Other,
    /// Written by the export for information; ignored when read back.
    Ignored,
}

fn columns(ctx: &SurveyContext, file: &str, header: &[String]) -> Result<Vec<Col>, Problems> {
    let l = &ctx.layout;
    let mut p = Problems::default();
    let at = |field: &str| Location::file(file).with_line(1).with_field(field);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut cols = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        if let Some(first) = seen.insert(h.as_str(), i) {
            p.push(Problem::new(
                at(h),
                format!("cột \"{h}\" lặp lại (cột {} và {})", first + 1, i + 1),
                format!(
                    "column \"{h}\" appears twice (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
        let col = match h.as_str() {
            "unit" => Col::Unit,
            "channel" => Col::Channel,
            "service_field" => Col::ServiceField,
            "token" => Col::Token,
            "started_at" => Col::StartedAt,
            "submitted_at" => Col::SubmittedAt,
            "free_text" => Col::FreeText,
            "id" | "received_at" | "status" | "flags" => Col::Ignored,
            c if l.item_index.contains_key(c) => Col::Item,
            c if l.profile_index.contains_key(c) => Col::Profile,
            c if l.other_index.contains_key(c) => Col::Other,
            c if c
                .strip_prefix("expect.")
                .is_some_and(|a| l.area_index.contains_key(a)) =>
            {
                Col::Expectation
            }
            c => {
                p.push(Problem::new(
                    at(c),
                    format!(
                        "cột \"{c}\" không có trong phiếu \"{}\" (các cột: {})",
                        ctx.questionnaire.code,
                        export_header(ctx).join(", ")
                    ),
                    format!(
                        "column \"{c}\" is not in questionnaire \"{}\" (columns: {})",
                        ctx.questionnaire.code,
                        export_header(ctx).join(", ")
                    ),
                ));
                Col::Ignored
            }
        };
        cols.push(col);
    }
    let mut required: Vec<&str> = vec!["unit", "channel"];
    required.extend(
        ctx.questionnaire
            .items
            .iter()
            .filter(|i| i.required)
            .map(|i| i.code.as_str()),
    );
    for r in required {
        if !seen.contains_key(r) {
            p.push(Problem::new(
                Location::file(file).with_line(1).with_field(r),
                format!("thiếu cột bắt buộc \"{r}\""),
                format!("the required column \"{r}\" is missing"),
            ));
        }
    }
    p.into_result(cols)
}

fn raw_from(
    file: &str,
    line: usize,
    header: &[String],
    cols: &[Col],
    cells: &[String],
    p: &mut Problems,
) -> RawResponse {
    let mut raw = RawResponse::default();
    let opt = |v: &str| {
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    for ((h, col), v) in header.iter().zip(cols).zip(cells) {
        match col {
            Col::Unit => raw.unit = v.trim().to_string(),
            Col::Channel => raw.channel = v.trim().to_string(),
            Col::ServiceField => raw.service_field = opt(v),
            Col::Token => raw.token = opt(v),
            Col::FreeText => raw.free_text = opt(v),
            Col::StartedAt | Col::SubmittedAt => {
                if let Some(t) = opt(v) {
                    match Timestamp::parse_rfc3339(&t) {
                        Some(ts) if *col == Col::StartedAt => raw.started_at = Some(ts),
                        Some(ts) => raw.submitted_at = Some(ts),
                        None => p.push(Problem::new(
                            Location::file(file).with_line(line).with_field(h),
                            format!("\"{t}\" không phải thời điểm dạng 2024-05-01T08:30:00+07:00"),
                            format!("\"{t}\" is not a time like 2024-05-01T08:30:00+07:00"),
                        )),
                    }
                }
            }
            Col::Item => {
                raw.answers.insert(h.clone(), v.clone());
            }
            Col::Profile => {
                raw.profile.insert(h.clone(), v.clone());
            }
            Col::Expectation => {
                let area = h.strip_prefix("expect.").unwrap_or(h);
                raw.expectations.insert(area.to_string(), v.clone());
            }
            Col::Other => {
                raw.other.insert(h.clone(), v.clone());
            }
            Col::Ignored => {}
        }
    }
    raw
}

/// Places problems found in a row at its file and line, keeping their field (column).
fn relocate(problems: Problems, file: &str, line: usize) -> Problems {
    Problems(
        problems
            .0
            .into_iter()
            .map(|mut p| {
                p.location.file = Some(file.to_string());
                p.location.line = Some(line);
                p
            })
            .collect(),
    )
}

/// Most problems kept in a report (the count of refused rows stays exact).
const MAX_PROBLEMS: usize = 1000;
/// Rows validated and written per step.
const CHUNK: usize = 1000;

struct Run<'a> {
    report: ImportReport,
    failed: bool,
    mode: ImportMode,
    file: &'a str,
}

impl Run<'_> {
    fn problems(&mut self, p: Problems) {
        self.report.refused += 1;
        self.failed = true;
        for x in p.0 {
            if self.report.problems.len() < MAX_PROBLEMS {
                self.report.problems.push(x);
            }
        }
    }
}

impl Db {
    /// Imports a table of responses into a survey. The columns are checked first (a wrong header
    /// stores nothing and fails with `Invalid`); then each row. In `AllOrNothing` mode everything
    /// is one transaction, committed only if every row is valid; in `ValidOnly` mode the valid rows
    /// are committed a thousand at a time. Either way re-importing the same file adds nothing.
    pub async fn import_responses(
        &self,
        year: i32,
        code: &str,
        rows: &mut dyn ImportRows,
        mode: ImportMode,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport> {
        let ctx = self.survey_context(year, code).await?;
        let file = rows.file().to_string();
        let batch = rows.batch().to_string();
        let header = rows.header().to_vec();
        let cols = columns(&ctx, &file, &header)?;
        let mut run = Run {
            report: ImportReport {
                file: file.clone(),
                batch: batch.clone(),
                mode,
                rows: 0,
                imported: 0,
                quarantined: 0,
                already: 0,
                refused: 0,
                problems: Problems::default(),
                committed: false,
            },
            failed: false,
            mode,
            file: &file,
        };
        let mut seen: HashMap<[u8; 16], usize> = HashMap::new();
        let mut tx = Some(begin_durable(self).await?);
        let mut chunk: Vec<(usize, ValidatedResponse)> = Vec::with_capacity(CHUNK);
        loop {
            let next = rows.next_row();
            let done = next.is_none();
            if let Some(next) = next {
                run.report.rows += 1;
                match next {
                    Err(p) => run.problems(Problems(vec![p])),
                    Ok((line, cells)) => {
                        let mut p = Problems::default();
                        if cells.len() != header.len() {
                            p.push(file_problem(
                                &file,
                                Some(line),
                                format!(
                                    "dòng có {} ô, dòng tiêu đề có {}",
                                    cells.len(),
                                    header.len()
                                ),
                                format!(
                                    "the line has {} cells, the header {}",
                                    cells.len(),
                                    header.len()
                                ),
                            ));
                        }
                        let mut h = Sha256::new();
                        for c in &cells {
                            h.update(c.trim().as_bytes());
                            h.update([0x1f]);
                        }
                        let digest: [u8; 32] = h.finalize().into();
                        let mut key = [0u8; 16];
                        key.copy_from_slice(&digest[..16]);
                        if let Some(first) = seen.insert(key, line) {
                            p.push(file_problem(
                                &file,
                                Some(line),
                                format!("dòng {line} trùng với dòng {first}"),
                                format!("line {line} duplicates line {first}"),
                            ));
                        }
                        if p.is_empty() {
                            let raw = raw_from(&file, line, &header, &cols, &cells, &mut p);
                            match validate(&ctx, &raw) {
                                Ok(v) if p.is_empty() => chunk.push((
                                    line,
                                    v.in_batch(&batch, i64::try_from(line).unwrap_or(i64::MAX)),
                                )),
                                Ok(_) => {}
                                Err(e) => p.extend(relocate(e, &file, line)),
                            }
                        }
                        if !p.is_empty() {
                            run.problems(p);
                        }
                    }
                }
            }
            let skip_writes = run.failed && mode == ImportMode::AllOrNothing;
            if skip_writes {
                chunk.clear();
            }
            if chunk.len() >= CHUNK || (done && !chunk.is_empty()) {
                let t = tx
                    .as_mut()
                    .ok_or_else(|| Error::Corrupt("import transaction".into()))?;
                let (lines, batch_rows): (Vec<usize>, Vec<ValidatedResponse>) =
                    chunk.drain(..).unzip();
                let outcomes = insert_responses(t, &batch_rows, Timestamp::now()).await?;
                for (line, o) in lines.into_iter().zip(outcomes) {
                    match o {
                        Ok(r) if r.duplicate => run.report.already += 1,
                        Ok(r) => {
                            run.report.imported += 1;
                            if r.status == ResponseStatus::Quarantined {
                                run.report.quarantined += 1;
                            }
                        }
                        Err(e) => run.problems(relocate(e.problems(), run.file, line)),
                    }
                }
                if run.mode == ImportMode::ValidOnly
                    && let Some(t) = tx.take()
                {
                    t.commit().await?;
                    run.report.committed = true;
                    tx = Some(begin_durable(self).await?);
                }
            }
            progress(run.report.rows);
            if done {
                break;
            }
        }
        let tx = tx.ok_or_else(|| Error::Corrupt("import transaction".into()))?;
        if run.failed && mode == ImportMode::AllOrNothing {
            drop(tx);
            run.report.imported = 0;
            run.report.quarantined = 0;
            run.report.already = 0;
            run.report.committed = false;
        } else {
            tx.commit().await?;
            run.report.committed = true;
        }
        Ok(run.report)
    }
}
