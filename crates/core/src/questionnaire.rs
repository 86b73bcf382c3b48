//! SIPAS questionnaires (phiếu khảo sát): the model, the `*.survey.toml` file format, and validation
//! on load that names the file, line, field and code of every problem at once.
//!
//! The format is documented in `docs/questionnaire-format.md`. A file that is not valid TOML, or
//! holds a value of the wrong type or an unknown key, is reported at its first such error; every
//! other problem (missing keys, malformed or duplicate codes, dangling references, gaps in the
//! scale…) is collected and reported together.

use crate::diag::{Location, Problem, Problems, line_of};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use toml::Spanned;
use unicode_normalization::UnicodeNormalization;

/// The only file-format version.
pub const FORMAT_VERSION: i64 = 1;
/// The `kind` of a questionnaire file.
pub const KIND: &str = "questionnaire";

/// A questionnaire: what a SIPAS respondent is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Questionnaire {
    /// Unique id: lowercase letters, digits and `-`.
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    /// First survey year the form is used for.
    pub year_from: i32,
    /// Last survey year; `None` while the form is still in use.
    pub year_to: Option<i32>,
    /// Where the content comes from.
    pub source: Option<String>,
    pub scale: Scale,
    /// In file order.
    pub elements: Vec<Element>,
    /// In the order they are asked.
    pub items: Vec<Item>,
    pub expectations: Option<Expectations>,
    pub profile: Vec<ChoiceQuestion>,
    /// Other questions (text, numbers, dates, notes): answered and kept, not part of the indices.
    pub questions: Vec<OtherQuestion>,
}

/// What kind of answer an other question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Text,
    Integer,
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    /// Text shown to the respondent; takes no answer.
    Note,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 5] = [
        QuestionKind::Text,
        QuestionKind::Integer,
        QuestionKind::Decimal,
        QuestionKind::Date,
        QuestionKind::Note,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Text => "text",
            QuestionKind::Integer => "integer",
            QuestionKind::Decimal => "decimal",
            QuestionKind::Date => "date",
            QuestionKind::Note => "note",
        }
    }
    pub fn parse(s: &str) -> Option<QuestionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A question outside the scale, the expectations and the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherQuestion {
    pub code: String,
    pub kind: QuestionKind,
    pub text: String,
    pub text_en: Option<String>,
    pub required: bool,
}

/// The answer scale of the items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scale {
    /// In file order; codes unique and contiguous.
    pub levels: Vec<ScaleLevel>,
    /// The codes counted as "satisfied" (hài lòng).
    pub satisfied: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaleLevel {
    pub code: u32,
    pub label: String,
    pub label_en: Option<String>,
}

/// One of the elements of service delivery (yếu tố).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    pub code: u32,
    pub name: String,
    pub name_en: Option<String>,
}

/// A statement rated on the scale (tiêu chí).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `<element>.<n>`, e.g. `1.1`.
    pub code: String,
    pub element: u32,
    pub text: String,
    pub text_en: Option<String>,
    pub required: bool,
}

/// What the respondent wants improved first (sự mong đợi).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectations {
    pub question: String,
    pub question_en: Option<String>,
    /// The rating options of every area, e.g. Rất nhiều / Nhiều / Ít.
    pub options: Vec<Choice>,
    pub areas: Vec<ExpectationArea>,
    pub free_text: Option<FreeText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationArea {
    pub code: String,
    pub text: String,
    pub text_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreeText {
    pub text: String,
    pub text_en: Option<String>,
}

/// A choice question, e.g. of the respondent profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceQuestion {
    pub code: String,
    pub text: String,
    pub text_en: Option<String>,
    pub required: bool,
    /// Whether several options may be ticked.
    pub multiple: bool,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub label_en: Option<String>,
}

impl Scale {
    pub fn level(&self, code: u32) -> Option<&ScaleLevel> {
        self.levels.iter().find(|l| l.code == code)
    }
    /// Whether an answer code counts as satisfied.
    pub fn is_satisfied(&self, code: u32) -> bool {
        self.satisfied.contains(&code)
    }
    /// Whether an answer code is on the scale.
    pub fn contains(&self, code: u32) -> bool {
        self.level(code).is_some()
    }
}

impl Questionnaire {
    pub fn element(&self, code: u32) -> Option<&Element> {
        self.elements.iter().find(|e| e.code == code)
    }
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }
    /// The items of one element, in the order they are asked.
    pub fn items_of_element(&self, element: u32) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.element == element)
    }
    /// `(element code, number of items)` for every element, in element order.
    pub fn counts_per_element(&self) -> Vec<(u32, usize)> {
        self.elements
            .iter()
            .map(|e| (e.code, self.items_of_element(e.code).count()))
            .collect()
    }
    /// The item counts per element as usually written, e.g. `4 + 5 + 6 + 3 + 4`.
    pub fn shape(&self) -> String {
        self.counts_per_element()
            .iter()
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    }
    pub fn profile_question(&self, code: &str) -> Option<&ChoiceQuestion> {
        self.profile.iter().find(|q| q.code == code)
    }
    /// Whether the form is meant for a survey year.
    pub fn covers_year(&self, year: i32) -> bool {
        year >= self.year_from && self.year_to.is_none_or(|to| year <= to)
    }
}

// ---------------------------------------------------------------------------------------------
// The TOML file: every key optional here, so that missing keys are reported together.

