//! How sure a rank is: a Monte Carlo over the survey's sampling error and over methodology
//! choices (area weights within ±x %, alternative class thresholds), giving per unit its median
//! rank, 5–95 % rank interval and the probability of each class, and the blocks of units that
//! cannot be told apart. Every result carries the seed it was drawn with, so anyone can
//! reproduce it exactly.
//!
//! Points are exact decimals everywhere else; here, inside the simulation only, they are `f64`.
//! The deterministic ranking reported beside the simulated one is computed with decimals.
//!
//! Reproducibility: replicates are drawn in blocks of [`BLOCK`]; block `b` uses ChaCha8 seeded
//! with `seed` (`SeedableRng::seed_from_u64`) on stream `b`, read as 32-bit words (the
//! private `draw` module says how words become uniforms, integers and normals). The generator is
//! rand 0.10's `rngs::ChaCha8Rng` (the `chacha20` crate, which picks SIMD code at run time); its
//! output is bit-for-bit that of `rand_chacha::ChaCha8Rng`, which a test checks. Within a
//! replicate the draws come in a fixed order: the area weights (one 53-bit uniform per area, when
//! weights are perturbed), the class thresholds (one integer, when alternatives are given), then
//! the normals of the survey parts: for each survey-derived sub-criterion in code order, the
//! units that have it in deterministic rank order (ties in the order given), as one batch (the
//! first word of every draw, then the further words of the draws that need them). Results are
//! integer counts summed over blocks, so they are identical whatever the number of threads.
//!
//! Speed (see docs/analysis.md): everything is flattened once into arrays by deterministic rank
//! position; a replicate draws its normals in bulk (branch-free fast path of the ziggurat), sums
//! weighted area points for blocks of units in registers, rounds to grid keys without the
//! saturating float conversion, counts classes cumulatively, and ranks by counting within a
//! window of the deterministic order, verified, with a sort as the fallback: all exact. The
//! block loop is compiled for the baseline, AVX2 and AVX-512, and the best copy the CPU can run
//! is picked at run time; all give the same results.

use super::Text;
use crate::diag::{Location, Problem, Problems};
use crate::engine::UnitScore;
use crate::num::Rounding;
use crate::ranking::ranks;
use crate::rules::Rule;
use crate::set::{Basis, CriteriaSet, RankMethod};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod draw;

/// Replicates per random stream.
pub const BLOCK: u32 = 1024;

/// What the survey says about one indicator of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SurveyEstimate {
    /// Per element, (respondents satisfied, respondents with a valid answer); the indicator is
    /// the mean of the element rates. Its standard error treats the elements as independent
    /// samples, `√(Σ p̃(1−p̃)/n) / E` with `p̃ = (s + ½)/(n + 1)` so that a rate of 0 or 100 %
    /// still has some error. One respondent answers every element, so elements are positively
    /// correlated and this understates the error: prefer `Rate` with a design-based standard
    /// error where the survey statistics provide one.
    Counts { elements: Vec<(u64, u64)> },
    /// A rate in percent (as declared, e.g. 90.81) and its standard error in percentage points.
    Rate { rate: Decimal, se: Decimal },
}

impl SurveyEstimate {
    /// The rate (percent) and its standard error (percentage points).
    pub fn rate_and_se(&self) -> (Decimal, f64) {
        match self {
            SurveyEstimate::Rate { rate, se } => (*rate, se.to_f64().unwrap_or(0.0)),
            SurveyEstimate::Counts { elements } => {
                let valid: Vec<&(u64, u64)> = elements.iter().filter(|(_, n)| *n > 0).collect();
                if valid.is_empty() {
                    return (Decimal::ZERO, 0.0);
                }
                let e = Decimal::from(valid.len());
                let rate: Decimal = valid
                    .iter()
                    .map(|&&(s, n)| Decimal::from(s.min(n)) / Decimal::from(n))
                    .sum::<Decimal>()
                    * Decimal::ONE_HUNDRED
                    / e;
                let var: f64 = valid
                    .iter()
                    .map(|&&(s, n)| {
                        let p = (s.min(n) as f64 + 0.5) / (n as f64 + 1.0);
                        p * (1.0 - p) / n as f64
                    })
                    .sum();
                (rate, 100.0 * var.sqrt() / valid.len() as f64)
            }
        }
    }
}

/// A survey-derived sub-criterion of one unit: `max × clamp((rate − from)/(to − from), 0, 1)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyPart {
    pub code: String,
    /// Position of its area among the set's areas.
    pub area: usize,
    pub max: Decimal,
    pub from: Decimal,
    pub to: Decimal,
    pub estimate: SurveyEstimate,
}

impl SurveyPart {
    fn points(&self, rate: Decimal) -> Decimal {
        self.max * ((rate - self.from) / (self.to - self.from)).clamp(Decimal::ZERO, Decimal::ONE)
    }
}

/// One unit as the simulation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McUnit {
    pub unit: String,
    /// Points per area (in the set's area order) that do not move with the survey.
    pub area_points: Vec<Decimal>,
    /// The unit's own maximum per area (sub-criteria not applicable to it left out).
    pub area_max: Vec<Decimal>,
    /// Bonus less penalty.
    pub adjustment: Decimal,
    pub survey: Vec<SurveyPart>,
}

impl McUnit {
    /// Builds a unit from its scores: survey-derived sub-criteria whose indicator has an
    /// estimate in `estimates` (by indicator name) move with the survey, everything else is
    /// fixed. The unit must have been scored from declared data (per-node points).
    pub fn from_score(
        set: &CriteriaSet,
        score: &UnitScore,
        estimates: &BTreeMap<String, SurveyEstimate>,
    ) -> Result<McUnit, Problems> {
        if score.node_points.len() != set.nodes.len() {
            let mut p = Problems::default();
            p.push(Problem::new(
                Location::default().with_field(score.unit.as_str()),
                format!(
                    "đơn vị {} không có điểm theo từng tiêu chí thành phần",
                    score.unit
                ),
                format!("unit {} has no points per sub-criterion", score.unit),
            ));
            return Err(p);
        }
        let areas: Vec<usize> = set
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.code.level() == 1)
            .map(|(i, _)| i)
            .collect();
        let area_of = |node: usize| {
            let top = set.ancestors(node).first().copied().unwrap_or(node);
            areas.iter().position(|&a| a == top).unwrap_or(0)
        };
        let mut unit = McUnit {
            unit: score.unit.clone(),
            area_points: vec![Decimal::ZERO; areas.len()],
            area_max: areas.iter().map(|&a| score.node_max[a]).collect(),
            adjustment: score.bonus - score.penalty,
            survey: Vec::new(),
        };
        for &leaf in set.leaves() {
            let node = &set.nodes[leaf];
            let area = area_of(leaf);
            if let Some(Rule::Survey {
                indicator,
                from,
                to,
            }) = &node.rule
                && let Some(estimate) = estimates.get(indicator)
                && !score.node_max[leaf].is_zero()
            {
                unit.survey.push(SurveyPart {
                    code: node.code.to_string(),
                    area,
                    max: score.node_max[leaf],
                    from: *from,
                    to: *to,
                    estimate: estimate.clone(),
                });
                continue;
            }
            unit.area_points[area] += score.node_points[leaf];
        }
        Ok(unit)
    }

    /// Total at the survey's point estimates, exactly: the deterministic total.
    pub fn total(&self) -> Decimal {
        self.total_at(self.survey.iter().map(|s| s.estimate.rate_and_se().0))
    }

    /// Total with the survey parts at the given rates (one per part, in order).
    fn total_at(&self, rates: impl Iterator<Item = Decimal>) -> Decimal {
        let survey: Decimal = self
            .survey
            .iter()
            .zip(rates)
            .map(|(s, rate)| s.points(rate))
            .sum();
        (self.area_points.iter().copied().sum::<Decimal>() + survey + self.adjustment)
            .max(Decimal::ZERO)
    }

    pub fn max(&self) -> Decimal {
        self.area_max.iter().copied().sum()
    }
}

