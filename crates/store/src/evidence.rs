//! Evidence files (tài liệu kiểm chứng): content-addressed by SHA-256 in a directory outside the
//! database, with their metadata (original name, uploader, time, page reference) in `evidence`.
//! An upload is streamed to a temporary file, hashed, checked by its content's magic bytes, synced
//! and renamed into place only together with its row: a refused or interrupted upload leaves
//! neither a file nor a row.

use crate::audit::{self, Change, hex};
use crate::db::{Db, Row, Tx, q};
use crate::rounds::set_for_group;
use crate::sheets::{Sheet, SheetState, leaf, load_sheet, require_state, touch_sheet};
use crate::time::Timestamp;
use crate::{Action, Actor, Entity, Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// The file types accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pdf,
    Docx,
    Xlsx,
    Jpeg,
    Png,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Pdf, Kind::Docx, Kind::Xlsx, Kind::Jpeg, Kind::Png];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }
    /// The kind a file name claims by its extension.
    pub fn from_name(name: &str) -> Option<Kind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "pdf" => Some(Kind::Pdf),
            "docx" => Some(Kind::Docx),
            "xlsx" => Some(Kind::Xlsx),
            "jpg" | "jpeg" => Some(Kind::Jpeg),
            "png" => Some(Kind::Png),
            _ => None,
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// What a file's bytes are, by their magic numbers; DOCX and XLSX are ZIP archives told apart by
/// their central directory (`[Content_Types].xml` plus `word/…` or `xl/…` entries).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(ZIP_MAGIC) {
        let names = zip_names(bytes)?;
        let has = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
        if !names.iter().any(|n| n == "[Content_Types].xml") {
            None
        } else if has("word/") {
            Some(Kind::Docx)
        } else if has("xl/") {
            Some(Kind::Xlsx)
        } else {
            None
        }
    } else {
        None
    }
}

/// The entry names of a ZIP archive, read from its central directory.
fn zip_names(bytes: &[u8]) -> Option<Vec<String>> {
    let u16_at =
        |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?) as usize);
    let u32_at =
        |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?) as usize);
    // The end-of-central-directory record: 22 bytes plus a comment of up to 65535.
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(65_535);
    let eocd = (first..=last)
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))?;
    let count = u16_at(eocd + 10)?;
    let mut at = u32_at(eocd + 16)?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        if !bytes.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let (name_len, extra_len, comment_len) =
            (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

/// Which part of the workflow evidence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Attached with the self-assessment.
    SelfAssessment,
    /// Supplementary evidence attached with an explanation.
    Explanation,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SelfAssessment => "self",
            Stage::Explanation => "explanation",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "self" => Some(Stage::SelfAssessment),
            "explanation" => Some(Stage::Explanation),
            _ => None,
        }
    }
    fn sheet_state(self) -> SheetState {
        match self {
            Stage::SelfAssessment => SheetState::SelfAssessing,
            Stage::Explanation => SheetState::ExplanationRequested,
        }
    }
}

/// What an upload is attached to: a sub-criterion of a sheet, or a bonus/penalty proposal.
#[derive(Debug, Clone, Copy)]
pub struct Attach<'a> {
    pub year: i32,
    pub unit: &'a str,
    pub code: Option<&'a str>,
    pub proposal: Option<i64>,
    pub stage: Stage,
}

/// One stored piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    pub kind: Kind,
    /// The client's file name: display text only.
    pub original_name: String,
    /// Where in the document the proof is (`tr. 3`, `mục 2.1`).
    pub page_ref: String,
    pub year: i32,
    pub unit: String,
    pub code: Option<String>,
    pub proposal: Option<i64>,
    pub stage: Stage,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
}

