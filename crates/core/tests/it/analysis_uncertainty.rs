//! The Monte Carlo of ranks: reproducible from its seed, sensitive to sample size, and equal to
//! the deterministic ranking when nothing is uncertain.

use crate::common::{d, declared, mini, score};
use parindex_core::analysis::uncertainty::{
    McSettings, McUnit, SurveyEstimate, simulate, simulate_portable,
};
use parindex_core::engine::UnitScore;
use parindex_core::ranking::rank;
use parindex_core::set::CriteriaSet;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Nine departments of the mini set, close together, differing in a few sub-criteria and in
/// their survey result; two of them (E and F) identical; I without 1.2.1 (not applicable, so
/// its maximum is 18).
fn units() -> Vec<(&'static str, [&'static str; 9])> {
    vec![
        (
            "A",
            [
                "có", "dung_han", "95", "90/90", "3", "xuat_sac", "0", "91", "2",
            ],
        ),
        (
            "B",
            [
                "có", "tre_han", "95", "90/90", "3", "xuat_sac", "0", "92", "2",
            ],
        ),
        (
            "C",
            [
                "có", "dung_han", "80", "90/90", "3", "xuat_sac", "0", "93", "2",
            ],
        ),
        (
            "D",
            [
                "có", "dung_han", "95", "60/90", "3", "tot", "0", "90", "1.5",
            ],
        ),
        (
            "E",
            [
                "có", "dung_han", "95", "90/90", "2", "xuat_sac", "0", "89", "2",
            ],
        ),
        (
            "F",
            [
                "có", "dung_han", "95", "90/90", "2", "xuat_sac", "0", "89", "2",
            ],
        ),
        (
            "G",
            [
                "không", "dung_han", "95", "90/90", "3", "xuat_sac", "0", "88", "2",
            ],
        ),
        (
            "H",
            [
                "có",
                "khong",
                "50",
                "40/90",
                "1",
                "hoan_thanh",
                "nhe=1",
                "70",
                "1",
            ],
        ),
    ]
}

fn scored(set: &CriteriaSet) -> Vec<(UnitScore, Decimal)> {
    units()
        .into_iter()
        .map(|(u, v)| (score(set, &declared(u, "so", &v)), d(v[7])))
        .collect()
}

fn mc_units(set: &CriteriaSet, se: impl Fn(&str) -> SurveyEstimate) -> Vec<McUnit> {
    scored(set)
        .iter()
        .map(|(s, _)| {
            let est = BTreeMap::from([("sipas.overall".to_string(), se(&s.unit))]);
            McUnit::from_score(set, s, &est).unwrap()
        })
        .collect()
}

fn rate_of(unit: &str) -> Decimal {
    d(units().into_iter().find(|(u, _)| *u == unit).unwrap().1[7])
}

#[test]
fn same_seed_same_results_whatever_the_threads() {
    let set = mini();
    let mc = mc_units(&set, |u| SurveyEstimate::Rate {
        rate: rate_of(u),
        se: d("2"),
    });
    let settings = McSettings {
        replicates: 3000,
        seed: 20200608,
        weight_jitter: 0.1,
        class_minima: vec![vec![d("92"), d("82"), d("72"), d("52"), d("0")]],
        threads: 1,
    };
    let one = simulate(&set, &mc, &settings).unwrap();
    let two = simulate(
        &set,
        &mc,
        &McSettings {
            threads: 2,
            ..settings.clone()
        },
    )
    .unwrap();
    let again = simulate(&set, &mc, &settings).unwrap();
    assert_eq!(one, two);
    assert_eq!(one, again);
    assert_eq!(one.seed, 20200608);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    let other = simulate(
        &set,
        &mc,
        &McSettings {
            seed: 1,
            ..settings
        },
    )
    .unwrap();
    assert_ne!(one.units, other.units, "another seed draws otherwise");
    for u in &one.units {
        assert_eq!(u.rank_histogram.iter().sum::<u32>(), 3000);
        let p: f64 = u.class_probability.iter().sum();
        assert!((p - 1.0).abs() < 1e-9);
        assert!(u.rank_p05 <= u.median_rank && u.median_rank <= u.rank_p95);
    }
}

