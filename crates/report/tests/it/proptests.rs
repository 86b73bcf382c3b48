//! Random valid sets: XLSX export → import and TOML write → parse are the identity.
//!
//! The sets are generated as TOML text by a small writer of the test's own (decimals as strings),
//! read with `parse_set`, and then sent through the writers under test.

use crate::common::{assert_same, read_ok};
use parindex_core::locale::Locale;
use parindex_core::set::parse_set;
use parindex_report::{write_set_toml, write_set_xlsx};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'h', 'n', 'x', 'A', 'Đ', 'đ', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'ạ', 'ả', 'ấ', 'ầ',
    'ẩ', 'ẫ', 'ậ', 'ế', 'ệ', 'ỉ', 'ọ', 'ồ', 'ờ', 'ữ', 'ỳ', 'ý', 'ỹ', ' ', ' ', ' ', ',', '.', '-',
    '(', ')', '"', '\'', '\\', '#', '=', ';', '{', '}', '[', ']', '%', '/', '1', '2', '0', '&',
    '<', '>', '\n',
];

/// Trimmed, non-empty NFC text (every character above is precomposed).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 1..24).prop_map(|chars| {
        let s: String = chars.into_iter().collect();
        let t = s.trim();
        if t.is_empty() {
            "x".to_string()
        } else {
            t.to_string()
        }
    })
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

/// A positive decimal with up to 3 places.
fn positive() -> impl Strategy<Value = Decimal> {
    (1i64..=20_000, 0u32..=3).prop_map(|(n, s)| Decimal::new(n, s))
}

/// `share` of `of`, cut to 3 places (so never above `of`).
fn part(of: Decimal, per_mille: u32) -> Decimal {
    (of * Decimal::new(per_mille as i64 % 1001, 3))
        .round_dp_with_strategy(3, RoundingStrategy::ToZero)
        .normalize()
}

#[derive(Debug, Clone)]
struct Leaf {
    max: Decimal,
    /// Per level: an override of the maximum.
    by_level: Vec<Option<Decimal>>,
    title: String,
    title_en: Option<String>,
    declared: Option<String>,
    evidence: Option<String>,
    allow_na: bool,
    kind: u8,
    seeds: Vec<u32>,
    labels: Vec<String>,
}

fn leaf() -> impl Strategy<Value = Leaf> {
    (
        positive(),
        prop::collection::vec(prop::option::weighted(0.3, positive()), 3),
        text(),
        opt_text(),
        opt_text(),
        opt_text(),
        any::<bool>(),
        0u8..9,
        prop::collection::vec(any::<u32>(), 16),
        prop::collection::vec(text(), 3),
    )
        .prop_map(
            |(
                max,
                by_level,
                title,
                title_en,
                declared,
                evidence,
                allow_na,
                kind,
                seeds,
                labels,
            )| Leaf {
                max,
                by_level,
                title,
                title_en,
                declared,
                evidence,
                allow_na,
                kind,
                seeds,
                labels,
            },
        )
}

/// An area: its title and its criteria, each a title and its sub-criteria.
type Area = (String, Vec<(String, Vec<Leaf>)>);

