//! The improvement planner and what-if on hand-checked cases.

use crate::common::{d, declared, mini, score};
use parindex_core::analysis::planner::{Outcome, PlanOptions, Target, plan, what_if};
use parindex_core::engine::{UnitData, UnitInput};
use parindex_core::set::{CriteriaSet, parse_set};

/// Ten points over one area, one sub-criterion per planner-relevant rule:
///
/// | code  | rule                         | max  | ladder                |
/// |-------|------------------------------|------|-----------------------|
/// | 1.1.1 | timeliness, late 0.5         | 1    | 0 → 0.5 → 1           |
/// | 1.1.2 | binary                       | 0.75 | 0 → 0.75              |
/// | 1.1.3 | bands >90: 2, 70–90: 1       | 2    | 0 → 1 → 2             |
/// | 1.1.4 | per item 0.5                 | 1.5  | 0 → 0.5 → 1 → 1.5     |
/// | 1.1.5 | graded 100/75/50/0 %         | 2    | 0 → 1 → 1.5 → 2       |
/// | 1.1.6 | proportional, floor 50 %     | 1    | 0, then 0.5 … 1       |
/// | 1.1.7 | manual                       | 0.75 | 0 … 0.75              |
/// | 1.1.8 | survey                       | 1    | max × rate            |
const PLAN_SET: &str = r#"
[set]
code = "plan"
title = "Bộ thử kế hoạch"
year = 2020
total = 10
levels = ["so"]
[[group]]
code = "so"
name = "Sở"
[classes]
basis = "percent"
[[classes.class]]
label = "Xuất sắc"
min = 90
[[classes.class]]
label = "Tốt"
min = 80
[[classes.class]]
label = "Khá"
min = 0
[[node]]
code = "1"
title = "Lĩnh vực"
max = 10
[[node]]
code = "1.1"
title = "Tiêu chí"
max = 10
[[node]]
code = "1.1.1"
title = "Ban hành kịp thời"
max = 1
rule = { type = "timeliness", late = 0.5 }
[[node]]
code = "1.1.2"
title = "Có kế hoạch"
max = 0.75
rule = { type = "binary" }
[[node]]
code = "1.1.3"
title = "Tỷ lệ hoàn thành"
max = 2
rule = { type = "bands", bands = [
  { min = 90, min_inclusive = false, points = 2 },
  { min = 70, max = 90, max_inclusive = true, points = 1 },
  { max = 70, points = 0 },
] }
[[node]]
code = "1.1.4"
title = "Sáng kiến"
max = 1.5
rule = { type = "per_item", each = 0.5 }
[[node]]
code = "1.1.5"
title = "Mức độ hoàn thành"
max = 2
rule = { type = "graded", levels = [
  { key = "xuat_sac", share = 1 },
  { key = "tot", share = 0.75 },
  { key = "hoan_thanh", share = 0.5 },
  { key = "khong", share = 0 },
] }
[[node]]
code = "1.1.6"
title = "Tỷ lệ kiểm tra"
max = 1
rule = { type = "proportional", floor = 50 }
[[node]]
code = "1.1.7"
title = "Hội đồng chấm"
max = 0.75
rule = { type = "manual" }
[[node]]
code = "1.1.8"
title = "Khảo sát"
max = 1
rule = { type = "survey", indicator = "sipas" }
"#;

fn set() -> CriteriaSet {
    parse_set("plan.set.toml", PLAN_SET).unwrap_or_else(|p| panic!("{p}"))
}

/// Everything at its maximum unless overridden.
fn unit(name: &str, overrides: &[(usize, &str)]) -> UnitInput {
    let mut v = [
        "dung_han", "có", "95", "3", "xuat_sac", "100", "0.75", "100",
    ];
    for &(i, val) in overrides {
        v[i] = val;
    }
    declared(name, "so", &v)
}

fn codes(p: &parindex_core::analysis::planner::Plan) -> Vec<(&str, &str)> {
    p.changes
        .iter()
        .map(|c| (c.code.as_str(), c.to_declared.as_str()))
        .collect()
}

