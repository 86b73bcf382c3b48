//! `parindex analyze …`: the analysis layer of parindex-core (docs/analysis.md) on a criteria set
//! and a scores file: points lost, the improvement plan, what-if, rank uncertainty and year over
//! year. Tables are in the user's language (decimal commas in Vietnamese); `--format json` writes
//! the analysis structures as they are.

use crate::{Failure, Outcome, read_text};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parindex_core::analysis::lost::{GroupLoss, LostReport, group_losses, points_lost};
use parindex_core::analysis::planner::{
    self, Plan, PlanOptions, Standing, Target, WhatIf, plan, standing, what_if,
};
use parindex_core::analysis::uncertainty::{
    McResult, McSettings, McUnit, SurveyEstimate, simulate_with_progress,
};
use parindex_core::analysis::yoy::{YoyReport, compare_years};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::engine::{UnitData, UnitInput, UnitScore};
use parindex_core::locale::Locale;
use parindex_core::num::parse_decimal;
use parindex_core::rules::Rule;
use parindex_core::scores::{read_scores, score_file};
use parindex_core::set::{Basis, CriteriaSet};
use parindex_core::text::fold;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// The criteria set and the scores file every analysis reads.
#[derive(Args)]
pub struct Input {
    /// The criteria set (TOML or XLSX).
    #[arg(long)]
    set: PathBuf,
    /// The scores file (SCORES.csv, see docs/scores-csv.md); declared data per sub-criterion.
    #[arg(long)]
    scores: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Subcommand)]
