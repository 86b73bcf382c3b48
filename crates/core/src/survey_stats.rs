//! SIPAS statistics from sufficient statistics: per-item answer counts and, per unit, the sums and
//! cross-products of each respondent's per-element tallies. Indices, 95 % intervals that respect
//! that one respondent answers every element, small-sample flags, and rankings with rank
//! intervals — from a few hundred integers per unit, whatever the number of responses.
//! The method is written up in docs/survey-statistics.md.

use serde::{Deserialize, Serialize};

/// The five-level answer scale's codes; 0 means no valid answer (skipped, "don't know").
pub const SCALE: usize = 5;

/// How satisfaction is measured from answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Share of valid answers that are 4 or 5 (the SIPAS satisfaction rate).
    #[default]
    Satisfied,
    /// Mean answer divided by 5.
    MeanScore,
    /// Share of valid answers that are 5.
    TopBox,
}

/// Counts of each answer code (index 0: no valid answer; 1..=5 the scale) for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemCounts(pub [u64; SCALE + 1]);

impl ItemCounts {
    pub fn add(&mut self, answer: u8) {
        let i = (answer as usize).min(SCALE);
        self.0[i] += 1;
    }
    pub fn valid(&self) -> u64 {
        self.0[1..].iter().sum()
    }
    fn numerator(&self, measure: Measure) -> u64 {
        match measure {
            Measure::Satisfied => self.0[4] + self.0[5],
            Measure::TopBox => self.0[5],
            Measure::MeanScore => (1..=SCALE).map(|k| k as u64 * self.0[k]).sum(),
        }
    }
    fn scale_of(measure: Measure) -> f64 {
        if measure == Measure::MeanScore {
            SCALE as f64
        } else {
            1.0
        }
    }
    /// The item's index in percent with a Wilson 95 % interval (respondents are independent, and
    /// one respondent answers an item once). For the mean score, a normal interval on the mean.
    pub fn estimate(&self, measure: Measure) -> Estimate {
        let n = self.valid();
        if n == 0 {
            return Estimate::empty();
        }
        let nf = n as f64;
        match measure {
            Measure::Satisfied | Measure::TopBox => {
                let p = self.numerator(measure) as f64 / nf;
                let (lo, hi) = wilson(p, nf);
                Estimate {
                    value: 100.0 * p,
                    se: 100.0 * (p * (1.0 - p) / nf).sqrt(),
                    lo: 100.0 * lo,
                    hi: 100.0 * hi,
                    n,
                }
            }
            Measure::MeanScore => {
                let mean = self.numerator(measure) as f64 / nf;
                let sq: f64 = (1..=SCALE)
                    .map(|k| (k * k) as f64 * self.0[k] as f64)
                    .sum::<f64>()
                    / nf;
                let var = if n > 1 {
                    (sq - mean * mean).max(0.0) * nf / (nf - 1.0)
                } else {
                    0.0
                };
                let se = (var / nf).sqrt() / SCALE as f64;
                let v = mean / SCALE as f64;
                Estimate::normal(100.0 * v, 100.0 * se, n)
            }
        }
    }
}

const Z95: f64 = 1.959_963_984_540_054;

fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// A figure in percent with its standard error and 95 % interval, and the respondents behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub lo: f64,
    pub hi: f64,
    pub n: u64,
}

impl Estimate {
    fn empty() -> Estimate {
        Estimate {
            value: f64::NAN,
            se: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            n: 0,
        }
    }
    fn normal(value: f64, se: f64, n: u64) -> Estimate {
        Estimate {
            value,
            se,
            lo: (value - Z95 * se).max(0.0),
            hi: (value + Z95 * se).min(100.0),
            n,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Half the interval's width, in percentage points.
    pub fn half_width(&self) -> f64 {
        (self.hi - self.lo) / 2.0
    }
}

/// One respondent's tallies for one element: answers that were valid, satisfied (4–5), top (5),
/// and the sum of the valid answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ElementTally {
    pub valid: u32,
    pub satisfied: u32,
    pub top: u32,
    pub score: u32,
}

impl ElementTally {
    pub fn add(&mut self, answer: u8) {
        if (1..=SCALE as u8).contains(&answer) {
            self.valid += 1;
            self.score += answer as u32;
            if answer >= 4 {
                self.satisfied += 1;
            }
            if answer == 5 {
                self.top += 1;
            }
        }
    }
}

// Per element, four coordinates of a respondent's vector x: satisfied, top, score, valid.
const COORDS: usize = 4;

/// The running statistics of one unit (or one unit × segment): the number of respondents, and the
/// sum and cross-products of their per-element tally vectors. Integers, so merging batches and
/// recomputing from raw rows agree exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStats {
    pub elements: usize,
    pub respondents: u64,
    /// Σ x_i, length 4·elements.
    pub sums: Vec<u64>,
    /// Σ x_i x_iᵀ, upper triangle by rows, length d(d+1)/2 with d = 4·elements.
    pub cross: Vec<u64>,
}

