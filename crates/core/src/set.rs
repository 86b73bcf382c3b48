//! Criteria sets (bộ chỉ số): the model, the TOML file format, and validation on load that names
//! the file, line, node and problem of every error at once.

use crate::diag::{Location, Problem, Problems, line_of};
use crate::num::{Num, Rounding};
use crate::rules::{Band, Rule, Share};
use crate::text::nfc;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use toml::Spanned;

/// A node code such as `1.1.4`: parts are positive integers; the level is the number of parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Code(Vec<u32>);

impl Code {
    pub fn parse(text: &str) -> Option<Code> {
        let parts: Option<Vec<u32>> = text
            .split('.')
            .map(|p| {
                let well_formed = !p.is_empty()
                    && p.len() <= 4
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && !p.starts_with('0');
                if well_formed { p.parse().ok() } else { None }
            })
            .collect();
        parts.filter(|p| !p.is_empty()).map(Code)
    }
    pub fn level(&self) -> usize {
        self.0.len()
    }
    pub fn parent(&self) -> Option<Code> {
        (self.0.len() > 1).then(|| Code(self.0[..self.0.len() - 1].to_vec()))
    }
    pub fn parts(&self) -> &[u32] {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for Code {
    type Error = String;
    fn try_from(s: String) -> Result<Code, String> {
        Code::parse(&s).ok_or_else(|| format!("'{s}' is not a node code"))
    }
}

/// What ranks and classes are computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Points over the unit's own maximum × 100.
    #[default]
    Percent,
    Points,
}

/// Competition ranking (1, 1, 3) or dense ranking (1, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankMethod {
    #[default]
    Competition,
    Dense,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scoring {
    pub rank_basis: Basis,
    pub rank_method: RankMethod,
    pub decimals: u32,
    pub rounding: Rounding,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            rank_basis: Basis::Percent,
            rank_method: RankMethod::Competition,
            decimals: 2,
            rounding: Rounding::HalfUp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDef {
    pub label: String,
    pub label_en: Option<String>,
    pub min: Decimal,
    pub min_inclusive: bool,
}

impl ClassDef {
    pub fn admits(&self, value: Decimal) -> bool {
        if self.min_inclusive {
            value >= self.min
        } else {
            value > self.min
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classes {
    pub basis: Basis,
    /// Best first.
    pub classes: Vec<ClassDef>,
}

impl Classes {
    /// The index of the first (best) class that admits the value.
    pub fn classify(&self, value: Decimal) -> Option<usize> {
        self.classes.iter().position(|c| c.admits(value))
    }
}

/// One node of the tree: an area (level 1), a criterion (2) or a scored sub-criterion (3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub code: Code,
    pub title: String,
    pub title_en: Option<String>,
    pub max: Decimal,
    pub max_by_level: BTreeMap<String, Decimal>,
    pub declared: Option<String>,
    pub evidence: Option<String>,
    pub allow_na: bool,
    pub rule: Option<Rule>,
    /// Line in the source file (0 when built in memory or imported from a spreadsheet).
    pub line: usize,
}

impl Node {
    pub fn max_for(&self, level: Option<&str>) -> Decimal {
        level
            .and_then(|l| self.max_by_level.get(l))
            .copied()
            .unwrap_or(self.max)
    }
    pub fn is_leaf(&self) -> bool {
        self.rule.is_some()
    }
}

/// A validated criteria set. Nodes are kept in code order; `leaves` lists the sub-criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriteriaSet {
    pub source: String,
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    pub year: i32,
    pub total: Decimal,
    pub levels: Vec<String>,
    pub groups: Vec<Group>,
    pub scoring: Scoring,
    pub bonus_max: Decimal,
    pub penalty_max: Decimal,
    pub classes: Classes,
    pub nodes: Vec<Node>,
    #[serde(skip)]
    index: Index,
}

/// Everything a criteria set is made of, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetParts {
    pub source: String,
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    pub year: i32,
    pub total: Decimal,
    pub levels: Vec<String>,
    pub groups: Vec<Group>,
    pub scoring: Scoring,
    pub bonus_max: Decimal,
    pub penalty_max: Decimal,
    pub classes: Classes,
    pub nodes: Vec<Node>,
}

/// Derived lookups, rebuilt whenever the nodes change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Index {
    by_code: HashMap<String, usize>,
    leaves: Vec<usize>,
    /// For each node, the indices of its ancestors (area first).
    ancestors: Vec<Vec<usize>>,
}

/// Counts per level and the total, as `sets show` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub areas: usize,
    pub criteria: usize,
    pub sub_criteria: usize,
    pub total: Decimal,
}