fn efforts(pairs: &[(&str, u32)]) -> PlanOptions {
    PlanOptions {
        effort: pairs.iter().map(|(c, e)| (c.to_string(), *e)).collect(),
        ..Default::default()
    }
}

#[test]
fn the_biggest_single_step_first_is_not_the_smallest_plan() {
    // 1.1.1 at 0 (ladder 0 → 0.5 → 1) and 1.1.2 at 0 (binary 0.75); total 8.25; target 9.25,
    // so 1.0 is needed.
    // Greedy by the biggest single step: 1.1.2 (+0.75, the biggest rung on offer), then 0.25
    // is still missing, so one rung of 1.1.1 (+0.5): two sub-criteria, 9.5 points.
    // Exact: 1.1.1's ladder climbed twice gives +1.0 on its own: one sub-criterion, 9.25.
    let s = set();
    let a = unit("A", &[(0, "khong"), (1, "không")]);
    assert_eq!(score(&s, &a).total, d("8.25"));
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("9.25")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(p.outcome, Outcome::Reached);
    assert_eq!(codes(&p), vec![("1.1.1", "dung_han")]);
    assert_eq!(p.changes[0].steps, 2);
    assert_eq!(p.effort, 2);
    assert_eq!(p.gain, d("1"));
    assert_eq!(p.after.total, d("9.25"));
    // 9.245 already publishes as 9.25 (two decimals, half up), so 0.995 is what is needed.
    assert_eq!(p.requirement.gain_needed, d("0.995"));
}

#[test]
fn among_the_fewest_changes_the_least_effort_wins_over_the_largest_gains() {
    // At 0: 1.1.2 (binary 0.75), 1.1.3 (bands 0/1/2), 1.1.4 (per item 0/0.5/1/1.5), 1.1.5
    // (graded 0/1/1.5/2). Others at max: 1 + 1 + 0.75 + 1 = 3.75. Target 6.75: 3 needed.
    // Largest gains 2, 2, 1.5, 0.75: one sub-criterion cannot do it, two can: k = 2.
    // Effort per rung: 1.1.3 → 5, 1.1.4 → 2, 1.1.5 → 1.
    // Two-sub-criterion plans reaching 3:
    //   1.1.3 +1 (5) & 1.1.5 +2 (3)        effort 8   ← the two largest items, cheapest mix
    //   1.1.3 +2 (10) & 1.1.5 +1 (1)       effort 11
    //   1.1.3 +2 (10) & 1.1.4 +1 (4)       effort 14
    //   1.1.4 +1 (4) & 1.1.5 +2 (3)        effort 7   ← best
    //   1.1.4 +1.5 (6) & 1.1.5 +1.5 (2)    effort 8
    //   1.1.2 with anything: at most 0.75 + 2 < 3.
    let s = set();
    let a = unit("A", &[(1, "không"), (2, "50"), (3, "0"), (4, "khong")]);
    assert_eq!(score(&s, &a).total, d("3.75"));
    let opts = efforts(&[("1.1.3", 5), ("1.1.4", 2), ("1.1.5", 1)]);
    let p = plan(&s, &a, &[], Target::Points(d("6.75")), &opts).unwrap();
    assert_eq!(p.outcome, Outcome::Reached);
    assert_eq!(codes(&p), vec![("1.1.4", "2"), ("1.1.5", "xuat_sac")]);
    assert_eq!(p.effort, 7);
    assert_eq!(p.gain, d("3"));
    assert_eq!(p.after.total, d("6.75"));
}

