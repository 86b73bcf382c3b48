//! Benchmark of the rank Monte Carlo (analysis::uncertainty) on a generated round: reads the
//! JSON that `bench/analysis_mc.py generate` writes, builds the criteria set and scores every
//! unit through the engine, runs the simulation with 1 thread and with all threads (checking
//! that both give identical results), and on one thread with the portable kernel only (no
//! run-time selection of AVX2 or AVX-512; checking that it gives identical results too), and
//! prints the results and timings as JSON. `MC_RUNS` sets how many times each runs (7).
//!
//! `cargo run --release -p parindex-core --example mc_bench -- input.json`

use parindex_core::analysis::uncertainty::{
    McSettings, McUnit, SurveyEstimate, simulate, simulate_portable,
};
use parindex_core::engine::{UnitData, UnitInput, score_unit};
use parindex_core::num::Rounding;
use parindex_core::rules::Rule;
use parindex_core::set::{
    Basis, ClassDef, Classes, Code, CriteriaSet, Group, Node, RankMethod, Scoring, SetParts,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Instant;

#[derive(Deserialize)]
struct Input {
    seed: u64,
    replicates: u32,
    weight_jitter: f64,
    class_minima: Vec<Vec<String>>,
    areas: Vec<AreaIn>,
    units: Vec<UnitIn>,
}

#[derive(Deserialize)]
struct AreaIn {
    max: String,
    criteria: Vec<Vec<LeafIn>>,
}

#[derive(Deserialize)]
struct LeafIn {
    max: String,
    survey: Option<String>,
}

#[derive(Deserialize)]
struct UnitIn {
    unit: String,
    /// Per sub-criterion in code order; survey-derived ones are empty (they come from `survey`).
    points: Vec<String>,
    survey: BTreeMap<String, Vec<(u64, u64)>>,
}

/// The time this thread has spent on a CPU (`CLOCK_THREAD_CPUTIME_ID`), which time spent waiting
/// for a core on a loaded machine does not inflate. With one thread the simulation runs on the
/// calling thread. (Not `/proc/thread-self/schedstat`: for a running thread it lags by up to a
/// scheduler tick, 4 ms here, so the least of several runs understated the time.)
fn thread_cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The instruction set the simulation's kernel runs on here (pulp's choice at run time).
fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    match pulp::Arch::new() {
        pulp::Arch::V4(_) => "x86-64-v4 (AVX-512)",
        pulp::Arch::V3(_) => "x86-64-v3 (AVX2)",
        _ => "baseline",
    }
    #[cfg(not(target_arch = "x86_64"))]
    "baseline"
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|_| panic!("'{s}' is not a number"))
}

fn node(code: &str, title: &str, max: Decimal, rule: Option<Rule>) -> Node {
    Node {
        code: Code::parse(code).unwrap(),
        title: title.to_string(),
        title_en: None,
        max,
        max_by_level: BTreeMap::new(),
        declared: None,
        evidence: None,
        allow_na: false,
        rule,
        line: 0,
    }
}

fn build_set(input: &Input) -> CriteriaSet {
    let mut nodes = Vec::new();
    let mut total = Decimal::ZERO;
    for (a, area) in input.areas.iter().enumerate() {
        let a_code = format!("{}", a + 1);
        nodes.push(node(&a_code, "Lĩnh vực", dec(&area.max), None));
        total += dec(&area.max);
        for (c, leaves) in area.criteria.iter().enumerate() {
            let c_code = format!("{a_code}.{}", c + 1);
            let c_max: Decimal = leaves.iter().map(|l| dec(&l.max)).sum();
            nodes.push(node(&c_code, "Tiêu chí", c_max, None));
            for (l, leaf) in leaves.iter().enumerate() {
                let rule = match &leaf.survey {
                    Some(indicator) => Rule::Survey {
                        indicator: indicator.clone(),
                        from: Decimal::ZERO,
                        to: Decimal::ONE_HUNDRED,
                    },
                    None => Rule::Manual,
                };
                nodes.push(node(
                    &format!("{c_code}.{}", l + 1),
                    "Tiêu chí thành phần",
                    dec(&leaf.max),
                    Some(rule),
                ));
            }
        }
    }
    let class = |label: &str, min: i64| ClassDef {
        label: label.to_string(),
        label_en: None,
        min: Decimal::from(min),
        min_inclusive: true,
    };
    CriteriaSet::from_parts(SetParts {
        source: "bench".into(),
        code: "bench".into(),
        title: "Bench".into(),
        title_en: None,
        year: 2019,
        total,
        levels: vec!["so".into()],
        groups: vec![Group {
            code: "so".into(),
            name: "Sở".into(),
            name_en: None,
        }],
        scoring: Scoring {
            rank_basis: Basis::Percent,
            rank_method: RankMethod::Competition,
            decimals: 2,
            rounding: Rounding::HalfUp,
        },
        bonus_max: Decimal::ZERO,
        penalty_max: Decimal::ZERO,
        classes: Classes {
            basis: Basis::Percent,
            classes: vec![
                class("Xuất sắc", 90),
                class("Tốt", 80),
                class("Khá", 70),
                class("Trung bình", 50),
                class("Yếu", 0),
            ],
        },
        nodes,
    })
    .unwrap_or_else(|p| panic!("{p}"))
}

