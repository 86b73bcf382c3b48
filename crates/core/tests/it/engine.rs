//! The rules and the engine on hand-checked cases.

use crate::common::{d, declared, mini, score};
use parindex_core::engine::score_unit;
use parindex_core::ranking::{Previous, rank};
use parindex_core::rules::Score;

// Columns of mini.set.toml in leaf order:
// 1.1.1 binary, 1.1.2 timeliness, 1.1.3 bands, 1.2.1 proportional (na ok), 1.2.2 per_item,
// 1.2.3 graded, 1.2.4 deduction (na ok), 2.1.1 survey, 2.1.2 manual.

#[test]
fn every_rule_type_scores_as_documented() {
    let set = mini();
    let s = score(
        &set,
        &declared(
            "A",
            "so",
            &[
                "có", "tre_han", "90", "45/90", "2", "tot", "nhe=1", "90,81", "1.5",
            ],
        ),
    );
    let leaf = |code: &str| {
        let i = set.node_index(code).unwrap();
        s.node_points[i]
    };
    assert_eq!(leaf("1.1.1"), d("1"));
    assert_eq!(leaf("1.1.2"), d("0.5"));
    assert_eq!(leaf("1.1.3"), d("1"), "90 is in the inclusive 70–90 band");
    assert_eq!(leaf("1.2.1"), d("1"), "2 × 50 %");
    assert_eq!(leaf("1.2.2"), d("1"));
    assert_eq!(leaf("1.2.3"), d("1.125"));
    assert_eq!(leaf("1.2.4"), d("0.5"));
    assert_eq!(leaf("2.1.1"), d("7.2648"));
    assert_eq!(leaf("2.1.2"), d("1.5"));
    assert_eq!(s.survey, d("7.2648"));
    assert_eq!(s.direct, d("7.625"));
    assert_eq!(s.max, d("20"));
    assert_eq!(s.node_points[set.node_index("1.1").unwrap()], d("2.5"));
}

#[test]
fn band_boundaries_follow_inclusivity() {
    let set = mini();
    let band = |v: &str| {
        let s = score(
            &set,
            &declared("A", "so", &["", "", v, "", "", "", "", "", ""]),
        );
        s.node_points[set.node_index("1.1.3").unwrap()]
    };
    assert_eq!(band("90.01"), d("2"));
    assert_eq!(band("90"), d("1"));
    assert_eq!(band("70"), d("1"));
    assert_eq!(band("69.99"), d("0"));
    assert_eq!(band("100"), d("2"));
    assert_eq!(band("0"), d("0"));
}

#[test]
fn proportional_floor_per_item_cap_and_deduction_floor() {
    let set = mini();
    let s = score(
        &set,
        &declared(
            "A",
            "so",
            &["", "", "", "29", "10", "", "nang=1; nhe=3", "", ""],
        ),
    );
    assert_eq!(
        s.node_points[set.node_index("1.2.1").unwrap()],
        d("0"),
        "under the 30 % floor"
    );
    assert_eq!(
        s.node_points[set.node_index("1.2.2").unwrap()],
        d("1.5"),
        "capped at the maximum"
    );
    assert_eq!(
        s.node_points[set.node_index("1.2.4").unwrap()],
        d("0"),
        "never below zero"
    );
}

#[test]
fn not_applicable_leaves_the_units_maximum() {
    let set = mini();
    let s = score(
        &set,
        &declared(
            "A",
            "so",
            &[
                "có",
                "dung_han",
                "95",
                "KAD",
                "3",
                "xuat_sac",
                "không áp dụng",
                "100",
                "2",
            ],
        ),
    );
    assert_eq!(s.max, d("17"));
    assert_eq!(s.total, d("17"));
    assert_eq!(s.leaf_scores[3], Score::NotApplicable);
    let r = rank(&set, &[s], &[]);
    assert_eq!(r.groups[0].units[0].percent, d("100"));
}

#[test]
fn per_level_maxima_apply() {
    let set = mini();
    let s = score(
        &set,
        &declared("H", "huyen", &["", "", "", "", "9", "xuat_sac", "", "", ""]),
    );
    assert_eq!(s.node_points[set.node_index("1.2.2").unwrap()], d("1"));
    assert_eq!(s.node_points[set.node_index("1.2.3").unwrap()], d("2"));
    assert_eq!(s.max, d("20"));
}

#[test]
fn bonus_and_penalty_are_capped() {
    let set = mini();
    let mut input = declared("A", "so", &["có", "", "", "", "", "", "", "", ""]);
    input.bonus = d("3");
    input.penalty = d("0.25");
    let s = score(&set, &input);
    assert_eq!(s.bonus, d("1"));
    assert_eq!(s.penalty, d("0.25"));
    assert_eq!(s.total, d("1.75"));
}

