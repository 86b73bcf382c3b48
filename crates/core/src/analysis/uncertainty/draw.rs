//! The random draws of the Monte Carlo, read from one ChaCha8 stream per block as a sequence of
//! 32-bit words (the words of `rand`'s `next_u32`, fetched 256 at a time with `fill`, which gives
//! the same words in the same order).
//!
//! - `uniform`: a uniform in `[0, 1)` from two words `lo`, `hi`: `((hi << 32 | lo) >> 11) × 2⁻⁵³`
//!   (53 random bits; the same value as `rand`'s `random::<f64>()` from those two words).
//! - `below(m)`: an integer uniform in `0..m` by Lemire's multiply-and-reject on one word (more
//!   only on rejection, with probability below `m / 2³²`).
//! - `normals`: standard normals by the ziggurat method of Marsaglia and Tsang (2000) with 256
//!   layers (`r = 3.654152885361008796`, `v = 0.00492867323399`, the layer edges computed by their
//!   recurrence: the same table as `rand_distr`'s), drawn in batches. First one word per draw:
//!   bits 0–7 pick the layer, bit 8 the sign, bits 9–31 the position within the layer (23 bits);
//!   the draw is done if the point falls in the layer's inner rectangle (about 98.8 % of draws).
//!   Then, for the draws of the batch that were not, in order, further words: one for the wedge
//!   test (`(w + ½)·2⁻³²` as the uniform height), or two per attempt for the tail beyond `r`
//!   (Marsaglia's exponential method); on rejection the draw starts over with a new word. The
//!   method is exact; the only approximation is the 2⁻²³ resolution of the position within a
//!   layer (about 4·10⁻⁷ standard deviations at most).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const WORDS: usize = 256;

/// A block's stream of 32-bit words.
pub(super) struct Words {
    rng: ChaCha8Rng,
    buf: [u32; WORDS],
    pos: usize,
}

impl Words {
    pub(super) fn new(seed: u64, stream: u64) -> Words {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Words {
            rng,
            buf: [0; WORDS],
            pos: WORDS,
        }
    }

    #[inline(always)]
    pub(super) fn next(&mut self) -> u32 {
        if self.pos >= WORDS {
            self.rng.fill(&mut self.buf[..]);
            self.pos = 0;
        }
        let w = self.buf[self.pos];
        self.pos += 1;
        w
    }