#[test]
fn a_larger_survey_sample_narrows_the_rank_interval() {
    let set = mini();
    // Unit C with 40 respondents per element, then with 4000; the others with 250.
    let counts = |n: u64, rate: Decimal| {
        let s = (rate / Decimal::ONE_HUNDRED * Decimal::from(n)).round();
        SurveyEstimate::Counts {
            elements: vec![(s.to_string().parse().unwrap(), n); 5],
        }
    };
    let run = |n_c: u64| {
        let mc = mc_units(&set, |u| {
            counts(if u == "C" { n_c } else { 250 }, rate_of(u))
        });
        let settings = McSettings {
            replicates: 4000,
            seed: 7,
            ..McSettings::default()
        };
        let r = simulate(&set, &mc, &settings).unwrap();
        let c = r.units.iter().find(|u| u.unit == "C").unwrap().clone();
        (c.rank_p95 - c.rank_p05, c)
    };
    let (small, cs) = run(40);
    let (large, cl) = run(4000);
    assert!(
        large < small,
        "n = 4000 gives a width of {large}, n = 40 gives {small} ({cs:?} / {cl:?})"
    );
}

#[test]
fn without_uncertainty_every_replicate_is_the_deterministic_ranking() {
    let set = mini();
    let scores: Vec<UnitScore> = scored(&set).into_iter().map(|(s, _)| s).collect();
    let mc = mc_units(&set, |u| SurveyEstimate::Rate {
        rate: rate_of(u),
        se: Decimal::ZERO,
    });
    let settings = McSettings {
        replicates: 2500,
        seed: 3,
        ..McSettings::default()
    };
    let r = simulate(&set, &mc, &settings).unwrap();
    let published = rank(&set, &scores, &[]);
    let group = &published.groups[0];
    for u in &r.units {
        let p = group.units.iter().find(|p| p.unit == u.unit).unwrap();
        assert_eq!(u.rank, p.rank, "{}", u.unit);
        assert_eq!(u.class, p.class, "{}", u.unit);
        assert_eq!(u.total, p.total, "{}", u.unit);
        assert_eq!(
            (u.rank_p05, u.median_rank, u.rank_p95),
            (p.rank, p.rank, p.rank)
        );
        assert_eq!(u.rank_histogram[p.rank as usize - 1], 2500);
        assert_eq!(u.class_probability[p.class.unwrap()], 1.0);
    }
    // E and F are identical: tied in every replicate, hence indistinct; no other pair is.
    assert_eq!(r.indistinct, vec![vec!["E".to_string(), "F".to_string()]]);
    assert!(
        r.adjacent
            .iter()
            .all(|p| p.indistinct == (p.above == "E" && p.below == "F"))
    );
}

#[test]
fn class_thresholds_and_weights_move_classes() {
    let set = mini();
    let mc = mc_units(&set, |u| SurveyEstimate::Rate {
        rate: rate_of(u),
        se: Decimal::ZERO,
    });
    // H sits at 51.19 %: Trung bình under the set's minima; with Trung bình from 60, Yếu half
    // the time.
    let settings = McSettings {
        replicates: 2000,
        seed: 11,
        class_minima: vec![vec![d("90"), d("80"), d("70"), d("60"), d("0")]],
        ..McSettings::default()
    };
    let r = simulate(&set, &mc, &settings).unwrap();
    let h = r.units.iter().find(|u| u.unit == "H").unwrap();
    assert_eq!(h.class, Some(3));
    assert!(
        (h.class_probability[3] - 0.5).abs() < 0.05,
        "{:?}",
        h.class_probability
    );
    assert!((h.class_probability[4] - 0.5).abs() < 0.05);
    // Bad settings are refused.
    let bad = McSettings {
        class_minima: vec![vec![d("90")]],
        ..settings.clone()
    };
    assert!(simulate(&set, &mc, &bad).is_err());
    let bad = McSettings {
        replicates: 0,
        ..settings
    };
    assert!(simulate(&set, &mc, &bad).is_err());
}

