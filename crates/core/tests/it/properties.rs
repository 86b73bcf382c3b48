//! Property tests: points never exceed maxima; ranks are deterministic, share ties per the
//! method, and never fall when a unit's own score rises.

use crate::common::{d, declared, mini, parts, parts_set, score};
use parindex_core::engine::score_unit;
use parindex_core::ranking::{rank, ranks};
use parindex_core::set::RankMethod;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn declared_value() -> impl Strategy<Value = [String; 9]> {
    (
        prop::sample::select(vec!["có", "không", "", "x"]),
        prop::sample::select(vec!["dung_han", "tre_han", "khong", ""]),
        0u32..=10_000,
        (0u32..=100, 1u32..=100, any::<bool>()),
        0u32..=20,
        prop::sample::select(vec!["xuat_sac", "tot", "hoan_thanh", "khong", ""]),
        (0u32..4, 0u32..4, any::<bool>()),
        0u32..=10_000,
        0u32..=200,
    )
        .prop_map(
            |(b, t, band, (num, den, na), items, grade, (nhe, nang, na2), survey, manual)| {
                let ratio = if na {
                    "na".to_string()
                } else {
                    format!("{}/{}", num.min(den), den)
                };
                let deduction = if na2 {
                    "kad".to_string()
                } else {
                    format!("nhe={nhe}; nang={nang}")
                };
                [
                    b.to_string(),
                    t.to_string(),
                    (Decimal::from(band) / Decimal::from(100)).to_string(),
                    ratio,
                    items.to_string(),
                    grade.to_string(),
                    deduction,
                    (Decimal::from(survey) / Decimal::from(100)).to_string(),
                    (Decimal::from(manual) / Decimal::from(100)).to_string(),
                ]
            },
        )
}

proptest! {
    #[test]
    fn points_never_exceed_their_maximum(values in declared_value(), level in prop::sample::select(vec!["so", "huyen"]), bonus in 0u32..300, penalty in 0u32..300) {
        let set = mini();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let mut input = declared("A", level, &refs);
        input.bonus = Decimal::from(bonus) / Decimal::from(100);
        input.penalty = Decimal::from(penalty) / Decimal::from(100);
        let s = score_unit(&set, &input).unwrap();
        for (i, node) in set.nodes.iter().enumerate() {
            prop_assert!(s.node_points[i] >= Decimal::ZERO);
            prop_assert!(s.node_points[i] <= s.node_max[i], "{} {} > {}", node.code, s.node_points[i], s.node_max[i]);
            prop_assert!(s.node_max[i] <= node.max_for(Some(level)));
        }
        prop_assert!(s.direct + s.survey <= s.max);
        prop_assert!(s.max <= set.total);
        prop_assert!(s.total <= s.max + set.bonus_max);
        prop_assert!(s.total >= Decimal::ZERO);
    }

    #[test]
    fn ranks_share_ties_per_method(values in prop::collection::vec(0u32..50, 1..40)) {
        let values: Vec<Decimal> = values.into_iter().map(Decimal::from).collect();
        let comp = ranks(&values, RankMethod::Competition);
        let dense = ranks(&values, RankMethod::Dense);
        for (i, v) in values.iter().enumerate() {
            let better = values.iter().filter(|w| *w > v).count() as u32;
            let mut distinct_better: Vec<&Decimal> = values.iter().filter(|w| *w > v).collect();
            distinct_better.sort();
            distinct_better.dedup();
            prop_assert_eq!(comp[i], better + 1);
            prop_assert_eq!(dense[i], distinct_better.len() as u32 + 1);
            for (j, w) in values.iter().enumerate() {
                if v == w {
                    prop_assert_eq!(comp[i], comp[j]);
                    prop_assert_eq!(dense[i], dense[j]);
                }
            }
        }
    }

    #[test]
    fn ranking_is_a_function_of_the_scores_not_their_order(
        totals in prop::collection::vec((0u32..6000, 0u32..4000), 2..30),
        seed in any::<u64>(),
        dense in any::<bool>(),
    ) {
        let set = parts_set(if dense { "dense" } else { "competition" });
        let scores: Vec<_> = totals.iter().enumerate()
            .map(|(i, (a, b))| score(&set, &parts(&format!("U{i}"), Decimal::from(*a) / Decimal::from(100), Decimal::from(*b) / Decimal::from(100))))
            .collect();
        let mut shuffled = scores.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = rank(&set, &scores, &[]);
        let b = rank(&set, &shuffled, &[]);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn raising_a_score_never_lowers_its_own_rank(
        totals in prop::collection::vec(0u32..10_000, 2..30),
        who in any::<prop::sample::Index>(),
        raise in 1u32..2_000,
        dense in any::<bool>(),
    ) {
        let set = parts_set(if dense { "dense" } else { "competition" });
        let who = who.index(totals.len());
        let build = |extra: u32| -> Vec<_> {
            totals.iter().enumerate().map(|(i, t)| {
                let t = if i == who { (t + extra).min(10_000) } else { *t };
                score(&set, &parts(&format!("U{i}"), Decimal::from(t) / Decimal::from(100), d("0")))
            }).collect()
        };
        let rank_of = |scores: &[_]| rank(&set, scores, &[]).groups[0].units.iter().find(|u| u.unit == format!("U{who}")).unwrap().rank;
        let before = rank_of(&build(0));
        let after = rank_of(&build(raise));
        prop_assert!(after <= before, "rank went from {before} to {after}");
    }
}
