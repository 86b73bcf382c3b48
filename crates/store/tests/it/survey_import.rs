//! Survey batch import (CSV) with per-row errors, both modes and idempotent re-import; streaming
//! export and its round trip through import.

use crate::harness::{TestDb, by, drop_pg, each_backend};
use crate::survey::{ITEMS, Mix, Q22, random_raw, seed_survey, settings};
use parindex_store::survey::{
    CsvRows, ImportMode, ImportReport, ResponseRecord, SurveySettings, validate,
};
use parindex_store::{Db, Error};

fn header() -> String {
    let mut h = vec!["unit", "channel", "submitted_at"];
    h.extend(ITEMS);
    h.extend(["gender", "expect.1", "free_text"]);
    h.join(",")
}

fn row(unit: &str, minute: u32, answer: &str, gender: &str) -> String {
    let mut r = vec![
        unit.to_string(),
        "paper".to_string(),
        format!("2019-11-02T08:{minute:02}:00+07:00"),
    ];
    r.extend(ITEMS.iter().enumerate().map(|(k, _)| {
        if k == 3 {
            answer.to_string()
        } else {
            ((k % 5) + 1).to_string()
        }
    }));
    r.extend([
        gender.to_string(),
        "nhieu".into(),
        "\"Cần thêm, ghế\"".into(),
    ]);
    r.join(",")
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = header();
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

async fn import(db: &Db, bytes: Vec<u8>, mode: ImportMode) -> Result<ImportReport, Error> {
    let mut rows = CsvRows::from_bytes("phieu.csv", bytes).map_err(Error::Invalid)?;
    db.import_responses(2019, Q22, &mut rows, mode, &mut |_| {})
        .await
}

async fn stored(db: &Db) -> u64 {
    db.response_counts(2019, Q22)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn import_checks_rows_and_is_idempotent() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        seed_survey(db, &settings()).await;
        let good = csv(&[
            row("SNV", 1, "4", "male"),
            row("SNV", 2, "5", "female"),
            row("STP", 3, "3", ""),
        ]);
        let rep = import(db, good.clone(), ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert_eq!(
            (rep.rows, rep.imported, rep.already),
            (3, 3, 0),
            "{rep:?} {}",
            rep.problems
        );
        assert!(rep.committed && rep.problems.is_empty());
        // The same file again adds nothing, in either mode.
        for mode in [ImportMode::AllOrNothing, ImportMode::ValidOnly] {
            let rep = import(db, good.clone(), mode).await.unwrap();
            assert_eq!((rep.imported, rep.already), (0, 3), "{mode:?}");
        }
        assert_eq!(stored(db).await, 3);
        let report = db.survey_report(2019, Q22).await.unwrap();
        assert_eq!(report.units[0].official.items[3].counts, [0, 0, 0, 0, 1, 1]);
        assert_eq!(report.units[1].official.items[3].counts, [0, 0, 0, 1, 0, 0]);

        // A file with bad rows: each named by line and column.
        let bad = csv(&[
            row("SNV", 10, "4", "male"),
            row("SNV", 11, "7", "male"),
            row("XYZ", 12, "4", "male"),
            row("SNV", 10, "4", "male"),
            row("SNV", 13, "4", "robot"),
            "SNV,paper".to_string(),
            row("STP", 14, "3", "female").replace("2019-11-02T08:14:00+07:00", "hôm qua"),
        ]);
        let rep = import(db, bad.clone(), ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert!(!rep.committed);
        assert_eq!((rep.rows, rep.imported, rep.refused), (7, 0, 6));
        assert_eq!(stored(db).await, 3, "nothing of the bad file is stored");
        let at: Vec<(Option<usize>, Option<String>)> = rep
            .problems
            .iter()
            .map(|p| (p.location.line, p.location.field.clone()))
            .collect();
        assert!(at.contains(&(Some(3), Some("1.4".into()))), "{at:?}");
        assert!(at.contains(&(Some(4), Some("unit".into()))), "{at:?}");
        assert!(at.contains(&(Some(6), Some("gender".into()))), "{at:?}");
        assert!(
            at.contains(&(Some(8), Some("submitted_at".into()))),
            "{at:?}"
        );
        let dup = rep
            .problems
            .iter()
            .find(|p| p.location.line == Some(5))
            .unwrap();
        assert!(dup.en.contains("duplicates line 2"), "{}", dup.en);
        let short = rep
            .problems
            .iter()
            .find(|p| p.location.line == Some(7))
            .unwrap();
        assert!(short.en.contains("cells"), "{}", short.en);
        assert!(
            rep.problems
                .iter()
                .all(|p| p.location.file.as_deref() == Some("phieu.csv"))
        );
        // Valid rows only: the one good row goes in, once.
        let rep = import(db, bad.clone(), ImportMode::ValidOnly)
            .await
            .unwrap();
        assert_eq!((rep.imported, rep.refused), (1, 6));
        let rep = import(db, bad, ImportMode::ValidOnly).await.unwrap();
        assert_eq!((rep.imported, rep.already), (0, 1));
        assert_eq!(stored(db).await, 4);

        // Wrong columns: refused before any row.
        let wrong = header().replace("1.1", "6.1").into_bytes();
        let Error::Invalid(p) = import(db, wrong, ImportMode::ValidOnly).await.unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = p
            .iter()
            .map(|x| x.location.field.clone().unwrap())
            .collect();
        assert_eq!(fields, ["6.1", "1.1"], "{p}");
        assert!(p.iter().all(|x| x.location.line == Some(1)));
        let twice = format!("{},unit\n", header()).into_bytes();
        assert!(import(db, twice, ImportMode::ValidOnly).await.is_err());
        // Wrong encodings.
        let mut latin = csv(&[row("SNV", 20, "4", "male")]);
        latin.extend(b"SNV,paper,\xe0\n");
        let Error::Invalid(p) = import(db, latin, ImportMode::ValidOnly).await.unwrap_err() else {
            panic!()
        };
        assert_eq!(p.iter().next().unwrap().location.line, Some(3));
        let utf16 = vec![0xFF, 0xFE, b'u', 0];
        assert!(import(db, utf16, ImportMode::ValidOnly).await.is_err());
        assert!(import(db, Vec::new(), ImportMode::ValidOnly).await.is_err());
        // Semicolons and a byte-order mark, as spreadsheet programs write them.
        let mut semi = vec![0xEF, 0xBB, 0xBF];
        semi.extend(
            String::from_utf8(csv(&[row("STP", 30, "2", "male")]))
                .unwrap()
                .replace(',', ";")
                .replace("\"Cần thêm; ghế\"", "ok")
                .into_bytes(),
        );
        let rep = import(db, semi, ImportMode::AllOrNothing).await.unwrap();
        assert_eq!(rep.imported, 1, "{}", rep.problems);
        assert_eq!(stored(db).await, 5);
        let rec = db
            .recompute_survey(2019, Q22, false, &mut |_| {})
            .await
            .unwrap();
        assert!(rec.differences.is_empty());
    })
    .await;
}

#[tokio::test]
async fn tokens_in_imports_are_single_use() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        seed_survey(db, &settings()).await;
        let tok = db
            .create_tokens(2019, Q22, "SNV", 1, None, &by("admin"))
            .await
            .unwrap()
            .remove(0);
        let with_token = |minute: u32| {
            let h = format!("{},token", header());
            let r = format!("{},{tok}", row("SNV", minute, "4", "male"));
            format!("{h}\n{r}\n").into_bytes()
        };
        let rep = import(db, with_token(1), ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert_eq!(rep.imported, 1);
        // Another file with the same token: that row is refused, nothing stored.
        let rep = import(db, with_token(2), ImportMode::AllOrNothing)
            .await
            .unwrap();
        assert!(!rep.committed);
        let p = rep.problems.iter().next().unwrap();
        assert_eq!(
            (p.location.line, p.location.field.as_deref()),
            (Some(2), Some("token"))
        );
        assert_eq!(stored(db).await, 1);
    })
    .await;
}