/// How to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McSettings {
    pub replicates: u32,
    pub seed: u64,
    /// Each area's weight (its maximum) is multiplied by a factor drawn uniformly in
    /// `[1 − x, 1 + x]`, then all factors are rescaled together so that the set's total maximum
    /// is unchanged. 0 keeps the weights fixed.
    pub weight_jitter: f64,
    /// Alternative class minima, each as many as the set has classes, best first, with the set's
    /// own inclusivity. Each replicate uses the set's own minima or one of these, with equal
    /// probability.
    pub class_minima: Vec<Vec<Decimal>>,
    /// Worker threads; 0 uses what the machine has. The results do not depend on it.
    pub threads: usize,
}

impl Default for McSettings {
    fn default() -> Self {
        McSettings {
            replicates: 10_000,
            seed: 0,
            weight_jitter: 0.0,
            class_minima: Vec::new(),
            threads: 0,
        }
    }
}

/// One unit's simulated standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McUnitResult {
    pub unit: String,
    /// Deterministic (point-estimate) total, rank and class.
    pub total: Decimal,
    pub rank: u32,
    pub class: Option<usize>,
    /// Quantiles of the simulated rank: the least rank whose cumulative share reaches 5 %, 50 %
    /// and 95 %.
    pub rank_p05: u32,
    pub median_rank: u32,
    pub rank_p95: u32,
    pub mean_rank: f64,
    /// Probability of each of the set's classes, best first (and, last, of no class at all).
    pub class_probability: Vec<f64>,
    /// Replicates per rank (index 0 is rank 1).
    pub rank_histogram: Vec<u32>,
}

/// Two units next to each other in the deterministic ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdjacentPair {
    pub above: String,
    pub below: String,
    /// Share of replicates where `above` ranks strictly above `below`, ties counting half.
    pub p_above: f64,
    /// `p_above` lies strictly between 5 % and 95 %.
    pub indistinct: bool,
}

/// A simulation's results, with everything needed to reproduce them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McResult {
    pub seed: u64,
    pub replicates: u32,
    pub weight_jitter: f64,
    pub class_minima: Vec<Vec<Decimal>>,
    pub generator: String,
    pub classes: Vec<String>,
    /// In the order given.
    pub units: Vec<McUnitResult>,
    /// In deterministic rank order.
    pub adjacent: Vec<AdjacentPair>,
    /// Runs of units, in deterministic rank order, joined by indistinct adjacent pairs: units
    /// that the data cannot tell apart. Only runs of two or more.
    pub indistinct: Vec<Vec<String>>,
    pub note: Text,
}

/// Everything a replicate needs, flattened to `f64` arrays (struct of arrays).
struct Model {
    n: usize,
    areas: usize,
    /// Set-level area maxima, for renormalising weights.
    area_weight: Vec<f64>,
    /// Per-unit arrays are by position in the deterministic order (`order`).
    /// Area-major (`areas × n`), so that a replicate's weighted sums run down contiguous rows.
    fixed: Vec<f64>,
    own_max: Vec<f64>,
    fixed_total: Vec<f64>,
    /// `n` rounded up to whole blocks of [`LANES`].
    n_pad: usize,
    /// Per block of units, per area, the units' fixed points (padded with zeros).
    fixed_blocks: Vec<[f64; LANES]>,
    /// Per block of units, their fixed totals.
    fixed_total_blocks: Vec<[f64; LANES]>,
    /// Per block of units, per column, the column's `base`, `slope` and `max` (zeros beyond).
    col_blocks: Vec<ColumnBlock>,
    /// Every column is bounded (see [`Column::bounded`]).
    all_bounded: bool,
    max_total: Vec<f64>,
    adjustment: Vec<f64>,
    /// Survey-derived sub-criteria, one column each (in code order), over all units.
    columns: Vec<Column>,
    rank_basis: Basis,
    class_basis: Basis,
    scale: f64,
    rounding: Rounding,
    method: RankMethod,
    /// Per threshold choice, per class, the least grid key admitted.
    class_keys: Vec<Vec<i64>>,
    /// Per threshold choice, the class of every key below the largest minimum (and of that
    /// minimum): a lookup instead of a scan. `None` when the keys are too large for a table,
    /// or when `class_keys32` serves instead.
    class_table: Option<Vec<Vec<u8>>>,
    /// `class_keys` as 32-bit keys when every choice's minima never increase (best first), so
    /// that classes can be counted cumulatively without a lookup: the unit reached minimum
    /// `c` or not. `None` otherwise.
    class_keys32: Option<Vec<Vec<i32>>>,
    /// Every unit has the set's full maximum in every area, so its maximum stays the set's
    /// total whatever the weights.
    all_full: bool,
    jitter: f64,
    total_weight: f64,
    /// 1 for every unit (the per-unit multiplier of a points basis).
    ones: Vec<f64>,
    /// Deterministic order (best first) for adjacent pairs.
    order: Vec<usize>,
    zig: draw::Ziggurat,
}

/// One survey-derived sub-criterion across the units, as fractions: unit `u` gets
/// `max[u] × clamp((clamp(rate[u] + se[u]·z, 0, 1) − from[u]) × per_rate[u], 0, 1)` in `area`.
/// A unit without it has `max = 0` and draws nothing.
struct Column {
    area: usize,
    /// The positions of the units that have it, in order (the order of the normal draws).
    draws: Vec<u32>,
    rate: Vec<f64>,
    se: Vec<f64>,
    max: Vec<f64>,
    from: Vec<f64>,
    /// 1 / (to − from).
    per_rate: Vec<f64>,
    /// `0 ≤ from < to ≤ 100` for every unit: the rate's own clamp to [0, 1] is then implied by
    /// the share's, and the share is `clamp(base + slope·z, 0, 1)` with
    /// `base = (rate − from) × per_rate` and `slope = se × per_rate`.
    bounded: bool,
    base: Vec<f64>,
    slope: Vec<f64>,
}

const EPS: f64 = 1e-6;
/// Keys (published values × 10^decimals) are packed with the unit's index for sorting.
const UNIT_BITS: u32 = 20;
const UNIT_MASK: u64 = (1 << UNIT_BITS) - 1;
const KEY_LIMIT: i64 = 1 << 43;