pub enum AnalyzeCommand {
    /// Points lost per area, criterion and sub-criterion, against the maximum and against the
    /// group's best (--unit); the sub-criteria where a group lost most (--group).
    Lost {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        unit: Option<String>,
        /// A ranking group (e.g. `so`): its most-lost sub-criteria.
        #[arg(long)]
        group: Option<String>,
        /// How many sub-criteria to list for --group.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// The fewest sub-criterion improvements that bring a unit to a target, the others held fixed.
    Plan {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        unit: String,
        /// next-class, class:LABEL (e.g. class:"Xuất sắc"), rank:N or points:X.
        #[arg(long)]
        target: String,
        /// CSV with columns code, effort: the effort of one step on a sub-criterion (default 1).
        #[arg(long)]
        effort: Option<PathBuf>,
        /// Percentage points by which survey results may rise (default: held where they are).
        #[arg(long, allow_hyphen_values = true)]
        survey_gain: Option<String>,
    },
    /// Re-score a unit with some declared values changed and place it among the others.
    WhatIf {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        unit: String,
        /// CODE=VALUE: a sub-criterion's new declared value (repeat for several).
        #[arg(long = "set-value", required = true)]
        set_value: Vec<String>,
    },
    /// Monte Carlo of ranks and classes under survey sampling error and methodology choices.
    Uncertainty {
        #[command(flatten)]
        input: Input,
        #[arg(long, default_value_t = 10_000)]
        replicates: u32,
        /// The random seed; a new one is drawn (and printed) when absent.
        #[arg(long)]
        seed: Option<u64>,
        /// Area weights vary by up to this fraction (0.1 = ±10 %); 0 keeps them fixed.
        #[arg(long, default_value_t = 0.0)]
        weight_jitter: f64,
        /// CSV with columns unit, indicator, rate, se (percent and percentage points): survey
        /// results with their standard errors.
        #[arg(long)]
        survey: Option<PathBuf>,
        /// Alternative class minima, best class first, separated by `;` or `,` (e.g.
        /// "92;82;72;52;0"); repeat for several. Each replicate uses the set's or one of these.
        #[arg(long = "class-minima")]
        class_minima: Vec<String>,
        /// Only this ranking group.
        #[arg(long)]
        group: Option<String>,
        /// Worker threads (0: all cores); the results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Year over year: how each unit changed, separating its performance from the set's change.
    Yoy {
        #[command(flatten)]
        input: Input,
        /// Last year's criteria set.
        #[arg(long)]
        previous_set: PathBuf,
        /// Last year's scores file (declared data, scored with --previous-set).
        #[arg(long)]
        previous_scores: PathBuf,
    },
}

pub fn run(cmd: AnalyzeCommand, locale: Locale) -> Outcome {
    match cmd {
        AnalyzeCommand::Lost {
            input,
            unit,
            group,
            top,
        } => lost(input, unit, group, top, locale),
        AnalyzeCommand::Plan {
            input,
            unit,
            target,
            effort,
            survey_gain,
        } => plan_cmd(input, &unit, &target, effort, survey_gain, locale),
        AnalyzeCommand::WhatIf {
            input,
            unit,
            set_value,
        } => what_if_cmd(input, &unit, &set_value, locale),
        AnalyzeCommand::Uncertainty {
            input,
            replicates,
            seed,
            weight_jitter,
            survey,
            class_minima,
            group,
            threads,
        } => uncertainty(
            input,
            McArgs {
                replicates,
                seed,
                weight_jitter,
                survey,
                class_minima,
                group,
                threads,
            },
            locale,
        ),
        AnalyzeCommand::Yoy {
            input,
            previous_set,
            previous_scores,
        } => yoy(input, previous_set, previous_scores, locale),
    }
}

// ---------------------------------------------------------------------------------------------
// Loading.

/// A set with its scores file, read and scored.
struct Round {
    set: CriteriaSet,
    file: String,
    inputs: Vec<(usize, UnitInput)>,
    scores: Vec<UnitScore>,
}

fn load(set: &Path, scores: &Path) -> Result<Round, Failure> {
    let set = crate::sets::load_set(set)?;
    let file = scores.display().to_string();
    let text = read_text(scores)?;
    let inputs = read_scores(&file, &text, &set)?;
    let scores = score_file(&file, &text, &set, &mut |_| {})?;
    Ok(Round {
        set,
        file,
        inputs,
        scores,
    })
}

impl Round {
    /// The unit with this code, or a message naming the file and the known units.
    fn unit(&self, code: &str) -> Result<(&UnitInput, &UnitScore), Failure> {
        let found = self
            .inputs
            .iter()
            .map(|(_, i)| i)
            .zip(&self.scores)
            .find(|(i, _)| i.unit == code.trim());
        found.ok_or_else(|| {
            let known: Vec<&str> = self
                .scores
                .iter()
                .map(|s| s.unit.as_str())
                .take(12)
                .collect();
            let more = if self.scores.len() > known.len() {
                ", …"
            } else {
                ""
            };
            Problem::new(
                Location::file(&self.file).with_field("--unit"),
                format!(
                    "không có đơn vị \"{code}\" trong tệp điểm (có: {}{more})",
                    known.join(", ")
                ),
                format!(
                    "there is no unit \"{code}\" in the scores file (there are: {}{more})",
                    known.join(", ")
                ),
            )
            .into()
        })
    }

    /// The units of a group, as scored.
    fn group(&self, group: &str) -> Vec<UnitScore> {
        self.scores
            .iter()
            .filter(|s| s.group == group)
            .cloned()
            .collect()
    }

    fn check_group(&self, group: &str, field: &str) -> Result<(), Failure> {
        if self.set.group(group).is_some() && self.scores.iter().any(|s| s.group == group) {
            return Ok(());
        }
        let known: Vec<&str> = self.set.groups.iter().map(|g| g.code.as_str()).collect();
        Err(Problem::new(
            Location::default().with_field(field),
            format!(
                "không có đơn vị nào thuộc nhóm \"{group}\" (các nhóm của bộ chỉ số: {})",
                known.join(", ")
            ),
            format!(
                "no unit belongs to group \"{group}\" (the set's groups: {})",
                known.join(", ")
            ),
        )
        .into())
    }

    fn decimals(&self) -> u32 {
        self.set.scoring.decimals
    }

    /// A number of points as the set publishes it, in the user's format.
    fn points(&self, locale: Locale, d: Decimal) -> String {
        locale.decimal(self.set.publish(d), self.decimals())
    }

    fn class_label(&self, class: Option<usize>, locale: Locale) -> String {
        match class {
            Some(c) => {
                let def = &self.set.classes.classes[c];
                match (locale, &def.label_en) {
                    (Locale::En, Some(l)) => l.clone(),
                    _ => def.label.clone(),
                }
            }
            None => locale.pick("(không xếp loại)", "(no class)").to_string(),
        }
    }

    fn node_title(&self, code: &str, locale: Locale) -> String {
        match self.set.node(code) {
            Some(n) => match (locale, &n.title_en) {
                (Locale::En, Some(t)) => t.clone(),
                _ => n.title.clone(),
            },
            None => String::new(),
        }
    }

    /// "86,80 điểm (86,80 %), hạng 4/20, Tốt".
    fn standing_line(&self, s: &Standing, locale: Locale) -> String {
        let value = match self.set.scoring.rank_basis {
            Basis::Percent => format!(" ({} %)", locale.decimal(s.value, self.decimals())),
            Basis::Points => String::new(),
        };
        format!(
            "{} {}{value}, {} {}/{}, {}",
            locale.decimal(s.total, self.decimals()),
            locale.pick("điểm", "points"),
            locale.pick("hạng", "rank"),
            s.rank,
            s.of,
            self.class_label(s.class, locale)
        )
    }
}

fn emit(text: String) -> Outcome {
    say_raw!("{text}");
    Ok(())
}

fn json<T: Serialize>(value: &T) -> Outcome {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    emit(s)
}

/// An aligned table: columns separated by two spaces, right-aligned where `right` says.
fn table(headers: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .zip(right)
            .map(|((c, &w), &r)| {
                let fill = " ".repeat(w.saturating_sub(c.chars().count()));
                if r {
                    format!("{fill}{c}")
                } else {
                    format!("{c}{fill}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(headers.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A share (0–1) as a percent with one decimal, in the user's format.
fn share(locale: Locale, p: f64) -> String {
    let text = format!("{:.1}", p * 100.0);
    match locale {
        Locale::Vi => text.replace('.', ","),
        Locale::En => text,
    }
}

fn problem(field: &str, vi: String, en: String) -> Failure {
    Problem::new(Location::default().with_field(field), vi, en).into()
}

// ---------------------------------------------------------------------------------------------
// lost

fn lost(
    input: Input,
    unit: Option<String>,
    group: Option<String>,
    top: usize,
    locale: Locale,
) -> Outcome {
    let round = load(&input.set, &input.scores)?;
    if unit.is_none() && group.is_none() {
        return Err(problem(
            "--unit",
            "cần --unit ĐƠN_VỊ hoặc --group NHÓM (hoặc cả hai)".into(),
            "give --unit UNIT or --group GROUP (or both)".into(),
        ));
    }
    let report: Option<LostReport> = match &unit {
        Some(code) => {
            let (_, score) = round.unit(code)?;
            Some(points_lost(&round.set, score, &round.group(&score.group)))
        }
        None => None,
    };
    let losses: Option<(String, Vec<GroupLoss>)> = match &group {
        Some(g) => {
            round.check_group(g, "--group")?;
            let mut l = group_losses(&round.set, &round.group(g));
            l.truncate(top);
            Some((g.clone(), l))
        }
        None => None,
    };
    if input.format == Format::Json {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            unit: Option<&'a LostReport>,
            #[serde(skip_serializing_if = "Option::is_none")]
            group: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            group_losses: Option<&'a [GroupLoss]>,
        }
        return json(&Out {
            unit: report.as_ref(),
            group: losses.as_ref().map(|(g, _)| g.as_str()),
            group_losses: losses.as_ref().map(|(_, l)| l.as_slice()),
        });
    }
    let mut out = String::new();
    if let Some(r) = &report {
        out.push_str(&lost_table(&round, r, locale));
    }
    if let Some((g, l)) = &losses {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&group_table(&round, g, l, locale));
    }
    emit(out)
}

fn lost_table(round: &Round, r: &LostReport, locale: Locale) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} ({}), {} {}",
        locale.pick("Điểm bị mất", "Points lost"),
        r.name,
        r.unit,
        locale.pick("nhóm", "group"),
        r.group
    );
    let _ = writeln!(
        out,
        "{}: {} / {}; {}: {}",
        locale.pick(
            "Điểm (chưa tính thưởng, trừ)",
            "Points (before bonus and penalty)"
        ),
        round.points(locale, r.points),
        round.points(locale, r.max),
        locale.pick("mất", "lost"),
        round.points(locale, r.lost)
    );
    if r.nodes.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            locale.pick(
                "Đơn vị được nhập theo phần điểm tổng hợp: không có điểm theo từng tiêu chí.",
                "The unit came as ready-made parts: there are no points per criterion."
            )
        );
        return out;
    }
    let headers = match locale {
        Locale::Vi => [
            "Mã",
            "Nội dung",
            "Tối đa",
            "Điểm",
            "Mất",
            "Tốt nhất nhóm",
            "Điểm tốt nhất",
            "Mất so với tốt nhất",
        ],
        Locale::En => [
            "Code",
            "Content",
            "Max",
            "Points",
            "Lost",
            "Group's best",
            "Best points",
            "Lost vs best",
        ],
    };
    let rows: Vec<Vec<String>> = r
        .nodes
        .iter()
        .map(|n| {
            let indent = "  ".repeat(n.level.saturating_sub(1));
            vec![
                format!("{indent}{}", n.code),
                clip(&round.node_title(&n.code, locale), 44),
                round.points(locale, n.max),
                round.points(locale, n.points),
                round.points(locale, n.lost),
                n.best_unit.clone().unwrap_or_default(),
                n.best_points
                    .map(|p| round.points(locale, p))
                    .unwrap_or_default(),
                round.points(locale, n.lost_vs_best),
            ]
        })
        .collect();
    out.push_str(&table(
        &headers,
        &rows,
        &[false, false, true, true, true, false, true, true],
    ));
    out
}

