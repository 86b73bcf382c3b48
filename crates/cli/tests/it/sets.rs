//! `parindex sets …` on the bundled sets.

use crate::support::{parindex, root, set_path, write};

#[test]
fn bundled_department_set_has_the_source_documents_shape() {
    let run = parindex(&["sets", "show", &set_path("so-2019.set.toml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("9 lĩnh vực, 38 tiêu chí, 58 tiêu chí thành phần, tổng 100 điểm"),
        "{}",
        run.stdout
    );
    let run = parindex(&[
        "--locale",
        "en",
        "sets",
        "show",
        &set_path("so-2019.set.toml"),
    ]);
    assert!(
        run.stdout
            .contains("9 areas, 38 criteria, 58 sub-criteria, 100 points in total"),
        "{}",
        run.stdout
    );
}

#[test]
fn every_bundled_set_checks() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("sets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "two criteria sets and three questionnaires: {files:?}"
    );
    let mut args = vec!["sets", "check"];
    args.extend(files.iter().map(String::as_str));
    let run = parindex(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), files.len());
}

#[test]
fn check_lists_every_error_of_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap();
    let bad = good.replacen("year = 2019", "year = 19", 1).replacen(
        "code = \"1.1.1\"",
        "code = \"1.1.x\"",
        1,
    );
    let bad_path = write(dir.path(), "bad.set.toml", &bad);
    let broken_path = write(dir.path(), "broken.set.toml", "[set\n");
    let run = parindex(&[
        "sets",
        "check",
        &set_path("so-2019.set.toml"),
        &bad_path,
        &broken_path,
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("bad.set.toml:"), "{}", run.stderr);
    assert!(run.stderr.contains("năm 19 không hợp lệ"), "{}", run.stderr);
    assert!(run.stderr.contains("1.1.x"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.set.toml:1"), "{}", run.stderr);
    assert!(
        run.stdout.contains("so-2019.set.toml: hợp lệ"),
        "{}",
        run.stdout
    );
}

#[test]
fn xlsx_export_then_import_gives_the_same_set() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("so.xlsx").display().to_string();
    let back = dir.path().join("so-back.set.toml").display().to_string();
    let run = parindex(&[
        "sets",
        "export",
        &set_path("so-2019.set.toml"),
        "--xlsx",
        &xlsx,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = parindex(&["sets", "import", &xlsx, "--out", &back]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let original = parindex_core::set::parse_set(
        "a",
        &std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap(),
    )
    .unwrap();
    let imported =
        parindex_core::set::parse_set("a", &std::fs::read_to_string(&back).unwrap()).unwrap();
    let strip = |s: parindex_core::set::CriteriaSet| {
        let mut p = s.to_parts();
        p.source.clear();
        p.nodes.iter_mut().for_each(|n| n.line = 0);
        p
    };
    assert_eq!(strip(original), strip(imported));
}

#[test]
fn questionnaires_show_their_items_per_element() {
    for (file, line) in [
        (
            "sipas-2017-22.survey.toml",
            "5 yếu tố, 22 tiêu chí (4 + 5 + 6 + 3 + 4)",
        ),
        ("sipas-tinh-25.survey.toml", "5 yếu tố, 25 tiêu chí"),
        (
            "sipas-2022-19.survey.toml",
            "5 yếu tố, 19 tiêu chí (4 + 4 + 5 + 3 + 3)",
        ),
    ] {
        let run = parindex(&["sets", "show", &set_path(file)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(line), "{file}: {}", run.stdout);
    }
}