impl Model {
    /// A value on the published grid (`value × 10^decimals`, rounded as the set says), with a
    /// tolerance far above `f64` error so that exact decimal ties round as decimals do.
    fn key(&self, v: f64) -> i64 {
        let x = v * self.scale;
        let k = match self.rounding {
            // Values are never negative here, so truncation is the floor (and much cheaper).
            Rounding::HalfUp => return (x + 0.5 + EPS) as i64,
            Rounding::Down => return (x + EPS) as i64,
            Rounding::HalfEven => {
                let f = x.floor();
                let r = x - f;
                if (r - 0.5).abs() <= EPS {
                    if f.rem_euclid(2.0) == 0.0 { f } else { f + 1.0 }
                } else if r < EPS {
                    f
                } else if r > 1.0 - EPS {
                    f + 1.0
                } else {
                    x.round()
                }
            }
        };
        k as i64
    }
}

/// Per-thread tallies; summed at the end.
struct Tally {
    hist: Vec<u32>,        // n × n
    class_count: Vec<u32>, // n × (classes + 1)
    /// Classes × n: replicates where the unit's key reached the class's minimum, for the
    /// `cum_replicates` replicates counted this way (see `Model::class_keys32`).
    class_cum: Vec<u32>,
    /// Per class: replicates where every unit reached the minimum (not in `class_cum`).
    class_all: Vec<u32>,
    cum_replicates: u32,
    above: Vec<u32>, // n − 1
    ties: Vec<u32>,  // n − 1
}

impl Tally {
    fn new(n: usize, classes: usize) -> Tally {
        Tally {
            hist: vec![0; n * n],
            class_count: vec![0; n * (classes + 1)],
            class_cum: vec![0; classes * n],
            class_all: vec![0; classes],
            cum_replicates: 0,
            above: vec![0; n.saturating_sub(1)],
            ties: vec![0; n.saturating_sub(1)],
        }
    }
    fn add(&mut self, other: &Tally) {
        for (a, b) in [
            (&mut self.hist, &other.hist),
            (&mut self.class_count, &other.class_count),
            (&mut self.class_cum, &other.class_cum),
            (&mut self.class_all, &other.class_all),
            (&mut self.above, &other.above),
            (&mut self.ties, &other.ties),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.cum_replicates += other.cum_replicates;
    }
    /// Moves the cumulative class counts into `class_count`: with minima that never increase,
    /// a unit is in class `c` when it reached minimum `c` but not minimum `c − 1`.
    fn settle_classes(&mut self, n: usize, classes: usize) {
        for u in 0..n {
            let counts = &mut self.class_count[u * (classes + 1)..(u + 1) * (classes + 1)];
            let mut above = 0;
            for (c, count) in counts.iter_mut().enumerate().take(classes) {
                let reached = self.class_cum[c * n + u] + self.class_all[c];
                *count += reached - above;
                above = reached;
            }
            counts[classes] += self.cum_replicates - above;
        }
        self.class_cum.fill(0);
        self.class_all.fill(0);
        self.cum_replicates = 0;
    }
}

fn problem(field: &str, vi: String, en: String) -> Problems {
    let mut p = Problems::default();
    p.push(Problem::new(Location::default().with_field(field), vi, en));
    p
}

/// Runs the Monte Carlo for the units of one ranking group.
pub fn simulate(
    set: &CriteriaSet,
    units: &[McUnit],
    settings: &McSettings,
) -> Result<McResult, Problems> {
    simulate_with_progress(set, units, settings, &|_| {})
}

/// [`simulate`], calling `progress` with the number of replicates of each block as it is done
/// (from any of the worker threads, in no particular order).
pub fn simulate_with_progress(
    set: &CriteriaSet,
    units: &[McUnit],
    settings: &McSettings,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<McResult, Problems> {
    simulate_on(set, units, settings, progress, pulp::Arch::new())
}

/// [`simulate`] on the portable kernel only (baseline instructions, no run-time selection of
/// AVX2 or AVX-512): for checking that the kernel the CPU selects gives identical results.
pub fn simulate_portable(
    set: &CriteriaSet,
    units: &[McUnit],
    settings: &McSettings,
) -> Result<McResult, Problems> {
    simulate_on(set, units, settings, &|_| {}, pulp::Arch::Scalar)
}

fn simulate_on(
    set: &CriteriaSet,
    units: &[McUnit],
    settings: &McSettings,
    progress: &(dyn Fn(u32) + Sync),
    arch: pulp::Arch,
) -> Result<McResult, Problems> {
    let areas: Vec<Decimal> = set.areas().map(|a| a.max).collect();
    let n = units.len();
    let classes = set.classes.classes.len();
    if settings.replicates == 0 {
        return Err(problem(
            "replicates",
            "số lần lặp phải dương".into(),
            "the number of replicates must be positive".into(),
        ));
    }
    if n as u64 > UNIT_MASK {
        return Err(problem(
            "units",
            "quá nhiều đơn vị cho một nhóm".into(),
            "too many units for one group".into(),
        ));
    }
    if !(0.0..1.0).contains(&settings.weight_jitter) {
        return Err(problem(
            "weight_jitter",
            "biên độ trọng số phải từ 0 đến dưới 1".into(),
            "the weight jitter must be at least 0 and below 1".into(),
        ));
    }
    for (i, m) in settings.class_minima.iter().enumerate() {
        if m.len() != classes {
            return Err(problem(
                &format!("class_minima[{i}]"),
                format!("cần {classes} ngưỡng xếp loại, có {}", m.len()),
                format!("{classes} class minima are needed, {} given", m.len()),
            ));
        }
    }
    for u in units {
        if u.area_points.len() != areas.len() || u.area_max.len() != areas.len() {
            return Err(problem(
                &u.unit,
                format!("đơn vị {} cần điểm cho {} lĩnh vực", u.unit, areas.len()),
                format!("unit {} needs points for {} areas", u.unit, areas.len()),
            ));
        }
        if let Some(s) = u
            .survey
            .iter()
            .find(|s| s.area >= areas.len() || s.from >= s.to)
        {
            return Err(problem(
                &s.code,
                format!("phần khảo sát {} của {} không hợp lệ", s.code, u.unit),
                format!("survey part {} of {} is not valid", s.code, u.unit),
            ));
        }
    }

    // Each survey part's rate and standard error, and each unit's maximum, once: in decimals
    // they are the costliest part of the set-up.
    let estimates: Vec<Vec<(Decimal, f64)>> = units
        .iter()
        .map(|u| u.survey.iter().map(|s| s.estimate.rate_and_se()).collect())
        .collect();
    let maxima: Vec<Decimal> = units.iter().map(McUnit::max).collect();
    // Deterministic results, in decimals.
    let det_total: Vec<Decimal> = units
        .iter()
        .zip(&estimates)
        .map(|(u, e)| u.total_at(e.iter().map(|&(rate, _)| rate)))
        .collect();
    let det_values: Vec<Decimal> = det_total
        .iter()
        .zip(&maxima)
        .map(|(&t, &max)| super::published_value(set, set.scoring.rank_basis, t, max))
        .collect();
    let det_rank = ranks(&det_values, set.scoring.rank_method);
    let det_class: Vec<Option<usize>> = det_total
        .iter()
        .zip(&maxima)
        .map(|(&t, &max)| {
            set.classes
                .classify(super::published_value(set, set.classes.basis, t, max))
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| det_rank[a].cmp(&det_rank[b]).then(a.cmp(&b)));

    let mut pos_of = vec![0usize; n];
    for (p, &u) in order.iter().enumerate() {
        pos_of[u] = p;
    }
    let model = build_model(set, units, &estimates, &maxima, settings, &areas, order);
    let threads = match settings.threads {
        0 => std::thread::available_parallelism().map_or(1, |p| p.get()),
        t => t,
    };
    let blocks = settings.replicates.div_ceil(BLOCK);
    let threads = threads.clamp(1, blocks as usize);
    // Blocks are claimed one at a time, so a thread on a busy core takes fewer of them; the
    // tallies are sums of integer counts, so who ran which block does not matter.
    let next = std::sync::atomic::AtomicU32::new(0);
    let work = || {
        let mut t = Tally::new(n, classes);
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if b >= blocks {
                return t;
            }
            run_block(&model, settings, b, &mut t, arch);
            progress((BLOCK * (b + 1)).min(settings.replicates) - BLOCK * b);
        }
    };
    let mut total = if threads == 1 {
        work()
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut total = work();
            for h in helpers {
                total.add(&h.join().expect("a simulation thread panicked"));
            }
            total
        })
    };