impl CriteriaSet {
    /// Builds a set from its parts (as an importer has them), sorting nodes by code, then
    /// validates it.
    pub fn from_parts(p: SetParts) -> Result<CriteriaSet, Problems> {
        let mut set = CriteriaSet {
            source: p.source,
            code: p.code,
            title: p.title,
            title_en: p.title_en,
            year: p.year,
            total: p.total,
            levels: p.levels,
            groups: p.groups,
            scoring: p.scoring,
            bonus_max: p.bonus_max,
            penalty_max: p.penalty_max,
            classes: p.classes,
            nodes: p.nodes,
            index: Index::default(),
        };
        set.nodes.sort_by(|a, b| a.code.cmp(&b.code));
        set.reindex();
        validate(&set).into_result(set)
    }

    /// The parts of the set, e.g. to change them and build a new set with `from_parts`.
    pub fn to_parts(&self) -> SetParts {
        SetParts {
            source: self.source.clone(),
            code: self.code.clone(),
            title: self.title.clone(),
            title_en: self.title_en.clone(),
            year: self.year,
            total: self.total,
            levels: self.levels.clone(),
            groups: self.groups.clone(),
            scoring: self.scoring.clone(),
            bonus_max: self.bonus_max,
            penalty_max: self.penalty_max,
            classes: self.classes.clone(),
            nodes: self.nodes.clone(),
        }
    }

    fn reindex(&mut self) {
        let by_code: HashMap<String, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.code.to_string(), i))
            .collect();
        let leaves = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_leaf())
            .map(|(i, _)| i)
            .collect();
        let ancestors = self
            .nodes
            .iter()
            .map(|n| {
                let mut chain = Vec::new();
                let mut cur = n.code.parent();
                while let Some(c) = cur {
                    if let Some(&i) = by_code.get(&c.to_string()) {
                        chain.push(i);
                    }
                    cur = c.parent();
                }
                chain.reverse();
                chain
            })
            .collect();
        self.index = Index {
            by_code,
            leaves,
            ancestors,
        };
    }

    pub fn node(&self, code: &str) -> Option<&Node> {
        self.index.by_code.get(code).map(|&i| &self.nodes[i])
    }
    pub fn node_index(&self, code: &str) -> Option<usize> {
        self.index.by_code.get(code).copied()
    }
    /// Indices (into `nodes`) of the sub-criteria, in code order.
    pub fn leaves(&self) -> &[usize] {
        &self.index.leaves
    }
    /// Indices of a node's ancestors, area first.
    pub fn ancestors(&self, node: usize) -> &[usize] {
        &self.index.ancestors[node]
    }
    /// Indices (into `nodes`) of the areas.
    pub fn areas_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.code.level() == 1)
            .map(|(i, _)| i)
    }
    pub fn areas(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.code.level() == 1)
    }
    pub fn children<'a>(&'a self, code: &'a Code) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes
            .iter()
            .filter(move |n| n.code.parent().as_ref() == Some(code))
    }
    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }
    pub fn shape(&self) -> Shape {
        let count = |level| {
            self.nodes
                .iter()
                .filter(|n| n.code.level() == level)
                .count()
        };
        Shape {
            areas: count(1),
            criteria: count(2),
            sub_criteria: self.leaves().len(),
            total: self.areas().map(|a| a.max).sum(),
        }
    }
    /// The published value of a figure: rounded as the set says.
    pub fn publish(&self, value: Decimal) -> Decimal {
        self.scoring.rounding.round(value, self.scoring.decimals)
    }
}