#[test]
fn the_generator_is_rand_chachas_chacha8_bit_for_bit() {
    use rand::{Rng, SeedableRng};
    for (seed, stream) in [(0u64, 0u64), (20200608, 3), (u64::MAX, 9)] {
        let mut ours = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        ours.set_stream(stream);
        let mut theirs = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        theirs.set_stream(stream);
        for _ in 0..1000 {
            assert_eq!(ours.next_u64(), theirs.next_u64());
        }
    }
}

#[test]
fn counts_give_the_mean_rate_and_a_standard_error_shrinking_with_n() {
    let small = SurveyEstimate::Counts {
        elements: vec![(90, 100); 5],
    };
    let large = SurveyEstimate::Counts {
        elements: vec![(900, 1000); 5],
    };
    let (r, se_small) = small.rate_and_se();
    assert_eq!(r, d("90"));
    let (_, se_large) = large.rate_and_se();
    // √(p̃(1 − p̃)/n)/√5 in percentage points, p̃ = (s + ½)/(n + 1): about 1.365 and 0.425.
    assert!((se_small - 1.365).abs() < 0.001, "{se_small}");
    assert!((se_large - 0.425).abs() < 0.001, "{se_large}");
    let rate = SurveyEstimate::Rate {
        rate: d("88.5"),
        se: d("1.5"),
    };
    assert_eq!(rate.rate_and_se(), (d("88.5"), 1.5));
}

#[test]
fn every_ranking_path_reproduces_the_deterministic_ranking() {
    // Dense ranks (sorted path), banker's and downward rounding and a points basis (general
    // key path), with the weights perturbed by nothing: each replicate must be the published
    // ranking, exactly.
    use parindex_core::num::Rounding;
    use parindex_core::set::{Basis, RankMethod};
    for (method, rounding, basis) in [
        (RankMethod::Dense, Rounding::HalfUp, Basis::Percent),
        (RankMethod::Competition, Rounding::HalfEven, Basis::Percent),
        (RankMethod::Competition, Rounding::Down, Basis::Percent),
        (RankMethod::Competition, Rounding::HalfUp, Basis::Points),
        (RankMethod::Dense, Rounding::HalfEven, Basis::Points),
    ] {
        let mut set = mini();
        set.scoring.rank_method = method;
        set.scoring.rounding = rounding;
        set.scoring.rank_basis = basis;
        set.classes.basis = basis;
        let scores: Vec<UnitScore> = scored(&set).into_iter().map(|(s, _)| s).collect();
        let mc = mc_units(&set, |u| SurveyEstimate::Rate {
            rate: rate_of(u),
            se: Decimal::ZERO,
        });
        let r = simulate(
            &set,
            &mc,
            &McSettings {
                replicates: 1500,
                seed: 5,
                ..McSettings::default()
            },
        )
        .unwrap();
        let published = rank(&set, &scores, &[]);
        for u in &r.units {
            let p = published.groups[0]
                .units
                .iter()
                .find(|p| p.unit == u.unit)
                .unwrap();
            let what = format!("{method:?} {rounding:?} {basis:?} {}", u.unit);
            assert_eq!(u.rank, p.rank, "{what}");
            assert_eq!(u.rank_histogram[p.rank as usize - 1], 1500, "{what}");
            assert_eq!(u.class, p.class, "{what}");
            assert_eq!(u.class_probability[p.class.unwrap()], 1.0, "{what}");
        }
    }
}

