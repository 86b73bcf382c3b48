//! Evidence: content-addressed files, type sniffing, and refused or interrupted uploads that
//! leave neither a file nor a row.

use crate::harness::{TestDb, by, each_backend, seed_open};
use parindex_store::evidence::{Attach, EvidenceStore, Kind, Stage, sniff};
use parindex_store::{Entity, Error};
use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// A ZIP archive of stored (uncompressed) entries, as office files are at heart.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    let u16le = |v: usize| (v as u16).to_le_bytes();
    let u32le = |v: usize| (v as u32).to_le_bytes();
    for (name, data) in entries {
        let offset = out.len();
        out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&u32le(data.len()));
        out.extend_from_slice(&u32le(data.len()));
        out.extend_from_slice(&u16le(name.len()));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
        central.extend_from_slice(&u32le(data.len()));
        central.extend_from_slice(&u32le(data.len()));
        central.extend_from_slice(&u16le(name.len()));
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&u32le(offset));
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len();
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u32le(central.len()));
    out.extend_from_slice(&u32le(cd_offset));
    out.extend_from_slice(&u16le(0));
    out
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sends `prefix` and then fails, as a client whose connection drops mid-upload.
struct Interrupted {
    prefix: Vec<u8>,
    sent: bool,
}

impl AsyncRead for Interrupted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.sent {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the client went away",
            )));
        }
        let n = self.prefix.len().min(buf.remaining());
        buf.put_slice(&self.prefix[..n]);
        self.sent = true;
        Poll::Ready(Ok(()))
    }
}

fn tmp_is_empty(store: &EvidenceStore) -> bool {
    std::fs::read_dir(store.root().join("tmp"))
        .unwrap()
        .next()
        .is_none()
}

fn files_under(root: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().unwrap() != "tmp" {
                n += files_under(&p);
            }
        } else {
            n += 1;
        }
    }
    n
}

#[test]
fn sniffing_by_magic_bytes() {
    assert_eq!(sniff(PDF), Some(Kind::Pdf));
    assert_eq!(sniff(PNG), Some(Kind::Png));
    assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(Kind::Jpeg));
    let types: &[u8] = b"<Types/>";
    assert_eq!(
        sniff(&zip(&[
            ("[Content_Types].xml", types),
            ("word/document.xml", b"<w/>")
        ])),
        Some(Kind::Docx)
    );
    assert_eq!(
        sniff(&zip(&[
            ("[Content_Types].xml", types),
            ("_rels/.rels", b""),
            ("xl/workbook.xml", b"<x/>")
        ])),
        Some(Kind::Xlsx)
    );
    assert_eq!(
        sniff(&zip(&[("word/document.xml", b"<w/>")])),
        None,
        "no [Content_Types].xml"
    );
    assert_eq!(
        sniff(&zip(&[
            ("[Content_Types].xml", types),
            ("ppt/slide1.xml", b"")
        ])),
        None
    );
    assert_eq!(sniff(b"PK\x03\x04 truncated"), None);
    assert_eq!(sniff(b"MZ\x90\0"), None);
    assert_eq!(sniff(b""), None);
    assert_eq!(Kind::from_name("Quyết định 12.PDF"), Some(Kind::Pdf));
    assert_eq!(Kind::from_name("anh.jpeg"), Some(Kind::Jpeg));
    assert_eq!(Kind::from_name("virus.exe"), None);
}

async fn count(t: &TestDb) -> i64 {
    t.db.evidence_totals().await.unwrap().0
}