fn rank_sd(hist: &[u32], mean: f64) -> f64 {
    let r: f64 = hist.iter().map(|&h| h as f64).sum();
    let ss: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &h)| h as f64 * ((i + 1) as f64 - mean).powi(2))
        .sum();
    (ss / r).sqrt()
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: mc_bench INPUT.json");
    let text = std::fs::read_to_string(&path).expect("cannot read the input");
    let input: Input = serde_json::from_str(&text).expect("bad input JSON");

    let t0 = Instant::now();
    let set = build_set(&input);
    let survey_leaves: Vec<Option<String>> = input
        .areas
        .iter()
        .flat_map(|a| a.criteria.iter().flatten())
        .map(|l| l.survey.clone())
        .collect();
    let mut units = Vec::with_capacity(input.units.len());
    for u in &input.units {
        let estimates: BTreeMap<String, SurveyEstimate> = u
            .survey
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    SurveyEstimate::Counts {
                        elements: v.clone(),
                    },
                )
            })
            .collect();
        let declared: Vec<String> = u
            .points
            .iter()
            .zip(&survey_leaves)
            .map(|(p, s)| match s {
                Some(ind) => estimates[ind].rate_and_se().0.to_string(),
                None => p.clone(),
            })
            .collect();
        let score = score_unit(
            &set,
            &UnitInput {
                unit: u.unit.clone(),
                name: u.unit.clone(),
                group: "so".into(),
                level: None,
                data: UnitData::Declared(declared),
                bonus: Decimal::ZERO,
                penalty: Decimal::ZERO,
            },
        )
        .unwrap_or_else(|p| panic!("{p}"));
        units.push(McUnit::from_score(&set, &score, &estimates).unwrap());
    }
    let setup = t0.elapsed();

    let settings = McSettings {
        replicates: input.replicates,
        seed: input.seed,
        weight_jitter: input.weight_jitter,
        class_minima: input
            .class_minima
            .iter()
            .map(|m| m.iter().map(|s| dec(s)).collect())
            .collect(),
        threads: 1,
    };
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let mut times_1 = Vec::new();
    let mut cpu_1 = Vec::new();
    let mut times_n = Vec::new();
    let mut times_portable = Vec::new();
    let mut result = None;
    // MC_RUNS: how many times each variant runs (7 unless set; more for profiling).
    let runs = std::env::var("MC_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    for _ in 0..runs {
        let t = Instant::now();
        let c = thread_cpu_seconds();
        let one = simulate(&set, &units, &settings).unwrap();
        cpu_1.push(thread_cpu_seconds() - c);
        times_1.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let all = simulate(
            &set,
            &units,
            &McSettings {
                threads,
                ..settings.clone()
            },
        )
        .unwrap();
        times_n.push(t.elapsed().as_secs_f64());
        assert_eq!(one, all, "results must not depend on the thread count");
        let t = Instant::now();
        let portable = simulate_portable(&set, &units, &settings).unwrap();
        times_portable.push(t.elapsed().as_secs_f64());
        assert_eq!(
            one, portable,
            "the selected kernel must match the portable one"
        );
        result = Some(all);
    }
    // The best run: on a shared machine it is the closest to the uncontended time.
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let result = result.unwrap();
    let out = serde_json::json!({
        "implementation": "rust",
        "setup_seconds": setup.as_secs_f64(),
        "simulate_seconds_1_thread": best(&times_1),
        "simulate_cpu_seconds_1_thread": best(&cpu_1),
        "simulate_seconds_portable_kernel": best(&times_portable),
        "simd": simd_level(),
        "simulate_seconds": best(&times_n),
        "threads": threads,
        "units": result.units.iter().map(|u| serde_json::json!({
            "unit": u.unit,
            "rank": u.rank,
            "median_rank": u.median_rank,
            "rank_p05": u.rank_p05,
            "rank_p95": u.rank_p95,
            "mean_rank": u.mean_rank,
            "rank_sd": rank_sd(&u.rank_histogram, u.mean_rank),
            "class_probability": u.class_probability,
        })).collect::<Vec<_>>(),
        "indistinct": result.indistinct,
        "seed": result.seed,
        "replicates": result.replicates,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