#[test]
fn class_minima_that_are_not_in_order_still_take_the_first_class_admitted() {
    // An alternative whose fourth minimum (95) is above the third: a unit takes the first class
    // whose minimum it reaches, so H (51.19 %) is Yếu under it and Trung bình otherwise.
    let set = mini();
    let mc = mc_units(&set, |u| SurveyEstimate::Rate {
        rate: rate_of(u),
        se: Decimal::ZERO,
    });
    let settings = McSettings {
        replicates: 2000,
        seed: 11,
        class_minima: vec![vec![d("90"), d("80"), d("70"), d("95"), d("0")]],
        ..McSettings::default()
    };
    let r = simulate(&set, &mc, &settings).unwrap();
    let h = r.units.iter().find(|u| u.unit == "H").unwrap();
    assert!(
        (h.class_probability[3] - 0.5).abs() < 0.05,
        "{:?}",
        h.class_probability
    );
    assert!((h.class_probability[4] - 0.5).abs() < 0.05);
    for u in &r.units {
        let p: f64 = u.class_probability.iter().sum();
        assert!((p - 1.0).abs() < 1e-9);
    }
}

#[test]
fn a_large_uncertain_group_agrees_between_thread_counts_and_with_its_histograms() {
    // 60 units close together with large standard errors: replicates where units swap far
    // from their deterministic place take the sorting path; the results still add up.
    let set = mini();
    let base = scored(&set);
    let mut mc = Vec::new();
    for i in 0..60 {
        let (s, rate) = &base[i % base.len()];
        let mut s = s.clone();
        s.unit = format!("{}{i:02}", s.unit);
        let est = BTreeMap::from([(
            "sipas.overall".to_string(),
            SurveyEstimate::Rate {
                rate: *rate - Decimal::from(i as i64 % 7),
                se: d("6"),
            },
        )]);
        mc.push(McUnit::from_score(&set, &s, &est).unwrap());
    }
    let settings = McSettings {
        replicates: 3000,
        seed: 99,
        weight_jitter: 0.2,
        threads: 1,
        ..McSettings::default()
    };
    let one = simulate(&set, &mc, &settings).unwrap();
    let two = simulate(
        &set,
        &mc,
        &McSettings {
            threads: 2,
            ..settings
        },
    )
    .unwrap();
    assert_eq!(one, two);
    for u in &one.units {
        assert_eq!(u.rank_histogram.iter().sum::<u32>(), 3000);
    }
    // Every replicate's ranks are a competition ranking of 60 units: the histogram of rank r,
    // summed over units, counts ties, so rank 1 appears at least once per replicate.
    let firsts: u32 = one.units.iter().map(|u| u.rank_histogram[0]).sum();
    assert!(firsts >= 3000);
}

#[test]
fn the_kernel_the_cpu_selects_gives_the_portable_kernels_results() {
    // 75 units (several blocks of 8, a partial last one) from the eight patterns above with
    // their own survey rates and errors, so ranks move, keys tie and classes change.
    let set = mini();
    let patterns = units();
    let mc: Vec<McUnit> = (0..75)
        .map(|i| {
            let (_, v) = &patterns[i % patterns.len()];
            let s = score(&set, &declared(&format!("U{i:02}"), "so", v));
            let est = BTreeMap::from([(
                "sipas.overall".to_string(),
                SurveyEstimate::Rate {
                    rate: Decimal::from(60 + (i * 7) % 40),
                    se: Decimal::from(1 + i % 3),
                },
            )]);
            McUnit::from_score(&set, &s, &est).unwrap()
        })
        .collect();
    for (jitter, minima) in [
        (0.1, vec![vec![d("92"), d("82"), d("72"), d("52"), d("0")]]),
        (0.0, Vec::new()),
    ] {
        let settings = McSettings {
            replicates: 2500,
            seed: 7,
            weight_jitter: jitter,
            class_minima: minima,
            threads: 1,
        };
        let selected = simulate(&set, &mc, &settings).unwrap();
        let portable = simulate_portable(&set, &mc, &settings).unwrap();
        assert_eq!(selected, portable, "jitter {jitter}");
        assert!(
            selected.units.iter().any(|u| u.rank_p05 < u.rank_p95),
            "the ranks do move"
        );
    }
}