// ---------------------------------------------------------------------------------------------
// The TOML file.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Option<Spanned<i64>>,
    kind: Option<Spanned<String>>,
    set: Spanned<RawMeta>,
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
    scoring: Option<RawScoring>,
    bonus: Option<RawCap>,
    penalty: Option<RawCap>,
    classes: Spanned<RawClasses>,
    #[serde(default)]
    node: Vec<Spanned<RawNode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    code: Spanned<String>,
    title: String,
    title_en: Option<String>,
    year: Spanned<i64>,
    total: Spanned<Num>,
    levels: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: String,
    name: String,
    name_en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    rank_basis: Option<Basis>,
    rank_method: Option<RankMethod>,
    decimals: Option<Spanned<i64>>,
    rounding: Option<Rounding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCap {
    max: Spanned<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClasses {
    basis: Option<Basis>,
    #[serde(default)]
    class: Vec<Spanned<RawClass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    label: String,
    label_en: Option<String>,
    min: Num,
    min_inclusive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    code: Spanned<String>,
    title: String,
    title_en: Option<String>,
    max: Num,
    #[serde(default)]
    max_by_level: BTreeMap<String, Num>,
    declared: Option<String>,
    evidence: Option<String>,
    allow_na: Option<bool>,
    rule: Option<RawRule>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawRule {
    // Struct variants, so that deny_unknown_fields refuses stray parameters.
    Binary {},
    Timeliness {
        on_time: Option<Num>,
        late: Num,
        missing: Option<Num>,
    },
    Bands {
        domain: Option<[Num; 2]>,
        bands: Vec<RawBand>,
    },
    Proportional {
        floor: Option<Num>,
        floor_inclusive: Option<bool>,
        cap: Option<Num>,
    },
    PerItem {
        each: Num,
    },
    Graded {
        levels: Vec<RawShare>,
    },
    Deduction {
        kinds: Vec<RawShare>,
    },
    Survey {
        indicator: String,
        from: Option<Num>,
        to: Option<Num>,
    },
    Manual {},
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    min: Option<Num>,
    min_inclusive: Option<bool>,
    max: Option<Num>,
    max_inclusive: Option<bool>,
    points: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShare {
    key: String,
    label: Option<String>,
    share: Num,
}

impl RawRule {
    fn into_rule(self) -> Rule {
        let share = |s: RawShare| Share {
            label: nfc(s.label.as_deref().unwrap_or(&s.key)),
            key: s.key,
            share: s.share.0,
        };
        match self {
            RawRule::Binary {} => Rule::Binary,
            RawRule::Timeliness {
                on_time,
                late,
                missing,
            } => Rule::Timeliness {
                on_time: on_time.map(|n| n.0),
                late: late.0,
                missing: missing.map_or(Decimal::ZERO, |n| n.0),
            },
            RawRule::Bands { domain, bands } => Rule::Bands {
                domain: domain.map_or((Decimal::ZERO, Decimal::ONE_HUNDRED), |[a, b]| (a.0, b.0)),
                bands: bands
                    .into_iter()
                    .map(|b| Band {
                        min: b.min.map(|n| n.0),
                        min_inclusive: b.min_inclusive.unwrap_or(true),
                        max: b.max.map(|n| n.0),
                        max_inclusive: b.max_inclusive.unwrap_or(false),
                        points: b.points.0,
                    })
                    .collect(),
            },
            RawRule::Proportional {
                floor,
                floor_inclusive,
                cap,
            } => Rule::Proportional {
                floor: floor.map_or(Decimal::ZERO, |n| n.0),
                floor_inclusive: floor_inclusive.unwrap_or(true),
                cap: cap.map(|n| n.0),
            },
            RawRule::PerItem { each } => Rule::PerItem { each: each.0 },
            RawRule::Graded { levels } => Rule::Graded {
                levels: levels.into_iter().map(share).collect(),
            },
            RawRule::Deduction { kinds } => Rule::Deduction {
                kinds: kinds.into_iter().map(share).collect(),
            },
            RawRule::Survey {
                indicator,
                from,
                to,
            } => Rule::Survey {
                indicator,
                from: from.map_or(Decimal::ZERO, |n| n.0),
                to: to.map_or(Decimal::ONE_HUNDRED, |n| n.0),
            },
            RawRule::Manual {} => Rule::Manual,
        }
    }
}

fn opt_nfc(s: Option<String>) -> Option<String> {
    s.map(|t| nfc(t.trim())).filter(|t| !t.is_empty())
}

/// Reads and validates a criteria set from its TOML text. `file` names the source in messages.
pub fn parse_set(file: &str, text: &str) -> Result<CriteriaSet, Problems> {
    let at = |offset: usize| Location::file(file).with_line(line_of(text, offset));
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let loc = match e.span() {
                Some(span) => at(span.start),
                None => Location::file(file),
            };
            let msg = e.message().to_string();
            let mut p = Problems::default();
            p.push(Problem::new(
                loc,
                format!("tệp TOML không hợp lệ: {msg}"),
                format!("invalid TOML: {msg}"),
            ));
            return Err(p);
        }
    };
    let mut problems = Problems::default();
    if let Some(f) = &raw.format
        && *f.get_ref() != 1
    {
        problems.push(Problem::new(
            at(f.span().start).with_field("format"),
            format!(
                "phiên bản định dạng {} không được hỗ trợ (chỉ có 1)",
                f.get_ref()
            ),
            format!("format version {} is not supported (only 1)", f.get_ref()),
        ));
    }
    if let Some(k) = &raw.kind
        && k.get_ref() != "criteria-set"
    {
        problems.push(Problem::new(
            at(k.span().start).with_field("kind"),
            format!(
                "kind phải là \"criteria-set\", không phải \"{}\"",
                k.get_ref()
            ),
            format!("kind must be \"criteria-set\", not \"{}\"", k.get_ref()),
        ));
    }
    let meta_span = raw.set.span();
    let meta = raw.set.into_inner();
    let code = meta.code.get_ref().trim().to_string();
    if code.is_empty()
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        problems.push(Problem::new(
            at(meta.code.span().start).with_field("set.code"),
            format!("mã bộ chỉ số \"{code}\" chỉ được gồm chữ thường, chữ số và dấu '-'"),
            format!("set code \"{code}\" may hold only lowercase letters, digits and '-'"),
        ));
    }
    let year = *meta.year.get_ref();
    if !(2000..=2100).contains(&year) {
        problems.push(Problem::new(
            at(meta.year.span().start).with_field("set.year"),
            format!("năm {year} không hợp lệ"),
            format!("year {year} is not valid"),
        ));
    }
    let levels_span = meta.levels.span();
    let levels: Vec<String> = meta
        .levels
        .into_inner()
        .into_iter()
        .map(|l| l.trim().to_string())
        .collect();
    if levels.is_empty() {
        problems.push(Problem::new(
            at(levels_span.start).with_field("set.levels"),
            "cần ít nhất một cấp đơn vị",
            "at least one unit level is needed",
        ));
    }
    let scoring = raw.scoring.map_or_else(Scoring::default, |s| {
        let mut out = Scoring::default();
        if let Some(b) = s.rank_basis {
            out.rank_basis = b;
        }
        if let Some(m) = s.rank_method {
            out.rank_method = m;
        }
        if let Some(r) = s.rounding {
            out.rounding = r;
        }
        if let Some(d) = s.decimals {
            if (0..=4).contains(d.get_ref()) {
                out.decimals = *d.get_ref() as u32;
            } else {
                problems.push(Problem::new(
                    at(d.span().start).with_field("scoring.decimals"),
                    "số chữ số thập phân phải từ 0 đến 4",
                    "decimals must be between 0 and 4",
                ));
            }
        }
        out
    });
    let mut cap = |c: Option<RawCap>, name: &str| -> Decimal {
        let Some(c) = c else { return Decimal::ZERO };
        let v = c.max.get_ref().0;
        if v.is_sign_negative() {
            problems.push(Problem::new(
                at(c.max.span().start).with_field(format!("{name}.max")),
                "mức trần không được âm",
                "the cap may not be negative",
            ));
        }
        v
    };
    let bonus_max = cap(raw.bonus, "bonus");
    let penalty_max = cap(raw.penalty, "penalty");

    let classes_span = raw.classes.span();
    let raw_classes = raw.classes.into_inner();
    let class_lines: Vec<usize> = raw_classes
        .class
        .iter()
        .map(|c| line_of(text, c.span().start))
        .collect();
    let classes = Classes {
        basis: raw_classes.basis.unwrap_or_default(),
        classes: raw_classes
            .class
            .into_iter()
            .map(|c| {
                let c = c.into_inner();
                ClassDef {
                    label: nfc(c.label.trim()),
                    label_en: opt_nfc(c.label_en),
                    min: c.min.0,
                    min_inclusive: c.min_inclusive.unwrap_or(true),
                }
            })
            .collect(),
    };
    let groups: Vec<Group> = raw
        .group
        .into_iter()
        .map(|g| {
            let g = g.into_inner();
            Group {
                code: g.code.trim().to_string(),
                name: nfc(g.name.trim()),
                name_en: opt_nfc(g.name_en),
            }
        })
        .collect();

    let mut nodes = Vec::with_capacity(raw.node.len());
    for spanned in raw.node {
        let n = spanned.into_inner();
        let line = line_of(text, n.code.span().start);
        let code_text = n.code.get_ref().trim().to_string();
        let Some(code) = Code::parse(&code_text) else {
            problems.push(Problem::new(
                at(n.code.span().start).with_field("code"),
                format!("mã \"{code_text}\" không đúng dạng (ví dụ 1, 1.1, 1.1.4)"),
                format!("code \"{code_text}\" is not well formed (e.g. 1, 1.1, 1.1.4)"),
            ));
            continue;
        };
        nodes.push(Node {
            code,
            title: nfc(n.title.trim()),
            title_en: opt_nfc(n.title_en),
            max: n.max.0,
            max_by_level: n.max_by_level.into_iter().map(|(k, v)| (k, v.0)).collect(),
            declared: opt_nfc(n.declared),
            evidence: opt_nfc(n.evidence),
            allow_na: n.allow_na.unwrap_or(false),
            rule: n.rule.map(RawRule::into_rule),
            line,
        });
    }

    let built = CriteriaSet::from_parts(SetParts {
        source: file.to_string(),
        code,
        title: nfc(meta.title.trim()),
        title_en: opt_nfc(meta.title_en),
        year: year as i32,
        total: meta.total.get_ref().0,
        levels,
        groups,
        scoring,
        bonus_max,
        penalty_max,
        classes,
        nodes,
    });
    let set = match built {
        Ok(set) => Some(set),
        Err(mut found) => {
            // Validation ties some problems only to a section: give them that section's line.
            for p in &mut found.0 {
                if p.location.line.is_some() {
                    continue;
                }
                let field = p.location.field.as_deref().unwrap_or("");
                p.location.line = if let Some(rest) = field.strip_prefix("classes[") {
                    let idx = rest.split(']').next().and_then(|i| i.parse::<usize>().ok());
                    Some(
                        idx.and_then(|i| class_lines.get(i).copied())
                            .unwrap_or(line_of(text, classes_span.start)),
                    )
                } else if field.starts_with("classes") {
                    Some(line_of(text, classes_span.start))
                } else if field.starts_with("set") || field.starts_with("group") || field == "node"
                {
                    Some(line_of(text, meta_span.start))
                } else {
                    None
                };
            }
            problems.extend(found);
            None
        }
    };
    match set {
        Some(set) if problems.is_empty() => Ok(set),
        _ => Err(problems),
    }
}