fn group_table(round: &Round, group: &str, losses: &[GroupLoss], locale: Locale) -> String {
    let mut out = String::new();
    let name = round
        .set
        .group(group)
        .map(|g| match (locale, &g.name_en) {
            (Locale::En, Some(n)) => n.clone(),
            _ => g.name.clone(),
        })
        .unwrap_or_else(|| group.to_string());
    let _ = writeln!(
        out,
        "{} — {name} ({group})",
        locale.pick(
            "Tiêu chí thành phần nhóm mất nhiều điểm nhất",
            "Sub-criteria where the group lost most"
        ),
    );
    let headers = match locale {
        Locale::Vi => [
            "Mã",
            "Nội dung",
            "Đơn vị bị mất",
            "Tổng mất",
            "Mất trung bình",
            "% bị mất",
        ],
        Locale::En => [
            "Code",
            "Content",
            "Units losing",
            "Total lost",
            "Mean lost",
            "% lost",
        ],
    };
    let rows: Vec<Vec<String>> = losses
        .iter()
        .map(|l| {
            vec![
                l.code.clone(),
                clip(&round.node_title(&l.code, locale), 44),
                format!("{}/{}", l.units_losing, l.units),
                round.points(locale, l.total_lost),
                round.points(locale, l.mean_lost),
                locale.decimal(l.percent_lost.round_dp(1), 1),
            ]
        })
        .collect();
    out.push_str(&table(
        &headers,
        &rows,
        &[false, false, true, true, true, true],
    ));
    out
}

// ---------------------------------------------------------------------------------------------
// plan

fn parse_target(round: &Round, score: &UnitScore, text: &str) -> Result<Target, Failure> {
    let current = standing(&round.set, score, &round.scores).class;
    Target::parse(&round.set, current, text).map_err(|p| {
        let mut p = p;
        p.location.field = Some("--target".into());
        p.into()
    })
}