#[test]
fn at_equal_effort_the_plan_needing_fewer_points_wins() {
    // Need 0.6 from 8.25 (1.1.1 and 1.1.2 at 0). One sub-criterion suffices: 1.1.1 to on time
    // (+1, 2 rungs × effort 1 = 2) or 1.1.2 (+0.75, 1 rung × effort 2 = 2). Equal effort: the
    // smaller gain, 1.1.2, wins (the biggest gain would be 1.1.1).
    let s = set();
    let a = unit("A", &[(0, "khong"), (1, "không")]);
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("8.85")),
        &efforts(&[("1.1.2", 2)]),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.2", "có")]);
    assert_eq!(p.gain, d("0.75"));
    // With 1.1.2 dearer, the ladder wins again.
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("8.85")),
        &efforts(&[("1.1.2", 3)]),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.1", "dung_han")]);
}

#[test]
fn bands_jump_at_their_thresholds() {
    // 1.1.3 at 50 (0 points), everything else at max: 8. Need 1.5: the band above 90 (its
    // lower bound is exclusive, so the plan declares 90.01) rather than the 70–90 band.
    let s = set();
    let a = unit("A", &[(2, "50")]);
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("9.5")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.3", "90.01")]);
    assert_eq!(p.changes[0].steps, 2);
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("8.5")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.3", "70")]);
}