/// Everything that must hold of a set, whatever file it came from. Locations carry the node's line
/// when known (TOML) and the file name; spreadsheet importers add the cell.
pub fn validate(set: &CriteriaSet) -> Problems {
    let mut problems = Problems::default();
    let node_loc = |n: &Node| {
        let loc = Location::file(&set.source).with_node(n.code.to_string());
        if n.line > 0 {
            loc.with_line(n.line)
        } else {
            loc
        }
    };
    let set_loc = |field: &str| Location::file(&set.source).with_field(field);

    if set.groups.is_empty() {
        problems.push(Problem::new(
            set_loc("group"),
            "cần ít nhất một nhóm xếp hạng ([[group]])",
            "at least one ranking group ([[group]]) is needed",
        ));
    }
    let mut seen_groups = HashMap::new();
    for g in &set.groups {
        if g.code.is_empty() || g.name.is_empty() {
            problems.push(Problem::new(
                set_loc("group"),
                "nhóm cần có mã và tên",
                "a group needs a code and a name",
            ));
        }
        if seen_groups.insert(g.code.clone(), ()).is_some() {
            problems.push(Problem::new(
                set_loc("group"),
                format!("mã nhóm \"{}\" bị trùng", g.code),
                format!("group code \"{}\" is duplicated", g.code),
            ));
        }
    }
    if set.total <= Decimal::ZERO {
        problems.push(Problem::new(
            set_loc("set.total"),
            "tổng điểm phải dương",
            "the total must be positive",
        ));
    }

    // Classes: ordered best first with strictly decreasing thresholds, and a floor that admits 0.
    if set.classes.classes.is_empty() {
        problems.push(Problem::new(
            set_loc("classes"),
            "cần ít nhất một mức xếp loại",
            "at least one class is needed",
        ));
    }
    for (i, pair) in set.classes.classes.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let ordered = a.min > b.min || (a.min == b.min && !a.min_inclusive && b.min_inclusive);
        if !ordered {
            problems.push(Problem::new(
                set_loc(&format!("classes[{}]", i + 1)),
                format!(
                    "mức xếp loại \"{}\" phải có ngưỡng thấp hơn \"{}\" (sắp từ cao xuống thấp)",
                    b.label, a.label
                ),
                format!(
                    "class \"{}\" must have a lower threshold than \"{}\" (best first)",
                    b.label, a.label
                ),
            ));
        }
    }
    for (i, c) in set.classes.classes.iter().enumerate() {
        if c.label.is_empty() {
            problems.push(Problem::new(
                set_loc(&format!("classes[{i}]")),
                "mức xếp loại thiếu tên",
                "a class has no label",
            ));
        }
    }
    if let Some(last) = set.classes.classes.last()
        && !last.admits(Decimal::ZERO)
    {
        problems.push(Problem::new(
            set_loc(&format!("classes[{}]", set.classes.classes.len() - 1)),
            format!(
                "mức thấp nhất \"{}\" phải nhận cả điểm 0 (đặt min = 0)",
                last.label
            ),
            format!(
                "the lowest class \"{}\" must admit 0 (set min = 0)",
                last.label
            ),
        ));
    }

    // Nodes: unique codes, parents exist, depth 3 at most, leaves are level 3 with a rule.
    let mut seen: HashMap<&Code, usize> = HashMap::new();
    for n in &set.nodes {
        if let Some(first_line) = seen.insert(&n.code, n.line) {
            let first = if first_line > 0 {
                format!(" ({} {first_line})", "line")
            } else {
                String::new()
            };
            problems.push(Problem::new(
                node_loc(n).with_field("code"),
                format!("mã {} bị trùng{}", n.code, first.replace("line", "dòng")),
                format!("code {} is duplicated{first}", n.code),
            ));
        }
        if n.title.is_empty() {
            problems.push(Problem::new(
                node_loc(n).with_field("title"),
                "thiếu tên tiêu chí",
                "the title is missing",
            ));
        }
        if n.code.level() > 3 {
            problems.push(Problem::new(
                node_loc(n).with_field("code"),
                "chỉ có 3 cấp: lĩnh vực, tiêu chí, tiêu chí thành phần",
                "only 3 levels exist: area, criterion, sub-criterion",
            ));
        }
        if let Some(parent) = n.code.parent()
            && set.node(&parent.to_string()).is_none()
        {
            problems.push(Problem::new(
                node_loc(n).with_field("code"),
                format!("không có mục cha {parent}"),
                format!("parent {parent} does not exist"),
            ));
        }
        if n.max.is_sign_negative() || n.max.is_zero() {
            problems.push(Problem::new(
                node_loc(n).with_field("max"),
                "điểm tối đa phải dương",
                "the maximum must be positive",
            ));
        }
        for (level, m) in &n.max_by_level {
            if !set.levels.contains(level) {
                problems.push(Problem::new(
                    node_loc(n).with_field(format!("max_by_level.{level}")),
                    format!("cấp \"{level}\" không có trong set.levels"),
                    format!("level \"{level}\" is not in set.levels"),
                ));
            }
            if m.is_sign_negative() {
                problems.push(Problem::new(
                    node_loc(n).with_field(format!("max_by_level.{level}")),
                    "điểm tối đa không được âm",
                    "the maximum may not be negative",
                ));
            }
        }
        let has_children = set.children(&n.code).next().is_some();
        match (&n.rule, has_children, n.code.level()) {
            (Some(_), true, _) => problems.push(Problem::new(
                node_loc(n).with_field("rule"),
                "mục có mục con không được có cách tính điểm riêng",
                "a node with children may not have a rule of its own",
            )),
            (None, false, 3) => problems.push(Problem::new(
                node_loc(n).with_field("rule"),
                "tiêu chí thành phần thiếu cách tính điểm (rule)",
                "the sub-criterion has no rule",
            )),
            (None, false, _) => problems.push(Problem::new(
                node_loc(n),
                "lĩnh vực/tiêu chí phải có tiêu chí thành phần",
                "an area or criterion must have sub-criteria",
            )),
            (Some(_), false, l) if l < 3 => problems.push(Problem::new(
                node_loc(n).with_field("code"),
                "chỉ tiêu chí thành phần (cấp 3, ví dụ 1.1.1) mới được chấm điểm",
                "only sub-criteria (level 3, e.g. 1.1.1) are scored",
            )),
            _ => {}
        }
        if let Some(rule) = &n.rule {
            for level in
                std::iter::once(None).chain(n.max_by_level.keys().map(|k| Some(k.as_str())))
            {
                let max = n.max_for(level);
                for (field, vi, en) in rule_problems(rule, max) {
                    let lv = level.map(|l| format!(" ({l})")).unwrap_or_default();
                    problems.push(Problem::new(
                        node_loc(n).with_field(format!("rule.{field}")),
                        format!("{vi}{lv}"),
                        format!("{en}{lv}"),
                    ));
                }
            }
        }
    }

    // Sums: each parent's maximum equals the sum of its children's, for every level.
    for n in set.nodes.iter().filter(|n| !n.is_leaf()) {
        let children: Vec<&Node> = set.children(&n.code).collect();
        if children.is_empty() {
            continue;
        }
        for level in std::iter::once(None).chain(set.levels.iter().map(|l| Some(l.as_str()))) {
            let sum: Decimal = children.iter().map(|c| c.max_for(level)).sum();
            let own = n.max_for(level);
            if sum != own {
                let lv = level
                    .map(|l| format!(" ({} {l})", "level"))
                    .unwrap_or_default();
                problems.push(Problem::new(
                    node_loc(n).with_field("max"),
                    format!(
                        "điểm tối đa {own} khác tổng các mục con {sum}{}",
                        lv.replace("level", "cấp")
                    ),
                    format!("maximum {own} differs from the sum of its children {sum}{lv}"),
                ));
                break;
            }
        }
    }
    let area_sum: Decimal = set.areas().map(|a| a.max).sum();
    if !set.nodes.is_empty() && area_sum != set.total {
        problems.push(Problem::new(
            set_loc("set.total"),
            format!(
                "tổng điểm tối đa các lĩnh vực là {area_sum}, khác set.total = {}",
                set.total
            ),
            format!(
                "the areas' maxima add up to {area_sum}, not set.total = {}",
                set.total
            ),
        ));
    }
    if set.nodes.is_empty() {
        problems.push(Problem::new(
            set_loc("node"),
            "bộ chỉ số chưa có tiêu chí nào",
            "the set has no nodes",
        ));
    }
    problems
}