fn to_csv(header: &[String], records: &[ResponseRecord]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in records {
        w.write_record(r.cells().iter().map(|c| c.as_ref()))
            .unwrap();
    }
    w.into_inner().unwrap()
}

async fn export_all(db: &Db) -> (Vec<String>, Vec<ResponseRecord>) {
    let mut cursor = db.export_responses(2019, Q22, 7).await.unwrap();
    let header = cursor.header();
    let mut out = Vec::new();
    while let Some(page) = cursor.next_page().await.unwrap() {
        assert!(page.len() <= 7);
        out.extend(page);
    }
    (header, out)
}

#[tokio::test]
async fn export_streams_and_round_trips_through_import() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        let s = SurveySettings {
            straight_line_min_items: 10,
            ..settings()
        };
        let ctx = seed_survey(db, &s).await;
        let mut rng = Mix(11);
        let mut batch = Vec::new();
        for i in 0..40 {
            let mut r = random_raw(&mut rng);
            if i % 3 == 0 {
                r.free_text = Some(format!("Ý kiến số {i}, có \"ngoặc\"\nvà xuống dòng"));
            }
            batch.push(validate(&ctx, &r).unwrap());
        }
        for o in db.write_responses(&batch).await.unwrap() {
            o.unwrap();
        }
        let (header, first) = export_all(db).await;
        assert_eq!(first.len(), 40);
        assert_eq!(header[0], "id");
        assert!(header.contains(&"expect.8".to_string()));
        let bytes = to_csv(&header, &first);

        // Into a fresh database: the same responses come back out.
        let (other, name) = t.sibling().await;
        seed_survey(&other.db, &s).await;
        let mut rows = CsvRows::from_bytes("export.csv", bytes.clone()).unwrap();
        let rep = other
            .db
            .import_responses(2019, Q22, &mut rows, ImportMode::AllOrNothing, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(rep.imported, 40, "{}", rep.problems);
        let (_, second) = export_all(&other.db).await;
        let strip = |r: &ResponseRecord| {
            let mut r = r.clone();
            r.id = 0;
            r.received_at = parindex_store::Timestamp(0);
            r
        };
        assert_eq!(
            first.iter().map(strip).collect::<Vec<_>>(),
            second.iter().map(strip).collect::<Vec<_>>()
        );
        let a = db.survey_report(2019, Q22).await.unwrap();
        let b = other.db.survey_report(2019, Q22).await.unwrap();
        assert_eq!(
            serde_json::to_string(&a.units).unwrap(),
            serde_json::to_string(&b.units).unwrap()
        );
        other.db.close().await;
        if let Some(pg) = name {
            drop_pg(other, pg).await;
        }
    })
    .await;
}

