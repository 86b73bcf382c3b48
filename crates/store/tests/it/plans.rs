//! Action plans: tasks added, edited, moved through their statuses and linked to evidence; bad
//! input refused with every problem and nothing written; progress; next year's review.

use crate::harness::{SMALL_SET, by, each_backend, seed_open};
use parindex_store::Error;
use parindex_store::evidence::{Attach, Stage};
use parindex_store::plans::{Status, TaskInput};
use parindex_store::sheets::{EntryKey, SheetState};

fn task(remedy: &str, codes: &[&str], deadline: &str) -> TaskInput {
    TaskInput {
        remedy: remedy.into(),
        codes: codes.iter().map(|c| c.to_string()).collect(),
        division: "Văn phòng Sở".into(),
        owner: "Nguyễn Văn An".into(),
        deadline: deadline.into(),
        effort: None,
    }
}

fn fields(e: &Error) -> Vec<String> {
    match e {
        Error::Invalid(p) => p
            .iter()
            .map(|p| p.location.field.clone().unwrap_or_default())
            .collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn tasks_are_added_edited_and_moved_through_statuses() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let a = by("off.snv");
        let t1 = db
            .add_task(
                2019,
                "SNV",
                &task(
                    "  Ban hành kế hoạch CCHC  ",
                    &["1.1.1", "1.1.1"],
                    "31/3/2020",
                ),
                &a,
            )
            .await
            .unwrap();
        assert_eq!(t1.remedy, "Ban hành kế hoạch CCHC");
        assert_eq!(t1.codes, ["1.1.1"]);
        assert_eq!(t1.deadline, "2020-03-31");
        assert_eq!(t1.status, Status::Planned);
        assert_eq!(t1.unit_name, "Sở Nội vụ");

        let mut edit = task(
            "Ban hành kế hoạch và báo cáo",
            &["1.1.3", "1.1.1"],
            "2020-06-30",
        );
        edit.effort = Some(3);
        let t1 = db.update_task(t1.id, t1.version, &edit, &a).await.unwrap();
        assert_eq!(t1.codes, ["1.1.1", "1.1.3"]);
        assert_eq!((t1.version, t1.effort), (2, Some(3)));
        // A stale version is a conflict.
        let err = db.update_task(t1.id, 1, &edit, &a).await.unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");

        let t1 = db
            .set_task_status(t1.id, t1.version, Status::InProgress, &a)
            .await
            .unwrap();
        let t1 = db
            .set_task_status(t1.id, t1.version, Status::Done, &a)
            .await
            .unwrap();
        assert_eq!(t1.status, Status::Done);

        let t2 = db
            .add_task(2019, "SNV", &task("Bỏ sau", &["1.1.2"], "2020-01-15"), &a)
            .await
            .unwrap();
        let t2 = db
            .set_task_status(t2.id, t2.version, Status::Dropped, &a)
            .await
            .unwrap();
        // Dropped is final: no status change, no edit.
        let err = db
            .set_task_status(t2.id, t2.version, Status::Planned, &a)
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["status"]);
        assert!(
            err.message(parindex_core::locale::Locale::Vi)
                .contains("đã hủy bỏ")
        );
        let err = db
            .update_task(t2.id, t2.version, &edit, &a)
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["status"]);
        let t3 = db
            .add_task(2019, "SNV", &task("Quá hạn", &["1.1.2"], "2020-01-15"), &a)
            .await
            .unwrap();

        let tasks = db.tasks(2019, "SNV").await.unwrap();
        assert_eq!(
            tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
            [t2.id, t3.id, t1.id]
        );
        let p = db.unit_progress(2019, "SNV", "2020-02-01").await.unwrap();
        assert_eq!(
            (p.total, p.done, p.planned, p.dropped, p.overdue),
            (2, 1, 1, 1, 1)
        );
        let all = db.plan_progress(2019, "2020-02-01").await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0], p);
        assert_eq!(
            db.unit_progress(2019, "STP", "2020-02-01")
                .await
                .unwrap()
                .total,
            0
        );

        // Every write is in the audit log.
        let log = db.audit_of("plan_task", &t1.id.to_string()).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.field.as_deref() == Some("status") && e.new.as_deref() == Some("done"))
        );
        assert!(log.iter().any(|e| e.field.as_deref() == Some("codes")));
        db.verify_audit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn bad_tasks_are_refused_with_every_problem_and_nothing_written() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let a = by("off.snv");
        let bad = TaskInput {
            remedy: " ".into(),
            codes: vec!["9.9.9".into(), "1.1".into()],
            division: "".into(),
            owner: "An".into(),
            deadline: "30/02/2020".into(),
            effort: Some(0),
        };
        let err = db.add_task(2019, "SNV", &bad, &a).await.unwrap_err();
        assert_eq!(
            fields(&err),
            ["remedy", "division", "codes", "codes", "deadline", "effort"]
        );
        let msg = err.message(parindex_core::locale::Locale::En);
        assert!(msg.contains("no sub-criterion \"9.9.9\""), "{msg}");
        assert!(msg.contains("deadline \"30/02/2020\""), "{msg}");
        let err = db
            .add_task(2019, "SNV", &task("x", &[], "2020-01-01"), &a)
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["codes"]);
        // Several at once: all or none, problems named by position.
        let err = db
            .add_tasks(
                2019,
                "SNV",
                &[
                    task("ok", &["1.1.1"], "2020-01-01"),
                    task("ko", &["1.1.1"], "mai"),
                ],
                &a,
            )
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["tasks[1].deadline"]);
        assert!(db.tasks(2019, "SNV").await.unwrap().is_empty());
        // Unknown unit, round, task.
        let ok = task("ok", &["1.1.1"], "2020-01-01");
        let err = db.add_task(2019, "XYZ", &ok, &a).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        let err = db.add_task(2031, "SNV", &ok, &a).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        let err = db
            .set_task_status(999, 1, Status::Done, &a)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        assert!(db.round_tasks(2019).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn evidence_links_belong_to_the_unit_and_go_with_the_evidence() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let a = by("off.snv");
        let store = t.evidence();
        let to = Attach {
            year: 2019,
            unit: "SNV",
            code: Some("1.1.1"),
            proposal: None,
            stage: Stage::SelfAssessment,
        };
        let ev = store
            .put(
                db,
                &to,
                "kh.pdf",
                "tr. 2",
                &b"%PDF-1.7\nplan\n%%EOF\n"[..],
                &a,
            )
            .await
            .unwrap();
        let snv = db
            .add_task(2019, "SNV", &task("Kế hoạch", &["1.1.1"], "2020-03-31"), &a)
            .await
            .unwrap();
        let stp = db
            .add_task(2019, "STP", &task("Kế hoạch", &["1.1.1"], "2020-03-31"), &a)
            .await
            .unwrap();
        let linked = db.link_task_evidence(snv.id, ev.id, &a).await.unwrap();
        assert_eq!(linked.evidence, [ev.id]);
        let err = db.link_task_evidence(snv.id, ev.id, &a).await.unwrap_err();
        assert!(matches!(err, Error::Duplicate { .. }), "{err:?}");
        let err = db.link_task_evidence(stp.id, ev.id, &a).await.unwrap_err();
        assert_eq!(fields(&err), ["evidence"]);
        db.remove_evidence(ev.id, &a).await.unwrap();
        assert!(db.task(snv.id).await.unwrap().evidence.is_empty());
    })
    .await;
}