    total.settle_classes(n, classes);
    let r = settings.replicates as f64;
    let quantile = |hist: &[u32], q: f64| -> u32 {
        let need = (q * r).ceil().max(1.0) as u64;
        let mut cum = 0u64;
        for (i, &h) in hist.iter().enumerate() {
            cum += h as u64;
            if cum >= need {
                return i as u32 + 1;
            }
        }
        n as u32
    };
    let results: Vec<McUnitResult> = units
        .iter()
        .enumerate()
        .map(|(u, unit)| {
            let p = pos_of[u];
            let hist = total.hist[p * n..(p + 1) * n].to_vec();
            let mean = hist
                .iter()
                .enumerate()
                .map(|(i, &h)| (i + 1) as f64 * h as f64)
                .sum::<f64>()
                / r;
            McUnitResult {
                unit: unit.unit.clone(),
                total: set.publish(det_total[u]),
                rank: det_rank[u],
                class: det_class[u],
                rank_p05: quantile(&hist, 0.05),
                median_rank: quantile(&hist, 0.5),
                rank_p95: quantile(&hist, 0.95),
                mean_rank: mean,
                class_probability: total.class_count[p * (classes + 1)..(p + 1) * (classes + 1)]
                    .iter()
                    .map(|&c| c as f64 / r)
                    .collect(),
                rank_histogram: hist,
            }
        })
        .collect();
    let adjacent: Vec<AdjacentPair> = model
        .order
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let p = (total.above[i] as f64 + 0.5 * total.ties[i] as f64) / r;
            AdjacentPair {
                above: units[w[0]].unit.clone(),
                below: units[w[1]].unit.clone(),
                p_above: p,
                indistinct: p > 0.05 && p < 0.95,
            }
        })
        .collect();
    let mut indistinct: Vec<Vec<String>> = Vec::new();
    let mut run: Vec<String> = model
        .order
        .first()
        .map(|&u| units[u].unit.clone())
        .into_iter()
        .collect();
    for (pair, &next) in adjacent.iter().zip(model.order.iter().skip(1)) {
        if pair.indistinct {
            run.push(units[next].unit.clone());
        } else {
            if run.len() > 1 {
                indistinct.push(std::mem::take(&mut run));
            }
            run = vec![units[next].unit.clone()];
        }
    }
    if run.len() > 1 {
        indistinct.push(run);
    }
    Ok(McResult {
        seed: settings.seed,
        replicates: settings.replicates,
        weight_jitter: settings.weight_jitter,
        class_minima: settings.class_minima.clone(),
        generator: format!(
            "ChaCha8 (rand 0.10 rngs::ChaCha8Rng = rand_chacha 0.10 ChaCha8Rng), seed_from_u64(seed), stream = block of {BLOCK} replicates, read as 32-bit words; normals by a 256-layer ziggurat, one word per draw on the fast path (docs/analysis.md, Reproducibility)"
        ),
        classes: set
            .classes
            .classes
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        units: results,
        adjacent,
        indistinct,
        note: Text::new(
            format!(
                "Mô phỏng {} lần với hạt giống {}: chạy lại với cùng hạt giống cho đúng kết quả này",
                settings.replicates, settings.seed
            ),
            format!(
                "{} replicates with seed {}: rerun with the same seed for exactly these results",
                settings.replicates, settings.seed
            ),
        ),
    })
}