impl UnitStats {
    pub fn new(elements: usize) -> UnitStats {
        let d = COORDS * elements;
        UnitStats {
            elements,
            respondents: 0,
            sums: vec![0; d],
            cross: vec![0; d * (d + 1) / 2],
        }
    }

    fn dim(&self) -> usize {
        COORDS * self.elements
    }

    fn vector(tallies: &[ElementTally]) -> Vec<u64> {
        tallies
            .iter()
            .flat_map(|t| {
                [
                    t.satisfied as u64,
                    t.top as u64,
                    t.score as u64,
                    t.valid as u64,
                ]
            })
            .collect()
    }

    /// Adds one respondent's tallies (one per element, in element order).
    pub fn add(&mut self, tallies: &[ElementTally]) {
        debug_assert_eq!(tallies.len(), self.elements);
        let x = Self::vector(tallies);
        let d = self.dim();
        self.respondents += 1;
        let mut k = 0;
        for a in 0..d {
            self.sums[a] += x[a];
            for b in a..d {
                self.cross[k] += x[a] * x[b];
                k += 1;
            }
        }
    }

    /// Adds another unit's statistics (e.g. a committed batch) to these.
    pub fn merge(&mut self, other: &UnitStats) {
        self.respondents += other.respondents;
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.cross.iter_mut().zip(&other.cross) {
            *a += b;
        }
    }

    fn cross_at(&self, a: usize, b: usize) -> u64 {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        self.cross[row_start(self.dim(), a) + (b - a)]
    }

    fn numerator_coord(measure: Measure) -> usize {
        match measure {
            Measure::Satisfied => 0,
            Measure::TopBox => 1,
            Measure::MeanScore => 2,
        }
    }

    /// Element e's index (percent) with a 95 % interval: a ratio estimator over respondents,
    /// its variance by linearisation (respondents are the sampling units).
    pub fn element(&self, e: usize, measure: Measure) -> Estimate {
        let mut weights = vec![0.0; self.elements];
        weights[e] = 1.0;
        self.combined(&weights, measure)
    }

    /// The overall index: the weighted mean of the element indices (equal weights by default),
    /// with an interval that counts the covariance between elements answered by the same people.
    pub fn overall(&self, weights: Option<&[f64]>, measure: Measure) -> Estimate {
        let equal = vec![1.0 / self.elements as f64; self.elements];
        let w = weights.unwrap_or(&equal);
        let total: f64 = w.iter().sum();
        let w: Vec<f64> = w.iter().map(|x| x / total).collect();
        self.combined(&w, measure)
    }

    fn combined(&self, weights: &[f64], measure: Measure) -> Estimate {
        let n = self.respondents;
        if n == 0 {
            return Estimate::empty();
        }
        let nf = n as f64;
        let d = self.dim();
        let num = Self::numerator_coord(measure);
        let scale = ItemCounts::scale_of(measure);
        // Linearised contribution of respondent i: u_i = Σ_e w_e (num_ie − R_e·valid_ie) / (scale·V̄_e).
        let mut a = vec![0.0; d];
        let mut value = 0.0;
        for (e, &w) in weights.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            let valid = self.sums[COORDS * e + 3] as f64;
            if valid == 0.0 {
                return Estimate::empty();
            }
            let ratio = self.sums[COORDS * e + num] as f64 / valid;
            value += w * ratio / scale;
            let mean_valid = valid / nf;
            a[COORDS * e + num] += w / (scale * mean_valid);
            a[COORDS * e + 3] -= w * ratio / (scale * mean_valid);
        }
        // Σ u_i = a·Σx (zero up to rounding); Σ u_i² = aᵀ (Σ x xᵀ) a.
        let sum_u: f64 = a.iter().zip(&self.sums).map(|(ai, s)| ai * *s as f64).sum();
        let mut sum_u2 = 0.0;
        for i in 0..d {
            if a[i] == 0.0 {
                continue;
            }
            for j in 0..d {
                if a[j] != 0.0 {
                    sum_u2 += a[i] * a[j] * self.cross_at(i, j) as f64;
                }
            }
        }
        let var = if n > 1 {
            ((sum_u2 - sum_u * sum_u / nf) / (nf * (nf - 1.0))).max(0.0)
        } else {
            f64::NAN
        };
        Estimate::normal(100.0 * value, 100.0 * var.sqrt(), n)
    }
}

