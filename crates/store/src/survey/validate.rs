//! Validation of a submitted response, a pure function of the survey context and what was sent:
//! every problem at once, each naming the field (the column of an import file). What needs the
//! database (whether a token exists and is unused) is checked by the writer.

use super::tally::{Flag, Flags, Layout};
use super::tokens::hash_token;
use super::{Survey, SurveyContext, SurveyState};
use crate::rounds::sha256_hex;
use crate::time::Timestamp;
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::questionnaire::QuestionKind;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a response was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// At the one-stop-shop counter (tại Bộ phận một cửa).
    Counter,
    /// Online form.
    Online,
    Phone,
    /// Door to door (tại nhà).
    Door,
    /// A paper form entered later.
    Paper,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Counter,
        Channel::Online,
        Channel::Phone,
        Channel::Door,
        Channel::Paper,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Online => "online",
            Channel::Phone => "phone",
            Channel::Door => "door",
            Channel::Paper => "paper",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            Channel::Counter => "tại bộ phận một cửa",
            Channel::Online => "trực tuyến",
            Channel::Phone => "qua điện thoại",
            Channel::Door => "tại nhà",
            Channel::Paper => "phiếu giấy",
        }
    }
}

/// A response as it arrives (a web form, an import row): every value still text.
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    pub unit: String,
    /// `counter`, `online`, `phone`, `door` or `paper`.
    pub channel: String,
    pub service_field: Option<String>,
    /// The invitation token, as typed or scanned.
    pub token: Option<String>,
    /// An opaque marker of the device (e.g. a cookie value); only a hash is stored.
    pub device: Option<String>,
    /// Where it came from (e.g. the client's network address); only a hash is stored.
    pub source: Option<String>,
    pub started_at: Option<Timestamp>,
    /// When it was completed; now when absent.
    pub submitted_at: Option<Timestamp>,
    /// Item code → answer code (`1`…`5`; empty: no answer).
    pub answers: BTreeMap<String, String>,
    /// Profile question code → option code (several separated by spaces where allowed).
    pub profile: BTreeMap<String, String>,
    /// Expectation area code → option code.
    pub expectations: BTreeMap<String, String>,
    pub free_text: Option<String>,
    /// Other question code → answer (text; a number with `.` or `,` as decimal separator; a date
    /// as `YYYY-MM-DD`).
    pub other: BTreeMap<String, String>,
}

/// A response that passed validation: only `validate` makes one.
#[derive(Debug, Clone)]
pub struct ValidatedResponse {
    pub(crate) ctx: Arc<SurveyContext>,
    pub(crate) unit_id: i64,
    pub(crate) channel: Channel,
    pub(crate) service_field: Option<String>,
    pub(crate) token_hash: Option<String>,
    pub(crate) device: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) submitted_at: Timestamp,
    pub(crate) answers: Vec<u8>,
    /// As stored: chosen option codes per profile question (space-separated), `|` between
    /// questions.
    pub(crate) profile: String,
    pub(crate) expectations: Vec<u8>,
    pub(crate) free_text: Option<String>,
    /// Answers to other questions as a JSON object (code → text), when any.
    pub(crate) other: Option<String>,
    /// Import batch id and row (line) number.
    pub(crate) batch: Option<(String, i64)>,
    /// Flags found from the content alone (too fast, straight-lined).
    pub(crate) flags: Flags,
}

impl ValidatedResponse {
    pub fn survey(&self) -> &Survey {
        &self.ctx.survey
    }
    pub fn unit(&self) -> &str {
        self.ctx.unit_code(self.unit_id).unwrap_or("")
    }
    pub fn channel(&self) -> Channel {
        self.channel
    }
    /// Answer per item in questionnaire order; 0 for none.
    pub fn answers(&self) -> &[u8] {
        &self.answers
    }
    /// The flags found so far (the writer may add a burst flag).
    pub fn flags(&self) -> Flags {
        self.flags
    }
    pub fn has_token(&self) -> bool {
        self.token_hash.is_some()
    }
    /// Marks the response as row `row` of import batch `batch`: importing the same row of the
    /// same batch again adds nothing.
    pub fn in_batch(mut self, batch: &str, row: i64) -> ValidatedResponse {
        self.batch = Some((batch.to_string(), row));
        self
    }
}

const MAX_FREE_TEXT: usize = 4000;
const MAX_MARKER: usize = 512;