/// `estimates` and `maxima` are each unit's survey rates and maximum, as [`simulate`] computed
/// them.
fn build_model(
    set: &CriteriaSet,
    units: &[McUnit],
    estimates: &[Vec<(Decimal, f64)>],
    maxima: &[Decimal],
    settings: &McSettings,
    areas: &[Decimal],
    order: Vec<usize>,
) -> Model {
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let a = areas.len();
    let n = units.len();
    // Units by position in the deterministic order.
    let by_pos: Vec<&McUnit> = order.iter().map(|&u| &units[u]).collect();
    let mut m = Model {
        n,
        areas: a,
        area_weight: areas.iter().map(|&d| f(d)).collect(),
        fixed: Vec::with_capacity(n * a),
        own_max: Vec::with_capacity(n * a),
        fixed_total: by_pos
            .iter()
            .map(|u| f(u.area_points.iter().copied().sum()))
            .collect(),
        max_total: order.iter().map(|&u| f(maxima[u])).collect(),
        n_pad: n.next_multiple_of(LANES),
        fixed_blocks: Vec::new(),
        fixed_total_blocks: Vec::new(),
        col_blocks: Vec::new(),
        all_bounded: true,
        adjustment: by_pos.iter().map(|u| f(u.adjustment)).collect(),
        columns: Vec::new(),
        rank_basis: set.scoring.rank_basis,
        class_basis: set.classes.basis,
        scale: 10f64.powi(set.scoring.decimals as i32),
        rounding: set.scoring.rounding,
        method: set.scoring.rank_method,
        class_keys: Vec::new(),
        class_table: None,
        class_keys32: None,
        all_full: units.iter().all(|u| u.area_max.as_slice() == areas),
        jitter: settings.weight_jitter,
        total_weight: areas.iter().map(|&d| f(d)).sum(),
        ones: vec![1.0; n],
        order,
        zig: draw::Ziggurat::new(),
    };
    // Survey columns: one per (sub-criterion, area, occurrence within the unit), in the set's
    // code order (codes unknown to the set last, by name).
    let positions: BTreeMap<String, usize> = set
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.code.to_string(), i))
        .collect();
    let position = |code: &str| positions.get(code).copied().unwrap_or(usize::MAX);
    type Key = (usize, String, usize, usize);
    let column_keys = |u: &McUnit| -> Vec<Key> {
        let mut seen: BTreeMap<(&str, usize), usize> = BTreeMap::new();
        u.survey
            .iter()
            .map(|s| {
                let k = seen.entry((s.code.as_str(), s.area)).or_insert(0);
                *k += 1;
                (position(&s.code), s.code.clone(), s.area, *k - 1)
            })
            .collect()
    };
    let mut keys: Vec<Key> = units.iter().flat_map(column_keys).collect();
    keys.sort();
    keys.dedup();
    m.columns = keys
        .iter()
        .map(|(_, _, area, _)| Column {
            area: *area,
            draws: Vec::new(),
            rate: vec![0.0; n],
            se: vec![0.0; n],
            max: vec![0.0; n],
            from: vec![0.0; n],
            per_rate: vec![0.0; n],
            bounded: true,
            base: vec![0.0; n],
            slope: vec![0.0; n],
        })
        .collect();
    for (p, &u) in m.order.iter().enumerate() {
        let unit = &units[u];
        for ((s, key), &(rate, se)) in unit.survey.iter().zip(column_keys(unit)).zip(&estimates[u])
        {
            let c = keys
                .binary_search(&key)
                .expect("every survey part has a column");
            let col = &mut m.columns[c];
            col.draws.push(p as u32);
            col.rate[p] = f(rate) / 100.0;
            col.se[p] = se / 100.0;
            col.max[p] = f(s.max);
            col.from[p] = f(s.from) / 100.0;
            col.per_rate[p] = 100.0 / f(s.to - s.from);
            col.base[p] = (col.rate[p] - col.from[p]) * col.per_rate[p];
            col.slope[p] = col.se[p] * col.per_rate[p];
            col.bounded &= s.from >= Decimal::ZERO && s.to <= Decimal::ONE_HUNDRED;
        }
    }
    for area in 0..a {
        m.fixed
            .extend(by_pos.iter().map(|u| f(u.area_points[area])));
        m.own_max.extend(by_pos.iter().map(|u| f(u.area_max[area])));
    }
    let blocks = m.n_pad / LANES;
    let padded = |v: &[f64], b: usize| -> [f64; LANES] {
        let mut out = [0.0; LANES];
        for (j, x) in out.iter_mut().enumerate() {
            *x = v.get(b * LANES + j).copied().unwrap_or(0.0);
        }
        out
    };
    for b in 0..blocks {
        for area in 0..a {
            m.fixed_blocks
                .push(padded(&m.fixed[area * n..(area + 1) * n], b));
        }
        m.fixed_total_blocks.push(padded(&m.fixed_total, b));
    }
    for b in 0..blocks {
        for col in &m.columns {
            m.col_blocks.push(ColumnBlock {
                base: padded(&col.base, b),
                slope: padded(&col.slope, b),
                max: padded(&col.max, b),
            });
        }
    }
    m.all_bounded = m.columns.iter().all(|c| c.bounded);
    // Class minima as least admitted grid keys: key ≥ ⌈min·10^d⌉, or > ⌊min·10^d⌋.
    let own: Vec<Decimal> = set.classes.classes.iter().map(|c| c.min).collect();
    let d = set.scoring.decimals;
    let grid = Decimal::from(10i64.pow(d));
    for minima in std::iter::once(&own).chain(settings.class_minima.iter()) {
        m.class_keys.push(
            minima
                .iter()
                .zip(&set.classes.classes)
                .map(|(&min, def)| {
                    let x = min * grid;
                    let k = if def.min_inclusive {
                        x.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity)
                    } else {
                        x.round_dp_with_strategy(0, RoundingStrategy::ToNegativeInfinity)
                            + Decimal::ONE
                    };
                    k.to_i64().unwrap_or(i64::MAX)
                })
                .collect(),
        );
    }
    if m.class_keys
        .iter()
        .all(|keys| keys.windows(2).all(|w| w[0] >= w[1]))
    {
        m.class_keys32 = Some(
            m.class_keys
                .iter()
                .map(|keys| {
                    keys.iter()
                        .map(|&k| k.clamp(0, i32::MAX as i64) as i32)
                        .collect()
                })
                .collect(),
        );
    }
    let top = m.class_keys.iter().flatten().copied().max().unwrap_or(0);
    let classes = set.classes.classes.len();
    // The table serves only where classes cannot be counted cumulatively.
    if m.class_keys32.is_none() && (0..=1 << 20).contains(&top) && classes < u8::MAX as usize {
        m.class_table = Some(
            m.class_keys
                .iter()
                .map(|keys| {
                    (0..=top)
                        .map(|k| keys.iter().position(|&min| k >= min).unwrap_or(classes) as u8)
                        .collect()
                })
                .collect(),
        );
    }
    m
}

/// `x` clamped to `[0, 1]` (NaN to 0), written so that it compiles to `max`/`min` instructions.
#[inline(always)]
fn clamp01(x: f64) -> f64 {
    let x = if x > 0.0 { x } else { 0.0 };
    if x < 1.0 { x } else { 1.0 }
}

/// How far apart (in the deterministic order) two units may be and still swap in a replicate
/// for the window ranking to apply.
const WINDOW: usize = 8;

/// Competition ranks by windows: with the keys in deterministic order, padded with `WINDOW`
/// copies of `T::MAX` before and of `T::MIN` after (see [`padded`]; `delta` has room for whole
/// blocks of 8), the unit at position `i` has rank
/// `1 + i − #{j ∈ [i − W, i): k_j ≤ k_i} + #{j ∈ (i, i + W]: k_j > k_i}`, which is exact when
/// every unit more than `W` positions ahead has a strictly larger key. Returns `false` (ranks
/// unusable) when that does not hold. Branch-free, so the compiler vectorises the counting.
#[inline(always)]
fn window_ranks<T>(
    padded: &[T],
    delta: &mut [T],
    minima: &mut (Vec<T>, Vec<T>),
    ranks: &mut [u32],
) -> bool
where
    T: Copy + Ord + From<bool> + std::ops::Add<Output = T> + std::ops::Sub<Output = T>,
    i32: From<T>,
{
    let n = ranks.len();
    let keys = &padded[WINDOW..WINDOW + n];
    let zero = T::from(false);
    // Blocks of 8 positions, the 2W comparisons of each accumulated in registers (positions
    // past `n` compare padding and are ignored).
    for (blk, out) in delta.chunks_exact_mut(8).enumerate() {
        // The block's keys with W on each side, as an array so that the unrolled loops below
        // index it at constant offsets, without bounds checks.
        let window: &[T; 8 + 2 * WINDOW] = padded[blk * 8..blk * 8 + 8 + 2 * WINDOW]
            .try_into()
            .expect("a padded block");
        let mut acc = [zero; 8];
        for t in 1..=WINDOW {
            for j in 0..8 {
                let k = window[WINDOW + j];
                acc[j] = acc[j] + T::from(window[WINDOW + t + j] > k)
                    - T::from(window[WINDOW - t + j] <= k);
            }
        }
        out.copy_from_slice(&acc);
    }
    // Every unit more than W ahead must be strictly above: the least key up to i − W − 1 must
    // exceed the key at i. Prefix minima by doubling (log₂ n vectorised passes).
    let mut ok = true;
    if n > WINDOW + 1 {
        let (mut a, mut b) = (&mut minima.0[..], &mut minima.1[..]);
        let pad = a.len() - n;
        a[pad..].copy_from_slice(keys);
        let mut shift = 1;
        while shift < n {
            for ((x, &here), &back) in b[pad..].iter_mut().zip(&a[pad..]).zip(&a[pad - shift..]) {
                *x = here.min(back);
            }
            std::mem::swap(&mut a, &mut b);
            shift *= 2;
        }
        for (&least, &k) in a[pad..pad + n - WINDOW - 1].iter().zip(&keys[WINDOW + 1..]) {
            ok &= least > k;
        }
    }
    for (i, (r, &d)) in ranks.iter_mut().zip(delta.iter()).enumerate() {
        *r = (1 + i as i32 + i32::from(d)) as u32;
    }
    ok
}