/// The effort file: `code, effort` per row (Vietnamese headers `mã`, `công sức` accepted).
fn read_effort(set: &CriteriaSet, path: &Path) -> Result<BTreeMap<String, u32>, Failure> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(fold).collect())
        .unwrap_or_default();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(code_col), Some(effort_col)) = (
        column(&["code", "ma", "ma tieu chi"]),
        column(&["effort", "cong suc"]),
    ) else {
        return Err(Problem::new(
            Location::file(&file).with_line(1),
            "tệp công sức cần hai cột code và effort",
            "the effort file needs the columns code and effort",
        )
        .into());
    };
    let mut out = BTreeMap::new();
    let mut problems = Problems::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(
                    Location::file(&file).with_line(line),
                    format!("dòng không đọc được: {e}"),
                    format!("unreadable line: {e}"),
                ));
                continue;
            }
        };
        let code = record.get(code_col).unwrap_or("").trim().to_string();
        let effort = record.get(effort_col).unwrap_or("").trim();
        if code.is_empty() && effort.is_empty() {
            continue;
        }
        let at = || Location::file(&file).with_line(line);
        let is_leaf = set
            .node_index(&code)
            .is_some_and(|i| set.leaves().contains(&i));
        if !is_leaf {
            problems.push(Problem::new(
                at().with_field("code"),
                format!("không có tiêu chí thành phần \"{code}\" trong bộ chỉ số"),
                format!("there is no sub-criterion \"{code}\" in the set"),
            ));
            continue;
        }
        match effort.parse::<u32>() {
            Ok(e) if e >= 1 => {
                out.insert(code, e);
            }
            _ => problems.push(Problem::new(
                at().with_field("effort"),
                format!("công sức \"{effort}\" không hợp lệ: cần một số nguyên từ 1"),
                format!("the effort \"{effort}\" is not valid: a whole number from 1 is needed"),
            )),
        }
    }
    Ok(problems.into_result(out)?)
}

fn plan_cmd(
    input: Input,
    unit: &str,
    target: &str,
    effort: Option<PathBuf>,
    survey_gain: Option<String>,
    locale: Locale,
) -> Outcome {
    let round = load(&input.set, &input.scores)?;
    let (unit_input, score) = round.unit(unit)?;
    let target = parse_target(&round, score, target)?;
    let mut options = PlanOptions::default();
    if let Some(path) = effort {
        options.effort = read_effort(&round.set, &path)?;
    }
    if let Some(text) = survey_gain {
        let gain = parse_decimal(&text)
            .filter(|g| !g.is_sign_negative())
            .ok_or_else(|| {
                problem(
                    "--survey-gain",
                    format!("mức tăng \"{text}\" không hợp lệ: cần một số điểm phần trăm không âm"),
                    format!(
                        "the survey gain \"{text}\" is not valid: a non-negative number of percentage points is needed"
                    ),
                )
            })?;
        for &leaf in round.set.leaves() {
            let node = &round.set.nodes[leaf];
            if node.rule.as_ref().is_some_and(Rule::is_survey) {
                options.survey_gain.insert(node.code.to_string(), gain);
            }
        }
    }
    let found = plan(&round.set, unit_input, &round.scores, target, &options)
        .map_err(|p| with_unit(p, &round.file, unit))?;
    if input.format == Format::Json {
        return json(&found);
    }
    emit(plan_table(&round, score, &found, locale))
}

/// Problems about one unit's data, located in the scores file at that unit.
fn with_unit(problems: Problems, file: &str, unit: &str) -> Failure {
    Failure(Problems(
        problems
            .0
            .into_iter()
            .map(|mut p| {
                if p.location.file.is_none() {
                    p.location.file = Some(file.to_string());
                }
                if p.location.field.is_none() {
                    p.location.field = Some(unit.to_string());
                }
                p
            })
            .collect(),
    ))
}

fn target_text(round: &Round, target: Target, locale: Locale) -> String {
    match target {
        Target::Points(p) => format!(
            "{} {}",
            locale.decimal(p, p.scale().max(round.decimals())),
            locale.pick("điểm", "points")
        ),
        Target::Class(c) => format!(
            "{} {}",
            locale.pick("xếp loại", "class"),
            round.class_label(Some(c), locale)
        ),
        Target::Rank(r) => format!("{} {r}", locale.pick("hạng", "rank")),
    }
}