#[tokio::test]
async fn evidence_upload_read_and_refusals() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let store = t.evidence();
        let officer = by("snv.officer");
        let to = Attach {
            year: 2019,
            unit: "SNV",
            code: Some("1.1.1"),
            proposal: None,
            stage: Stage::SelfAssessment,
        };

        let sheet_before = db.sheet(2019, "SNV").await.unwrap();
        let ev = store
            .put(db, &to, "Kế hoạch CCHC 2019.pdf", "tr. 3", PDF, &officer)
            .await
            .unwrap();
        assert_eq!(ev.sha256, sha(PDF));
        assert_eq!(
            (ev.size, ev.kind, ev.page_ref.as_str()),
            (PDF.len() as i64, Kind::Pdf, "tr. 3")
        );
        assert_eq!(ev.original_name, "Kế hoạch CCHC 2019.pdf");
        assert_eq!(
            (ev.code.as_deref(), ev.uploaded_by.as_str()),
            (Some("1.1.1"), "snv.officer")
        );
        let path = store.path_of(&ev.sha256).unwrap();
        assert_eq!(
            path,
            store
                .root()
                .join(&ev.sha256[..2])
                .join(&ev.sha256[2..4])
                .join(&ev.sha256)
        );
        assert_eq!(std::fs::read(&path).unwrap(), PDF);
        assert_eq!(store.read(&ev.sha256).await.unwrap(), PDF);
        assert!(store.verify_file(&ev.sha256).await.unwrap());
        assert!(db.sheet(2019, "SNV").await.unwrap().version > sheet_before.version);

        // The same content again: a second row, one file.
        let again = store
            .put(db, &to, "ban sao.pdf", "", PDF, &officer)
            .await
            .unwrap();
        assert_eq!(again.sha256, ev.sha256);
        assert_eq!(files_under(store.root()), 1);

        let docx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w/>"),
        ]);
        let d = store
            .put(db, &to, "bao cao.docx", "mục 2", docx.as_slice(), &officer)
            .await
            .unwrap();
        assert_eq!(d.kind, Kind::Docx);
        assert_eq!(count(t).await, 3);
        let seq = db.audit_recent(1).await.unwrap()[0].seq;

        // A PNG named .pdf: refused, nothing kept.
        let err = store
            .put(db, &to, "scan.pdf", "", PNG, &officer)
            .await
            .unwrap_err();
        let Error::Invalid(p) = &err else {
            panic!("{err:?}")
        };
        assert!(p.0[0].en.contains("PNG"), "{}", p.0[0].en);
        assert!(p.0[0].vi.contains("PNG"), "{}", p.0[0].vi);
        // Unknown extension, unknown content.
        assert!(matches!(
            store
                .put(db, &to, "a.exe", "", PDF, &officer)
                .await
                .unwrap_err(),
            Error::Invalid(_)
        ));
        assert!(matches!(
            store
                .put(db, &to, "a.pdf", "", &b"just text"[..], &officer)
                .await
                .unwrap_err(),
            Error::Invalid(_)
        ));
        // Too large.
        let small = t.evidence().with_max_size(10);
        assert!(matches!(
            small
                .put(db, &to, "big.pdf", "", PDF, &officer)
                .await
                .unwrap_err(),
            Error::Invalid(_)
        ));
        // Interrupted mid-way.
        let cut = Interrupted {
            prefix: PDF[..20].to_vec(),
            sent: false,
        };
        let err = store
            .put(db, &to, "dang tai.pdf", "", cut, &officer)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err:?}");
        // Wrong targets.
        let nowhere = Attach {
            code: Some("7.7.7"),
            ..to
        };
        assert!(matches!(
            store
                .put(db, &nowhere, "a.pdf", "", PNG, &officer)
                .await
                .unwrap_err(),
            Error::NotFound {
                what: Entity::SubCriterion,
                ..
            }
        ));
        let closed = Attach {
            stage: Stage::Explanation,
            ..to
        };
        assert!(matches!(
            store
                .put(db, &closed, "a.pdf", "", PDF, &officer)
                .await
                .unwrap_err(),
            Error::SheetState { .. }
        ));

        assert_eq!(count(t).await, 3, "no row from a refused upload");
        assert_eq!(
            files_under(store.root()),
            2,
            "no file from a refused upload"
        );
        assert!(tmp_is_empty(&store), "no temporary file left");
        assert_eq!(db.audit_recent(1).await.unwrap()[0].seq, seq);

        let listed = db.evidence_of(2019, "SNV").await.unwrap();
        assert_eq!(
            listed.iter().map(|e| e.id).collect::<Vec<_>>(),
            [ev.id, again.id, d.id]
        );
        db.remove_evidence(again.id, &officer).await.unwrap();
        assert!(matches!(
            db.evidence(again.id).await.unwrap_err(),
            Error::NotFound { .. }
        ));
        assert!(store.read(&ev.sha256).await.is_ok(), "files stay");
        let (n, bytes) = db.evidence_totals().await.unwrap();
        assert_eq!((n, bytes), (2, (PDF.len() + docx.len()) as i64));
    })
    .await;
}