/// Buffers for the prefix minima of [`window_ranks`]: `p` × `max` (`p` the least power of 2
/// not below `n`), then `n` free places.
fn minima_buffers<T: Copy>(n: usize, max: T) -> (Vec<T>, Vec<T>) {
    let v = vec![max; n.next_power_of_two() + n];
    (v.clone(), v)
}

/// A buffer for [`window_ranks`]: `WINDOW` × `max`, `n` free places, then `min` up to a whole
/// number of blocks of 8 and `WINDOW` more.
fn padded<T: Copy>(n: usize, max: T, min: T) -> Vec<T> {
    let mut v = vec![max; WINDOW];
    v.extend(std::iter::repeat_n(min, n.next_multiple_of(8) + WINDOW));
    v
}

/// Ranks from the keys by sorting `(key descending, position)` packed in one integer.
fn sorted_ranks(keys: &[i64], method: RankMethod, packed: &mut [u64], ranks: &mut [u32]) {
    for (p, (slot, &k)) in packed.iter_mut().zip(keys).enumerate() {
        let k = k.clamp(0, KEY_LIMIT - 1) as u64;
        *slot = ((KEY_LIMIT as u64 - 1 - k) << UNIT_BITS) | p as u64;
    }
    packed.sort_unstable();
    let mut distinct = 0u32;
    let mut last_key = u64::MAX;
    let mut last_rank = 0u32;
    for (pos, &pk) in packed.iter().enumerate() {
        let k = pk >> UNIT_BITS;
        if k != last_key {
            distinct += 1;
            last_rank = match method {
                RankMethod::Competition => pos as u32 + 1,
                RankMethod::Dense => distinct,
            };
            last_key = k;
        }
        ranks[(pk & UNIT_MASK) as usize] = last_rank;
    }
}

/// Per-thread working space of [`run_block`].
struct Scratch {
    weights: Vec<f64>,
    /// A sparse column's normals in draw order; all normals by column and position.
    draws: Vec<f64>,
    z: Vec<f64>,
    /// `z` by block of units, then column.
    z_blocks: Vec<[f64; LANES]>,
    /// Each column's area weight in this replicate.
    col_weight: Vec<f64>,
    normals: draw::Scratch,
    totals: Vec<f64>,
    maxes: Vec<f64>,
    /// 100 / the unit's maximum: constant unless weights move and some unit lacks an area.
    hundred_over: Vec<f64>,
    /// Keys on the published grid; `keys` holds them when they all fit in `[0, 2³⁰)`.
    keys: Vec<i32>,
    /// The least and the largest of `keys`.
    range: (i32, i32),
    keys64: Vec<i64>,
    small: Vec<i16>,
    small_delta: Vec<i16>,
    small_minima: (Vec<i16>, Vec<i16>),
    wide: Vec<i32>,
    wide_delta: Vec<i32>,
    wide_minima: (Vec<i32>, Vec<i32>),
    packed: Vec<u64>,
    ranks: Vec<u32>,
}

/// `⌊x⌋` for `0 ≤ x ≤ 2³⁰`, exactly, without the saturating conversion (which does not
/// vectorise): `x + 2⁵²` is rounded to an integer (to nearest, as IEEE arithmetic rounds), whose
/// low bits are that integer; one less if it rounded up.
#[inline(always)]
fn floor_small(x: f64) -> i32 {
    const MAGIC: f64 = (1u64 << 52) as f64;
    let t = x + MAGIC;
    let nearest = t.to_bits() as u32 as i32;
    nearest - i32::from(t - MAGIC > x)
}

/// Keys below this fit the 32-bit paths.
const KEY32: i64 = 1 << 30;

impl Scratch {
    fn new(m: &Model) -> Scratch {
        let n = m.n;
        let draws = m.columns.iter().map(|c| c.draws.len()).max().unwrap_or(0);
        Scratch {
            weights: vec![1.0; m.areas],
            draws: vec![0.0; draws],
            z: vec![0.0; m.columns.len() * m.n_pad],
            z_blocks: vec![[0.0; LANES]; m.columns.len() * m.n_pad / LANES],
            col_weight: Vec::with_capacity(m.columns.len()),
            normals: draw::Scratch::default(),
            totals: vec![0.0; m.n_pad],
            maxes: vec![0.0; n],
            hundred_over: m
                .max_total
                .iter()
                .map(|&x| if x > 0.0 { 100.0 / x } else { 0.0 })
                .collect(),
            keys: vec![0; n],
            range: (0, 0),
            keys64: vec![0; n],
            small: padded(n, i16::MAX, i16::MIN),
            small_delta: vec![0; n.next_multiple_of(8)],
            small_minima: minima_buffers(n, i16::MAX),
            wide: padded(n, i32::MAX, i32::MIN),
            wide_delta: vec![0; n.next_multiple_of(8)],
            wide_minima: minima_buffers(n, i32::MAX),
            packed: vec![0; n],
            ranks: vec![0; n],
        }
    }
}

/// Runs the replicates of one block. Units are in deterministic order throughout (position
/// `p` is the unit `order[p]`); tallies are by position.
///
/// The loop runs under `arch`: `pulp::Arch::new()` compiles it (every kernel below is inlined
/// into it) twice more, with AVX2 (x86-64-v3) and with AVX-512 (x86-64-v4) enabled, and picks at
/// run time the best copy the CPU can run, through pulp's safe API (this crate forbids
/// `unsafe`); on this project's machines that is the AVX-512 copy, about 1.2× the baseline's
/// speed (docs/analysis.md). All copies do the same IEEE
/// operations in the same order, and Rust never fuses a multiplication and an addition unless
/// asked (nothing here asks), so they give bit-identical results; a test checks it.
fn run_block(m: &Model, settings: &McSettings, block: u32, tally: &mut Tally, arch: pulp::Arch) {
    let start = block * BLOCK;
    let end = (start + BLOCK).min(settings.replicates);
    arch.dispatch(Replicates {
        m,
        words: draw::Words::new(settings.seed, block as u64),
        s: Scratch::new(m),
        tally,
        count: end - start,
    });
}

/// The replicates of one block, as pulp's unit of dispatch.
struct Replicates<'a> {
    m: &'a Model,
    words: draw::Words,
    s: Scratch,
    tally: &'a mut Tally,
    count: u32,
}

impl pulp::WithSimd for Replicates<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let Replicates {
            m,
            mut words,
            mut s,
            tally,
            count: replicates,
        } = self;
        for _ in 0..replicates {
            let choice = draw_replicate(m, &mut words, &mut s);
            totals(m, &mut s);
            let narrow = keys_and_classes(m, &mut s, choice, tally);
            rank_replicate(m, &mut s, narrow);
            count(m, &s, narrow, tally);
        }
    }
}