fn plan_table(round: &Round, score: &UnitScore, p: &Plan, locale: Locale) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}): {} {}",
        locale.pick("Kế hoạch cải thiện cho", "Improvement plan for"),
        score.name,
        score.unit,
        locale.pick("mục tiêu", "target"),
        target_text(round, p.target, locale)
    );
    let r = &p.requirement;
    let basis = match r.basis {
        Basis::Percent => locale.pick("chỉ số", "index"),
        Basis::Points => locale.pick("tổng điểm công bố", "published total"),
    };
    let unit_sign = if r.basis == Basis::Percent { " %" } else { "" };
    let cmp = if r.strict { ">" } else { "≥" };
    let digits = r.total_at_least.normalize().scale().max(round.decimals());
    let _ = writeln!(
        out,
        "{}: {basis} ≥ {}{unit_sign}, {} {cmp} {}; {} {}",
        locale.pick("Yêu cầu", "Requirement"),
        locale.decimal(r.published_at_least, round.decimals()),
        locale.pick("tổng điểm", "raw total"),
        locale.decimal(r.total_at_least, digits),
        locale.pick("cần thêm", "gain needed"),
        locale.decimal(r.gain_needed.max(Decimal::ZERO), digits),
    );
    let outcome = match p.outcome {
        planner::Outcome::AlreadyMet => locale.pick("đã đạt", "already met"),
        planner::Outcome::Reached => locale.pick("đạt được", "reachable"),
        planner::Outcome::Unreachable => locale.pick("không thể đạt", "unreachable"),
    };
    let _ = writeln!(out, "{}: {outcome}", locale.pick("Kết quả", "Outcome"));
    if !p.changes.is_empty() {
        let headers = match locale {
            Locale::Vi => [
                "Mã",
                "Nội dung",
                "Kê khai hiện tại",
                "Kê khai cần đạt",
                "Điểm hiện tại",
                "Điểm sau",
                "Tăng",
                "Bậc",
                "Công sức",
            ],
            Locale::En => [
                "Code",
                "Content",
                "Declared now",
                "Declared then",
                "Points now",
                "Points then",
                "Gain",
                "Steps",
                "Effort",
            ],
        };
        let rows: Vec<Vec<String>> = p
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    clip(&round.node_title(&c.code, locale), 36),
                    if c.from_declared.is_empty() {
                        "—".into()
                    } else {
                        clip(&c.from_declared, 16)
                    },
                    clip(&c.to_declared, 16),
                    round.points(locale, c.from_points),
                    round.points(locale, c.to_points),
                    round.points(locale, c.gain),
                    c.steps.to_string(),
                    c.effort.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &headers,
            &rows,
            &[false, false, false, false, true, true, true, true, true],
        ));
        let _ = writeln!(
            out,
            "{}: {} {}, {} {}",
            locale.pick("Cộng", "Total"),
            round.points(locale, p.gain),
            locale.pick("điểm", "points"),
            locale.pick("công sức", "effort"),
            p.effort
        );
    }
    let _ = writeln!(
        out,
        "{}: {}",
        locale.pick("Trước", "Before"),
        round.standing_line(&p.before, locale)
    );
    let _ = writeln!(
        out,
        "{}: {}",
        locale.pick("Sau", "After"),
        round.standing_line(&p.after, locale)
    );
    let _ = writeln!(out, "{}", p.message.pick(locale));
    out
}

// ---------------------------------------------------------------------------------------------
// what-if

fn what_if_cmd(input: Input, unit: &str, set_value: &[String], locale: Locale) -> Outcome {
    let round = load(&input.set, &input.scores)?;
    let (unit_input, score) = round.unit(unit)?;
    let mut changes = Vec::new();
    let mut problems = Problems::default();
    for arg in set_value {
        let at = || Location::default().with_field("--set-value");
        let Some((code, value)) = arg.split_once('=') else {
            problems.push(Problem::new(
                at(),
                format!("\"{arg}\" không đúng dạng MÃ=GIÁ_TRỊ (ví dụ 2.1.1=dung_han)"),
                format!("\"{arg}\" is not of the form CODE=VALUE (e.g. 2.1.1=dung_han)"),
            ));
            continue;
        };
        let code = code.trim();
        let is_leaf = round
            .set
            .node_index(code)
            .is_some_and(|i| round.set.leaves().contains(&i));
        if !is_leaf {
            problems.push(Problem::new(
                at(),
                format!(
                    "không có tiêu chí thành phần \"{code}\" trong bộ chỉ số {}",
                    round.set.code
                ),
                format!(
                    "there is no sub-criterion \"{code}\" in the set {}",
                    round.set.code
                ),
            ));
            continue;
        }
        changes.push((code.to_string(), value.trim().to_string()));
    }
    problems.into_result(())?;
    let result: WhatIf = what_if(&round.set, unit_input, &changes, &round.scores).map_err(|p| {
        Failure(Problems(
            p.0.into_iter()
                .map(|mut p| {
                    p.location.field = Some("--set-value".into());
                    p
                })
                .collect(),
        ))
    })?;
    let declared = match &unit_input.data {
        UnitData::Declared(v) => v.clone(),
        _ => Vec::new(),
    };
    #[derive(Serialize)]
    struct Changed {
        code: String,
        from_declared: String,
        to_declared: String,
        from_points: Decimal,
        to_points: Decimal,
    }
    let changed: Vec<Changed> = changes
        .iter()
        .map(|(code, value)| {
            let leaf = round.set.node_index(code).unwrap_or(0);
            let pos = round
                .set
                .leaves()
                .iter()
                .position(|&l| l == leaf)
                .unwrap_or(0);
            Changed {
                code: code.clone(),
                from_declared: declared.get(pos).cloned().unwrap_or_default(),
                to_declared: value.clone(),
                from_points: score.node_points.get(leaf).copied().unwrap_or_default(),
                to_points: result
                    .score
                    .node_points
                    .get(leaf)
                    .copied()
                    .unwrap_or_default(),
            }
        })
        .collect();
    if input.format == Format::Json {
        #[derive(Serialize)]
        struct Out<'a> {
            unit: &'a str,
            changes: &'a [Changed],
            total: Decimal,
            before: &'a Standing,
            after: &'a Standing,
        }
        return json(&Out {
            unit: &score.unit,
            changes: &changed,
            total: round.set.publish(result.score.total),
            before: &result.before,
            after: &result.after,
        });
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({})",
        locale.pick("Giả định cho", "What if, for"),
        score.name,
        score.unit
    );
    let headers = match locale {
        Locale::Vi => [
            "Mã",
            "Nội dung",
            "Kê khai",
            "Kê khai mới",
            "Điểm",
            "Điểm mới",
        ],
        Locale::En => [
            "Code",
            "Content",
            "Declared",
            "New declared",
            "Points",
            "New points",
        ],
    };
    let rows: Vec<Vec<String>> = changed
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                clip(&round.node_title(&c.code, locale), 36),
                if c.from_declared.is_empty() {
                    "—".into()
                } else {
                    clip(&c.from_declared, 16)
                },
                clip(&c.to_declared, 16),
                round.points(locale, c.from_points),
                round.points(locale, c.to_points),
            ]
        })
        .collect();
    out.push_str(&table(
        &headers,
        &rows,
        &[false, false, false, false, true, true],
    ));
    let _ = writeln!(
        out,
        "{}: {}",
        locale.pick("Trước", "Before"),
        round.standing_line(&result.before, locale)
    );
    let _ = writeln!(
        out,
        "{}: {}",
        locale.pick("Sau", "After"),
        round.standing_line(&result.after, locale)
    );
    emit(out)
}