fn at(field: &str) -> Location {
    Location::default().with_field(field)
}

pub(crate) fn closed(s: &Survey) -> Problems {
    Problems(vec![Problem::new(
        at("survey"),
        format!(
            "cuộc khảo sát \"{}\" năm {} đã đóng, không nhận thêm phiếu",
            s.code, s.year
        ),
        format!(
            "survey \"{}\" of {} is closed and takes no more responses",
            s.code, s.year
        ),
    )])
}

/// Control characters other than line breaks and tabs (the export uses two of them as
/// separators, and no form has a use for them).
fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn marker(survey_id: i64, value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| sha256_hex(format!("{survey_id}:{v}").as_bytes()))
}

/// Checks a response against its survey: open survey, a unit of the round, a known channel and
/// service field, every answer a known item with a code on the scale, every required item
/// answered, profile and expectation answers among their options. Returns every problem at once.
pub fn validate(
    ctx: &Arc<SurveyContext>,
    raw: &RawResponse,
) -> Result<ValidatedResponse, Problems> {
    let mut p = Problems::default();
    let s = &ctx.survey;
    let layout: &Layout = &ctx.layout;
    let q = &ctx.questionnaire;
    if s.state != SurveyState::Open {
        p.extend(closed(s));
    }
    let unit = raw.unit.trim();
    let unit_id = ctx.unit_ids.get(unit).copied();
    if unit.is_empty() {
        p.push(Problem::new(
            at("unit"),
            "thiếu mã đơn vị",
            "the unit code is missing",
        ));
    } else if unit_id.is_none() {
        p.push(Problem::new(
            at("unit"),
            format!("đơn vị \"{unit}\" không thuộc kỳ đánh giá {}", s.year),
            format!("unit \"{unit}\" is not in round {}", s.year),
        ));
    }
    let channel = Channel::parse(&raw.channel);
    if channel.is_none() {
        let list = Channel::ALL.map(Channel::as_str).join(", ");
        p.push(Problem::new(
            at("channel"),
            format!(
                "kênh \"{}\" không hợp lệ; dùng một trong: {list}",
                raw.channel.trim()
            ),
            format!(
                "channel \"{}\" is not valid; use one of: {list}",
                raw.channel.trim()
            ),
        ));
    }
    let service_field = raw
        .service_field
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string);
    if let Some(f) = &service_field
        && !s.settings.service_fields.contains(f)
    {
        let list = s.settings.service_fields.join(", ");
        p.push(Problem::new(
            at("service_field"),
            format!("lĩnh vực \"{f}\" không có trong khảo sát (có: {list})"),
            format!("service field \"{f}\" is not one of the survey's ({list})"),
        ));
    }
    let token_hash = match raw
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => {
            let h = hash_token(t);
            if h.is_none() {
                p.push(Problem::new(
                    at("token"),
                    "mã khảo sát không đúng",
                    "the survey token is not valid",
                ));
            }
            h
        }
    };
    for (field, v) in [("device", &raw.device), ("source", &raw.source)] {
        if v.as_ref().is_some_and(|v| v.len() > MAX_MARKER) {
            p.push(Problem::new(
                at(field),
                "giá trị quá dài",
                "the value is too long",
            ));
        }
    }

    // Times.
    let now = Timestamp::now();
    let submitted_at = raw.submitted_at.unwrap_or(now);
    if submitted_at > now.plus_seconds(300) {
        p.push(Problem::new(
            at("submitted_at"),
            format!("thời điểm nộp {submitted_at} ở tương lai"),
            format!("the submission time {submitted_at} is in the future"),
        ));
    }
    if let Some(started) = raw.started_at
        && started > submitted_at
    {
        p.push(Problem::new(
            at("started_at"),
            format!("thời điểm bắt đầu {started} sau thời điểm nộp {submitted_at}"),
            format!("the start {started} is after the submission {submitted_at}"),
        ));
    }

    // Items.
    let mut answers = vec![0u8; layout.item_codes.len()];
    for (code, value) in &raw.answers {
        let Some(&i) = layout.item_index.get(code.trim()) else {
            p.push(Problem::new(
                at(code),
                format!("tiêu chí \"{code}\" không có trong phiếu \"{}\"", q.code),
                format!("item \"{code}\" is not in questionnaire \"{}\"", q.code),
            ));
            continue;
        };
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        match v.parse::<u32>() {
            Ok(c) if q.scale.contains(c) => answers[i] = c as u8,
            _ => {
                let lo = q.scale.levels.first().map_or(1, |l| l.code);
                let hi = q.scale.levels.last().map_or(5, |l| l.code);
                p.push(Problem::new(
                    at(code),
                    format!(
                        "câu trả lời \"{v}\" cho tiêu chí {code} không thuộc thang đo {lo}–{hi}"
                    ),
                    format!("the answer \"{v}\" to item {code} is not on the scale {lo}–{hi}"),
                ));
            }
        }
    }
    for (i, item) in q.items.iter().enumerate() {
        let given = raw
            .answers
            .get(&item.code)
            .is_some_and(|v| !v.trim().is_empty());
        if item.required && answers[i] == 0 && !given {
            p.push(Problem::new(
                at(&item.code),
                format!("chưa trả lời tiêu chí bắt buộc {}", item.code),
                format!("the required item {} is not answered", item.code),
            ));
        }
    }

    // Profile.
    let mut chosen: Vec<Vec<&str>> = vec![Vec::new(); layout.profile.len()];
    for (code, value) in &raw.profile {
        let Some(&k) = layout.profile_index.get(code.trim()) else {
            p.push(Problem::new(
                at(code),
                format!("câu hỏi \"{code}\" không có trong phiếu"),
                format!("question \"{code}\" is not in the questionnaire"),
            ));
            continue;
        };
        let slot = &layout.profile[k];
        let opts: Vec<&str> = value.split_whitespace().collect();
        if opts.len() > 1 && !slot.multiple {
            p.push(Problem::new(
                at(code),
                format!("câu hỏi \"{code}\" chỉ được chọn một phương án"),
                format!("question \"{code}\" takes one option only"),
            ));
            continue;
        }
        for o in opts {
            if !slot.options.iter().any(|x| x == o) {
                p.push(Problem::new(
                    at(code),
                    format!(
                        "\"{o}\" không phải phương án của câu hỏi \"{code}\" (có: {})",
                        slot.options.join(", ")
                    ),
                    format!(
                        "\"{o}\" is not an option of question \"{code}\" ({})",
                        slot.options.join(", ")
                    ),
                ));
            } else if !chosen[k].contains(&o) {
                chosen[k].push(o);
            }
        }
    }
    for (k, slot) in layout.profile.iter().enumerate() {
        if slot.required && chosen[k].is_empty() {
            p.push(Problem::new(
                at(&slot.code),
                format!("chưa trả lời câu hỏi bắt buộc \"{}\"", slot.code),
                format!("the required question \"{}\" is not answered", slot.code),
            ));
        }
        // Stored in the questionnaire's option order, whatever order they were ticked in.
        chosen[k].sort_by_key(|o| slot.options.iter().position(|x| x == o));
    }
    let profile = chosen
        .iter()
        .map(|c| c.join(" "))
        .collect::<Vec<_>>()
        .join("|");

    // Expectations.
    let mut expectations = vec![0u8; layout.areas.len()];
    for (code, value) in &raw.expectations {
        let field = format!("expect.{code}");
        let Some(&k) = layout.area_index.get(code.trim()) else {
            p.push(Problem::new(
                at(&field),
                format!("nội dung mong đợi \"{code}\" không có trong phiếu"),
                format!("expectation area \"{code}\" is not in the questionnaire"),
            ));
            continue;
        };
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        match layout.options.iter().position(|o| o == v) {
            Some(i) if i < 255 => expectations[k] = (i + 1) as u8,
            _ => p.push(Problem::new(
                at(&field),
                format!(
                    "\"{v}\" không phải mức của phần mong đợi (có: {})",
                    layout.options.join(", ")
                ),
                format!(
                    "\"{v}\" is not an expectation option ({})",
                    layout.options.join(", ")
                ),
            )),
        }
    }
    let free_text = raw
        .free_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(parindex_core::text::nfc);
    if free_text.as_deref().is_some_and(has_control) {
        p.push(Problem::new(
            at("free_text"),
            "ý kiến khác có ký tự điều khiển không hợp lệ",
            "the free text holds control characters",
        ));
    }
    if free_text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_FREE_TEXT)
    {
        p.push(Problem::new(
            at("free_text"),
            format!("ý kiến khác dài quá {MAX_FREE_TEXT} ký tự"),
            format!("the free text is longer than {MAX_FREE_TEXT} characters"),
        ));
    }
    if free_text.is_some()
        && q.expectations
            .as_ref()
            .is_none_or(|x| x.free_text.is_none())
    {
        p.push(Problem::new(
            at("free_text"),
            "phiếu không có câu hỏi ý kiến khác",
            "the questionnaire has no free-text question",
        ));
    }
    let other = other_answers(layout, &raw.other, &mut p);
    if !p.is_empty() {
        return Err(p);
    }
    let (Some(unit_id), Some(channel)) = (unit_id, channel) else {
        return Err(p);
    };

    let mut flags = Flags::empty();
    let settings = &s.settings;
    if let Some(started) = raw.started_at
        && settings.speed_seconds > 0
        && submitted_at.millis() - started.millis() < settings.speed_seconds * 1000
    {
        flags.insert(Flag::TooFast);
    }
    let answered: Vec<u8> = answers.iter().copied().filter(|a| *a > 0).collect();
    if settings.straight_line_min_items > 0
        && answered.len() >= settings.straight_line_min_items
        && answered.iter().all(|a| *a == answered[0])
    {
        flags.insert(Flag::StraightLine);
    }
    Ok(ValidatedResponse {
        ctx: ctx.clone(),
        unit_id,
        channel,
        service_field,
        token_hash,
        device: marker(s.id, &raw.device),
        source: marker(s.id, &raw.source),
        started_at: raw.started_at,
        submitted_at,
        answers,
        profile,
        expectations,
        free_text,
        other,
        batch: None,
        flags,
    })
}