type RuleProblem = (&'static str, String, String);

/// Checks that a rule's parameters fit the sub-criterion's maximum.
fn rule_problems(rule: &Rule, max: Decimal) -> Vec<RuleProblem> {
    let mut out: Vec<RuleProblem> = Vec::new();
    let in_range = |out: &mut Vec<RuleProblem>,
                    field: &'static str,
                    v: Decimal,
                    what_vi: &str,
                    what_en: &str| {
        if v.is_sign_negative() || v > max {
            out.push((
                field,
                format!("{what_vi} {v} phải từ 0 đến điểm tối đa {max}"),
                format!("{what_en} {v} must be between 0 and the maximum {max}"),
            ));
        }
    };
    match rule {
        Rule::Binary | Rule::Manual => {}
        Rule::Timeliness {
            on_time,
            late,
            missing,
        } => {
            let on = on_time.unwrap_or(max);
            in_range(&mut out, "on_time", on, "điểm đúng hạn", "on-time points");
            in_range(&mut out, "late", *late, "điểm trễ hạn", "late points");
            in_range(
                &mut out,
                "missing",
                *missing,
                "điểm không thực hiện",
                "missing points",
            );
            if !(on >= *late && *late >= *missing) {
                out.push((
                    "late",
                    "phải có đúng hạn ≥ trễ hạn ≥ không thực hiện".into(),
                    "on_time ≥ late ≥ missing must hold".into(),
                ));
            }
        }
        Rule::Bands { domain, bands } => {
            for b in bands {
                in_range(
                    &mut out,
                    "bands.points",
                    b.points,
                    "điểm của mức",
                    "band points",
                );
            }
            out.extend(band_coverage(*domain, bands));
        }
        Rule::Proportional { floor, cap, .. } => {
            if floor.is_sign_negative() || *floor > Decimal::ONE_HUNDRED {
                out.push((
                    "floor",
                    format!("ngưỡng sàn {floor}% phải từ 0 đến 100"),
                    format!("floor {floor}% must be between 0 and 100"),
                ));
            }
            if let Some(c) = cap {
                in_range(&mut out, "cap", *c, "mức trần", "cap");
            }
        }
        Rule::PerItem { each } => {
            if *each <= Decimal::ZERO || *each > max {
                out.push((
                    "each",
                    format!("điểm mỗi mục {each} phải dương và không quá {max}"),
                    format!("points per item {each} must be positive and at most {max}"),
                ));
            }
        }
        Rule::Graded { levels } | Rule::Deduction { kinds: levels } => {
            let name = if matches!(rule, Rule::Graded { .. }) {
                "levels"
            } else {
                "kinds"
            };
            if levels.is_empty() {
                out.push((
                    name,
                    "cần ít nhất một mức".into(),
                    "at least one entry is needed".into(),
                ));
            }
            let mut keys = HashMap::new();
            for l in levels {
                if l.share.is_sign_negative() || l.share > Decimal::ONE {
                    out.push((
                        name,
                        format!("tỷ lệ {} của \"{}\" phải từ 0 đến 1", l.share, l.key),
                        format!("share {} of \"{}\" must be between 0 and 1", l.share, l.key),
                    ));
                }
                if l.key.trim().is_empty() || keys.insert(crate::text::fold(&l.key), ()).is_some() {
                    out.push((
                        name,
                        format!("khóa \"{}\" trống hoặc bị trùng", l.key),
                        format!("key \"{}\" is empty or duplicated", l.key),
                    ));
                }
            }
        }
        Rule::Survey {
            indicator,
            from,
            to,
        } => {
            if indicator.trim().is_empty() {
                out.push((
                    "indicator",
                    "thiếu tên chỉ số khảo sát".into(),
                    "the survey indicator is missing".into(),
                ));
            }
            if from >= to || from.is_sign_negative() || *to > Decimal::ONE_HUNDRED {
                out.push((
                    "from",
                    format!("cần 0 ≤ from < to ≤ 100 (đang là {from}, {to})"),
                    format!("0 ≤ from < to ≤ 100 must hold (got {from}, {to})"),
                ));
            }
        }
    }
    out
}

/// Bands must cover the domain exactly: sorted by lower bound, each starting where the previous
/// ended with the opposite inclusivity.
fn band_coverage(domain: (Decimal, Decimal), bands: &[Band]) -> Vec<RuleProblem> {
    let mut out = Vec::new();
    if bands.is_empty() {
        out.push((
            "bands",
            "cần ít nhất một mức".to_string(),
            "at least one band is needed".to_string(),
        ));
        return out;
    }
    if domain.0 >= domain.1 {
        out.push((
            "domain",
            format!("khoảng giá trị [{}, {}] không hợp lệ", domain.0, domain.1),
            format!("domain [{}, {}] is not valid", domain.0, domain.1),
        ));
        return out;
    }
    let mut sorted: Vec<&Band> = bands.iter().collect();
    // Open-below first, then by lower bound, an inclusive bound before an exclusive one.
    sorted.sort_by(|a, b| match (a.min, b.min) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(&y).then(b.min_inclusive.cmp(&a.min_inclusive)),
    });
    let describe = |b: &Band| {
        let lo = b.min.map_or("-∞".to_string(), |m| {
            format!("{}{m}", if b.min_inclusive { "[" } else { "(" })
        });
        let hi = b.max.map_or("+∞".to_string(), |m| {
            format!("{m}{}", if b.max_inclusive { "]" } else { ")" })
        });
        format!("{lo}, {hi}")
    };
    // The first band must reach down to the domain's lower end.
    let first = sorted[0];
    if let Some(m) = first.min
        && (m > domain.0 || (m == domain.0 && !first.min_inclusive))
    {
        out.push((
            "bands",
            format!("các mức không phủ phần đầu khoảng từ {}", domain.0),
            format!(
                "the bands leave a gap at the start of the domain from {}",
                domain.0
            ),
        ));
    }
    for pair in sorted.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if let Some(b_min) = b.min
            && let Some(a_max) = a.max
            && b.min.is_some()
        {
            if a_max == b_min && a.max_inclusive != b.min_inclusive {
                continue;
            }
            if a_max < b_min || (a_max == b_min && !a.max_inclusive && !b.min_inclusive) {
                out.push((
                    "bands",
                    format!(
                        "khoảng trống giữa các mức {} và {}",
                        describe(a),
                        describe(b)
                    ),
                    format!("gap between bands {} and {}", describe(a), describe(b)),
                ));
                continue;
            }
        }
        out.push((
            "bands",
            format!("các mức {} và {} chồng lên nhau", describe(a), describe(b)),
            format!("bands {} and {} overlap", describe(a), describe(b)),
        ));
    }
    let last = sorted[sorted.len() - 1];
    if let Some(m) = last.max
        && (m < domain.1 || (m == domain.1 && !last.max_inclusive))
    {
        out.push((
            "bands",
            format!("các mức không phủ phần cuối khoảng đến {}", domain.1),
            format!(
                "the bands leave a gap at the end of the domain up to {}",
                domain.1
            ),
        ));
    }
    out
}