#[derive(Debug, Clone)]
struct Spec {
    levels: Vec<&'static str>,
    groups: Vec<(String, Option<String>)>,
    title: String,
    title_en: Option<String>,
    year: i32,
    scoring: (u8, u8, u32, u8),
    bonus: Option<Decimal>,
    penalty: Option<Decimal>,
    classes_basis: u8,
    classes: Vec<(String, Option<String>, Decimal, bool)>,
    tree: Vec<Area>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let levels = prop::sample::select(vec![
        vec!["so"],
        vec!["huyen", "xa"],
        vec!["tw", "so", "huyen"],
    ]);
    let groups = prop::collection::vec((text(), opt_text()), 1..=3);
    let classes = prop::collection::vec((text(), opt_text(), positive(), any::<bool>()), 0..=3);
    let tree = prop::collection::vec(
        (
            text(),
            prop::collection::vec((text(), prop::collection::vec(leaf(), 1..=3)), 1..=3),
        ),
        1..=3,
    );
    (
        levels,
        groups,
        (text(), opt_text(), 2000i32..=2100),
        (0u8..2, 0u8..2, 0u32..=4, 0u8..3),
        (
            prop::option::of(positive()),
            prop::option::of(positive()),
            0u8..2,
        ),
        (classes, text(), opt_text()),
        tree,
    )
        .prop_map(
            |(
                levels,
                groups,
                (title, title_en, year),
                scoring,
                (bonus, penalty, classes_basis),
                (classes, last, last_en),
                tree,
            )| {
                // Classes best first with strictly decreasing thresholds; the last admits 0.
                let mut upper: Vec<(String, Option<String>, Decimal, bool)> = classes;
                upper.sort_by_key(|c| std::cmp::Reverse(c.2));
                upper.dedup_by(|a, b| a.2 == b.2);
                upper.push((last, last_en, Decimal::ZERO, true));
                Spec {
                    levels,
                    groups,
                    title,
                    title_en,
                    year,
                    scoring,
                    bonus,
                    penalty,
                    classes_basis,
                    classes: upper,
                    tree,
                }
            },
        )
}

fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn d(x: Decimal) -> String {
    q(&x.to_string())
}