/// The replicate's draws, in the documented order: the area weights, the threshold choice,
/// the normals. Returns the threshold choice.
#[inline(always)]
fn draw_replicate(m: &Model, words: &mut draw::Words, s: &mut Scratch) -> usize {
    if m.jitter > 0.0 {
        let mut sum = 0.0;
        for (w, &aw) in s.weights.iter_mut().zip(&m.area_weight) {
            *w = 1.0 + m.jitter * (2.0 * words.uniform() - 1.0);
            sum += *w * aw;
        }
        let k = m.total_weight / sum;
        for w in &mut s.weights {
            *w *= k;
        }
    }
    let choices = m.class_keys.len() as u32;
    let choice = if choices > 1 {
        words.below(choices) as usize
    } else {
        0
    };
    for (col, zc) in m.columns.iter().zip(s.z.chunks_exact_mut(m.n_pad)) {
        if col.draws.len() == m.n {
            m.zig.normals(words, &mut zc[..m.n], &mut s.normals);
        } else {
            let draws = &mut s.draws[..col.draws.len()];
            m.zig.normals(words, draws, &mut s.normals);
            for (&p, &z) in col.draws.iter().zip(draws.iter()) {
                zc[p as usize] = z;
            }
        }
    }
    choice
}

/// Totals: weighted area points plus survey points, for blocks of [`LANES`] units whose sums
/// stay in registers across the areas and columns (the same operations in the same order for
/// every unit, whatever its block; the last block is padded with units that have nothing).
#[inline(always)]
fn totals(m: &Model, s: &mut Scratch) {
    let n = m.n;
    let weighted = m.jitter > 0.0;
    if weighted && !m.all_full {
        s.maxes.fill(0.0);
        for (own, &w) in m.own_max.chunks_exact(n).zip(&s.weights) {
            for (x, &o) in s.maxes.iter_mut().zip(own) {
                *x += w * o;
            }
        }
        for (h, &x) in s.hundred_over.iter_mut().zip(&s.maxes) {
            *h = if x > 0.0 { 100.0 / x } else { 0.0 };
        }
    }
    let areas = m.areas;
    let cols = m.columns.len();
    if m.all_bounded {
        // Per replicate, each column's area weight, and its normals by block.
        s.col_weight.clear();
        s.col_weight
            .extend(m.columns.iter().map(|c| s.weights[c.area]));
        for (c, zc) in s.z.chunks_exact(m.n_pad).enumerate() {
            for (b, z) in zc.chunks_exact(LANES).enumerate() {
                s.z_blocks[b * cols + c].copy_from_slice(z);
            }
        }
        for (b, out) in s.totals.chunks_exact_mut(LANES).enumerate() {
            let mut acc = if weighted {
                let mut acc = [0.0f64; LANES];
                for (row, &w) in m.fixed_blocks[b * areas..(b + 1) * areas]
                    .iter()
                    .zip(&s.weights)
                {
                    for (x, &f) in acc.iter_mut().zip(row) {
                        *x += w * f;
                    }
                }
                acc
            } else {
                m.fixed_total_blocks[b]
            };
            for ((k, z), &wa) in m.col_blocks[b * cols..(b + 1) * cols]
                .iter()
                .zip(&s.z_blocks[b * cols..(b + 1) * cols])
                .zip(&s.col_weight)
            {
                for j in 0..LANES {
                    acc[j] += wa * k.max[j] * clamp01(k.base[j] + k.slope[j] * z[j]);
                }
            }
            out.copy_from_slice(&acc);
        }
        return;
    }
    // Some column is not bounded: the general formula, column by column.
    for (b, out) in s.totals.chunks_exact_mut(LANES).enumerate() {
        let mut acc = if weighted {
            let mut acc = [0.0f64; LANES];
            for (row, &w) in m.fixed_blocks[b * areas..(b + 1) * areas]
                .iter()
                .zip(&s.weights)
            {
                for (x, &f) in acc.iter_mut().zip(row) {
                    *x += w * f;
                }
            }
            acc
        } else {
            m.fixed_total_blocks[b]
        };
        for (c, (col, zc)) in m.columns.iter().zip(s.z.chunks_exact(m.n_pad)).enumerate() {
            let wa = s.weights[col.area];
            let z: &[f64; LANES] = zc[b * LANES..(b + 1) * LANES].try_into().expect("a block");
            if col.bounded {
                let k = &m.col_blocks[b * cols + c];
                for j in 0..LANES {
                    acc[j] += wa * k.max[j] * clamp01(k.base[j] + k.slope[j] * z[j]);
                }
            } else {
                for (j, x) in acc.iter_mut().enumerate() {
                    let u = b * LANES + j;
                    if u < n {
                        *x += col.points(u, wa, z[j]);
                    }
                }
            }
        }
        out.copy_from_slice(&acc);
    }
}

/// Units per block in [`totals`].
const LANES: usize = 8;

/// A block of [`LANES`] units of a bounded column.
#[derive(Clone, Copy, Default)]
struct ColumnBlock {
    base: [f64; LANES],
    slope: [f64; LANES],
    max: [f64; LANES],
}

impl Column {
    /// The points of unit `u` for a normal draw `z` and its area's weight `w`.
    #[inline(always)]
    fn points(&self, u: usize, w: f64, z: f64) -> f64 {
        let share = if self.bounded {
            clamp01(self.base[u] + self.slope[u] * z)
        } else {
            clamp01((clamp01(self.rate[u] + self.se[u] * z) - self.from[u]) * self.per_rate[u])
        };
        w * self.max[u] * share
    }
}

