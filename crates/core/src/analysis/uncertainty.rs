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
//! with `seed` (`SeedableRng::seed_from_u64`) on stream `b`. The generator is rand 0.10's
//! `rngs::ChaCha8Rng` (the `chacha20` crate, which picks SIMD code at run time); its output is
//! bit-for-bit that of `rand_chacha::ChaCha8Rng`, which a test checks. Within a replicate the draws come in
//! a fixed order: the area weights (one uniform per area, when weights are perturbed), the class
//! thresholds (one integer, when alternatives are given), then one standard normal per survey
//! part in unit order. Results are integer counts summed over blocks, so they are identical
//! whatever the number of threads.

use super::Text;
use crate::diag::{Location, Problem, Problems};
use crate::engine::UnitScore;
use crate::num::Rounding;
use crate::ranking::ranks;
use crate::rules::Rule;
use crate::set::{Basis, CriteriaSet, RankMethod};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
        let survey: Decimal = self
            .survey
            .iter()
            .map(|s| s.points(s.estimate.rate_and_se().0))
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

/// Everything a replicate needs, flattened to `f64`.
struct Model {
    n: usize,
    areas: usize,
    /// Set-level area maxima, for renormalising weights.
    area_weight: Vec<f64>,
    /// Area-major (`areas × n`), so that a replicate's weighted sums run down contiguous rows.
    fixed: Vec<f64>,
    own_max: Vec<f64>,
    fixed_total: Vec<f64>,
    max_total: Vec<f64>,
    adjustment: Vec<f64>,
    /// Survey parts in unit order (the order of the normal draws).
    parts: Vec<Part>,
    rank_basis: Basis,
    class_basis: Basis,
    scale: f64,
    rounding: Rounding,
    method: RankMethod,
    /// Per threshold choice, per class, the least grid key admitted.
    class_keys: Vec<Vec<i64>>,
    /// Per threshold choice, the class of every key below the largest minimum (and of that
    /// minimum): a lookup instead of a scan. `None` when the keys are too large for a table.
    class_table: Option<Vec<Vec<u8>>>,
    /// Every unit has the set's full maximum in every area, so its maximum stays the set's
    /// total whatever the weights.
    all_full: bool,
    jitter: f64,
    /// Deterministic order (best first) for adjacent pairs.
    order: Vec<usize>,
}

/// A survey-derived sub-criterion of one unit, as fractions.
struct Part {
    unit: usize,
    area: usize,
    rate: f64,
    se: f64,
    max: f64,
    from: f64,
    /// 1 / (to − from).
    per_rate: f64,
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
    above: Vec<u32>,       // n − 1
    ties: Vec<u32>,        // n − 1
}

