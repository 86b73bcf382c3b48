//! Survey statistics: intervals that cover the truth at their nominal rate when a respondent's
//! answers are correlated, exact merging of running statistics, and survey rankings.

use parindex_core::survey_stats::{
    ElementTally, Estimate, ItemCounts, Measure, SmallSample, UnitStats, rank_estimates,
    significantly_different, slovin,
};

/// SplitMix64 for reproducible simulations.
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

const ITEMS_PER_ELEMENT: [usize; 5] = [4, 5, 6, 3, 4];

/// True satisfaction probability of each item, element by element.
fn true_rates() -> Vec<Vec<f64>> {
    let mut k = 0;
    ITEMS_PER_ELEMENT
        .iter()
        .map(|&m| {
            (0..m)
                .map(|_| {
                    k += 1;
                    0.72 + 0.22 * ((k * 7) % 11) as f64 / 10.0
                })
                .collect()
        })
        .collect()
}

/// One respondent: a shared draw makes their answers correlated (with probability `shared` an
/// item is decided by the respondent's own disposition, otherwise independently); either way
/// each item is satisfied with exactly its true probability. 5 % of answers are missing.
fn respond(rates: &[Vec<f64>], shared: f64, rng: &mut Rng) -> (Vec<ElementTally>, Vec<Vec<u8>>) {
    let disposition = rng.unit();
    let mut tallies = Vec::new();
    let mut answers = Vec::new();
    for element in rates {
        let mut t = ElementTally::default();
        let mut a = Vec::new();
        for &p in element {
            let u = if rng.unit() < shared {
                disposition
            } else {
                rng.unit()
            };
            let answer = if rng.unit() < 0.05 {
                0
            } else if u < p {
                if rng.unit() < 0.4 { 5 } else { 4 }
            } else {
                1 + (rng.unit() * 3.0) as u8
            };
            t.add(answer);
            a.push(answer);
        }
        tallies.push(t);
        answers.push(a);
    }
    (tallies, answers)
}

fn survey(rates: &[Vec<f64>], n: usize, shared: f64, rng: &mut Rng) -> UnitStats {
    let mut stats = UnitStats::new(rates.len());
    for _ in 0..n {
        stats.add(&respond(rates, shared, rng).0);
    }
    stats
}

#[test]
fn intervals_cover_the_truth_at_95_percent_with_correlated_answers() {
    let rates = true_rates();
    let element_truth: Vec<f64> = rates
        .iter()
        .map(|e| 100.0 * e.iter().sum::<f64>() / e.len() as f64)
        .collect();
    let overall_truth = element_truth.iter().sum::<f64>() / element_truth.len() as f64;
    let mut rng = Rng(20191231);
    let (mut overall_hits, mut element_hits, mut naive_hits) = (0, 0, 0);
    let runs = 1000;
    for _ in 0..runs {
        let stats = survey(&rates, 250, 0.6, &mut rng);
        let o = stats.overall(None, Measure::Satisfied);
        if o.lo <= overall_truth && overall_truth <= o.hi {
            overall_hits += 1;
        }
        let e = stats.element(2, Measure::Satisfied);
        if e.lo <= element_truth[2] && element_truth[2] <= e.hi {
            element_hits += 1;
        }
        // A naive interval that treats every answer as independent ignores the correlation.
        let valid: f64 = (0..5).map(|k| stats.sums[4 * k + 3] as f64).sum();
        let p = o.value / 100.0;
        let half = 100.0 * 1.96 * (p * (1.0 - p) / valid).sqrt();
        if (o.value - half..=o.value + half).contains(&overall_truth) {
            naive_hits += 1;
        }
    }
    let rate = |hits: i32| 100.0 * hits as f64 / runs as f64;
    eprintln!(
        "coverage over {runs} surveys: overall {:.1} %, element 3 {:.1} %, naive {:.1} %",
        rate(overall_hits),
        rate(element_hits),
        rate(naive_hits)
    );
    assert!(
        (93.5..=96.5).contains(&rate(overall_hits)),
        "overall coverage {}",
        rate(overall_hits)
    );
    assert!(
        (93.5..=96.5).contains(&rate(element_hits)),
        "element coverage {}",
        rate(element_hits)
    );
    assert!(
        rate(naive_hits) < 85.0,
        "the naive interval should undercover: {}",
        rate(naive_hits)
    );
}

