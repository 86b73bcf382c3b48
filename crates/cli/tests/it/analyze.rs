//! `parindex analyze …` on the bundled department set and its 20 example departments (Sở Khoa
//! học và Công nghệ, `skhcn`, is 4th with 86.80 points, class Tốt).

use crate::support::{Run, parindex, root, set_path, write};
use serde_json::Value;

fn scores() -> String {
    root()
        .join("examples/so-2019-scores.csv")
        .display()
        .to_string()
}

/// `analyze SUB --set so-2019 --scores example ARGS…`, with `--locale` first when given.
fn analyze(locale: Option<&str>, sub: &str, args: &[&str]) -> Run {
    let set = set_path("so-2019.set.toml");
    let scores = scores();
    let mut all: Vec<&str> = Vec::new();
    if let Some(l) = locale {
        all.extend(["--locale", l]);
    }
    all.extend(["analyze", sub, "--set", &set, "--scores", &scores]);
    all.extend(args);
    parindex(&all)
}

fn ok_json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn dec(v: &Value) -> f64 {
    v.as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| v.as_f64())
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A failed run: exit 1, no output, the message containing every fragment.
fn refused(run: &Run, fragments: &[&str]) {
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for f in fragments {
        assert!(run.stderr.contains(f), "'{f}' not in: {}", run.stderr);
    }
}

#[test]
fn the_plan_to_excellent_reaches_90_and_what_if_confirms_it() {
    let plan = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "class:Xuất sắc",
            "--format",
            "json",
        ],
    ));
    assert_eq!(plan["before"]["rank"], 4);
    assert_eq!(dec(&plan["before"]["total"]), 86.80);
    assert_eq!(plan["before"]["class_label"], "Tốt");
    assert_eq!(plan["outcome"], "reached");
    assert!(dec(&plan["after"]["total"]) >= 90.0, "{}", plan["after"]);
    assert_eq!(plan["after"]["class_label"], "Xuất sắc");
    let changes = plan["changes"].as_array().unwrap();
    assert!(!changes.is_empty());

    // The same changes through what-if give the same standing.
    let mut args: Vec<String> = vec!["--unit".into(), "skhcn".into()];
    for c in changes {
        args.push("--set-value".into());
        args.push(format!(
            "{}={}",
            c["code"].as_str().unwrap(),
            c["to_declared"].as_str().unwrap()
        ));
    }
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let what = ok_json(&analyze(None, "what-if", &args));
    assert_eq!(what["after"], plan["after"]);
    assert_eq!(what["after"]["class_label"], "Xuất sắc");
    assert!(dec(&what["total"]) >= 90.0);
    assert_eq!(what["before"]["rank"], 4);

    // next-class from Tốt is the same target.
    let next = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "next-class",
            "--format",
            "json",
        ],
    ));
    assert_eq!(next["changes"], plan["changes"]);
    assert_eq!(
        next["target"],
        serde_json::json!({"kind": "class", "value": 0})
    );
}

#[test]
fn plan_tables_in_both_languages_and_other_targets() {
    let vi = analyze(
        None,
        "plan",
        &["--unit", "skhcn", "--target", "class:xuat sac"],
    );
    assert_eq!(vi.code, 0, "{}", vi.stderr);
    assert!(vi.stdout.contains("Kế hoạch cải thiện"), "{}", vi.stdout);
    assert!(vi.stdout.contains("86,80 điểm"), "{}", vi.stdout);
    assert!(vi.stdout.contains("hạng 4/20, Tốt"), "{}", vi.stdout);
    assert!(vi.stdout.contains("Xuất sắc"), "{}", vi.stdout);
    let en = analyze(
        Some("en"),
        "plan",
        &["--unit", "skhcn", "--target", "class:Excellent"],
    );
    assert_eq!(en.code, 0, "{}", en.stderr);
    assert!(en.stdout.contains("Improvement plan"), "{}", en.stdout);
    assert!(en.stdout.contains("86.80 points"), "{}", en.stdout);
    assert!(en.stdout.contains("rank 4/20, Good"), "{}", en.stdout);

    // Rank 1 and a points target; a target already met.
    let rank = ok_json(&analyze(
        None,
        "plan",
        &["--unit", "skhcn", "--target", "rank:1", "--format", "json"],
    ));
    assert_eq!(rank["after"]["rank"], 1, "{rank}");
    let points = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "points:88,5",
            "--format",
            "json",
        ],
    ));
    assert!(dec(&points["after"]["total"]) >= 88.5);
    let met = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "points:80",
            "--format",
            "json",
        ],
    ));
    assert_eq!(met["outcome"], "already_met");
}