// ---------------------------------------------------------------------------------------------
// uncertainty

struct McArgs {
    replicates: u32,
    seed: Option<u64>,
    weight_jitter: f64,
    survey: Option<PathBuf>,
    class_minima: Vec<String>,
    group: Option<String>,
    threads: usize,
}

/// The survey file: per unit and indicator, a rate (percent) and its standard error
/// (percentage points).
fn read_survey(
    round: &Round,
    path: &Path,
) -> Result<BTreeMap<String, BTreeMap<String, SurveyEstimate>>, Failure> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let delimiter = match text.lines().next() {
        Some(h) if h.contains(';') && !h.contains(',') => b';',
        _ => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(fold).collect())
        .unwrap_or_default();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let columns = (
        column(&["unit", "don vi", "ma don vi"]),
        column(&["indicator", "chi so"]),
        column(&["rate", "ty le", "ket qua"]),
        column(&["se", "sai so chuan", "standard error"]),
    );
    let (Some(unit_col), Some(ind_col), Some(rate_col), Some(se_col)) = columns else {
        return Err(Problem::new(
            Location::file(&file).with_line(1),
            "tệp khảo sát cần các cột unit, indicator, rate, se",
            "the survey file needs the columns unit, indicator, rate, se",
        )
        .into());
    };
    let indicators: Vec<String> = round
        .set
        .leaves()
        .iter()
        .filter_map(|&l| match &round.set.nodes[l].rule {
            Some(Rule::Survey { indicator, .. }) => Some(indicator.clone()),
            _ => None,
        })
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, SurveyEstimate>> = BTreeMap::new();
    let mut problems = Problems::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let at = |field: &str| Location::file(&file).with_line(line).with_field(field);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(
                    Location::file(&file).with_line(line),
                    format!("dòng không đọc được: {e}"),
                    format!("unreadable line: {e}"),
                ));
                continue;
            }
        };
        let cell = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let (unit, indicator) = (cell(unit_col), cell(ind_col));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut ok = true;
        if !round.scores.iter().any(|s| s.unit == unit) {
            problems.push(Problem::new(
                at("unit"),
                format!("không có đơn vị \"{unit}\" trong tệp điểm"),
                format!("there is no unit \"{unit}\" in the scores file"),
            ));
            ok = false;
        }
        if !indicators.contains(&indicator) {
            problems.push(Problem::new(
                at("indicator"),
                format!(
                    "không tiêu chí nào của bộ chỉ số tính từ chỉ số khảo sát \"{indicator}\" (có: {})",
                    indicators.join(", ")
                ),
                format!(
                    "no sub-criterion of the set uses the survey indicator \"{indicator}\" (there are: {})",
                    indicators.join(", ")
                ),
            ));
            ok = false;
        }
        let rate = parse_decimal(&cell(rate_col))
            .filter(|r| *r >= Decimal::ZERO && *r <= Decimal::ONE_HUNDRED);
        if rate.is_none() {
            problems.push(Problem::new(
                at("rate"),
                format!(
                    "tỷ lệ \"{}\" không hợp lệ: cần một số từ 0 đến 100",
                    cell(rate_col)
                ),
                format!(
                    "the rate \"{}\" is not valid: a number from 0 to 100 is needed",
                    cell(rate_col)
                ),
            ));
        }
        let se = parse_decimal(&cell(se_col)).filter(|s| !s.is_sign_negative());
        if se.is_none() {
            problems.push(Problem::new(
                at("se"),
                format!(
                    "sai số chuẩn \"{}\" không hợp lệ: cần một số không âm",
                    cell(se_col)
                ),
                format!(
                    "the standard error \"{}\" is not valid: a non-negative number is needed",
                    cell(se_col)
                ),
            ));
        }
        if let (true, Some(rate), Some(se)) = (ok, rate, se) {
            let previous = out
                .entry(unit.clone())
                .or_default()
                .insert(indicator.clone(), SurveyEstimate::Rate { rate, se });
            if previous.is_some() {
                problems.push(Problem::new(
                    at("indicator"),
                    format!("đơn vị \"{unit}\" có hai dòng cho chỉ số \"{indicator}\""),
                    format!("unit \"{unit}\" has two rows for indicator \"{indicator}\""),
                ));
            }
        }
    }
    Ok(problems.into_result(out)?)
}