/// Checks the answers to the other questions; returns them as a JSON object (normalised: numbers
/// with `.`, text in NFC), or `None` when there are none.
fn other_answers(
    layout: &Layout,
    given: &BTreeMap<String, String>,
    p: &mut Problems,
) -> Option<String> {
    let mut out = serde_json::Map::new();
    for (code, value) in given {
        let v = value.trim();
        let Some(&k) = layout.other_index.get(code.trim()) else {
            p.push(Problem::new(
                at(code),
                format!("câu hỏi \"{code}\" không có trong phiếu hoặc không nhận câu trả lời"),
                format!("question \"{code}\" is not in the questionnaire or takes no answer"),
            ));
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let kind = layout.others[k].1;
        let normalised = match kind {
            QuestionKind::Integer => v.parse::<i64>().ok().map(|n| n.to_string()),
            QuestionKind::Decimal => {
                let t = if v.contains('.') {
                    v.to_string()
                } else {
                    v.replace(',', ".")
                };
                rust_decimal::Decimal::from_str_exact(&t)
                    .ok()
                    .map(|d| d.normalize().to_string())
            }
            QuestionKind::Date => Timestamp::parse_rfc3339(&format!("{v}T00:00:00Z"))
                .filter(|_| v.len() == 10)
                .map(|_| v.to_string()),
            QuestionKind::Text | QuestionKind::Note => (v.chars().count() <= MAX_FREE_TEXT
                && !has_control(v))
            .then(|| parindex_core::text::nfc(v)),
        };
        match normalised {
            Some(n) => {
                out.insert(code.trim().to_string(), serde_json::Value::String(n));
            }
            None => {
                let (vi, en) = match kind {
                    QuestionKind::Integer => ("một số nguyên", "a whole number"),
                    QuestionKind::Decimal => ("một số", "a number"),
                    QuestionKind::Date => ("một ngày dạng 2024-05-01", "a date like 2024-05-01"),
                    _ => (
                        "văn bản không quá 4000 ký tự",
                        "text of at most 4000 characters",
                    ),
                };
                p.push(Problem::new(
                    at(code),
                    format!("câu trả lời \"{v}\" cho \"{code}\" phải là {vi}"),
                    format!("the answer \"{v}\" to \"{code}\" must be {en}"),
                ));
            }
        }
    }
    for (code, _, required) in &layout.others {
        if *required
            && !out.contains_key(code)
            && given.get(code).is_none_or(|v| v.trim().is_empty())
        {
            p.push(Problem::new(
                at(code),
                format!("chưa trả lời câu hỏi bắt buộc \"{code}\""),
                format!("the required question \"{code}\" is not answered"),
            ));
        }
    }
    (!out.is_empty()).then(|| serde_json::Value::Object(out).to_string())
}