#[test]
fn effort_and_survey_gain_shape_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let base = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "class:Xuất sắc",
            "--format",
            "json",
        ],
    ));
    // Make every sub-criterion the plain plan uses very costly: the plan changes.
    let mut effort = String::from("code,effort\n");
    for c in base["changes"].as_array().unwrap() {
        effort.push_str(&format!("{},50\n", c["code"].as_str().unwrap()));
    }
    let effort = write(dir.path(), "effort.csv", effort);
    let costly = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "class:Xuất sắc",
            "--effort",
            &effort,
            "--format",
            "json",
        ],
    ));
    assert_eq!(costly["outcome"], "reached");
    assert_ne!(costly["changes"], base["changes"]);
    // With survey results allowed to rise, survey-derived sub-criteria may be used.
    let survey = ok_json(&analyze(
        None,
        "plan",
        &[
            "--unit",
            "skhcn",
            "--target",
            "rank:1",
            "--survey-gain",
            "5",
            "--format",
            "json",
        ],
    ));
    assert!(matches!(
        survey["outcome"].as_str(),
        Some("reached" | "unreachable")
    ));
}

#[test]
fn what_if_table_in_vietnamese() {
    let run = analyze(
        None,
        "what-if",
        &["--unit", "skhcn", "--set-value", "6.1.1=có"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Giả định cho Sở Khoa học và Công nghệ"));
    assert!(run.stdout.contains("Trước: 86,80 điểm"), "{}", run.stdout);
    assert!(run.stdout.contains("Sau: 87,80 điểm"), "{}", run.stdout);
}

#[test]
fn points_lost_by_a_unit_and_by_its_group() {
    let unit = ok_json(&analyze(
        None,
        "lost",
        &["--unit", "skhcn", "--format", "json"],
    ));
    let report = &unit["unit"];
    assert_eq!(
        dec(&report["points"]) + dec(&report["lost"]),
        dec(&report["max"])
    );
    let nodes = report["nodes"].as_array().unwrap();
    // 9 areas, 38 criteria, 58 sub-criteria.
    assert_eq!(nodes.len(), 9 + 38 + 58);
    for n in nodes {
        assert!(
            dec(&n["lost"]) >= 0.0 && dec(&n["lost_vs_best"]) >= 0.0,
            "{n}"
        );
    }
    let areas_lost: f64 = nodes
        .iter()
        .filter(|n| n["level"] == 1)
        .map(|n| dec(&n["lost"]))
        .sum();
    assert!((areas_lost - dec(&report["lost"])).abs() < 1e-9);

    let group = ok_json(&analyze(
        None,
        "lost",
        &["--group", "so", "--top", "5", "--format", "json"],
    ));
    let losses = group["group_losses"].as_array().unwrap();
    assert_eq!(losses.len(), 5);
    let totals: Vec<f64> = losses.iter().map(|l| dec(&l["total_lost"])).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    let table = analyze(None, "lost", &["--unit", "skhcn", "--group", "so"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains("Điểm bị mất — Sở Khoa học và Công nghệ")
    );
    assert!(table.stdout.contains("mất: 13,20"), "{}", table.stdout);
    assert!(table.stdout.contains("nhóm mất nhiều điểm nhất"));
    let en = analyze(Some("en"), "lost", &["--unit", "skhcn"]);
    assert!(en.stdout.contains("lost: 13.20"), "{}", en.stdout);
}

fn survey_file(dir: &std::path::Path) -> String {
    let mut reader = csv::Reader::from_path(scores()).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut out = String::from("unit,indicator,rate,se\n");
    for r in reader.records() {
        let r = r.unwrap();
        for e in 1..=5 {
            let col = headers
                .iter()
                .position(|h| h == format!("9.1.{e}"))
                .unwrap();
            out.push_str(&format!("{},sipas.element.{e},{},1.5\n", &r[0], &r[col]));
        }
    }
    write(dir, "survey.csv", out)
}

#[test]
fn uncertainty_is_reproducible_from_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let survey = survey_file(dir.path());
    let args = |seed: &'static str, threads: &'static str| {
        vec![
            "--survey",
            survey.as_str(),
            "--replicates",
            "3000",
            "--seed",
            seed,
            "--weight-jitter",
            "0.1",
            "--class-minima",
            "92;82;72;52;0",
            "--threads",
            threads,
            "--format",
            "json",
        ]
    };
    let one = analyze(None, "uncertainty", &args("20200608", "1"));
    let again = analyze(None, "uncertainty", &args("20200608", "2"));
    let json = ok_json(&one);
    assert_eq!(
        one.stdout, again.stdout,
        "same seed, same JSON whatever the threads"
    );
    let other = analyze(None, "uncertainty", &args("7", "2"));
    assert_eq!(other.code, 0, "{}", other.stderr);
    assert_ne!(one.stdout, other.stdout);
    assert_eq!(json["seed"], 20200608);
    let group = &json["groups"][0];
    assert_eq!(group["group"], "so");
    assert_eq!(group["seed"], 20200608);
    let units = group["units"].as_array().unwrap();
    assert_eq!(units.len(), 20);
    let skhcn = units.iter().find(|u| u["unit"] == "skhcn").unwrap();
    assert_eq!(skhcn["rank"], 4);
    let p: f64 = skhcn["class_probability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-9);
    let hist: u64 = skhcn["rank_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert_eq!(hist, 3000);
    assert!(skhcn["rank_p05"].as_u64() <= skhcn["median_rank"].as_u64());

    // The table names the seed to rerun with, in both languages.
    let table = analyze(
        None,
        "uncertainty",
        &["--survey", &survey, "--replicates", "500", "--seed", "42"],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("Hạng trung vị"), "{}", table.stdout);
    assert!(table.stdout.contains("--seed 42"), "{}", table.stdout);
    assert!(table.stdout.contains("Sở Khoa học và Công nghệ"));
    let en = analyze(
        Some("en"),
        "uncertainty",
        &[
            "--replicates",
            "200",
            "--seed",
            "42",
            "--weight-jitter",
            "0.05",
        ],
    );
    assert_eq!(en.code, 0, "{}", en.stderr);
    assert!(en.stdout.contains("Median rank"), "{}", en.stdout);
    assert!(en.stdout.contains("rerun with --seed 42"), "{}", en.stdout);

    // Without a seed one is drawn and printed.
    let drawn = ok_json(&analyze(
        None,
        "uncertainty",
        &["--replicates", "100", "--format", "json"],
    ));
    assert!(drawn["seed"].as_u64().is_some());
}

#[test]
fn year_over_year_against_last_years_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = std::fs::read_to_string(set_path("so-2019.set.toml")).unwrap();
    let previous_set = write(
        dir.path(),
        "so-2018.set.toml",
        set.replacen("\nyear = 2019", "\nyear = 2018", 1),
    );
    let run = analyze(
        None,
        "yoy",
        &[
            "--previous-set",
            &previous_set,
            "--previous-scores",
            &scores(),
            "--format",
            "json",
        ],
    );
    let report = ok_json(&run);
    assert_eq!(report["year_before"], 2018);
    assert_eq!(report["year_after"], 2019);
    assert_eq!(report["shared"], 58);
    let units = report["units"].as_array().unwrap();
    assert_eq!(units.len(), 20);
    for u in units {
        assert_eq!(dec(&u["change"]), 0.0, "{u}");
        assert_eq!(u["shared_rank_before"], u["shared_rank_after"]);
    }
    let table = analyze(
        None,
        "yoy",
        &[
            "--previous-set",
            &previous_set,
            "--previous-scores",
            &scores(),
        ],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains("So sánh năm 2018 → 2019"),
        "{}",
        table.stdout
    );
}

#[test]
fn bad_inputs_are_refused_with_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    // Unknown unit, in both languages.
    refused(
        &analyze(None, "plan", &["--unit", "skhx", "--target", "next-class"]),
        &["so-2019-scores.csv", "--unit", "không có đơn vị \"skhx\""],
    );
    refused(
        &analyze(Some("en"), "lost", &["--unit", "skhx"]),
        &["so-2019-scores.csv", "there is no unit \"skhx\""],
    );
    refused(&analyze(None, "lost", &[]), &["--unit", "--group"]);
    refused(
        &analyze(None, "lost", &["--group", "huyen"]),
        &["--group", "\"huyen\""],
    );
    // Malformed targets.
    for (target, fragment) in [
        ("banana", "mục tiêu \"banana\" không hợp lệ"),
        ("class:Giỏi", "không có xếp loại \"Giỏi\""),
        ("rank:0", "hạng \"0\" không hợp lệ"),
        ("rank:x", "hạng \"x\" không hợp lệ"),
        ("points:-3", "số điểm \"-3\" không hợp lệ"),
    ] {
        refused(
            &analyze(None, "plan", &["--unit", "skhcn", "--target", target]),
            &["--target", fragment],
        );
    }
    refused(
        &analyze(
            Some("en"),
            "plan",
            &["--unit", "skhcn", "--target", "level:9"],
        ),
        &["--target", "the target \"level:9\" is not valid"],
    );
    // The best unit has no class above it.
    refused(
        &analyze(None, "plan", &["--unit", "stc", "--target", "next-class"]),
        &["xếp loại cao nhất"],
    );
    // Unknown code, value outside the rule's domain, malformed assignment.
    refused(
        &analyze(
            None,
            "what-if",
            &["--unit", "skhcn", "--set-value", "9.9.9=1"],
        ),
        &["--set-value", "\"9.9.9\""],
    );
    refused(
        &analyze(
            None,
            "what-if",
            &["--unit", "skhcn", "--set-value", "3.3.1=140"],
        ),
        &["3.3.1", "140"],
    );
    refused(
        &analyze(
            Some("en"),
            "what-if",
            &["--unit", "skhcn", "--set-value", "3.3.1=abc"],
        ),
        &["3.3.1", "abc"],
    );
    refused(
        &analyze(
            None,
            "what-if",
            &["--unit", "skhcn", "--set-value", "3.3.1"],
        ),
        &["\"3.3.1\" không đúng dạng MÃ=GIÁ_TRỊ"],
    );
    // Effort file and survey gain.
    let effort = write(
        dir.path(),
        "effort.csv",
        "code,effort\n3.3.1,2\n7.7.7,1\n5.4.1,zero\n",
    );
    refused(
        &analyze(
            None,
            "plan",
            &[
                "--unit",
                "skhcn",
                "--target",
                "next-class",
                "--effort",
                &effort,
            ],
        ),
        &["effort.csv:3", "\"7.7.7\"", "effort.csv:4", "\"zero\""],
    );
    refused(
        &analyze(
            None,
            "plan",
            &[
                "--unit",
                "skhcn",
                "--target",
                "next-class",
                "--survey-gain",
                "-1",
            ],
        ),
        &["--survey-gain", "\"-1\""],
    );
    // Survey file rows, class minima, settings.
    let survey = write(
        dir.path(),
        "survey.csv",
        "unit,indicator,rate,se\nskhcn,sipas.element.1,97.5,1.2\nnope,sipas.element.2,90,1\nskhcn,sipas.x,90,1\nskhcn,sipas.element.3,120,1\nskhcn,sipas.element.4,90,-2\n",
    );
    refused(
        &analyze(None, "uncertainty", &["--survey", &survey, "--seed", "1"]),
        &[
            "survey.csv:3",
            "\"nope\"",
            "survey.csv:4",
            "\"sipas.x\"",
            "survey.csv:5",
            "\"120\"",
            "survey.csv:6",
            "\"-2\"",
        ],
    );
    let no_columns = write(dir.path(), "bad.csv", "unit,rate\nskhcn,90\n");
    refused(
        &analyze(Some("en"), "uncertainty", &["--survey", &no_columns]),
        &["bad.csv", "unit, indicator, rate, se"],
    );
    refused(
        &analyze(None, "uncertainty", &["--class-minima", "90;80"]),
        &["--class-minima", "5 ngưỡng"],
    );
    refused(
        &analyze(None, "uncertainty", &["--weight-jitter", "1.5"]),
        &["--weight-jitter"],
    );
    refused(
        &analyze(None, "uncertainty", &["--replicates", "0"]),
        &["--replicates"],
    );
    // A scores file with a problem names its line.
    let broken = write(dir.path(), "scores.csv", "unit,group,direct\nA,so,abc\n");
    let run = parindex(&[
        "analyze",
        "lost",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &broken,
        "--unit",
        "A",
    ]);
    refused(&run, &["scores.csv:2"]);
}