type S<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: S<i64>,
    kind: S<String>,
    survey: S<RawSurvey>,
    scale: S<RawScale>,
    #[serde(default)]
    element: Vec<Spanned<RawElement>>,
    #[serde(default)]
    item: Vec<Spanned<RawItem>>,
    expectations: S<RawExpectations>,
    #[serde(default)]
    profile: Vec<Spanned<RawChoiceQuestion>>,
    #[serde(default)]
    question: Vec<Spanned<RawOtherQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOtherQuestion {
    code: S<String>,
    #[serde(rename = "type")]
    kind: S<String>,
    text: S<String>,
    text_en: S<String>,
    required: S<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    code: S<String>,
    title: S<String>,
    title_en: S<String>,
    year_from: S<i64>,
    year_to: S<i64>,
    source: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    satisfied: S<Vec<Spanned<i64>>>,
    #[serde(default)]
    level: Vec<Spanned<RawLevel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    code: S<i64>,
    label: S<String>,
    label_en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    code: S<i64>,
    name: S<String>,
    name_en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    code: S<String>,
    element: S<i64>,
    text: S<String>,
    text_en: S<String>,
    required: S<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectations {
    question: S<String>,
    question_en: S<String>,
    #[serde(default)]
    option: Vec<Spanned<RawChoice>>,
    #[serde(default)]
    area: Vec<Spanned<RawArea>>,
    free_text: S<RawFreeText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    code: S<String>,
    text: S<String>,
    text_en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreeText {
    text: S<String>,
    text_en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoiceQuestion {
    code: S<String>,
    text: S<String>,
    text_en: S<String>,
    required: S<bool>,
    multiple: S<bool>,
    #[serde(default)]
    option: Vec<Spanned<RawChoice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    code: S<String>,
    label: S<String>,
    label_en: S<String>,
}

/// Largest element code and scale code accepted.
const MAX_ELEMENT: i64 = 999;
const MAX_SCALE_CODE: i64 = 100;
const MAX_CHOICE_CODE_LEN: usize = 40;

/// Collects problems with their location in one file.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    problems: Problems,
}

impl Checker<'_> {
    fn at(&self, offset: usize) -> Location {
        Location::file(self.file).with_line(line_of(self.text, offset))
    }

    fn push(&mut self, location: Location, vi: String, en: String) {
        self.problems.push(Problem::new(location, vi, en));
    }

    /// A required text: present and not blank, returned as trimmed NFC.
    fn required_text(
        &mut self,
        value: S<String>,
        table: &Range<usize>,
        field: &str,
        node: Option<&str>,
    ) -> Option<String> {
        let with_node = |loc: Location| match node {
            Some(n) => loc.with_node(n),
            None => loc,
        };
        match value {
            None => {
                let loc = with_node(self.at(table.start).with_field(field));
                self.push(
                    loc,
                    format!("thiếu trường bắt buộc \"{field}\""),
                    format!("the required field \"{field}\" is missing"),
                );
                None
            }
            Some(v) => {
                let t = clean(v.get_ref());
                if t.is_empty() {
                    let loc = with_node(self.at(v.span().start).with_field(field));
                    self.push(
                        loc,
                        format!("trường \"{field}\" không được để trống"),
                        format!("the field \"{field}\" must not be empty"),
                    );
                    None
                } else {
                    Some(t)
                }
            }
        }
    }

    /// A required whole number in `lo..=hi`.
    fn required_int(
        &mut self,
        value: &S<i64>,
        table: &Range<usize>,
        field: &str,
        node: Option<&str>,
        (lo, hi): (i64, i64),
    ) -> Option<(i64, Range<usize>)> {
        let with_node = |loc: Location| match node {
            Some(n) => loc.with_node(n),
            None => loc,
        };
        match value {
            None => {
                let loc = with_node(self.at(table.start).with_field(field));
                self.push(
                    loc,
                    format!("thiếu trường bắt buộc \"{field}\""),
                    format!("the required field \"{field}\" is missing"),
                );
                None
            }
            Some(v) => {
                let n = *v.get_ref();
                if (lo..=hi).contains(&n) {
                    Some((n, v.span()))
                } else {
                    let loc = with_node(self.at(v.span().start).with_field(field));
                    self.push(
                        loc,
                        format!("giá trị {n} của \"{field}\" phải từ {lo} đến {hi}"),
                        format!("the value {n} of \"{field}\" must be between {lo} and {hi}"),
                    );
                    None
                }
            }
        }
    }

    /// A required choice-style code (`[a-z0-9_]`, 1–40 characters), unique within `seen`.
    fn choice_code(
        &mut self,
        value: S<String>,
        table: &Range<usize>,
        field: &str,
        seen: &mut HashMap<String, usize>,
    ) -> Option<String> {
        let Some(v) = value else {
            let loc = self.at(table.start).with_field(field);
            self.push(
                loc,
                format!("thiếu trường bắt buộc \"{field}\""),
                format!("the required field \"{field}\" is missing"),
            );
            return None;
        };
        let code = v.get_ref().clone();
        let line = line_of(self.text, v.span().start);
        let loc = self.at(v.span().start).with_field(field).with_node(&code);
        if !is_choice_code(&code) {
            self.push(
                loc,
                format!(
                    "mã \"{code}\" không hợp lệ: chỉ gồm 1–{MAX_CHOICE_CODE_LEN} chữ thường không dấu, chữ số và '_'"
                ),
                format!(
                    "code \"{code}\" is malformed: use 1–{MAX_CHOICE_CODE_LEN} lowercase ASCII letters, digits and '_'"
                ),
            );
            return None;
        }
        if let Some(first) = seen.get(&code) {
            let first = *first;
            self.push(
                loc,
                format!("mã \"{code}\" bị trùng (đã dùng ở dòng {first})"),
                format!("duplicate code \"{code}\" (already used on line {first})"),
            );
            return None;
        }
        seen.insert(code.clone(), line);
        Some(code)
    }

    /// Choices of a question or of the expectations block: at least two, codes unique.
    fn choices(
        &mut self,
        raw: Vec<Spanned<RawChoice>>,
        table: &Range<usize>,
        field: &str,
        node: Option<&str>,
    ) -> Vec<Choice> {
        if raw.len() < 2 {
            let mut loc = self.at(table.start).with_field(field);
            if let Some(n) = node {
                loc = loc.with_node(n);
            }
            self.push(
                loc,
                "cần ít nhất hai lựa chọn".into(),
                "at least two options are needed".into(),
            );
        }
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        let code_field = format!("{field}.code");
        let label_field = format!("{field}.label");
        for c in raw {
            let span = c.span();
            let c = c.into_inner();
            let code = self.choice_code(c.code, &span, &code_field, &mut seen);
            let label = self.required_text(c.label, &span, &label_field, code.as_deref().or(node));
            if let (Some(code), Some(label)) = (code, label) {
                out.push(Choice {
                    code,
                    label,
                    label_en: opt_text(c.label_en),
                });
            }
        }
        out
    }
}

/// Trimmed NFC text.
fn clean(text: &str) -> String {
    text.trim().nfc().collect()
}

fn opt_text(value: S<String>) -> Option<String> {
    value.map(|v| clean(v.get_ref())).filter(|t| !t.is_empty())
}

fn is_survey_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_choice_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_CHOICE_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A positive integer without leading zeros and of at most three digits.
fn code_part(part: &str) -> Option<u32> {
    let ok = !part.is_empty()
        && part.len() <= 3
        && part.bytes().all(|b| b.is_ascii_digit())
        && !part.starts_with('0');
    if ok { part.parse().ok() } else { None }
}

/// An item code `<element>.<n>`.
fn parse_item_code(code: &str) -> Option<(u32, u32)> {
    let (e, n) = code.split_once('.')?;
    Some((code_part(e)?, code_part(n)?))
}

/// Parses and validates a questionnaire file. `file` names it in diagnostics.
pub fn parse_questionnaire(file: &str, text: &str) -> Result<Questionnaire, Problems> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let loc = match e.span() {
                Some(span) => Location::file(file).with_line(line_of(text, span.start)),
                None => Location::file(file),
            };
            let msg = e.message().trim().to_string();
            let mut p = Problems::default();
            p.push(Problem::new(
                loc,
                format!("tệp TOML không hợp lệ: {msg}"),
                format!("invalid TOML: {msg}"),
            ));
            return Err(p);
        }
    };
    let mut ck = Checker {
        file,
        text,
        problems: Problems::default(),
    };

    // Format and kind.
    match &raw.format {
        None => ck.push(
            Location::file(file).with_field("format"),
            format!("thiếu trường bắt buộc \"format\" (phiên bản định dạng, = {FORMAT_VERSION})"),
            format!(
                "the required field \"format\" is missing (format version, = {FORMAT_VERSION})"
            ),
        ),
        Some(f) if *f.get_ref() != FORMAT_VERSION => {
            let v = *f.get_ref();
            ck.push(
                ck.at(f.span().start).with_field("format"),
                format!("phiên bản định dạng {v} không được hỗ trợ (chỉ có {FORMAT_VERSION})"),
                format!("format version {v} is not supported (only {FORMAT_VERSION})"),
            );
        }
        Some(_) => {}
    }
    match &raw.kind {
        None => ck.push(
            Location::file(file).with_field("kind"),
            format!("thiếu trường bắt buộc \"kind\" (= \"{KIND}\")"),
            format!("the required field \"kind\" is missing (= \"{KIND}\")"),
        ),
        Some(k) if k.get_ref() != KIND => {
            let v = k.get_ref().clone();
            ck.push(
                ck.at(k.span().start).with_field("kind"),
                format!("kind phải là \"{KIND}\", không phải \"{v}\""),
                format!("kind must be \"{KIND}\", not \"{v}\""),
            );
        }
        Some(_) => {}
    }

    // [survey]
    let (mut code, mut title, mut title_en, mut year_from, mut year_to, mut source) =
        (None, None, None, None, None, None);
    match raw.survey {
        None => ck.push(
            Location::file(file).with_field("survey"),
            "thiếu bảng [survey]".into(),
            "the [survey] table is missing".into(),
        ),
        Some(s) => {
            let span = s.span();
            let s = s.into_inner();
            if let Some(c) = &s.code
                && !is_survey_code(c.get_ref())
            {
                let v = c.get_ref().clone();
                ck.push(
                    ck.at(c.span().start).with_field("survey.code"),
                    format!(
                        "mã phiếu \"{v}\" chỉ được gồm chữ thường không dấu, chữ số và dấu '-'"
                    ),
                    format!(
                        "survey code \"{v}\" may hold only lowercase ASCII letters, digits and '-'"
                    ),
                );
            }
            code = ck
                .required_text(s.code, &span, "survey.code", None)
                .filter(|c| is_survey_code(c));
            title = ck.required_text(s.title, &span, "survey.title", None);
            title_en = opt_text(s.title_en);
            source = opt_text(s.source);
            let years = (2000, 2100);
            year_from = ck
                .required_int(&s.year_from, &span, "survey.year_from", None, years)
                .map(|(y, _)| y);
            if let Some(to) = &s.year_to {
                year_to = ck
                    .required_int(&s.year_to, &span, "survey.year_to", None, years)
                    .map(|(y, _)| y);
                if let (Some(from), Some(t)) = (year_from, year_to)
                    && t < from
                {
                    ck.push(
                        ck.at(to.span().start).with_field("survey.year_to"),
                        format!("năm cuối {t} nhỏ hơn năm đầu {from}"),
                        format!("the last year {t} is before the first year {from}"),
                    );
                    year_to = None;
                }
            }
        }
    }

    // [scale]
    let mut scale = Scale {
        levels: Vec::new(),
        satisfied: Vec::new(),
    };
    match raw.scale {
        None => ck.push(
            Location::file(file).with_field("scale"),
            "thiếu bảng [scale] (thang đo)".into(),
            "the [scale] table (answer scale) is missing".into(),
        ),
        Some(s) => {
            let span = s.span();
            let s = s.into_inner();
            if s.level.len() < 2 {
                ck.push(
                    ck.at(span.start).with_field("scale.level"),
                    "thang đo cần ít nhất hai mức".into(),
                    "the scale needs at least two levels".into(),
                );
            }
            let mut seen: HashMap<u32, usize> = HashMap::new();
            for l in s.level {
                let lspan = l.span();
                let l = l.into_inner();
                let code = ck.required_int(
                    &l.code,
                    &lspan,
                    "scale.level.code",
                    None,
                    (0, MAX_SCALE_CODE),
                );
                let node = code.as_ref().map(|(c, _)| c.to_string());
                let label = ck.required_text(l.label, &lspan, "scale.level.label", node.as_deref());
                let Some((c, cspan)) = code else { continue };
                let c = u32::try_from(c).unwrap_or_default();
                let line = line_of(text, cspan.start);
                if let Some(first) = seen.get(&c) {
                    let first = *first;
                    ck.push(
                        ck.at(cspan.start)
                            .with_field("scale.level.code")
                            .with_node(c.to_string()),
                        format!("mức {c} của thang đo bị trùng (đã có ở dòng {first})"),
                        format!("scale level {c} is duplicated (already on line {first})"),
                    );
                    continue;
                }
                seen.insert(c, line);
                if let Some(label) = label {
                    scale.levels.push(ScaleLevel {
                        code: c,
                        label,
                        label_en: opt_text(l.label_en),
                    });
                }
            }
            let codes: BTreeSet<u32> = seen.keys().copied().collect();
            if let (Some(&lo), Some(&hi)) = (codes.first(), codes.last()) {
                let missing: Vec<String> = (lo..=hi)
                    .filter(|c| !codes.contains(c))
                    .map(|c| c.to_string())
                    .collect();
                if !missing.is_empty() {
                    let list = missing.join(", ");
                    ck.push(
                        ck.at(span.start).with_field("scale.level"),
                        format!("các mức của thang đo phải liên tục: thiếu mức {list}"),
                        format!("scale levels must be contiguous: missing level {list}"),
                    );
                }
            }
            match s.satisfied {
                None => ck.push(
                    ck.at(span.start).with_field("scale.satisfied"),
                    "thiếu trường bắt buộc \"scale.satisfied\" (các mức được tính là hài lòng)"
                        .into(),
                    "the required field \"scale.satisfied\" (the codes counted as satisfied) is missing"
                        .into(),
                ),
                Some(sat) => {
                    let sat_span = sat.span();
                    let sat = sat.into_inner();
                    if sat.is_empty() {
                        ck.push(
                            ck.at(sat_span.start).with_field("scale.satisfied"),
                            "cần ít nhất một mức được tính là hài lòng".into(),
                            "at least one code must count as satisfied".into(),
                        );
                    }
                    let mut taken = BTreeSet::new();
                    for v in sat {
                        let n = *v.get_ref();
                        let loc = ck.at(v.span().start).with_field("scale.satisfied");
                        let on_scale = u32::try_from(n).ok().filter(|c| codes.contains(c));
                        match on_scale {
                            None => ck.push(
                                loc.with_node(n.to_string()),
                                format!("mức hài lòng {n} không có trên thang đo"),
                                format!("satisfied code {n} is not on the scale"),
                            ),
                            Some(c) if !taken.insert(c) => ck.push(
                                loc.with_node(n.to_string()),
                                format!("mức hài lòng {n} bị lặp lại"),
                                format!("satisfied code {n} is repeated"),
                            ),
                            Some(_) => {}
                        }
                    }
                    if !codes.is_empty() && taken.len() == codes.len() {
                        ck.push(
                            ck.at(sat_span.start).with_field("scale.satisfied"),
                            "không thể tính mọi mức của thang đo là hài lòng".into(),
                            "not every level of the scale can count as satisfied".into(),
                        );
                    }
                    scale.satisfied = taken.into_iter().collect();
                }
            }
        }
    }

    // [[element]]
    let mut elements = Vec::new();
    let mut element_lines: HashMap<u32, usize> = HashMap::new();
    if raw.element.is_empty() {
        ck.push(
            Location::file(file).with_field("element"),
            "cần ít nhất một yếu tố [[element]]".into(),
            "at least one [[element]] is needed".into(),
        );
    }
    for e in raw.element {
        let span = e.span();
        let e = e.into_inner();
        let code = ck.required_int(&e.code, &span, "element.code", None, (1, MAX_ELEMENT));
        let node = code.as_ref().map(|(c, _)| c.to_string());
        let name = ck.required_text(e.name, &span, "element.name", node.as_deref());
        let Some((c, cspan)) = code else { continue };
        let c = u32::try_from(c).unwrap_or_default();
        if let Some(first) = element_lines.get(&c) {
            let first = *first;
            ck.push(
                ck.at(cspan.start)
                    .with_field("element.code")
                    .with_node(c.to_string()),
                format!("mã yếu tố {c} bị trùng (đã có ở dòng {first})"),
                format!("duplicate element code {c} (already on line {first})"),
            );
            continue;
        }
        element_lines.insert(c, line_of(text, cspan.start));
        if let Some(name) = name {
            elements.push(Element {
                code: c,
                name,
                name_en: opt_text(e.name_en),
            });
        }
    }

    // [[item]]
    let mut items = Vec::new();
    let mut item_lines: HashMap<String, usize> = HashMap::new();
    let mut used_elements: BTreeSet<u32> = BTreeSet::new();
    if raw.item.is_empty() {
        ck.push(
            Location::file(file).with_field("item"),
            "cần ít nhất một tiêu chí [[item]]".into(),
            "at least one [[item]] is needed".into(),
        );
    }
    for i in raw.item {
        let span = i.span();
        let i = i.into_inner();
        let mut ok = true;
        let code = match &i.code {
            None => {
                ck.push(
                    ck.at(span.start).with_field("item.code"),
                    "thiếu trường bắt buộc \"item.code\"".into(),
                    "the required field \"item.code\" is missing".into(),
                );
                None
            }
            Some(c) => {
                let v = c.get_ref().clone();
                let loc = ck.at(c.span().start).with_field("item.code").with_node(&v);
                match parse_item_code(&v) {
                    None => {
                        ck.push(
                            loc,
                            format!(
                                "mã tiêu chí \"{v}\" không hợp lệ: phải có dạng <yếu tố>.<số thứ tự>, ví dụ 1.1"
                            ),
                            format!(
                                "item code \"{v}\" is malformed: it must read <element>.<number>, e.g. 1.1"
                            ),
                        );
                        None
                    }
                    Some(parts) => {
                        if let Some(first) = item_lines.get(&v) {
                            let first = *first;
                            ck.push(
                                loc,
                                format!("mã tiêu chí \"{v}\" bị trùng (đã có ở dòng {first})"),
                                format!("duplicate item code \"{v}\" (already on line {first})"),
                            );
                            ok = false;
                        } else {
                            item_lines.insert(v.clone(), line_of(text, c.span().start));
                        }
                        Some((v, parts, c.span()))
                    }
                }
            }
        };
        let node = code.as_ref().map(|(v, _, _)| v.clone());
        let item_text = ck.required_text(i.text, &span, "item.text", node.as_deref());
        let element = ck.required_int(
            &i.element,
            &span,
            "item.element",
            node.as_deref(),
            (1, MAX_ELEMENT),
        );
        let element = element.and_then(|(e, espan)| {
            let e = u32::try_from(e).ok()?;
            if element_lines.contains_key(&e) {
                used_elements.insert(e);
                Some(e)
            } else {
                let mut loc = ck.at(espan.start).with_field("item.element");
                if let Some(n) = &node {
                    loc = loc.with_node(n);
                }
                ck.push(
                    loc,
                    format!("yếu tố {e} không tồn tại (không có [[element]] nào mang mã này)"),
                    format!("element {e} does not exist (no [[element]] has this code)"),
                );
                None
            }
        });
        if let (Some((v, (prefix, _), cspan)), Some(e)) = (&code, element)
            && *prefix != e
        {
            ck.push(
                ck.at(cspan.start).with_field("item.code").with_node(v),
                format!("mã tiêu chí \"{v}\" phải bắt đầu bằng mã yếu tố {e} của nó"),
                format!("item code \"{v}\" must start with the code of its element, {e}"),
            );
            ok = false;
        }
        if let (true, Some((code, _, _)), Some(element), Some(item_text)) =
            (ok, code, element, item_text)
        {
            items.push(Item {
                code,
                element,
                text: item_text,
                text_en: opt_text(i.text_en),
                required: i.required.is_none_or(|r| *r.get_ref()),
            });
        }
    }
    let mut empty: Vec<(u32, usize)> = element_lines
        .iter()
        .filter(|(c, _)| !used_elements.contains(c))
        .map(|(c, l)| (*c, *l))
        .collect();
    empty.sort_unstable();
    for (c, line) in empty {
        ck.push(
            Location::file(file)
                .with_line(line)
                .with_field("element")
                .with_node(c.to_string()),
            format!("yếu tố {c} không có tiêu chí nào"),
            format!("element {c} has no items"),
        );
    }

    // [expectations]
    let expectations = raw.expectations.and_then(|x| {
        let span = x.span();
        let x = x.into_inner();
        let question = ck.required_text(x.question, &span, "expectations.question", None);
        let options = ck.choices(x.option, &span, "expectations.option", None);
        if x.area.is_empty() {
            ck.push(
                ck.at(span.start).with_field("expectations.area"),
                "cần ít nhất một nội dung cần cải thiện [[expectations.area]]".into(),
                "at least one improvement area [[expectations.area]] is needed".into(),
            );
        }
        let mut seen = HashMap::new();
        let mut areas = Vec::new();
        for a in x.area {
            let aspan = a.span();
            let a = a.into_inner();
            let code = ck.choice_code(a.code, &aspan, "expectations.area.code", &mut seen);
            let atext = ck.required_text(a.text, &aspan, "expectations.area.text", code.as_deref());
            if let (Some(code), Some(atext)) = (code, atext) {
                areas.push(ExpectationArea {
                    code,
                    text: atext,
                    text_en: opt_text(a.text_en),
                });
            }
        }
        let free_text = x.free_text.and_then(|f| {
            let fspan = f.span();
            let f = f.into_inner();
            let t = ck.required_text(f.text, &fspan, "expectations.free_text.text", None)?;
            Some(FreeText {
                text: t,
                text_en: opt_text(f.text_en),
            })
        });
        Some(Expectations {
            question: question?,
            question_en: opt_text(x.question_en),
            options,
            areas,
            free_text,
        })
    });

    // [[profile]]
    let mut profile = Vec::new();
    let mut seen_questions = HashMap::new();
    for p in raw.profile {
        let span = p.span();
        let p = p.into_inner();
        let code = ck.choice_code(p.code, &span, "profile.code", &mut seen_questions);
        let qtext = ck.required_text(p.text, &span, "profile.text", code.as_deref());
        let options = ck.choices(p.option, &span, "profile.option", code.as_deref());
        if let (Some(code), Some(qtext)) = (code, qtext) {
            profile.push(ChoiceQuestion {
                code,
                text: qtext,
                text_en: opt_text(p.text_en),
                required: p.required.is_some_and(|r| *r.get_ref()),
                multiple: p.multiple.is_some_and(|m| *m.get_ref()),
                options,
            });
        }
    }

    // [[question]]: codes share the profile's namespace (both are columns of an import file).
    let mut questions = Vec::new();
    for x in raw.question {
        let span = x.span();
        let x = x.into_inner();
        let code = ck.choice_code(x.code, &span, "question.code", &mut seen_questions);
        let qtext = ck.required_text(x.text, &span, "question.text", code.as_deref());
        let kind = match x.kind {
            None => {
                let mut loc = ck.at(span.start).with_field("question.type");
                if let Some(c) = &code {
                    loc = loc.with_node(c);
                }
                ck.push(
                    loc,
                    "thiếu trường bắt buộc \"question.type\"".into(),
                    "the required field \"question.type\" is missing".into(),
                );
                None
            }
            Some(k) => {
                let v = k.get_ref().clone();
                let parsed = QuestionKind::parse(&v);
                if parsed.is_none() {
                    let list = QuestionKind::ALL.map(QuestionKind::as_str).join(", ");
                    ck.push(
                        ck.at(k.span().start).with_field("question.type"),
                        format!("loại câu hỏi \"{v}\" không hợp lệ; dùng một trong: {list}"),
                        format!("question type \"{v}\" is not valid; use one of: {list}"),
                    );
                }
                parsed
            }
        };
        if let (Some(code), Some(qtext), Some(kind)) = (code, qtext, kind) {
            questions.push(OtherQuestion {
                code,
                kind,
                text: qtext,
                text_en: opt_text(x.text_en),
                required: kind != QuestionKind::Note && x.required.is_some_and(|r| *r.get_ref()),
            });
        }
    }

    match (code, title, year_from) {
        (Some(code), Some(title), Some(year_from)) if ck.problems.is_empty() => {
            let q = Questionnaire {
                code,
                title,
                title_en,
                year_from: i32::try_from(year_from).unwrap_or_default(),
                year_to: year_to.and_then(|y| i32::try_from(y).ok()),
                source,
                scale,
                elements,
                items,
                expectations,
                profile,
                questions,
            };
            Ok(q)
        }
        _ => {
            if ck.problems.is_empty() {
                // Unreachable in practice: a missing survey field has been reported above.
                ck.push(
                    Location::file(file).with_field("survey"),
                    "bảng [survey] chưa đầy đủ".into(),
                    "the [survey] table is incomplete".into(),
                );
            }
            Err(ck.problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIPAS_22: &str = include_str!("../../../sets/sipas-2017-22.survey.toml");
    const SIPAS_25: &str = include_str!("../../../sets/sipas-tinh-25.survey.toml");
    const SIPAS_19: &str = include_str!("../../../sets/sipas-2022-19.survey.toml");

    /// A small valid questionnaire; the tests below break one thing at a time.
    const MINIMAL: &str = r#"format = 1
kind = "questionnaire"

[survey]
code = "test-3"
title = "Phiếu thử"
year_from = 2020

[scale]
satisfied = [4, 5]

[[scale.level]]
code = 1
label = "Rất không hài lòng"
[[scale.level]]
code = 2
label = "Không hài lòng"
[[scale.level]]
code = 3
label = "Bình thường"
[[scale.level]]
code = 4
label = "Hài lòng"
[[scale.level]]
code = 5
label = "Rất hài lòng"

[[element]]
code = 1
name = "Tiếp cận dịch vụ"

[[element]]
code = 2
name = "Thủ tục hành chính"

[[item]]
code = "1.1"
element = 1
text = "Có đủ chỗ ngồi"

[[item]]
code = "2.1"
element = 2
text = "Thủ tục được niêm yết công khai"
"#;

    /// 1-based line of the `nth` (0-based) line holding `needle`.
    fn line_with(text: &str, needle: &str, nth: usize) -> usize {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .nth(nth)
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| panic!("no line {nth} with {needle:?}"))
    }

    fn errors(text: &str) -> Problems {
        parse_questionnaire("t.survey.toml", text).expect_err("should fail")
    }

    fn find<'a>(p: &'a Problems, field: &str) -> &'a Problem {
        p.iter()
            .find(|x| x.location.field.as_deref() == Some(field))
            .unwrap_or_else(|| panic!("no problem on field {field}: {p}"))
    }

    #[test]
    fn minimal_parses() {
        let q = parse_questionnaire("t.survey.toml", MINIMAL).unwrap();
        assert_eq!(q.code, "test-3");
        assert_eq!(q.counts_per_element(), vec![(1, 1), (2, 1)]);
        assert!(q.items.iter().all(|i| i.required));
        assert!(q.covers_year(2030) && !q.covers_year(2019));
        assert!(q.scale.is_satisfied(4) && !q.scale.is_satisfied(3));
    }

    #[test]
    fn sipas_22_has_4_5_6_3_4() {
        let q = parse_questionnaire("sipas-2017-22.survey.toml", SIPAS_22).unwrap();
        assert_eq!(q.code, "sipas-2017-22");
        assert_eq!(q.items.len(), 22);
        assert_eq!(q.shape(), "4 + 5 + 6 + 3 + 4");
        assert_eq!(
            q.counts_per_element(),
            vec![(1, 4), (2, 5), (3, 6), (4, 3), (5, 4)]
        );
        assert_eq!((q.year_from, q.year_to), (2017, Some(2020)));
        assert_eq!(q.items_of_element(3).count(), 6);
        assert_eq!(q.items_of_element(9).count(), 0);
        assert_eq!(q.scale.satisfied, vec![4, 5]);
        assert_eq!(q.scale.levels.len(), 5);
        assert_eq!(q.scale.level(3).unwrap().label, "Bình thường");
        assert_eq!(
            q.element(5).unwrap().name,
            "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị"
        );
    }

    #[test]
    fn sipas_25_has_25_items_on_five_elements() {
        let q = parse_questionnaire("sipas-tinh-25.survey.toml", SIPAS_25).unwrap();
        assert_eq!(q.items.len(), 25);
        assert_eq!(q.elements.len(), 5);
        assert_eq!(q.shape(), "5 + 5 + 6 + 4 + 5");
    }

    #[test]
    fn sipas_19_has_4_4_5_3_3_and_nine_expectations() {
        let q = parse_questionnaire("sipas-2022-19.survey.toml", SIPAS_19).unwrap();
        assert_eq!(q.items.len(), 19);
        assert_eq!(
            q.counts_per_element(),
            vec![(1, 4), (2, 4), (3, 5), (4, 3), (5, 3)]
        );
        let x = q.expectations.as_ref().unwrap();
        assert_eq!(x.areas.len(), 9);
        let options: Vec<&str> = x.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(options, ["Rất nhiều", "Nhiều", "Ít"]);
        assert!(x.free_text.is_some());
        let codes: Vec<&str> = q.profile.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "gender",
                "age_band",
                "ethnicity",
                "education",
                "occupation",
                "residence",
                "terrain"
            ]
        );
        assert_eq!(q.profile_question("age_band").unwrap().options.len(), 5);
        assert_eq!(q.year_to, None);
    }

    #[test]
    fn bundled_text_is_nfc() {
        for text in [SIPAS_22, SIPAS_25, SIPAS_19] {
            let q = parse_questionnaire("x", text).unwrap();
            for i in &q.items {
                assert_eq!(i.text, i.text.nfc().collect::<String>());
            }
        }
    }

    #[test]
    fn decomposed_text_is_stored_nfc() {
        let decomposed: String = "Có đủ chỗ ngồi".nfd().collect();
        let text = MINIMAL.replace("Có đủ chỗ ngồi", &decomposed);
        let q = parse_questionnaire("t", &text).unwrap();
        assert_eq!(q.item("1.1").unwrap().text, "Có đủ chỗ ngồi");
    }

    #[test]
    fn duplicate_item_code() {
        let text = MINIMAL.replace("code = \"2.1\"\nelement = 2", "code = \"1.1\"\nelement = 1");
        let p = errors(&text);
        let e = find(&p, "item.code");
        assert_eq!(e.location.file.as_deref(), Some("t.survey.toml"));
        assert_eq!(e.location.line, Some(line_with(&text, "code = \"1.1\"", 1)));
        assert_eq!(e.location.node.as_deref(), Some("1.1"));
        let first = line_with(&text, "code = \"1.1\"", 0);
        assert!(e.en.contains(&format!("line {first}")), "{}", e.en);
        assert!(e.vi.contains("bị trùng"));
    }

    #[test]
    fn item_with_unknown_element() {
        let text = MINIMAL.replace("code = \"2.1\"\nelement = 2", "code = \"7.1\"\nelement = 7");
        let p = errors(&text);
        let e = find(&p, "item.element");
        assert_eq!(e.location.line, Some(line_with(&text, "element = 7", 0)));
        assert_eq!(e.location.node.as_deref(), Some("7.1"));
        assert!(e.en.contains("element 7 does not exist"));
        // Element 2 has now no items, which is reported too.
        let empty = find(&p, "element");
        assert_eq!(empty.location.node.as_deref(), Some("2"));
    }

    #[test]
    fn element_without_items() {
        let text = format!("{MINIMAL}\n[[element]]\ncode = 3\nname = \"Công chức\"\n");
        let p = errors(&text);
        assert_eq!(p.len(), 1, "{p}");
        let e = find(&p, "element");
        assert_eq!(e.location.line, Some(line_with(&text, "code = 3", 1)));
        assert_eq!(e.location.node.as_deref(), Some("3"));
        assert!(e.vi.contains("không có tiêu chí nào"));
    }

    #[test]
    fn item_code_must_match_its_element() {
        let text = MINIMAL.replace("code = \"2.1\"\nelement = 2", "code = \"1.2\"\nelement = 2");
        let p = errors(&text);
        let e = find(&p, "item.code");
        assert_eq!(e.location.line, Some(line_with(&text, "code = \"1.2\"", 0)));
        assert_eq!(e.location.node.as_deref(), Some("1.2"));
    }

    #[test]
    fn malformed_item_code() {
        let text = MINIMAL.replace("code = \"2.1\"", "code = \"2.01\"");
        let p = errors(&text);
        let e = find(&p, "item.code");
        assert_eq!(
            e.location.line,
            Some(line_with(&text, "code = \"2.01\"", 0))
        );
        assert!(e.en.contains("malformed"));
    }

    #[test]
    fn satisfied_code_not_on_scale() {
        let text = MINIMAL.replace("satisfied = [4, 5]", "satisfied = [4, 6]");
        let p = errors(&text);
        assert_eq!(p.len(), 1, "{p}");
        let e = find(&p, "scale.satisfied");
        assert_eq!(
            e.location.line,
            Some(line_with(&text, "satisfied = [4, 6]", 0))
        );
        assert_eq!(e.location.node.as_deref(), Some("6"));
        assert!(e.en.contains("not on the scale"));
    }

    #[test]
    fn scale_with_a_gap_and_a_duplicate() {
        let text = MINIMAL.replace("code = 3\nlabel", "code = 2\nlabel");
        let p = errors(&text);
        let dup = find(&p, "scale.level.code");
        assert_eq!(dup.location.line, Some(line_with(&text, "code = 2", 1)));
        let gap = find(&p, "scale.level");
        assert_eq!(gap.location.line, Some(line_with(&text, "[scale]", 0)));
        assert!(gap.en.contains("missing level 3"), "{}", gap.en);
    }

    #[test]
    fn other_questions() {
        let text = format!(
            "{MINIMAL}\n[[question]]\ncode = \"visits\"\ntype = \"integer\"\ntext = \"Số lần\"\nrequired = true\n\
             [[question]]\ncode = \"intro\"\ntype = \"note\"\ntext = \"Xin chào\"\nrequired = true\n"
        );
        let q = parse_questionnaire("t", &text).unwrap();
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[0].kind, QuestionKind::Integer);
        assert!(q.questions[0].required);
        assert!(!q.questions[1].required, "a note takes no answer");
        let bad = text.replace("type = \"integer\"", "type = \"geopoint\"");
        let p = errors(&bad);
        assert_eq!(
            find(&p, "question.type").location.line,
            Some(line_with(&bad, "geopoint", 0))
        );
    }

    #[test]
    fn duplicate_profile_option() {
        let text = format!(
            "{MINIMAL}\n[[profile]]\ncode = \"gender\"\ntext = \"Giới tính\"\n\
             [[profile.option]]\ncode = \"male\"\nlabel = \"Nam\"\n\
             [[profile.option]]\ncode = \"male\"\nlabel = \"Nữ\"\n"
        );
        let p = errors(&text);
        let e = find(&p, "profile.option.code");
        assert_eq!(
            e.location.line,
            Some(line_with(&text, "code = \"male\"", 1))
        );
        assert_eq!(e.location.node.as_deref(), Some("male"));
    }

    #[test]
    fn missing_required_fields_are_all_reported() {
        let text = MINIMAL
            .replace("title = \"Phiếu thử\"\n", "")
            .replace("text = \"Có đủ chỗ ngồi\"\n", "")
            .replace("label = \"Bình thường\"\n", "");
        let p = errors(&text);
        assert_eq!(p.len(), 3, "{p}");
        let t = find(&p, "survey.title");
        assert_eq!(t.location.line, Some(line_with(&text, "[survey]", 0)));
        let i = find(&p, "item.text");
        assert_eq!(i.location.node.as_deref(), Some("1.1"));
        assert!(i.location.line.is_some());
        let l = find(&p, "scale.level.label");
        assert_eq!(l.location.node.as_deref(), Some("3"));
    }

    #[test]
    fn many_problems_at_once() {
        let text = MINIMAL
            .replace("format = 1", "format = 2")
            .replace("code = \"test-3\"", "code = \"Test 3\"")
            .replace("satisfied = [4, 5]", "satisfied = [9]")
            .replace("element = 2", "element = 8");
        let p = errors(&text);
        for field in [
            "format",
            "survey.code",
            "scale.satisfied",
            "item.element",
            "element",
        ] {
            find(&p, field);
        }
        assert!(
            p.iter()
                .all(|x| x.location.file.as_deref() == Some("t.survey.toml"))
        );
    }

    #[test]
    fn malformed_toml_has_a_line() {
        let text = MINIMAL.replace(
            "name = \"Thủ tục hành chính\"",
            "name = \"Thủ tục hành chính",
        );
        let p = errors(&text);
        assert_eq!(p.len(), 1);
        let e = p.iter().next().unwrap();
        assert_eq!(
            e.location.line,
            Some(line_with(&text, "name = \"Thủ tục hành chính", 0))
        );
        assert!(e.vi.starts_with("tệp TOML không hợp lệ"));
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let text = MINIMAL.replace("text = \"Có đủ chỗ ngồi\"", "txt = \"Có đủ chỗ ngồi\"");
        let p = errors(&text);
        let e = p.iter().next().unwrap();
        assert_eq!(e.location.line, Some(line_with(&text, "txt = ", 0)));
    }

    #[test]
    fn wrong_kind_and_missing_format() {
        let text = MINIMAL
            .replace("format = 1\n", "")
            .replace("kind = \"questionnaire\"", "kind = \"criteria-set\"");
        let p = errors(&text);
        assert_eq!(find(&p, "format").location.line, None);
        assert_eq!(find(&p, "kind").location.line, Some(1));
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for text in [
            "",
            "\n",
            "format = 1",
            "[[item]]",
            "item = 3",
            "[scale]\nsatisfied = []",
        ] {
            assert!(parse_questionnaire("t", text).is_err(), "{text:?}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
                let _ = parse_questionnaire("t", &text);
            }

            #[test]
            fn truncated_files_never_panic(cut in 0usize..20_000) {
                let end = SIPAS_19.floor_char_boundary(cut.min(SIPAS_19.len()));
                let _ = parse_questionnaire("t", &SIPAS_19[..end]);
            }

            #[test]
            fn mutated_lines_never_panic(line in 0usize..500, junk in "[\\[\\]=\"a-z0-9 .,-]{0,12}") {
                let text: String = SIPAS_22
                    .lines()
                    .enumerate()
                    .map(|(i, l)| if i == line { junk.clone() } else { l.to_string() })
                    .collect::<Vec<_>>()
                    .join("\n");
                let _ = parse_questionnaire("t", &text);
            }
        }
    }
}