impl Tally {
    fn new(n: usize, classes: usize) -> Tally {
        Tally {
            hist: vec![0; n * n],
            class_count: vec![0; n * (classes + 1)],
            above: vec![0; n.saturating_sub(1)],
            ties: vec![0; n.saturating_sub(1)],
        }
    }
    fn add(&mut self, other: &Tally) {
        for (a, b) in [
            (&mut self.hist, &other.hist),
            (&mut self.class_count, &other.class_count),
            (&mut self.above, &other.above),
            (&mut self.ties, &other.ties),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
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

    // Deterministic results, in decimals.
    let det_total: Vec<Decimal> = units.iter().map(McUnit::total).collect();
    let det_values: Vec<Decimal> = units
        .iter()
        .zip(&det_total)
        .map(|(u, &t)| super::published_value(set, set.scoring.rank_basis, t, u.max()))
        .collect();
    let det_rank = ranks(&det_values, set.scoring.rank_method);
    let det_class: Vec<Option<usize>> = units
        .iter()
        .zip(&det_total)
        .map(|(u, &t)| {
            set.classes
                .classify(super::published_value(set, set.classes.basis, t, u.max()))
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| det_rank[a].cmp(&det_rank[b]).then(a.cmp(&b)));

    let model = build_model(set, units, settings, &areas, order);
    let threads = match settings.threads {
        0 => std::thread::available_parallelism().map_or(1, |p| p.get()),
        t => t,
    };
    let blocks = settings.replicates.div_ceil(BLOCK);
    let threads = threads.clamp(1, blocks as usize);
    let mut total = Tally::new(n, classes);
    if threads == 1 {
        let mut t = Tally::new(n, classes);
        for b in 0..blocks {
            run_block(&model, settings, b, &mut t);
        }
        total.add(&t);
    } else {
        let tallies: Vec<Tally> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let model = &model;
                    scope.spawn(move || {
                        let mut t = Tally::new(n, classes);
                        let mut b = w as u32;
                        while b < blocks {
                            run_block(model, settings, b, &mut t);
                            b += threads as u32;
                        }
                        t
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a simulation thread panicked"))
                .collect()
        });
        for t in &tallies {
            total.add(t);
        }
    }

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
            let hist = total.hist[u * n..(u + 1) * n].to_vec();
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
                class_probability: total.class_count[u * (classes + 1)..(u + 1) * (classes + 1)]
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
            "ChaCha8 (rand 0.10 rngs::ChaCha8Rng = rand_chacha 0.10 ChaCha8Rng), seed_from_u64(seed), stream = block of {BLOCK} replicates"
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

fn build_model(
    set: &CriteriaSet,
    units: &[McUnit],
    settings: &McSettings,
    areas: &[Decimal],
    order: Vec<usize>,
) -> Model {
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let a = areas.len();
    let mut m = Model {
        n: units.len(),
        areas: a,
        area_weight: areas.iter().map(|&d| f(d)).collect(),
        fixed: Vec::with_capacity(units.len() * a),
        own_max: Vec::with_capacity(units.len() * a),
        fixed_total: Vec::new(),
        max_total: Vec::new(),
        adjustment: units.iter().map(|u| f(u.adjustment)).collect(),
        parts: Vec::new(),
        rank_basis: set.scoring.rank_basis,
        class_basis: set.classes.basis,
        scale: 10f64.powi(set.scoring.decimals as i32),
        rounding: set.scoring.rounding,
        method: set.scoring.rank_method,
        class_keys: Vec::new(),
        class_table: None,
        all_full: units.iter().all(|u| u.area_max.as_slice() == areas),
        jitter: settings.weight_jitter,
        order,
    };
    for u in units {
        m.fixed_total.push(f(u.area_points.iter().copied().sum()));
        m.max_total.push(f(u.max()));
        for s in &u.survey {
            let (rate, se) = s.estimate.rate_and_se();
            m.parts.push(Part {
                unit: m.fixed_total.len() - 1,
                area: s.area,
                rate: f(rate) / 100.0,
                se: se / 100.0,
                max: f(s.max),
                from: f(s.from) / 100.0,
                per_rate: 100.0 / f(s.to - s.from),
            });
        }
    }
    for area in 0..a {
        m.fixed.extend(units.iter().map(|u| f(u.area_points[area])));
        m.own_max.extend(units.iter().map(|u| f(u.area_max[area])));
    }
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
    let top = m.class_keys.iter().flatten().copied().max().unwrap_or(0);
    let classes = set.classes.classes.len();
    if (0..=1 << 20).contains(&top) && classes < u8::MAX as usize {
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

/// Sorts a slice that is probably almost sorted: insertion sort while it stays cheap.
fn nearly_sorted(v: &mut [u64]) {
    let budget = 8 * v.len();
    let mut moves = 0;
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        moves += i - j;
        if moves > budget {
            v.sort_unstable();
            return;
        }
    }
}

fn run_block(m: &Model, settings: &McSettings, block: u32, tally: &mut Tally) {
    let start = block * BLOCK;
    let end = (start + BLOCK).min(settings.replicates);
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    rng.set_stream(block as u64);
    let n = m.n;
    let classes = m.class_keys[0].len();
    let mut weights = vec![1.0f64; m.areas];
    let mut rank_key = vec![0i64; n];
    let mut draws = vec![0.0f64; m.parts.len()];
    let mut packed = vec![0u64; n];
    let mut previous: Vec<u32> = m.order.iter().map(|&u| u as u32).collect();
    let mut totals = vec![0.0f64; n];
    let mut maxes = vec![0.0f64; n];
    // 100 / the unit's maximum: constant unless weights move and some unit lacks an area.
    let mut hundred_over: Vec<f64> = m
        .max_total
        .iter()
        .map(|&x| if x > 0.0 { 100.0 / x } else { 0.0 })
        .collect();
    let weighted = m.jitter > 0.0;
    let total_weight: f64 = m.area_weight.iter().sum();
    for _ in start..end {
        if weighted {
            let mut sum = 0.0;
            for (w, &aw) in weights.iter_mut().zip(&m.area_weight) {
                *w = 1.0 + m.jitter * (2.0 * rng.random::<f64>() - 1.0);
                sum += *w * aw;
            }
            let k = total_weight / sum;
            for w in &mut weights {
                *w *= k;
            }
        }
        let choice = if m.class_keys.len() > 1 {
            rng.random_range(0..m.class_keys.len())
        } else {
            0
        };
        if weighted {
            totals.fill(0.0);
            for (w, fixed) in weights.iter().zip(m.fixed.chunks_exact(n)) {
                for (t, f) in totals.iter_mut().zip(fixed) {
                    *t += w * f;
                }
            }
            if !m.all_full {
                maxes.fill(0.0);
                for (w, own) in weights.iter().zip(m.own_max.chunks_exact(n)) {
                    for (x, o) in maxes.iter_mut().zip(own) {
                        *x += w * o;
                    }
                }
                for (h, &x) in hundred_over.iter_mut().zip(&maxes) {
                    *h = if x > 0.0 { 100.0 / x } else { 0.0 };
                }
            }
        } else {
            totals.copy_from_slice(&m.fixed_total);
        }
        for z in draws.iter_mut() {
            *z = rng.sample(StandardNormal);
        }
        for (part, &z) in m.parts.iter().zip(&draws) {
            let rate = (part.rate + part.se * z).clamp(0.0, 1.0);
            let share = ((rate - part.from) * part.per_rate).clamp(0.0, 1.0);
            totals[part.unit] += weights[part.area] * part.max * share;
        }
        let stride = classes + 1;
        match m.class_table.as_ref() {
            // The usual case, kept tight: classes on the ranking basis, half-up rounding.
            Some(tables) if m.class_basis == m.rank_basis && m.rounding == Rounding::HalfUp => {
                let table = tables[choice].as_slice();
                let last = table.len() - 1;
                let percent = m.rank_basis == Basis::Percent;
                let scale = m.scale;
                for ((((&t, &adj), &h), rk), counts) in totals
                    .iter()
                    .zip(&m.adjustment)
                    .zip(&hundred_over)
                    .zip(rank_key.iter_mut())
                    .zip(tally.class_count.chunks_exact_mut(stride))
                {
                    let total = (t + adj).max(0.0);
                    let v = if percent { total * h } else { total };
                    let k = (v * scale + 0.5 + EPS) as i64;
                    *rk = k;
                    counts[table[(k as usize).min(last)] as usize] += 1;
                }
            }
            _ => {
                let keys = &m.class_keys[choice];
                for (((&t, &adj), &h), (rk, counts)) in
                    totals.iter().zip(&m.adjustment).zip(&hundred_over).zip(
                        rank_key
                            .iter_mut()
                            .zip(tally.class_count.chunks_exact_mut(stride)),
                    )
                {
                    let total = (t + adj).max(0.0);
                    let value = |basis| match basis {
                        Basis::Points => total,
                        Basis::Percent => total * h,
                    };
                    let k = m.key(value(m.rank_basis));
                    *rk = k;
                    let ck = if m.class_basis == m.rank_basis {
                        k
                    } else {
                        m.key(value(m.class_basis))
                    };
                    let c = keys.iter().position(|&min| ck >= min).unwrap_or(classes);
                    counts[c] += 1;
                }
            }
        }
        // Sort (key descending, unit) packed in one integer, starting from the previous
        // replicate's order: replicates differ little, so an insertion sort has few moves to
        // make (past 8n moves it gives up and lets the library sort finish the job).
        for (slot, &u) in packed.iter_mut().zip(&previous) {
            let k = rank_key[u as usize].clamp(0, KEY_LIMIT - 1) as u64;
            *slot = ((KEY_LIMIT as u64 - 1 - k) << UNIT_BITS) | u as u64;
        }
        nearly_sorted(&mut packed);
        for (u, &pk) in previous.iter_mut().zip(&packed) {
            *u = (pk & UNIT_MASK) as u32;
        }
        let mut distinct = 0u32;
        let mut last_key = u64::MAX;
        let mut last_rank = 0u32;
        for (pos, &pk) in packed.iter().enumerate() {
            let u = (pk & UNIT_MASK) as usize;
            let k = pk >> UNIT_BITS;
            if k != last_key {
                distinct += 1;
                last_rank = match m.method {
                    RankMethod::Competition => pos as u32 + 1,
                    RankMethod::Dense => distinct,
                };
                last_key = k;
            }
            tally.hist[u * n + last_rank as usize - 1] += 1;
        }
        for (i, w) in m.order.windows(2).enumerate() {
            match rank_key[w[0]].cmp(&rank_key[w[1]]) {
                std::cmp::Ordering::Greater => tally.above[i] += 1,
                std::cmp::Ordering::Equal => tally.ties[i] += 1,
                std::cmp::Ordering::Less => {}
            }
        }
    }
}