#[tokio::test]
async fn other_questions_are_checked_stored_and_exported() {
    each_backend(async |t: &TestDb| {
        let db = &t.db;
        crate::harness::seed_round(db).await;
        let text = format!(
            "{}\n[[question]]\ncode = \"visits\"\ntype = \"integer\"\ntext = \"Số lần đến\"\nrequired = true\n\
             [[question]]\ncode = \"wait\"\ntype = \"decimal\"\ntext = \"Số giờ chờ\"\n\
             [[question]]\ncode = \"served_on\"\ntype = \"date\"\ntext = \"Ngày giải quyết\"\n\
             [[question]]\ncode = \"intro\"\ntype = \"note\"\ntext = \"Xin chào\"\n",
            crate::survey::questionnaire()
        );
        db.create_survey(2019, "q.survey.toml", &text, &settings(), &by("admin"))
            .await
            .unwrap();
        let ctx = db.survey_context(2019, Q22).await.unwrap();
        let fields = |r: &parindex_store::survey::RawResponse| -> Vec<String> {
            validate(&ctx, r)
                .err()
                .map(|p| p.iter().map(|x| x.location.field.clone().unwrap()).collect())
                .unwrap_or_default()
        };
        let mut r = crate::survey::raw("SNV", &[4, 5]);
        assert_eq!(fields(&r), ["visits"]);
        for (k, v) in [("visits", "ba"), ("wait", "1,5"), ("served_on", "2024-02-30"), ("intro", "x")] {
            r.other.insert(k.into(), v.into());
        }
        assert_eq!(fields(&r), ["intro", "served_on", "visits"]);
        r.other.remove("intro");
        r.other.insert("visits".into(), "3".into());
        r.other.insert("served_on".into(), "2024-05-01".into());
        assert!(fields(&r).is_empty());
        db.write_responses(&[validate(&ctx, &r).unwrap()])
            .await
            .unwrap()[0]
            .as_ref()
            .unwrap();
        let (header, records) = export_all(db).await;
        let at = |c: &str| header.iter().position(|h| h == c).unwrap();
        assert!(!header.contains(&"intro".to_string()));
        let cells: Vec<String> = records[0].cells().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            (cells[at("visits")].as_str(), cells[at("wait")].as_str(), cells[at("served_on")].as_str()),
            ("3", "1.5", "2024-05-01")
        );
        // Back through import: the same answers.
        let bytes = to_csv(&header, &records);
        let mut rows = CsvRows::from_bytes("x.csv", bytes).unwrap();
        let rep = db
            .import_responses(2019, Q22, &mut rows, ImportMode::AllOrNothing, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(rep.imported, 1, "{}", rep.problems);
        let (_, again) = export_all(db).await;
        assert_eq!(again[1].other, records[0].other);
    })
    .await;
}