fn evidence_from_row(r: &Row) -> Result<Evidence> {
    let (k, s) = (r.text("kind")?, r.text("stage")?);
    Ok(Evidence {
        id: r.i64("id")?,
        sha256: r.text("sha256")?,
        size: r.i64("size")?,
        kind: Kind::parse(&k).ok_or_else(|| Error::Corrupt(format!("evidence kind '{k}'")))?,
        original_name: r.text("original_name")?,
        page_ref: r.text("page_ref")?,
        year: r.year("year")?,
        unit: r.text("unit_code")?,
        code: r.opt_text("code")?,
        proposal: r.opt_i64("proposal_id")?,
        stage: Stage::parse(&s).ok_or_else(|| Error::Corrupt(format!("evidence stage '{s}'")))?,
        uploaded_by: r.text("uploaded_by")?,
        uploaded_at: r.ts("uploaded_at")?,
    })
}

const SELECT: &str = "SELECT e.*, s.year, u.code AS unit_code FROM evidence e JOIN sheets s ON s.id = e.sheet_id \
    JOIN units u ON u.id = s.unit_id";

/// A file written and hashed in the temporary directory, not yet in place.
pub(crate) struct Staged {
    tmp: tempfile::NamedTempFile,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    head: Vec<u8>,
}

/// The evidence directory: `<root>/ab/cd/<sha256>` for files, `<root>/tmp` for uploads in
/// progress (same file system, so the final rename is atomic).
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    root: PathBuf,
    max_size: u64,
}

/// The default upload limit: 50 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 50 * 1024 * 1024;

/// The type a file's name claims, if it is one accepted (PDF, DOCX, XLSX, JPG, PNG).
pub(crate) fn claimed_kind(original_name: &str) -> Result<Kind> {
    Kind::from_name(original_name).ok_or_else(|| {
        Error::invalid(
            "file",
            format!("\"{original_name}\": chỉ nhận tệp PDF, DOCX, XLSX, JPG hoặc PNG"),
            format!("\"{original_name}\": only PDF, DOCX, XLSX, JPG or PNG files are accepted"),
        )
    })
}

/// Refuses content whose type (`sniffed`) is not the one the name claims.
pub(crate) fn content_matches(
    original_name: &str,
    claimed: Kind,
    sniffed: Option<Kind>,
) -> Result<()> {
    if sniffed != Some(claimed) {
        let is = sniffed.map_or("?", |k| k.as_str());
        return Err(Error::invalid(
            "file",
            match sniffed {
                Some(k) => format!(
                    "\"{original_name}\" mang đuôi .{} nhưng nội dung là tệp {}",
                    claimed.as_str(),
                    k.as_str().to_uppercase()
                ),
                None => format!(
                    "nội dung của \"{original_name}\" không phải tệp {}",
                    claimed.as_str().to_uppercase()
                ),
            },
            format!(
                "\"{original_name}\" is named .{} but its content is {}",
                claimed.as_str(),
                is.to_uppercase()
            ),
        ));
    }
    Ok(())
}

impl EvidenceStore {
    /// Opens (creating if needed) the evidence directory. Leftover temporary files of a crash
    /// are removed.
    pub fn open(root: impl Into<PathBuf>) -> Result<EvidenceStore> {
        let root = root.into();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(EvidenceStore {
            root,
            max_size: DEFAULT_MAX_SIZE,
        })
    }