    /// The next words of the stream, as many as the buffer holds up to `max` (at least one when
    /// `max > 0`).
    #[inline]
    pub(super) fn chunk(&mut self, max: usize) -> &[u32] {
        if self.pos >= WORDS {
            self.rng.fill(&mut self.buf[..]);
            self.pos = 0;
        }
        let k = max.min(WORDS - self.pos);
        self.pos += k;
        &self.buf[self.pos - k..self.pos]
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub(super) fn uniform(&mut self) -> f64 {
        let lo = self.next() as u64;
        let hi = self.next() as u64;
        ((hi << 32 | lo) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in the open interval `(0, 1)` from one word.
    #[inline]
    fn open(&mut self) -> f64 {
        (self.next() as f64 + 0.5) * (1.0 / (1u64 << 32) as f64)
    }

    /// Uniform integer in `0..m` (`m > 0`), exactly (Lemire's method).
    pub(super) fn below(&mut self, m: u32) -> u32 {
        let mut x = self.next() as u64 * m as u64;
        if (x as u32) < m {
            let threshold = m.wrapping_neg() % m;
            while (x as u32) < threshold {
                x = self.next() as u64 * m as u64;
            }
        }
        (x >> 32) as u32
    }
}

const R: f64 = 3.654_152_885_361_009;
const V: f64 = 0.00492867323399;

fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

/// Working space of [`Ziggurat::normals`].
#[derive(Default)]
pub(super) struct Scratch {
    words: Vec<u32>,
    outside: Vec<u8>,
}

/// The 256-layer ziggurat of the standard normal.
pub(super) struct Ziggurat {
    /// Layer edges: `x[0] = v / f(r)` (the base strip's width), `x[1] = r`, …, `x[256] = 0`.
    x: [f64; 257],
    /// `x[i] × 2⁻²³`: the step of layer `i`.
    step: [f64; 256],
    /// `f(x[i])`.
    f: [f64; 257],
    /// Per layer, the least position `j` outside its inner rectangle (the least `j` with
    /// `j × step ≥ x[i + 1]`).
    inner: [u32; 256],
}

impl Ziggurat {
    pub(super) fn new() -> Ziggurat {
        let mut x = [0.0; 257];
        x[0] = V / pdf(R);
        x[1] = R;
        for i in 1..255 {
            x[i + 1] = (-2.0 * (V / x[i] + pdf(x[i])).ln()).sqrt();
        }
        x[256] = 0.0;
        let mut step = [0.0; 256];
        for (s, &xi) in step.iter_mut().zip(&x) {
            *s = xi * (1.0 / (1u32 << 23) as f64);
        }
        let mut f = [0.0; 257];
        for (fi, &xi) in f.iter_mut().zip(&x) {
            *fi = pdf(xi);
        }
        let mut inner = [0u32; 256];
        for (i, l) in inner.iter_mut().enumerate() {
            let (st, edge) = (step[i], x[i + 1]);
            let top = 1i64 << 23;
            let mut j = ((edge / st).floor() as i64).clamp(0, top);
            while j > 0 && (j - 1) as f64 * st >= edge {
                j -= 1;
            }
            while j < top && (j as f64) * st < edge {
                j += 1;
            }
            *l = j as u32;
        }
        Ziggurat { x, step, f, inner }
    }

    /// Standard normals for all of `out`: first one word per draw (the fast path, accepted
    /// when the point falls in its layer's inner rectangle), then, in order, the further words
    /// of the draws that did not (wedge test or tail, starting over on rejection). `scratch`
    /// is working space.
    #[inline(always)]
    pub(super) fn normals(&self, stream: &mut Words, out: &mut [f64], scratch: &mut Scratch) {
        let n = out.len();
        scratch.words.resize(n, 0);
        scratch.outside.resize(n.next_multiple_of(8), 0);
        let mut done = 0;
        while done < n {
            let words = stream.chunk(n - done);
            scratch.words[done..done + words.len()].copy_from_slice(words);
            done += words.len();
        }
        // One pass: where the kernel runs with AVX2 or AVX-512 (see `run_block`), the two table
        // lookups become gathers and the whole pass vectorises; the baseline does them one by
        // one. Then the few draws outside their layer's inner rectangle, in order.
        for ((o, &w), outside) in out
            .iter_mut()
            .zip(&scratch.words)
            .zip(scratch.outside.iter_mut())
        {
            let layer = (w & 0xff) as usize;
            let j = (w >> 9) as i32;
            let x = f64::from(j) * self.step[layer];
            let sign = u64::from(w & 0x100) << 55;
            let inside = j < self.inner[layer] as i32;
            *o = f64::from_bits(x.to_bits() | sign);
            *outside = u8::from(!inside);
        }
        for (c, bytes) in scratch.outside.chunks_exact(8).enumerate() {
            let mut mask = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            while mask != 0 {
                let t = c * 8 + mask.trailing_zeros() as usize / 8;
                out[t] = self.slow(stream, scratch.words[t]);
                mask &= mask - 1;
            }
        }
        scratch.outside.fill(0);
    }

    /// The rest of a draw whose first word `w` fell outside the inner rectangle.
    #[cold]
    #[inline(never)]
    fn slow(&self, words: &mut Words, mut w: u32) -> f64 {
        loop {
            let i = (w & 0xff) as usize;
            let x = (w >> 9) as f64 * self.step[i];
            let sign = u64::from((w >> 8) & 1) << 63;
            if x < self.x[i + 1] {
                return f64::from_bits(x.to_bits() | sign);
            }
            if i == 0 {
                // The tail beyond r: x = r + e/r with e exponential, accepted with
                // probability exp(−e²/(2r²)) (Marsaglia 1964).
                loop {
                    let t = -words.open().ln() / R;
                    let y = -words.open().ln();
                    if 2.0 * y > t * t {
                        return f64::from_bits((R + t).to_bits() | sign);
                    }
                }
            }
            // The wedge between x[i + 1] and x[i]: a uniform height in the strip, accepted
            // under the density.
            if self.f[i] + words.open() * (self.f[i + 1] - self.f[i]) < pdf(x) {
                return f64::from_bits(x.to_bits() | sign);
            }
            w = words.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_marsaglia_and_tsangs() {
        let z = Ziggurat::new();
        // Values of rand_distr's ZIG_NORM_X (generated at high precision).
        assert_eq!(z.x[0], 3.910_757_959_537_09);
        assert_eq!(z.x[2], 3.449_278_298_560_964_5);
        assert!((z.x[255] - 0.2152418959132738).abs() < 1e-15);
        // Every layer has area v.
        for i in 1..256 {
            let area = z.x[i] * (z.f[i + 1] - z.f[i]);
            assert!((area - V).abs() < 1e-10, "layer {i}: {area}");
        }
    }

    #[test]
    fn the_inner_thresholds_match_the_float_test() {
        let z = Ziggurat::new();
        for i in 0..256 {
            let (step, inner) = (z.step[i], z.inner[i]);
            for j in [
                inner.saturating_sub(2),
                inner.saturating_sub(1),
                inner,
                inner + 1,
            ] {
                if j < 1 << 23 {
                    assert_eq!(
                        j < inner,
                        f64::from(j) * step < z.x[i + 1],
                        "layer {i}, j {j}"
                    );
                }
            }
        }
        // The top layer has no inner rectangle; the others do.
        assert_eq!(z.inner[255], 0);
        assert!(z.inner[..255].iter().all(|&k| k > 0));
    }

    #[test]
    fn normals_have_the_normal_distribution() {
        let z = Ziggurat::new();
        let mut w = Words::new(42, 0);
        let n = 1_000_000;
        let mut draws = vec![0.0; n];
        // In batches of 200, as the simulation draws them.
        let mut scratch = Scratch::default();
        for chunk in draws.chunks_mut(200) {
            z.normals(&mut w, chunk, &mut scratch);
        }
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let kurt = draws.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / var / var;
        assert!(mean.abs() < 0.005, "{mean}");
        assert!((var - 1.0).abs() < 0.005, "{var}");
        assert!((kurt - 3.0).abs() < 0.03, "{kurt}");
        // Kolmogorov–Smirnov distance to Φ (erf-free: against a fine numerical integral).
        let mut sorted = draws;
        sorted.sort_by(f64::total_cmp);
        let phi = |t: f64| {
            // Simpson on [−8, t].
            let a = -8.0;
            if t <= a {
                return 0.0;
            }
            let k = 2000;
            let h = (t - a) / k as f64;
            let mut s = pdf(a) + pdf(t);
            for j in 1..k {
                s += pdf(a + j as f64 * h) * if j % 2 == 1 { 4.0 } else { 2.0 };
            }
            s * h / 3.0 / (2.0 * std::f64::consts::PI).sqrt()
        };
        let mut d: f64 = 0.0;
        for q in 1..200 {
            let t = -4.0 + q as f64 * 0.04;
            let below = sorted.partition_point(|&x| x < t) as f64 / n as f64;
            d = d.max((below - phi(t)).abs());
        }
        // The 99.9 % critical value of the KS statistic is 1.95/√n ≈ 0.00195.
        assert!(d < 0.00195, "KS distance {d}");
        // Tails: beyond r = 3.654 the share is 2.58e-4 (about 258 of a million).
        let tail = sorted.iter().filter(|x| x.abs() > R).count();
        assert!((180..340).contains(&tail), "{tail}");
    }

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut w = Words::new(7, 1);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[w.below(3) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        let u: Vec<f64> = (0..10_000).map(|_| w.uniform()).collect();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
    }

    #[test]
    fn the_words_are_rands_next_u32() {
        use rand::Rng;
        let mut ours = Words::new(20200608, 5);
        let mut theirs = ChaCha8Rng::seed_from_u64(20200608);
        theirs.set_stream(5);
        for _ in 0..1000 {
            assert_eq!(ours.next(), theirs.next_u32());
        }
    }
}
