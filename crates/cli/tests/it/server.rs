//! The commands around the server's database: demo, audit verify (and its failure after a
//! byte of one entry is changed directly in the database), users, backup and restore, export.

use crate::support::parindex;

fn data_args(dir: &std::path::Path) -> Vec<String> {
    vec!["--data-dir".into(), dir.display().to_string()]
}

fn run(args: &[&str], dir: &std::path::Path) -> crate::support::Run {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(data_args(dir));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    parindex(&refs)
}

#[test]
fn demo_then_audit_verify_detects_one_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let demo = run(&["demo"], dir.path());
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    assert!(
        demo.stdout.contains("sonoivu") && demo.stdout.contains("demo-sonoivu"),
        "{}",
        demo.stdout
    );
    let ok = run(&["--locale", "en", "audit", "verify"], dir.path());
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("The audit log is intact"),
        "{}",
        ok.stdout
    );

    // Change one byte of one entry behind the application's back (the append-only trigger is
    // dropped first, as an attacker with database access could).
    let url = format!("sqlite:{}", dir.path().join("parindex.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = parindex_store::Db::open(&url).await.unwrap();
        db.execute_raw("DROP TRIGGER audit_log_no_update")
            .await
            .unwrap();
        db.execute_raw("UPDATE audit_log SET actor = 'sonoivx' WHERE seq = 40")
            .await
            .unwrap();
        db.close().await;
    });
    let broken = run(&["--locale", "en", "audit", "verify"], dir.path());
    assert_eq!(broken.code, 1, "{}", broken.stdout);
    assert!(
        broken.stderr.contains("40"),
        "the broken entry is named: {}",
        broken.stderr
    );

    // A second demo refuses to load into a database that has data.
    let again = run(&["demo"], dir.path());
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("cơ sở dữ liệu đã có dữ liệu"),
        "{}",
        again.stderr
    );
}

#[test]
fn users_backup_restore_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let add = run(
        &[
            "users",
            "add",
            "thuky",
            "--role",
            "secretariat",
            "--name",
            "Thư ký Sở Nội vụ",
        ],
        dir.path(),
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(
        add.stdout.contains("Mật khẩu: "),
        "a generated password is printed: {}",
        add.stdout
    );
    let bad_role = run(&["users", "add", "x", "--role", "admin"], dir.path());
    assert_eq!(bad_role.code, 1);
    assert!(
        bad_role.stderr.contains("vai trò \"admin\" không có"),
        "{}",
        bad_role.stderr
    );
    let dup = run(&["users", "add", "thuky", "--role", "leader"], dir.path());
    assert_eq!(
        dup.code, 1,
        "a duplicate username is refused: {}",
        dup.stdout
    );
    let list = run(&["users", "list"], dir.path());
    assert!(list.stdout.contains("Thư ký Sở Nội vụ"), "{}", list.stdout);

    let backup_dir = dir.path().join("backup");
    let b = run(&["backup", &backup_dir.display().to_string()], dir.path());
    assert_eq!(b.code, 0, "{}", b.stderr);
    let other = tempfile::tempdir().unwrap();
    let r = run(
        &["restore", &backup_dir.display().to_string()],
        other.path(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list = run(&["users", "list"], other.path());
    assert!(list.stdout.contains("Thư ký Sở Nội vụ"), "{}", list.stdout);
    let again = run(
        &["restore", &backup_dir.display().to_string()],
        other.path(),
    );
    assert_eq!(again.code, 1, "restore needs an empty database");

    let out = dir.path().join("r.csv");
    let none = run(
        &[
            "export",
            "results",
            "--year",
            "2019",
            "--format",
            "csv",
            "--out",
            &out.display().to_string(),
        ],
        dir.path(),
    );
    assert_eq!(none.code, 1);
    assert!(!out.exists(), "nothing is written on failure");
}

#[test]
fn plans_commands_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = run(&["plans", "set-status", "1", "finished"], dir.path());
    assert_eq!(bad.code, 1, "{}", bad.stdout);
    assert!(
        bad.stderr.contains("trạng thái \"finished\" không có"),
        "{}",
        bad.stderr
    );
    let none = run(&["--locale", "en", "plans", "list", "2019"], dir.path());
    assert_eq!(none.code, 1, "{}", none.stdout);
    assert!(
        none.stderr.contains("round \"2019\" not found"),
        "{}",
        none.stderr
    );
    let task = run(
        &[
            "plans",
            "add",
            "2019",
            "skhcn",
            "--remedy",
            "x",
            "--code",
            "1.1.1",
            "--division",
            "VP",
            "--owner",
            "An",
            "--deadline",
            "2020-03-31",
        ],
        dir.path(),
    );
    assert_eq!(task.code, 1, "{}", task.stdout);
    assert!(task.stderr.contains("2019"), "{}", task.stderr);
}