/// The rule of a leaf, its parameters fitting `m`, the smallest of its maxima.
fn rule(l: &Leaf, m: Decimal) -> String {
    let r = &l.seeds;
    let pm = |i: usize| r[i] % 1001;
    match l.kind {
        0 => "{ type = \"binary\" }".into(),
        1 => {
            let mut v = [part(m, pm(0)), part(m, pm(1)), part(m, pm(2))];
            v.sort();
            let on = if r[3].is_multiple_of(2) {
                format!("on_time = {}, ", d(v[2]))
            } else {
                String::new()
            };
            format!(
                "{{ type = \"timeliness\", {on}late = {}, missing = {} }}",
                d(v[1]),
                d(v[0])
            )
        }
        2 => {
            let (lo, hi) = if r[0].is_multiple_of(2) {
                (Decimal::ZERO, Decimal::ONE_HUNDRED)
            } else {
                let lo = Decimal::new((r[1] % 50_000) as i64, 3);
                (lo, lo + Decimal::new(1 + (r[2] % 100_000) as i64, 3))
            };
            let n = 1 + (r[3] % 4) as i64;
            let cuts: Vec<Decimal> = (1..n)
                .map(|i| (lo + (hi - lo) * Decimal::from(i) / Decimal::from(n)).round_dp(3))
                .collect();
            let mut bands = Vec::new();
            for i in 0..n as usize {
                let mut b = String::from("{ ");
                if i == 0 {
                    match r[4] % 3 {
                        0 => {}
                        1 => b.push_str(&format!("min = {}, ", d(lo))),
                        _ => b.push_str(&format!(
                            "min = {}, min_inclusive = {}, ",
                            d(lo - Decimal::ONE),
                            r[5].is_multiple_of(2)
                        )),
                    }
                    if r[4].is_multiple_of(3) && r[5].is_multiple_of(2) {
                        b.push_str("min_inclusive = false, ");
                    }
                } else {
                    let inclusive = (r[6] >> i) & 1 == 1;
                    b.push_str(&format!(
                        "min = {}, min_inclusive = {inclusive}, ",
                        d(cuts[i - 1])
                    ));
                }
                if i + 1 < n as usize {
                    let inclusive = (r[6] >> (i + 1)) & 1 == 0;
                    b.push_str(&format!(
                        "max = {}, max_inclusive = {inclusive}, ",
                        d(cuts[i])
                    ));
                } else {
                    match r[7] % 3 {
                        0 => {}
                        1 => b.push_str(&format!("max = {}, max_inclusive = true, ", d(hi))),
                        _ => b.push_str(&format!(
                            "max = {}, max_inclusive = {}, ",
                            d(hi + Decimal::ONE),
                            r[8].is_multiple_of(2)
                        )),
                    }
                }
                b.push_str(&format!("points = {} }}", d(part(m, r[9 + i] % 1001))));
                bands.push(b);
            }
            let domain = if r[0].is_multiple_of(2) {
                String::new()
            } else {
                format!("domain = [{}, {}], ", d(lo), d(hi))
            };
            format!(
                "{{ type = \"bands\", {domain}bands = [{}] }}",
                bands.join(", ")
            )
        }
        3 => {
            let floor = Decimal::new((r[0] % 100_001) as i64, 3);
            let cap = if r[1].is_multiple_of(2) {
                format!(", cap = {}", d(part(m, pm(2))))
            } else {
                String::new()
            };
            format!(
                "{{ type = \"proportional\", floor = {}, floor_inclusive = {}{cap} }}",
                d(floor),
                r[3].is_multiple_of(2)
            )
        }
        4 => format!(
            "{{ type = \"per_item\", each = {} }}",
            d(part(m, pm(0)).max(Decimal::new(1, 3)))
        ),
        5 | 6 => {
            let n = 1 + (r[0] % 3) as usize;
            let items = (0..n)
                .map(|i| {
                    format!(
                        "{{ key = \"k{i}\", label = {}, share = {} }}",
                        q(&l.labels[i]),
                        d(Decimal::new((r[1 + i] % 1001) as i64, 3))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            if l.kind == 5 {
                format!("{{ type = \"graded\", levels = [{items}] }}")
            } else {
                format!("{{ type = \"deduction\", kinds = [{items}] }}")
            }
        }
        7 => {
            let from = Decimal::new((r[0] % 50_000) as i64, 3);
            let to = Decimal::from(50) + Decimal::new((r[1] % 50_001) as i64, 3);
            format!(
                "{{ type = \"survey\", indicator = {}, from = {}, to = {} }}",
                q(&l.labels[0]),
                d(from),
                d(to)
            )
        }
        _ => "{ type = \"manual\" }".into(),
    }
}

/// A node's maxima: its own and per level.
type Maxima = (Decimal, BTreeMap<&'static str, Decimal>);

fn node(out: &mut String, code: &str, title: &str, (max, by_level): &Maxima) {
    let _ = writeln!(
        out,
        "[[node]]\ncode = \"{code}\"\ntitle = {}\nmax = {}",
        q(title),
        d(*max)
    );
    if !by_level.is_empty() {
        let body = by_level
            .iter()
            .map(|(k, v)| format!("{k} = {}", d(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "max_by_level = {{ {body} }}");
    }
}

/// Sums children's maxima, level by level; a level appears where it differs from the plain sum.
fn sum(levels: &[&'static str], children: &[Maxima]) -> Maxima {
    let max: Decimal = children.iter().map(|c| c.0).sum();
    let mut by_level = BTreeMap::new();
    for l in levels {
        let s: Decimal = children
            .iter()
            .map(|c| c.1.get(l).copied().unwrap_or(c.0))
            .sum();
        if s != max {
            by_level.insert(*l, s);
        }
    }
    (max, by_level)
}

fn to_toml(s: &Spec) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "[set]\ncode = \"rand-set\"\ntitle = {}", q(&s.title));
    if let Some(en) = &s.title_en {
        let _ = writeln!(w, "title_en = {}", q(en));
    }
    let levels = s
        .levels
        .iter()
        .map(|l| format!("\"{l}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut nodes = String::new();
    let mut areas: Vec<Maxima> = Vec::new();
    for (ai, (atitle, criteria)) in s.tree.iter().enumerate() {
        let mut crit_max: Vec<Maxima> = Vec::new();
        let mut crit_text = String::new();
        for (ci, (ctitle, leaves)) in criteria.iter().enumerate() {
            let mut leaf_max: Vec<Maxima> = Vec::new();
            let mut leaf_text = String::new();
            for (li, l) in leaves.iter().enumerate() {
                let by_level: BTreeMap<&'static str, Decimal> = s
                    .levels
                    .iter()
                    .zip(&l.by_level)
                    .filter_map(|(k, v)| v.map(|v| (*k, v)))
                    .collect();
                let m = by_level
                    .values()
                    .copied()
                    .chain([l.max])
                    .min()
                    .unwrap_or(l.max);
                let maxima = (l.max, by_level);
                node(
                    &mut leaf_text,
                    &format!("{}.{}.{}", ai + 1, ci + 1, li + 1),
                    &l.title,
                    &maxima,
                );
                for (field, v) in [
                    ("title_en", &l.title_en),
                    ("declared", &l.declared),
                    ("evidence", &l.evidence),
                ] {
                    if let Some(v) = v {
                        let _ = writeln!(leaf_text, "{field} = {}", q(v));
                    }
                }
                if l.allow_na {
                    let _ = writeln!(leaf_text, "allow_na = true");
                }
                let _ = writeln!(leaf_text, "rule = {}", rule(l, m));
                leaf_max.push(maxima);
            }
            let cm = sum(&s.levels, &leaf_max);
            node(
                &mut crit_text,
                &format!("{}.{}", ai + 1, ci + 1),
                ctitle,
                &cm,
            );
            crit_text.push_str(&leaf_text);
            crit_max.push(cm);
        }
        let am = sum(&s.levels, &crit_max);
        node(&mut nodes, &format!("{}", ai + 1), atitle, &am);
        nodes.push_str(&crit_text);
        areas.push(am);
    }
    let total: Decimal = areas.iter().map(|a| a.0).sum();
    let _ = writeln!(
        w,
        "year = {}\ntotal = {}\nlevels = [{levels}]",
        s.year,
        d(total)
    );
    // Distinct group codes g0, g1, …
    for (i, (name, en)) in s.groups.iter().enumerate() {
        let _ = writeln!(w, "[[group]]\ncode = \"g{i}\"\nname = {}", q(name));
        if let Some(en) = en {
            let _ = writeln!(w, "name_en = {}", q(en));
        }
    }
    let (basis, method, decimals, rounding) = s.scoring;
    let _ = writeln!(
        w,
        "[scoring]\nrank_basis = \"{}\"\nrank_method = \"{}\"\ndecimals = {decimals}\nrounding = \"{}\"",
        ["percent", "points"][basis as usize],
        ["competition", "dense"][method as usize],
        ["half_up", "half_even", "down"][rounding as usize]
    );
    if let Some(b) = s.bonus {
        let _ = writeln!(w, "[bonus]\nmax = {}", d(b));
    }
    if let Some(p) = s.penalty {
        let _ = writeln!(w, "[penalty]\nmax = {}", d(p));
    }
    let _ = writeln!(
        w,
        "[classes]\nbasis = \"{}\"",
        ["percent", "points"][s.classes_basis as usize]
    );
    for (label, en, min, inclusive) in &s.classes {
        let _ = writeln!(
            w,
            "[[classes.class]]\nlabel = {}\nmin = {}\nmin_inclusive = {inclusive}",
            q(label),
            d(*min)
        );
        if let Some(en) = en {
            let _ = writeln!(w, "label_en = {}", q(en));
        }
    }
    out.push_str(&nodes);
    out
}

proptest! {
    // 48 cases by default (debug builds are slow); PROPTEST_CASES=500 for a longer run.
    #![proptest_config(ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48)))]

    #[test]
    fn random_sets_round_trip(spec in spec()) {
        let text = to_toml(&spec);
        let set = parse_set("rand.set.toml", &text).unwrap_or_else(|p| panic!("generator made an invalid set:\n{}\n---\n{text}", p.render(Locale::En)));

        let toml = write_set_toml(&set);
        let back = parse_set("out.set.toml", &toml).unwrap_or_else(|p| panic!("{}\n---\n{toml}", p.render(Locale::En)));
        assert_same(&back, &set);

        let locale = if spec.year % 2 == 0 { Locale::Vi } else { Locale::En };
        let bytes = write_set_xlsx(&set, locale).unwrap();
        assert_same(&read_ok("rand.xlsx", &bytes), &set);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Damaged workbooks are refused with problems, never with a panic.
    #[test]
    fn damaged_workbooks_do_not_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut bytes = crate::common::Book::valid().bytes();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= b | 1;
        }
        let _ = parindex_report::read_set_xlsx("damaged.xlsx", &bytes);
        let n = cut.index(bytes.len());
        let _ = parindex_report::read_set_xlsx("cut.xlsx", &bytes[..n]);
    }
}