fn parse_minima(round: &Round, texts: &[String]) -> Result<Vec<Vec<Decimal>>, Failure> {
    let classes = round.set.classes.classes.len();
    texts
        .iter()
        .map(|text| {
            let sep = if text.contains(';') { ';' } else { ',' };
            let values: Option<Vec<Decimal>> =
                text.split(sep).map(|v| parse_decimal(v.trim())).collect();
            match values {
                Some(v) if v.len() == classes => Ok(v),
                _ => Err(problem(
                    "--class-minima",
                    format!(
                        "\"{text}\" không hợp lệ: cần {classes} ngưỡng, cách nhau bởi dấu ; (ví dụ 92;82;72;52;0)"
                    ),
                    format!(
                        "\"{text}\" is not valid: {classes} minima are needed, separated by ; (e.g. 92;82;72;52;0)"
                    ),
                )),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct GroupMc {
    group: String,
    #[serde(flatten)]
    result: McResult,
}

#[derive(Serialize)]
struct McOut {
    seed: u64,
    replicates: u32,
    weight_jitter: f64,
    groups: Vec<GroupMc>,
}

fn uncertainty(input: Input, args: McArgs, locale: Locale) -> Outcome {
    let round = load(&input.set, &input.scores)?;
    if args.replicates == 0 {
        return Err(problem(
            "--replicates",
            "số lần mô phỏng phải dương".into(),
            "the number of replicates must be positive".into(),
        ));
    }
    if !(0.0..1.0).contains(&args.weight_jitter) {
        return Err(problem(
            "--weight-jitter",
            "biên độ trọng số phải từ 0 đến dưới 1 (ví dụ 0,1 cho ±10 %)".into(),
            "the weight jitter must be at least 0 and below 1 (e.g. 0.1 for ±10 %)".into(),
        ));
    }
    let class_minima = parse_minima(&round, &args.class_minima)?;
    let estimates = match &args.survey {
        Some(path) => read_survey(&round, path)?,
        None => BTreeMap::new(),
    };
    if let Some(g) = &args.group {
        round.check_group(g, "--group")?;
    }
    let seed = match args.seed {
        Some(s) => s,
        None => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).map_err(|e| {
                problem(
                    "--seed",
                    format!("không lấy được hạt giống ngẫu nhiên: {e}; hãy cho --seed"),
                    format!("cannot draw a random seed: {e}; give --seed"),
                )
            })?;
            // Seeds short enough to read out and type back.
            u64::from_le_bytes(bytes) % 1_000_000_000
        }
    };
    let settings = McSettings {
        replicates: args.replicates,
        seed,
        weight_jitter: args.weight_jitter,
        class_minima,
        threads: args.threads,
    };
    let empty = BTreeMap::new();
    let groups: Vec<&str> = round
        .set
        .groups
        .iter()
        .map(|g| g.code.as_str())
        .filter(|g| args.group.as_deref().is_none_or(|w| w == *g))
        .filter(|g| round.scores.iter().any(|s| s.group == *g))
        .collect();
    let bar = ProgressBar::with_draw_target(
        Some(u64::from(args.replicates) * groups.len() as u64),
        ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(locale.pick("Mô phỏng", "Simulating").to_string());
    let mut results = Vec::new();
    for group in groups {
        let mut units = Vec::new();
        let mut problems = Problems::default();
        for s in round.scores.iter().filter(|s| s.group == group) {
            match McUnit::from_score(&round.set, s, estimates.get(&s.unit).unwrap_or(&empty)) {
                Ok(u) => units.push(u),
                Err(p) => problems.0.extend(p.0),
            }
        }
        problems.into_result(())?;
        let result = simulate_with_progress(&round.set, &units, &settings, &|n| {
            bar.inc(u64::from(n));
        })
        .map_err(|p| with_unit(p, &round.file, group))?;
        results.push(GroupMc {
            group: group.to_string(),
            result,
        });
    }
    bar.finish_and_clear();
    let out = McOut {
        seed,
        replicates: args.replicates,
        weight_jitter: args.weight_jitter,
        groups: results,
    };
    if input.format == Format::Json {
        return json(&out);
    }
    emit(uncertainty_table(&round, &out, locale))
}

fn uncertainty_table(round: &Round, out: &McOut, locale: Locale) -> String {
    let mut text = String::new();
    let names: BTreeMap<&str, &str> = round
        .scores
        .iter()
        .map(|s| (s.unit.as_str(), s.name.as_str()))
        .collect();
    for g in &out.groups {
        let r = &g.result;
        let group_name = round
            .set
            .group(&g.group)
            .map(|x| match (locale, &x.name_en) {
                (Locale::En, Some(n)) => n.clone(),
                _ => x.name.clone(),
            })
            .unwrap_or_else(|| g.group.clone());
        let _ = writeln!(
            text,
            "{} {group_name} — {} {}; {} {}, {} ±{} %",
            locale.pick("Nhóm", "Group"),
            r.units.len(),
            locale.pick("đơn vị", "units"),
            locale.integer(i64::from(r.replicates)),
            locale.pick("lần mô phỏng", "replicates"),
            locale.pick("trọng số lĩnh vực", "area weights"),
            share(locale, r.weight_jitter),
        );
        let mut headers: Vec<String> = match locale {
            Locale::Vi => vec![
                "Hạng",
                "Đơn vị",
                "Tổng điểm",
                "Hạng trung vị",
                "Khoảng 5–95 %",
            ],
            Locale::En => vec!["Rank", "Unit", "Total", "Median rank", "5–95 % range"],
        }
        .into_iter()
        .map(String::from)
        .collect();
        for c in 0..round.set.classes.classes.len() {
            headers.push(format!("{} %", round.class_label(Some(c), locale)));
        }
        let mut order: Vec<usize> = (0..r.units.len()).collect();
        order.sort_by_key(|&i| (r.units[i].rank, i));
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|&i| {
                let u = &r.units[i];
                let mut row = vec![
                    u.rank.to_string(),
                    clip(names.get(u.unit.as_str()).copied().unwrap_or(&u.unit), 34),
                    locale.decimal(u.total, round.decimals()),
                    u.median_rank.to_string(),
                    if u.rank_p05 == u.rank_p95 {
                        u.rank_p05.to_string()
                    } else {
                        format!("{}–{}", u.rank_p05, u.rank_p95)
                    },
                ];
                row.extend(
                    u.class_probability
                        .iter()
                        .take(round.set.classes.classes.len())
                        .map(|&p| share(locale, p)),
                );
                row
            })
            .collect();
        let mut right = vec![true, false, true, true, true];
        right.extend(std::iter::repeat_n(true, round.set.classes.classes.len()));
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        text.push_str(&table(&header_refs, &rows, &right));
        if r.indistinct.is_empty() {
            let _ = writeln!(
                text,
                "{}",
                locale.pick(
                    "Mọi cặp đơn vị liền kề đều phân biệt được (ở mức 5–95 %).",
                    "Every pair of neighbouring units can be told apart (at 5–95 %)."
                )
            );
        } else {
            let _ = writeln!(
                text,
                "{}",
                locale.pick(
                    "Các nhóm đơn vị không phân biệt được thứ hạng:",
                    "Blocks of units whose order cannot be told apart:"
                )
            );
            for block in &r.indistinct {
                let _ = writeln!(text, "  {}", block.join(", "));
            }
        }
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "{} {}: {} --seed {} {}",
        locale.pick("Hạt giống", "Seed"),
        out.seed,
        locale.pick("chạy lại với", "rerun with"),
        out.seed,
        locale.pick("để có đúng kết quả này", "for exactly these results"),
    );
    text
}

// ---------------------------------------------------------------------------------------------
// yoy

fn yoy(input: Input, previous_set: PathBuf, previous_scores: PathBuf, locale: Locale) -> Outcome {
    let after = load(&input.set, &input.scores)?;
    let before = load(&previous_set, &previous_scores)?;
    let report = compare_years(&before.set, &before.scores, &after.set, &after.scores);
    if input.format == Format::Json {
        return json(&report);
    }
    emit(yoy_table(&after, &report, locale))
}

fn yoy_table(round: &Round, r: &YoyReport, locale: Locale) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} → {}: {} {}, {} {}, {} {}",
        locale.pick("So sánh năm", "Year over year"),
        r.year_before,
        r.year_after,
        r.shared,
        locale.pick("tiêu chí thành phần chung", "shared sub-criteria"),
        r.added,
        locale.pick("thêm mới", "added"),
        r.removed,
        locale.pick("bỏ đi", "removed"),
    );
    let headers = match locale {
        Locale::Vi => [
            "Đơn vị",
            "Nhóm",
            "Tổng trước",
            "Tổng sau",
            "Thay đổi",
            "Do kết quả",
            "Do bộ chỉ số",
            "Thưởng/trừ",
            "% phần chung",
            "Hạng phần chung",
        ],
        Locale::En => [
            "Unit",
            "Group",
            "Before",
            "After",
            "Change",
            "Performance",
            "Set effect",
            "Bonus/penalty",
            "% shared part",
            "Rank, shared part",
        ],
    };
    let signed = |d: Decimal| {
        let t = round.points(locale, d);
        if d > Decimal::ZERO {
            format!("+{t}")
        } else {
            t
        }
    };
    let rows: Vec<Vec<String>> = r
        .units
        .iter()
        .map(|u| {
            vec![
                clip(&u.name, 30),
                u.group.clone(),
                round.points(locale, u.total_before),
                round.points(locale, u.total_after),
                signed(u.change),
                signed(u.performance),
                signed(u.set_effect.total),
                signed(u.adjustment),
                format!(
                    "{} → {}",
                    locale.decimal(u.shared_percent_before.round_dp(2), 2),
                    locale.decimal(u.shared_percent_after.round_dp(2), 2)
                ),
                format!("{} → {}", u.shared_rank_before, u.shared_rank_after),
            ]
        })
        .collect();
    out.push_str(&table(
        &headers,
        &rows,
        &[false, false, true, true, true, true, true, true, true, true],
    ));
    if !r.not_compared.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}",
            locale.pick("Không so sánh được", "Not compared"),
            r.not_compared.join(", ")
        );
    }
    let _ = writeln!(out, "{}", r.note.pick(locale));
    out
}