#[test]
fn continuous_rules_give_the_least_sufficient_amount_above_their_floor() {
    // 1.1.6 at 20 % (below the 50 % floor: 0 points); total 9.
    let s = set();
    let a = unit("A", &[(5, "20")]);
    // 0.3 needed, but the floor means 0.5 at least: declare 50 %.
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("9.3")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.6", "50")]);
    assert_eq!(p.changes[0].to_points, d("0.5"));
    // 9.73 published: 9.725 suffices (half up to two decimals), so 0.725 is needed: 72.5 %.
    let p = plan(
        &s,
        &a,
        &[],
        Target::Points(d("9.73")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.6", "72.5")]);
    assert_eq!(p.after.total, d("9.73"));
    // Manual points: 1.1.7 at 0.2 (total 9.45); 9.8 published needs 9.795: 0.345 more → 0.545.
    let b = unit("B", &[(6, "0.2")]);
    let p = plan(
        &s,
        &b,
        &[],
        Target::Points(d("9.8")),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(codes(&p), vec![("1.1.7", "0.545")]);
    assert_eq!(p.after.total, d("9.8"));
}

#[test]
fn survey_points_need_an_allowed_survey_gain() {
    // Survey result 80 % → 0.8 points; total 9.8; target 9.9 published needs 9.895: +0.095,
    // i.e. a survey result of 89.5 %.
    let s = set();
    let a = unit("A", &[(7, "80")]);
    let target = Target::Points(d("9.9"));
    let p = plan(&s, &a, &[], target, &PlanOptions::default()).unwrap();
    assert_eq!(p.outcome, Outcome::Unreachable);
    assert_eq!(p.after.total, d("9.8"));
    assert!(p.message.en.contains("unreachable") && p.message.vi.contains("Không thể"));

    let mut opts = PlanOptions::default();
    opts.survey_gain.insert("1.1.8".into(), d("5"));
    let p = plan(&s, &a, &[], target, &opts).unwrap();
    assert_eq!(
        p.outcome,
        Outcome::Unreachable,
        "+5 survey points give only 0.05"
    );
    assert_eq!(p.after.total, d("9.85"), "the best reachable");
    assert_eq!(codes(&p), vec![("1.1.8", "85")]);

    opts.survey_gain.insert("1.1.8".into(), d("12"));
    let p = plan(&s, &a, &[], target, &opts).unwrap();
    assert_eq!(p.outcome, Outcome::Reached);
    assert_eq!(codes(&p), vec![("1.1.8", "89.5")]);
    assert_eq!(p.after.total, d("9.9"));
}

#[test]
fn rank_and_class_targets_use_the_published_values_of_the_others() {
    let s = set();
    let others = vec![
        score(&s, &unit("B", &[(2, "80")])), // 9.00 → 90.00 %
        score(&s, &unit("C", &[(2, "80"), (1, "không"), (6, "0.5")])), // 8.00 → 80.00 %
    ];
    // A: 8.25 → 82.50 %, rank 2 of 3, class Tốt.
    let a = unit("A", &[(0, "khong"), (1, "không")]);
    let p = plan(&s, &a, &others, Target::Rank(1), &PlanOptions::default()).unwrap();
    assert_eq!(p.before.rank, 2);
    // Rank 1 needs 90.00 % published: 89.995 % unrounded (half-up), i.e. 8.9995 points.
    assert_eq!(p.requirement.published_at_least, d("90"));
    assert_eq!(p.requirement.total_at_least, d("8.9995"));
    assert!(!p.requirement.strict);
    // 0.7495 needed: 1.1.2 (+0.75, effort 1) beats 1.1.1 (+1, effort 2). Tied with B: rank 1.
    assert_eq!(codes(&p), vec![("1.1.2", "có")]);
    assert_eq!((p.after.rank, p.after.of), (1, 3));
    // The class above Tốt is Xuất sắc (≥ 90 %): the same requirement.
    let next = Target::next_class(p.before.class).unwrap();
    assert_eq!(next, Target::Class(0));
    let q = plan(&s, &a, &others, next, &PlanOptions::default()).unwrap();
    assert_eq!(q.requirement, p.requirement);
    assert_eq!(q.after.class_label.as_deref(), Some("Xuất sắc"));
    // Already there.
    let r = plan(&s, &a, &others, Target::Rank(2), &PlanOptions::default()).unwrap();
    assert_eq!(r.outcome, Outcome::AlreadyMet);
    assert!(r.changes.is_empty());
}

#[test]
fn bankers_rounding_can_make_the_boundary_strict() {
    let mut parts = set().to_parts();
    parts.scoring.rounding = parindex_core::num::Rounding::HalfEven;
    parts.classes.classes[1].min = d("89.99");
    let s = CriteriaSet::from_parts(parts).unwrap();
    let a = unit("A", &[(0, "khong"), (1, "không")]);
    // 89.99 % published: 89.985 rounds to 89.98 (even), so only values above 89.985 do.
    let p = plan(&s, &a, &[], Target::Class(1), &PlanOptions::default()).unwrap();
    assert_eq!(p.requirement.total_at_least, d("8.9985"));
    assert!(p.requirement.strict);
}

#[test]
fn what_if_moves_total_rank_and_class() {
    let s = mini();
    let a = declared(
        "A",
        "so",
        &[
            "có", "tre_han", "90", "45/90", "2", "tot", "nhe=1", "90,81", "1.5",
        ],
    );
    let b = score(
        &s,
        &declared(
            "B",
            "so",
            &[
                "có", "dung_han", "90", "45/90", "2", "tot", "nhe=1", "90,81", "1.5",
            ],
        ),
    );
    let w = what_if(
        &s,
        &a,
        &[("1.1.2".into(), "dung_han".into())],
        std::slice::from_ref(&b),
    )
    .unwrap();
    assert_eq!(w.before.total, d("14.89"));
    assert_eq!(w.after.total, d("15.39"));
    assert_eq!((w.before.rank, w.after.rank), (2, 1));
    assert_eq!(w.score.total, b.total);
    let w = what_if(&s, &a, &[("1.2.1".into(), "90/90".into())], &[b]).unwrap();
    assert_eq!(w.after.total, d("15.89"));
    assert_eq!(w.after.rank, 1);
    assert!(what_if(&s, &a, &[("9.9.9".into(), "x".into())], &[]).is_err());
}

#[test]
fn the_planned_declarations_really_reach_the_target() {
    // Many targets on a unit starting low: every reached plan re-scores to the target, and no
    // plan with fewer changes exists (checked against the largest gains).
    let s = set();
    let a = unit(
        "A",
        &[
            (0, "khong"),
            (1, "không"),
            (2, "10"),
            (3, "0"),
            (4, "khong"),
            (5, "0"),
            (6, "0"),
        ],
    );
    assert_eq!(score(&s, &a).total, d("1"));
    let bests = [
        d("1"),
        d("2"),
        d("2"),
        d("1.5"),
        d("1"),
        d("0.75"),
        d("0.75"),
    ];
    for tenths in 11..=100 {
        let target = d(&format!("{}", tenths as f64 / 10.0));
        let p = plan(&s, &a, &[], Target::Points(target), &PlanOptions::default()).unwrap();
        let need = target - d("1");
        let mut sorted = bests.to_vec();
        sorted.sort_by(|x, y| y.cmp(x));
        let mut k = 0;
        let mut acc = d("0");
        while acc < need && k < sorted.len() {
            acc += sorted[k];
            k += 1;
        }
        if acc >= need {
            assert_eq!(p.outcome, Outcome::Reached, "target {target}");
            assert_eq!(p.changes.len(), k, "target {target}");
            assert!(p.after.total >= target, "target {target}");
        } else {
            assert_eq!(p.outcome, Outcome::Unreachable, "target {target}");
            assert_eq!(p.after.total, d("10"));
        }
    }
}

#[test]
fn appraised_points_are_the_baseline_and_a_new_declaration_lifts_them() {
    // Everything declared at its maximum (10 points), but the appraisers gave 1.1.2 (binary,
    // declared "có", max 0.75) 0 and 1.1.3 (bands, declared 95 → 2) only 1: the sheet says
    // 10 − 0.75 − 1 = 8.25.
    let s = set();
    let declared_only = unit("A", &[]);
    let mut pins = vec![None; 8];
    pins[1] = Some(d("0"));
    pins[2] = Some(d("1"));
    let appraised = UnitInput {
        data: UnitData::Appraised {
            declared: match &declared_only.data {
                UnitData::Declared(v) => v.clone(),
                _ => unreachable!(),
            },
            points: pins,
        },
        ..declared_only.clone()
    };
    assert_eq!(score(&s, &declared_only).total, d("10"));
    assert_eq!(score(&s, &appraised).total, d("8.25"));

    // Target 9 points: from the declared data it is already met, which is the optimism this
    // guards against; from the appraised points 0.745 is needed (8.995 publishes as 9.00 with
    // two decimals). Both pinned sub-criteria can
    // give it in one change of effort 1 (1.1.2: 0 → 0.75; 1.1.3: 1 → 2), and the least gain
    // wins: 1.1.2, declared "có" again, measured from the appraised 0.
    let t = Target::Points(d("9"));
    let opts = PlanOptions::default();
    let p = plan(&s, &declared_only, &[], t, &opts).unwrap();
    assert_eq!(p.outcome, Outcome::AlreadyMet);
    let p = plan(&s, &appraised, &[], t, &opts).unwrap();
    assert_eq!(p.outcome, Outcome::Reached);
    assert_eq!(p.before.total, d("8.25"));
    assert_eq!(p.requirement.gain_needed, d("0.745"));
    assert_eq!(codes(&p), vec![("1.1.2", "có")]);
    assert_eq!(
        (p.changes[0].from_points, p.changes[0].to_points),
        (d("0"), d("0.75"))
    );
    assert_eq!(p.after.total, d("9"));

    // What-if: re-declaring the pinned 1.1.3 scores the declaration (+1); changing another
    // sub-criterion keeps both pins (1.1.4: 3 items → 2, −0.5).
    let w = what_if(&s, &appraised, &[("1.1.3".into(), "95".into())], &[]).unwrap();
    assert_eq!((w.before.total, w.after.total), (d("8.25"), d("9.25")));
    let w = what_if(&s, &appraised, &[("1.1.4".into(), "2".into())], &[]).unwrap();
    assert_eq!(w.after.total, d("7.75"));
}

#[test]
fn appraised_data_with_uneven_vectors_is_refused() {
    let s = set();
    let a = unit("A", &[]);
    let bad = UnitInput {
        data: UnitData::Appraised {
            declared: vec!["có".into(); 8],
            points: vec![None; 7],
        },
        ..a
    };
    let e = parindex_core::engine::score_unit(&s, &bad).unwrap_err();
    assert!(e.to_string().contains("8"), "{e}");
}