    pub fn with_max_size(mut self, bytes: u64) -> EvidenceStore {
        self.max_size = bytes;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file of a hash lives (whether or not it exists).
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::invalid(
                "sha256",
                format!("\"{sha256}\" không phải mã SHA-256"),
                format!("\"{sha256}\" is not a SHA-256 hash"),
            ));
        }
        Ok(self
            .root
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    /// The whole content of a stored file.
    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.path_of(sha256)?;
        match tokio::fs::read(&path).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::not_found(Entity::EvidenceFile, sha256))
            }
            other => Ok(other?),
        }
    }

    /// A stored file opened for streaming.
    pub async fn open_file(&self, sha256: &str) -> Result<tokio::fs::File> {
        let path = self.path_of(sha256)?;
        match tokio::fs::File::open(&path).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::not_found(Entity::EvidenceFile, sha256))
            }
            other => Ok(other?),
        }
    }

    /// Whether the stored file still hashes to its name.
    pub async fn verify_file(&self, sha256: &str) -> Result<bool> {
        let file = self.open_file(sha256).await?;
        let staged = self.stage(file).await?;
        Ok(staged.sha256 == sha256)
    }

    /// Streams `reader` into a temporary file, hashing it and keeping its first bytes. Any
    /// error drops the temporary file, which deletes it.
    pub(crate) async fn stage<R: AsyncRead + Unpin>(&self, mut reader: R) -> Result<Staged> {
        let tmp = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(self.root.join("tmp"))?;
        let mut file = tokio::fs::File::from_std(tmp.as_file().try_clone()?);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let (mut size, mut head) = (0u64, Vec::with_capacity(16));
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > self.max_size {
                let mib = self.max_size / (1024 * 1024);
                return Err(Error::invalid(
                    "file",
                    format!("tệp lớn hơn giới hạn {mib} MiB"),
                    format!("the file is larger than the {mib} MiB limit"),
                ));
            }
            if head.len() < 16 {
                head.extend_from_slice(&buf[..n.min(16 - head.len())]);
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        Ok(Staged {
            tmp,
            sha256: hex(&hasher.finalize()),
            size,
            head,
        })
    }

    /// The kind of a staged file by its content.
    pub(crate) async fn sniff_staged(&self, staged: &Staged) -> Result<Option<Kind>> {
        if staged.head.starts_with(ZIP_MAGIC) {
            // The ZIP directory is at the end: read the file (bounded by the upload limit).
            Ok(sniff(&tokio::fs::read(staged.tmp.path()).await?))
        } else {
            Ok(sniff(&staged.head))
        }
    }

    /// Moves a staged file to its content address. Returns whether this call created the file
    /// (false: the same content was already stored, and the staged copy is dropped).
    pub(crate) async fn place(&self, staged: Staged) -> Result<bool> {
        let target = self.path_of(&staged.sha256)?;
        if tokio::fs::try_exists(&target).await? {
            return Ok(false);
        }
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        staged
            .tmp
            .persist(&target)
            .map_err(|e| Error::Io(e.error))?;
        // Make the rename itself durable.
        tokio::fs::File::open(&dir).await?.sync_all().await?;
        Ok(true)
    }

    /// Stores an upload and its metadata. The name's extension must agree with the content's
    /// type; the sheet must be in the stage's state (self-assessing, or explanation requested).
    pub async fn put<R: AsyncRead + Unpin>(
        &self,
        db: &Db,
        to: &Attach<'_>,
        original_name: &str,
        page_ref: &str,
        reader: R,
        by: &Actor,
    ) -> Result<Evidence> {
        let claimed = claimed_kind(original_name)?;
        let action = Action::AttachEvidence;
        // Check the target before reading the upload, so a wrong target costs no transfer.
        let mut check = db.begin_read().await?;
        check_target(&mut check, to).await?;
        drop(check);

        let staged = self.stage(reader).await?;
        let sniffed = self.sniff_staged(&staged).await?;
        content_matches(original_name, claimed, sniffed)?;

        let now = Timestamp::now();
        let mut tx = db.begin().await?;
        let sheet = check_target(&mut tx, to).await?;
        touch_sheet(&mut tx, &sheet, to.stage.sheet_state(), action, now).await?;
        let sha = staged.sha256.clone();
        let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
        let id = tx
            .fetch_one(
                q("INSERT INTO evidence (sha256, size, kind, original_name, page_ref, sheet_id, code, proposal_id, stage, uploaded_by, uploaded_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                .bind(&sha)
                .bind(size)
                .bind(claimed.as_str())
                .bind(original_name)
                .bind(page_ref.trim())
                .bind(sheet.id)
                .bind(to.code)
                .bind(to.proposal)
                .bind(to.stage.as_str())
                .bind(&by.name)
                .bind(now),
            )
            .await?
            .i64("id")?;
        let target = match (to.code, to.proposal) {
            (Some(code), _) => format!("{}/{code}", sheet.key()),
            (None, Some(p)) => format!("{}/proposal/{p}", sheet.key()),
            (None, None) => sheet.key(),
        };
        let change = Change::new("create", "evidence", id.to_string()).new_value(format!(
            "{target}: {original_name} ({sha}) {}",
            page_ref.trim()
        ));
        audit::append(&mut tx, by, now, change).await?;
        let created = self.place(staged).await?;
        if let Err(e) = tx.commit().await {
            if created {
                // No row refers to the file we just placed, unless a concurrent upload of the same
                // content committed meanwhile.
                let used = db
                    .fetch_optional(q("SELECT id FROM evidence WHERE sha256 = $1").bind(&sha))
                    .await;
                if matches!(used, Ok(None)) {
                    let _ = tokio::fs::remove_file(self.path_of(&sha)?).await;
                }
            }
            return Err(e);
        }
        db.evidence(id).await
    }
}

/// The sheet an upload goes to, provided the sub-criterion or proposal exists and the sheet is
/// in the stage's state.
async fn check_target(tx: &mut Tx, to: &Attach<'_>) -> Result<Sheet> {
    let sheet = load_sheet(tx, to.year, to.unit).await?;
    if let Some(code) = to.code {
        let set = set_for_group(tx, to.year, &sheet.group).await?;
        leaf(&set, &sheet, code)?;
    }
    if let Some(p) = to.proposal {
        tx.fetch_optional(
            q("SELECT id FROM proposals WHERE id = $1 AND sheet_id = $2")
                .bind(p)
                .bind(sheet.id),
        )
        .await?
        .ok_or_else(|| Error::not_found(Entity::Proposal, p.to_string()))?;
    }
    require_state(&sheet, to.stage.sheet_state(), Action::AttachEvidence)?;
    Ok(sheet)
}

impl Db {
    pub async fn evidence(&self, id: i64) -> Result<Evidence> {
        let sql = crate::db::Q::owned(format!("{SELECT} WHERE e.id = $1"));
        let row = self
            .fetch_optional(sql.bind(id))
            .await?
            .ok_or_else(|| Error::not_found(Entity::Evidence, id.to_string()))?;
        evidence_from_row(&row)
    }

    /// A sheet's evidence, oldest first.
    pub async fn evidence_of(&self, year: i32, unit: &str) -> Result<Vec<Evidence>> {
        let sql = crate::db::Q::owned(format!(
            "{SELECT} WHERE s.year = $1 AND u.code = $2 ORDER BY e.id"
        ));
        self.fetch_all(sql.bind(year).bind(unit))
            .await?
            .iter()
            .map(evidence_from_row)
            .collect()
    }

    /// The number and total size of evidence rows.
    pub async fn evidence_totals(&self) -> Result<(i64, i64)> {
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
        let r = self.fetch_one(q("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM evidence")).await?;
        Ok((r.i64("n")?, r.i64("bytes")?))
    }

    /// Detaches evidence while its stage is still open. The file stays: files are shared by
    /// content and may be in a backup being taken; unreferenced files can be collected offline.
    pub async fn remove_evidence(&self, id: i64, by: &Actor) -> Result<()> {
        let ev = self.evidence(id).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let sheet = load_sheet(&mut tx, ev.year, &ev.unit).await?;
        require_state(&sheet, ev.stage.sheet_state(), Action::RemoveEvidence)?;
        touch_sheet(
            &mut tx,
            &sheet,
            ev.stage.sheet_state(),
            Action::RemoveEvidence,
            now,
        )
        .await?;
        // Links from action-plan tasks go with it (the task stays).
        tx.execute(q("DELETE FROM plan_task_evidence WHERE evidence_id = $1").bind(id))
            .await?;
        tx.execute(q("DELETE FROM evidence WHERE id = $1").bind(id))
            .await?;
        let change = Change::new("delete", "evidence", id.to_string()).field(
            "sha256",
            Some(ev.sha256.clone()),
            None,
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await
    }
}