/// Keys on the published grid and classes. Returns whether `s.keys` (32 bits) holds the keys;
/// otherwise only `s.keys64` does.
#[inline(always)]
fn keys_and_classes(m: &Model, s: &mut Scratch, choice: usize, tally: &mut Tally) -> bool {
    let classes = m.class_keys[0].len();
    let stride = classes + 1;
    if (m.class_keys32.is_some() || m.class_table.is_some())
        && m.class_basis == m.rank_basis
        && m.rounding == Rounding::HalfUp
    {
        // The usual case, kept tight and branch-free so that it vectorises: half-up rounding
        // is a truncation of value × 10^d + ½ (values are never negative), and the class is a
        // table lookup. A key too large for 32 bits sends the replicate to the general path.
        let scale = m.scale;
        let limit = KEY32 as f64;
        let per_unit = match m.rank_basis {
            Basis::Percent => &s.hundred_over,
            Basis::Points => &m.ones,
        };
        let (mut bottom, mut top) = (i32::MAX, 0);
        for ((k, &t), (&adj, &h)) in s
            .keys
            .iter_mut()
            .zip(&s.totals)
            .zip(m.adjustment.iter().zip(per_unit))
        {
            let total = t + adj;
            let total = if total > 0.0 { total } else { 0.0 };
            let x = total * h * scale + (0.5 + EPS);
            let x = if x < limit { x } else { limit };
            *k = floor_small(x);
            top = top.max(*k);
            bottom = bottom.min(*k);
        }
        s.range = (bottom, top);
        if i64::from(top) < KEY32 {
            if let Some(minima) = &m.class_keys32 {
                // Branch-free and vectorised: one comparison per unit and class, for the
                // classes whose minimum falls within this replicate's keys.
                for ((&min, cum), all) in minima[choice]
                    .iter()
                    .zip(tally.class_cum.chunks_exact_mut(m.n))
                    .zip(tally.class_all.iter_mut())
                {
                    if min <= bottom {
                        *all += 1;
                    } else if min <= top {
                        for (x, &k) in cum.iter_mut().zip(&s.keys) {
                            *x += u32::from(k >= min);
                        }
                    }
                }
                tally.cum_replicates += 1;
                return true;
            }
            if let Some(tables) = &m.class_table {
                let table = tables[choice].as_slice();
                let last = table.len() - 1;
                for (&k, counts) in s
                    .keys
                    .iter()
                    .zip(tally.class_count.chunks_exact_mut(stride))
                {
                    counts[table[(k as usize).min(last)] as usize] += 1;
                }
                return true;
            }
        }
    }
    let minima = &m.class_keys[choice];
    let mut fits = true;
    for (((&t, &adj), &h), (k, counts)) in
        s.totals.iter().zip(&m.adjustment).zip(&s.hundred_over).zip(
            s.keys64
                .iter_mut()
                .zip(tally.class_count.chunks_exact_mut(stride)),
        )
    {
        let total = (t + adj).max(0.0);
        let value = |basis| match basis {
            Basis::Points => total,
            Basis::Percent => total * h,
        };
        *k = m.key(value(m.rank_basis));
        let ck = if m.class_basis == m.rank_basis {
            *k
        } else {
            m.key(value(m.class_basis))
        };
        fits &= (0..KEY32).contains(k);
        let c = minima.iter().position(|&min| ck >= min).unwrap_or(classes);
        counts[c] += 1;
    }
    if fits {
        for (k, &k64) in s.keys.iter_mut().zip(&s.keys64) {
            *k = k64 as i32;
        }
        s.range = s
            .keys
            .iter()
            .fold((i32::MAX, i32::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    }
    fits
}

/// Ranks into `s.ranks`: by windows on the keys narrowed to 16 bits (relative to the least
/// key) or 32 bits when the replicate allows it, otherwise by sorting.
#[inline(always)]
fn rank_replicate(m: &Model, s: &mut Scratch, narrow: bool) {
    let n = m.n;
    let windowed = narrow && m.method == RankMethod::Competition && {
        let (lo, hi) = s.range;
        if hi - lo < i32::from(i16::MAX) {
            for (d, &k) in s.small[WINDOW..WINDOW + n].iter_mut().zip(&s.keys) {
                *d = (k - lo) as i16;
            }
            window_ranks(
                &s.small,
                &mut s.small_delta,
                &mut s.small_minima,
                &mut s.ranks,
            )
        } else {
            s.wide[WINDOW..WINDOW + n].copy_from_slice(&s.keys);
            window_ranks(&s.wide, &mut s.wide_delta, &mut s.wide_minima, &mut s.ranks)
        }
    };
    if !windowed {
        if narrow {
            for (k64, &k) in s.keys64.iter_mut().zip(&s.keys) {
                *k64 = i64::from(k);
            }
        }
        sorted_ranks(&s.keys64, m.method, &mut s.packed, &mut s.ranks);
    }
}

/// Adds the replicate to the rank histogram and the adjacent pairs.
#[inline(always)]
fn count(m: &Model, s: &Scratch, narrow: bool, tally: &mut Tally) {
    for (row, &r) in tally.hist.chunks_exact_mut(m.n).zip(&s.ranks) {
        row[r as usize - 1] += 1;
    }
    let pairs = tally.above.iter_mut().zip(tally.ties.iter_mut());
    if narrow {
        for ((above, ties), (&a, &b)) in pairs.zip(s.keys.iter().zip(&s.keys[1..])) {
            *above += u32::from(a > b);
            *ties += u32::from(a == b);
        }
    } else {
        for ((above, ties), w) in pairs.zip(s.keys64.windows(2)) {
            *above += u32::from(w[0] > w[1]);
            *ties += u32::from(w[0] == w[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// Competition ranks by counting, the definition.
    fn brute(keys: &[i64]) -> Vec<u32> {
        keys.iter()
            .map(|&k| 1 + keys.iter().filter(|&&o| o > k).count() as u32)
            .collect()
    }

    /// Keys in a roughly descending order, with ties and displacements up to `spread`.
    fn keys(rng: &mut ChaCha8Rng, n: usize, spread: i64) -> Vec<i64> {
        (0..n)
            .map(|i| 5000 - 3 * i as i64 + rng.random_range(0..=spread))
            .collect()
    }

    #[test]
    fn window_ranks_are_exact_or_refuse() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut used, mut refused) = (0, 0);
        for case in 0..4000 {
            let n = 1 + case % 60;
            let spread = [0, 3, 10, 30, 100][case % 5];
            let k = keys(&mut rng, n, spread);
            let expected = brute(&k);
            let mut small = padded(n, i16::MAX, i16::MIN);
            let mut wide = padded(n, i32::MAX, i32::MIN);
            for (i, &x) in k.iter().enumerate() {
                small[WINDOW + i] = x as i16;
                wide[WINDOW + i] = x as i32;
            }
            let mut ranks = vec![0; n];
            let ok = window_ranks(
                &small,
                &mut vec![0; n.next_multiple_of(8)],
                &mut minima_buffers(n, i16::MAX),
                &mut ranks,
            );
            let mut wide_ranks = vec![0; n];
            let wide_ok = window_ranks(
                &wide,
                &mut vec![0; n.next_multiple_of(8)],
                &mut minima_buffers(n, i32::MAX),
                &mut wide_ranks,
            );
            assert_eq!(ok, wide_ok);
            // Refused exactly when some unit more than W places behind is not strictly below.
            let far = (0..n).any(|i| (0..i.saturating_sub(WINDOW)).any(|j| k[j] <= k[i]));
            assert_eq!(ok, !far, "{k:?}");
            if ok {
                used += 1;
                assert_eq!(ranks, expected, "{k:?}");
                assert_eq!(wide_ranks, expected, "{k:?}");
            } else {
                refused += 1;
            }
            let mut sorted = vec![0; n];
            sorted_ranks(&k, RankMethod::Competition, &mut vec![0; n], &mut sorted);
            assert_eq!(sorted, expected, "{k:?}");
        }
        assert!(
            used > 1000 && refused > 100,
            "{used} used, {refused} refused"
        );
    }

    #[test]
    fn floor_small_is_the_floor() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let limit = KEY32 as f64;
        for x in [
            0.0,
            0.5,
            1.0,
            1.5,
            2.5,
            8679.999999,
            8680.0,
            8680.5,
            limit - 0.5,
            limit,
        ] {
            assert_eq!(floor_small(x), x.floor() as i32, "{x}");
        }
        for _ in 0..100_000 {
            let x = rng.random::<f64>() * limit;
            assert_eq!(floor_small(x), x.floor() as i32, "{x}");
            let y = (rng.random_range(0..1 << 20) as f64)
                + [0.0, 0.5, 1.0 - 1e-12][rng.random_range(0..3)];
            assert_eq!(floor_small(y), y.floor() as i32, "{y}");
        }
    }
}