#[tokio::test]
async fn next_years_review_compares_the_planned_sub_criteria() {
    each_backend(async |t| {
        let db = &t.db;
        seed_open(db).await;
        let a = by("admin");
        db.save_self_assessment(&EntryKey::new(2019, "SNV", "1.1.3"), 0, "0.5", "", &a)
            .await
            .unwrap();
        let t1 = db
            .add_task(
                2019,
                "SNV",
                &task("Chấm lại", &["1.1.3", "1.1.1"], "2020-03-31"),
                &a,
            )
            .await
            .unwrap();
        db.set_task_status(t1.id, t1.version, Status::Done, &a)
            .await
            .unwrap();
        let t2 = db
            .add_task(2019, "SNV", &task("Bỏ", &["1.1.2"], "2020-03-31"), &a)
            .await
            .unwrap();
        db.set_task_status(t2.id, t2.version, Status::Dropped, &a)
            .await
            .unwrap();
        // Before next year's round: no verdict yet.
        let review = db.plan_review(2019, "SNV").await.unwrap();
        assert_eq!(
            review.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(),
            ["1.1.1", "1.1.3"]
        );
        assert!(
            review
                .iter()
                .all(|l| l.after.is_none() && l.improved().is_none())
        );
        assert_eq!(review[1].before, Some("0.5".parse().unwrap()));

        db.create_round(2020, "Năm 2020", &a).await.unwrap();
        db.put_criteria_set(2020, "test.set.toml", SMALL_SET, &a)
            .await
            .unwrap();
        db.open_round(2020, &a).await.unwrap();
        let s = db.sheet(2020, "SNV").await.unwrap();
        db.transition(2020, "SNV", s.version, SheetState::SelfAssessing, &a)
            .await
            .unwrap();
        db.save_self_assessment(&EntryKey::new(2020, "SNV", "1.1.3"), 0, "1.5", "", &a)
            .await
            .unwrap();
        db.save_self_assessment(&EntryKey::new(2020, "SNV", "1.1.1"), 0, "không", "", &a)
            .await
            .unwrap();
        let review = db.plan_review(2019, "SNV").await.unwrap();
        assert_eq!(review[1].after, Some("1.5".parse().unwrap()));
        assert_eq!(review[1].improved(), Some(true));
        assert!(review[1].done);
        assert_eq!(review[1].tasks, [t1.id]);
        assert_eq!(review[0].improved(), Some(false));
    })
    .await;
}