#[test]
fn bad_declarations_name_the_sub_criterion() {
    let set = mini();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["maybe", "", "", "", "", "", "", "", ""],
            "1.1.1",
            "yes/no",
        ),
        (
            &["", "soon", "", "", "", "", "", "", ""],
            "1.1.2",
            "on_time",
        ),
        (&["", "", "101", "", "", "", "", "", ""], "1.1.3", "outside"),
        (
            &["", "", "", "5/4", "", "", "", "", ""],
            "1.2.1",
            "numerator exceeds",
        ),
        (
            &["", "", "", "1/0", "", "", "", "", ""],
            "1.2.1",
            "denominator",
        ),
        (
            &["", "", "", "", "-1", "", "", "", ""],
            "1.2.2",
            "whole number",
        ),
        (
            &["", "", "", "", "1.5", "", "", "", ""],
            "1.2.2",
            "whole number",
        ),
        (
            &["", "", "", "", "", "gioi", "", "", ""],
            "1.2.3",
            "none of the levels",
        ),
        (
            &["", "", "", "", "", "", "2", "", ""],
            "1.2.4",
            "count per kind",
        ),
        (
            &["", "", "", "", "", "", "", "120", ""],
            "2.1.1",
            "between 0 and 100",
        ),
        (
            &["", "", "", "", "", "", "", "", "2.5"],
            "2.1.2",
            "between 0 and 2",
        ),
        (
            &["na", "", "", "", "", "", "", "", ""],
            "1.1.1",
            "not applicable",
        ),
    ];
    for (values, code, fragment) in cases {
        let err = score_unit(&set, &declared("A", "so", values)).unwrap_err();
        let p = err.iter().next().unwrap();
        assert_eq!(p.location.node.as_deref(), Some(*code), "{values:?}");
        assert!(p.en.contains(fragment), "{values:?}: {}", p.en);
        assert!(!p.vi.is_empty());
    }
    let err = score_unit(&set, &declared("A", "nope", &[""; 9])).unwrap_err();
    assert!(
        err.iter()
            .any(|p| p.location.field.as_deref() == Some("group"))
    );
    let err = score_unit(&set, &declared("A", "so", &[""; 3])).unwrap_err();
    assert!(err.to_string().contains("9 declared values are needed"));
}

#[test]
fn change_against_previous_year() {
    let set = mini();
    let a = score(
        &set,
        &declared(
            "A",
            "so",
            &[
                "có", "dung_han", "95", "100", "3", "xuat_sac", "0", "100", "2",
            ],
        ),
    );
    let b = score(
        &set,
        &declared("B", "so", &["có", "", "", "", "", "", "", "", ""]),
    );
    let prev = vec![
        Previous {
            unit: "A".into(),
            total: d("15"),
            rank: 2,
        },
        Previous {
            unit: "B".into(),
            total: d("2"),
            rank: 1,
        },
    ];
    let r = rank(&set, &[a, b], &prev);
    let units = &r.groups[0].units;
    assert_eq!(units[0].unit, "A");
    assert_eq!(units[0].delta_total, Some(d("5")));
    assert_eq!(units[0].delta_rank, Some(1));
    assert_eq!(units[1].delta_rank, Some(-1));
    assert_eq!(units[1].delta_total, Some(d("-1")));
}

#[test]
fn decided_points_score_like_the_declarations_that_gave_them() {
    use parindex_core::engine::UnitData;
    let set = mini();
    let from_declared = score(
        &set,
        &declared(
            "A",
            "so",
            &[
                "có", "tre_han", "90", "KAD", "2", "tot", "nhe=1", "90,81", "1.5",
            ],
        ),
    );
    let mut input = declared("A", "so", &[""; 9]);
    input.data = UnitData::Points(from_declared.leaf_scores.clone());
    let from_points = score(&set, &input);
    assert_eq!(from_points.total, from_declared.total);
    assert_eq!(from_points.max, from_declared.max);
    assert_eq!(from_points.node_points, from_declared.node_points);

    let mut over = from_declared.leaf_scores.clone();
    over[0] = Score::Points(d("1.5"));
    input.data = UnitData::Points(over);
    let err = score_unit(&set, &input).unwrap_err();
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
    let mut na = from_declared.leaf_scores.clone();
    na[0] = Score::NotApplicable;
    input.data = UnitData::Points(na);
    assert!(
        score_unit(&set, &input)
            .unwrap_err()
            .to_string()
            .contains("not applicable")
    );
}