#[test]
fn running_statistics_merge_exactly_and_match_raw_recompute() {
    let rates = true_rates();
    let mut rng = Rng(7);
    let mut raw = Vec::new();
    for _ in 0..300 {
        raw.push(respond(&rates, 0.5, &mut rng).0);
    }
    let mut whole = UnitStats::new(5);
    raw.iter().for_each(|t| whole.add(t));
    let mut batched = UnitStats::new(5);
    for chunk in raw.chunks(37) {
        let mut batch = UnitStats::new(5);
        chunk.iter().for_each(|t| batch.add(t));
        batched.merge(&batch);
    }
    assert_eq!(whole, batched);
    assert_eq!(whole.respondents, 300);
}

#[test]
fn element_index_equals_pooled_item_counts() {
    let rates = true_rates();
    let mut rng = Rng(11);
    let mut stats = UnitStats::new(5);
    let mut items: Vec<ItemCounts> = vec![ItemCounts::default(); 6];
    for _ in 0..400 {
        let (t, answers) = respond(&rates, 0.3, &mut rng);
        stats.add(&t);
        for (j, a) in answers[2].iter().enumerate() {
            items[j].add(*a);
        }
    }
    for measure in [Measure::Satisfied, Measure::TopBox, Measure::MeanScore] {
        let numerator: f64 = items
            .iter()
            .map(|c| match measure {
                Measure::Satisfied => (c.0[4] + c.0[5]) as f64,
                Measure::TopBox => c.0[5] as f64,
                Measure::MeanScore => (1..=5).map(|k| k as f64 * c.0[k] as f64).sum::<f64>() / 5.0,
            })
            .sum();
        let valid: f64 = items.iter().map(|c| c.valid() as f64).sum();
        let e = stats.element(2, measure);
        assert!(
            (e.value - 100.0 * numerator / valid).abs() < 1e-9,
            "{measure:?}"
        );
        assert!(e.lo < e.value && e.value < e.hi);
    }
    let item = items[0].estimate(Measure::Satisfied);
    assert!(item.lo < item.value && item.value < item.hi && item.n == items[0].valid());
}

#[test]
fn larger_samples_give_narrower_intervals_and_small_ones_are_flagged() {
    let rates = true_rates();
    let mut rng = Rng(3);
    let small = survey(&rates, 40, 0.6, &mut rng).overall(None, Measure::Satisfied);
    let large = survey(&rates, 2000, 0.6, &mut rng).overall(None, Measure::Satisfied);
    assert!(large.half_width() < small.half_width() / 4.0);
    let flag = SmallSample::default();
    assert!(flag.flags(&small));
    assert!(!flag.flags(&large));
}

#[test]
fn survey_ranking_marks_neighbours_that_cannot_be_told_apart() {
    let e = |value: f64, se: f64| Estimate {
        value,
        se,
        lo: value - 1.96 * se,
        hi: value + 1.96 * se,
        n: 250,
    };
    let units = vec![
        ("Sở Tài chính".to_string(), e(95.0, 0.5)),
        ("Sở Xây dựng".to_string(), e(91.2, 1.0)),
        ("Sở Khoa học và Công nghệ".to_string(), e(90.81, 1.0)),
        ("Sở Y tế".to_string(), e(85.0, 1.0)),
    ];
    let ranked = rank_estimates(&units);
    assert_eq!(
        ranked.iter().map(|r| r.rank).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(!ranked[0].same_as_next);
    assert!(
        ranked[1].same_as_next,
        "91.2 ± 1 and 90.81 ± 1 are not different"
    );
    assert!(!ranked[2].same_as_next);
    assert_eq!((ranked[2].best_rank, ranked[2].worst_rank), (2, 3));
    assert_eq!((ranked[0].best_rank, ranked[0].worst_rank), (1, 1));
    assert!(significantly_different(&units[0].1, &units[3].1));
}

#[test]
fn slovin_sample_sizes() {
    assert_eq!(slovin(10_000, 0.05), 385);
    assert_eq!(slovin(100, 0.05), 80);
    assert_eq!(slovin(0, 0.05), 0);
}
