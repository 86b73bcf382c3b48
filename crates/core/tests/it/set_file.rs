//! Loading criteria sets: every error names the file, line, node and problem, all at once.

use crate::common::{MINI, mini};
use parindex_core::set::parse_set;

fn problems(text: &str) -> Vec<(Option<usize>, Option<String>, String)> {
    match parse_set("bad.set.toml", text) {
        Ok(_) => panic!("expected errors"),
        Err(p) => p
            .iter()
            .map(|p| (p.location.line, p.location.node.clone(), p.en.clone()))
            .collect(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_mini_set_loads_with_its_shape() {
    let set = mini();
    let shape = set.shape();
    assert_eq!((shape.areas, shape.criteria, shape.sub_criteria), (2, 3, 9));
    assert_eq!(shape.total, crate::common::d("20"));
    assert_eq!(set.leaves().len(), 9);
}

#[test]
fn parent_sum_mismatch_names_the_parent_line() {
    let text = MINI.replace(
        "code = \"1.1.1\"\ntitle = \"Có kế hoạch\"\nmax = 1",
        "code = \"1.1.1\"\ntitle = \"Có kế hoạch\"\nmax = 1.5",
    );
    let found = problems(&text);
    let line = line_of(&text, "code = \"1.1\"");
    assert!(
        found.iter().any(|(l, n, m)| *l == Some(line)
            && n.as_deref() == Some("1.1")
            && m.contains("differs from the sum")),
        "{found:?}"
    );
    // A second, unrelated error is reported in the same pass.
    let text = text.replace("year = 2019", "year = 1899");
    let found = problems(&text);
    assert!(
        found.iter().any(|(_, _, m)| m.contains("year 1899")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(_, n, _)| n.as_deref() == Some("1.1")),
        "{found:?}"
    );
}

#[test]
fn duplicate_codes_and_bad_codes() {
    let text = MINI
        .replace("code = \"2.1.2\"", "code = \"2.1.1\"")
        .replace("code = \"1.2.4\"", "code = \"1.02.4\"");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("2.1.1") && m.contains("duplicated")),
        "{found:?}"
    );
    let bad_line = line_of(&text, "1.02.4");
    assert!(
        found
            .iter()
            .any(|(l, _, m)| *l == Some(bad_line) && m.contains("not well formed")),
        "{found:?}"
    );
}

#[test]
fn band_gaps_and_overlaps() {
    let gap = MINI.replace(
        "{ min = 70, max = 90, max_inclusive = true, points = 1 }",
        "{ min = 70, max = 90, max_inclusive = false, points = 1 }",
    );
    let found = problems(&gap);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("1.1.3") && m.contains("gap")),
        "{found:?}"
    );
    let overlap = MINI.replace(
        "{ max = 70, points = 0 }",
        "{ max = 70, max_inclusive = true, points = 0 }",
    );
    let found = problems(&overlap);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("1.1.3") && m.contains("overlap")),
        "{found:?}"
    );
    let too_many_points = MINI.replace(
        "{ min = 90, min_inclusive = false, points = 2 }",
        "{ min = 90, min_inclusive = false, points = 3 }",
    );
    let found = problems(&too_many_points);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("1.1.3") && m.contains("band points 3")),
        "{found:?}"
    );
}

#[test]
fn rule_parameters_must_fit_the_maximum() {
    let text = MINI
        .replace(
            "{ type = \"timeliness\", late = 0.5 }",
            "{ type = \"timeliness\", late = 1.5 }",
        )
        .replace("each = 0.5", "each = 0");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("1.1.2") && m.contains("late points 1.5")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("1.2.2") && m.contains("per item")),
        "{found:?}"
    );
}

#[test]
fn classes_must_be_ordered_and_reach_zero() {
    let text = MINI
        .replace("label = \"Khá\"\nmin = 70", "label = \"Khá\"\nmin = 85")
        .replace("label = \"Yếu\"\nmin = 0", "label = \"Yếu\"\nmin = 10");
    let found = problems(&text);
    assert!(
        found.iter().any(|(l, _, m)| m.contains("class \"Khá\"")
            && *l == Some(line_of(&text, "label = \"Khá\"") - 1)),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(_, _, m)| m.contains("must admit 0")),
        "{found:?}"
    );
}

#[test]
fn malformed_toml_and_unknown_fields_have_lines() {
    let text = MINI.replace("max = 8\n", "max = 8\nmaxx = 3\n");
    let found = problems(&text);
    assert_eq!(found.len(), 1);
    assert!(found[0].2.contains("maxx"), "{found:?}");
    assert!(found[0].0.is_some());
    let found = problems("[set\ncode = 1");
    assert_eq!(found[0].0, Some(1));
    let found =
        problems(&MINI.replace("{ type = \"binary\" }", "{ type = \"binary\", points = 2 }"));
    assert!(found[0].2.contains("points"), "{found:?}");
    let found = problems(&MINI.replace(
        "{ type = \"manual\" }",
        "{ type = \"manual\", note = \"x\" }",
    ));
    assert!(found[0].2.contains("note"), "{found:?}");
    let found = problems(&MINI.replace("type = \"manual\"", "type = \"guess\""));
    assert!(found[0].2.contains("guess"), "{found:?}");
}

#[test]
fn leaves_need_rules_and_only_leaves_have_them() {
    let text = MINI.replace("rule = { type = \"manual\" }", "");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("2.1.2") && m.contains("no rule")),
        "{found:?}"
    );
    let orphan = format!(
        "{MINI}\n[[node]]\ncode = \"3.1.1\"\ntitle = \"Mồ côi\"\nmax = 1\nrule = {{ type = \"binary\" }}\n"
    );
    let found = problems(&orphan);
    assert!(
        found
            .iter()
            .any(|(_, n, m)| n.as_deref() == Some("3.1.1") && m.contains("parent 3.1")),
        "{found:?}"
    );
}

#[test]
fn messages_exist_in_vietnamese() {
    let err = parse_set("bad.set.toml", &MINI.replace("each = 0.5", "each = 0")).unwrap_err();
    let rendered = err.render(parindex_core::locale::Locale::Vi);
    assert!(rendered.contains("bad.set.toml:"), "{rendered}");
    assert!(rendered.contains("mục 1.2.2"), "{rendered}");
    assert!(rendered.contains("điểm mỗi mục"), "{rendered}");
}

#[test]
fn bundled_sets_load_and_the_department_set_has_the_source_shape() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sets");
    let mut loaded = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".set.toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let set = parse_set(&path.display().to_string(), &text).unwrap_or_else(|p| panic!("{p}"));
        loaded += 1;
        if set.code == "so-2019" {
            let shape = set.shape();
            assert_eq!(
                (shape.areas, shape.criteria, shape.sub_criteria),
                (9, 38, 58)
            );
            assert_eq!(shape.total, crate::common::d("100"));
            let mut types: Vec<&str> = set
                .nodes
                .iter()
                .filter_map(|n| n.rule.as_ref())
                .map(|r| r.type_name())
                .collect();
            types.sort();
            types.dedup();
            assert_eq!(types.len(), 9, "every rule type is used: {types:?}");
            assert!(
                set.nodes.iter().any(|n| n.allow_na),
                "some sub-criterion may be not applicable"
            );
        }
    }
    assert!(loaded >= 2);
}