fn row_start(d: usize, a: usize) -> usize {
    // Rows 0..a of an upper triangle hold d + (d−1) + … + (d−a+1) entries.
    a * d - a * a.saturating_sub(1) / 2
}

/// When a figure rests on too little: fewer respondents than `min_n`, or an interval wider than
/// ± `max_half_width` points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmallSample {
    pub min_n: u64,
    pub max_half_width: f64,
}

impl Default for SmallSample {
    fn default() -> Self {
        SmallSample {
            min_n: 100,
            max_half_width: 5.0,
        }
    }
}

impl SmallSample {
    pub fn flags(&self, e: &Estimate) -> bool {
        e.n < self.min_n || !e.half_width().is_finite() || e.half_width() > self.max_half_width
    }
}

/// A unit's place in a survey ranking, with the range of ranks its interval allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedEstimate {
    pub unit: String,
    pub estimate: Estimate,
    pub rank: u32,
    /// 1 + the number of units significantly above.
    pub best_rank: u32,
    /// n − the number of units significantly below.
    pub worst_rank: u32,
    /// The next unit in the ranking is not significantly different from this one.
    pub same_as_next: bool,
}

/// Two independent estimates differ significantly at 5 % (two-sided z test on the difference).
pub fn significantly_different(a: &Estimate, b: &Estimate) -> bool {
    let se = (a.se * a.se + b.se * b.se).sqrt();
    se.is_finite() && (a.value - b.value).abs() > Z95 * se
}

/// Ranks units on their estimates (highest first, ties share the competition rank), each with
/// its rank interval and a mark where the next unit cannot be told apart from it.
pub fn rank_estimates(units: &[(String, Estimate)]) -> Vec<RankedEstimate> {
    let mut order: Vec<usize> = (0..units.len())
        .filter(|&i| !units[i].1.is_empty())
        .collect();
    order.sort_by(|&a, &b| {
        units[b]
            .1
            .value
            .total_cmp(&units[a].1.value)
            .then_with(|| crate::text::compare(&units[a].0, &units[b].0))
    });
    let n = order.len() as u32;
    let mut out: Vec<RankedEstimate> = order
        .iter()
        .map(|&i| {
            let e = &units[i].1;
            let rank = 1 + order
                .iter()
                .filter(|&&j| units[j].1.value > e.value)
                .count() as u32;
            let above = order
                .iter()
                .filter(|&&j| units[j].1.value > e.value && significantly_different(&units[j].1, e))
                .count() as u32;
            let below = order
                .iter()
                .filter(|&&j| units[j].1.value < e.value && significantly_different(&units[j].1, e))
                .count() as u32;
            RankedEstimate {
                unit: units[i].0.clone(),
                estimate: *e,
                rank,
                best_rank: 1 + above,
                worst_rank: n - below,
                same_as_next: false,
            }
        })
        .collect();
    for k in 0..out.len().saturating_sub(1) {
        out[k].same_as_next = !significantly_different(&out[k].estimate, &out[k + 1].estimate);
    }
    out
}

/// Sample size for a unit that served `population` people: n = N / (1 + N·e²) (Slovin), rounded up.
pub fn slovin(population: u64, margin: f64) -> u64 {
    if population == 0 {
        return 0;
    }
    let n = population as f64 / (1.0 + population as f64 * margin * margin);
    (n.ceil() as u64).min(population)
}
