//! SIPAS surveys (khảo sát sự hài lòng): a survey per round with its questionnaire and settings,
//! the sample plan per unit, one-time invitation tokens, append-only raw responses written by one
//! writer with the running sufficient statistics in the same transaction, quality flags and the
//! secretariat's review, recompute, reports, the link to the PAR Index, CSV import and export.
//! See docs/survey.md.

mod export;
mod import;
mod ingest;
mod recompute;
mod report;
mod review;
mod tally;
mod tokens;
mod validate;

pub use export::{ResponseCursor, ResponseRecord};
pub use import::{CsvRows, ImportMode, ImportReport, ImportRows, VecRows, batch_id};
pub use ingest::{IngestHandle, IngestOptions, Receipt, spawn_ingest};
pub use recompute::{RecomputeReport, StatsDifference};
pub use report::{
    ElementResult, GroupRanking, ItemResult, SegmentResult, SurveyPoints, SurveyReport, UnitResult,
    View,
};
pub use review::{Decision, ResponseSummary};
pub use tally::{Flag, Flags, Tally};
pub use tokens::{TOKEN_BITS, TokenInfo, hash_token};
pub use validate::{Channel, RawResponse, ValidatedResponse, validate};

use crate::audit::{self, Change, Diff};
use crate::db::{Backend, Db, Row, Tx, q};
use crate::rounds::sha256_hex;
use crate::time::Timestamp;
use crate::{Actor, Entity, Error, Result};
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::questionnaire::{Questionnaire, parse_questionnaire};
use parindex_core::survey_stats::{Measure, SCALE, SmallSample, slovin};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Whether a survey takes responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyState {
    Open,
    Closed,
}

impl SurveyState {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyState::Open => "open",
            SurveyState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<SurveyState> {
        match s {
            "open" => Some(SurveyState::Open),
            "closed" => Some(SurveyState::Closed),
            _ => None,
        }
    }
    pub fn vi(self) -> &'static str {
        match self {
            SurveyState::Open => "đang nhận phiếu",
            SurveyState::Closed => "đã đóng",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            SurveyState::Open => "open",
            SurveyState::Closed => "closed",
        }
    }
}

/// Where a response stands after ingest and review. Only accepted responses count in the official
/// figures; quarantined ones are shown in the "with quarantined" view; rejected ones in neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseStatus {
    Accepted,
    Quarantined,
    Rejected,
}

impl ResponseStatus {
    pub const ALL: [ResponseStatus; 3] = [
        ResponseStatus::Accepted,
        ResponseStatus::Quarantined,
        ResponseStatus::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::Accepted => "accepted",
            ResponseStatus::Quarantined => "quarantined",
            ResponseStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ResponseStatus> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            ResponseStatus::Accepted => "được tính",
            ResponseStatus::Quarantined => "tạm giữ chờ xem xét",
            ResponseStatus::Rejected => "bị loại",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            ResponseStatus::Accepted => "accepted",
            ResponseStatus::Quarantined => "quarantined",
            ResponseStatus::Rejected => "rejected",
        }
    }
}

/// How a survey is computed and screened. Stored as JSON with the survey; every field has a
/// default, so `{}` is a valid settings document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveySettings {
    /// Satisfied share (default), mean score / 5, or top box.
    pub measure: Measure,
    /// Weights of the elements in the overall index, in element order; `None`: the plain mean.
    pub weights: Option<Vec<f64>>,
    /// When a figure rests on too little (respondents, interval half-width in points).
    pub small_sample: SmallSample,
    /// Margin of error e of the sample size n = N / (1 + N·e²).
    pub margin: f64,
    /// A response completed in fewer seconds than this is flagged too fast (0: never).
    pub speed_seconds: i64,
    /// A response whose scale answers are all the same, with at least this many answered, is
    /// flagged straight-lined (0: never).
    pub straight_line_min_items: usize,
    /// More than this many responses from one device or one source within the window are
    /// flagged as a burst (0: never).
    pub burst_limit: i64,
    pub burst_window_seconds: i64,
    /// The service fields (lĩnh vực) a response may name; results are broken down by them.
    pub service_fields: Vec<String>,
    /// Indicators this survey supplies to the PAR Index: `<prefix>.overall`,
    /// `<prefix>.element.<n>`.
    pub indicator_prefix: String,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            measure: Measure::Satisfied,
            weights: None,
            small_sample: SmallSample::default(),
            margin: 0.05,
            speed_seconds: 60,
            straight_line_min_items: 10,
            burst_limit: 20,
            burst_window_seconds: 600,
            service_fields: Vec::new(),
            indicator_prefix: "sipas".into(),
        }
    }
}

fn settings_problem(field: &str, vi: String, en: String) -> Problem {
    Problem::new(
        Location::default().with_field(format!("settings.{field}")),
        vi,
        en,
    )
}

/// Lowercase ASCII letters, digits and `_`, 1–40 characters (the questionnaire's choice codes).
pub(crate) fn is_choice_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl SurveySettings {
    /// Reads settings from JSON (`{}` gives the defaults); unknown keys are refused.
    pub fn from_json(text: &str) -> Result<SurveySettings, Problems> {
        serde_json::from_str(text).map_err(|e| {
            Problems(vec![Problem::new(
                Location::default().with_field("settings"),
                format!("thiết lập khảo sát không hợp lệ: {e}"),
                format!("invalid survey settings: {e}"),
            )])
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Checks the settings against the questionnaire they will be used with.
    pub fn check(&self, q: &Questionnaire) -> Result<(), Problems> {
        let mut p = Problems::default();
        if let Some(w) = &self.weights {
            if w.len() != q.elements.len() {
                p.push(settings_problem(
                    "weights",
                    format!(
                        "cần {} trọng số (một cho mỗi yếu tố), có {}",
                        q.elements.len(),
                        w.len()
                    ),
                    format!(
                        "{} weights are needed (one per element), got {}",
                        q.elements.len(),
                        w.len()
                    ),
                ));
            } else if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
                p.push(settings_problem(
                    "weights",
                    "trọng số phải không âm và có tổng dương".into(),
                    "weights must be non-negative with a positive sum".into(),
                ));
            }
        }
        if !(self.margin > 0.0 && self.margin <= 0.5) {
            p.push(settings_problem(
                "margin",
                format!("sai số {} phải lớn hơn 0 và không quá 0,5", self.margin),
                format!("the margin {} must be above 0 and at most 0.5", self.margin),
            ));
        }
        if !(self.small_sample.max_half_width.is_finite() && self.small_sample.max_half_width > 0.0)
        {
            p.push(settings_problem(
                "small_sample.max_half_width",
                "độ rộng nửa khoảng tin cậy tối đa phải dương".into(),
                "the largest interval half-width must be positive".into(),
            ));
        }
        for (field, v) in [
            ("speed_seconds", self.speed_seconds),
            ("burst_limit", self.burst_limit),
            ("burst_window_seconds", self.burst_window_seconds),
        ] {
            if v < 0 {
                p.push(settings_problem(
                    field,
                    format!("giá trị {v} không được âm"),
                    format!("the value {v} must not be negative"),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.service_fields {
            if !is_choice_code(f) {
                p.push(settings_problem(
                    "service_fields",
                    format!("mã lĩnh vực \"{f}\" chỉ gồm chữ thường không dấu, chữ số và '_'"),
                    format!(
                        "service field \"{f}\" may hold only lowercase ASCII letters, digits and '_'"
                    ),
                ));
            } else if !seen.insert(f) {
                p.push(settings_problem(
                    "service_fields",
                    format!("lĩnh vực \"{f}\" bị trùng"),
                    format!("service field \"{f}\" is listed twice"),
                ));
            }
        }
        if self.service_fields.len() > 100 {
            p.push(settings_problem(
                "service_fields",
                "tối đa 100 lĩnh vực".into(),
                "at most 100 service fields".into(),
            ));
        }
        let prefix_ok = !self.indicator_prefix.is_empty()
            && self
                .indicator_prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
        if !prefix_ok {
            p.push(settings_problem(
                "indicator_prefix",
                format!(
                    "tiền tố chỉ số \"{}\" chỉ gồm chữ thường không dấu, chữ số, '.' và '_'",
                    self.indicator_prefix
                ),
                format!(
                    "indicator prefix \"{}\" may hold only lowercase ASCII letters, digits, '.' and '_'",
                    self.indicator_prefix
                ),
            ));
        }
        p.into_result(())
    }
}

/// Checks that the statistics can be computed from a questionnaire: the 1–5 scale with 4 and 5
/// counted as satisfied (what `parindex_core::survey_stats` computes), and that it is meant for
/// the survey's year.
pub fn check_questionnaire(file: &str, q: &Questionnaire, year: i32) -> Result<(), Problems> {
    let mut p = Problems::default();
    let at = || Location::file(file);
    if q.scale
        .levels
        .iter()
        .any(|l| l.code < 1 || l.code as usize > SCALE)
    {
        p.push(Problem::new(
            at().with_field("scale.level"),
            "thang đo phải gồm các mức từ 1 đến 5 (thang SIPAS)",
            "the scale must use levels 1 to 5 (the SIPAS scale)",
        ));
    }
    let mut sat = q.scale.satisfied.clone();
    sat.sort_unstable();
    if sat != [4, 5] {
        p.push(Problem::new(
            at().with_field("scale.satisfied"),
            "các mức được tính là hài lòng phải là 4 và 5",
            "the codes counted as satisfied must be 4 and 5",
        ));
    }
    const RESERVED: [&str; 11] = [
        "id",
        "unit",
        "channel",
        "service_field",
        "token",
        "started_at",
        "submitted_at",
        "received_at",
        "free_text",
        "status",
        "flags",
    ];
    let codes = q
        .profile
        .iter()
        .map(|x| &x.code)
        .chain(q.questions.iter().map(|x| &x.code));
    for c in codes {
        if RESERVED.contains(&c.as_str()) {
            p.push(Problem::new(
                at().with_field("code").with_node(c),
                format!("mã câu hỏi \"{c}\" trùng tên một cột của tệp phiếu; hãy đổi mã"),
                format!("question code \"{c}\" is the name of a response file column: rename it"),
            ));
        }
    }
    if !q.covers_year(year) {
        let to = q.year_to.map(|y| y.to_string()).unwrap_or_default();
        p.push(Problem::new(
            at().with_field("survey.year_from"),
            format!(
                "phiếu \"{}\" dùng cho các năm {}–{to}, không dùng cho năm {year}",
                q.code, q.year_from
            ),
            format!(
                "questionnaire \"{}\" is for the years {}–{to}, not for {year}",
                q.code, q.year_from
            ),
        ));
    }
    p.into_result(())
}

/// A stored survey.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: i64,
    pub year: i32,
    /// The questionnaire's code, unique within the round.
    pub code: String,
    pub title: String,
    /// The file the questionnaire came from.
    pub source: String,
    pub sha256: String,
    pub state: SurveyState,
    pub settings: SurveySettings,
    pub version: i64,
    pub created_by: String,
    pub created_at: Timestamp,
}

const SURVEY_COLS: &str =
    "id, year, code, title, source, sha256, state, settings, version, created_by, created_at";

impl Survey {
    fn from_row(r: &Row) -> Result<Survey> {
        let state = r.text("state")?;
        let settings = r.text("settings")?;
        Ok(Survey {
            id: r.i64("id")?,
            year: r.year("year")?,
            code: r.text("code")?,
            title: r.text("title")?,
            source: r.text("source")?,
            sha256: r.text("sha256")?,
            state: SurveyState::parse(&state)
                .ok_or_else(|| Error::Corrupt(format!("survey state '{state}'")))?,
            settings: SurveySettings::from_json(&settings)
                .map_err(|e| Error::Corrupt(format!("survey settings: {e}")))?,
            version: r.i64("version")?,
            created_by: r.text("created_by")?,
            created_at: r.ts("created_at")?,
        })
    }

    /// `2019/sipas-2017-22`, as the audit log names it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.year, self.code)
    }
}

/// A unit a survey covers: an active unit of a group assessed in the survey's round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub group: String,
}

/// Everything validation and the writer need about one survey, loaded once: the survey, its
/// parsed questionnaire, and the units of its round. Cheap to share (`Arc`); reload it after a
/// change of state, settings or units.
#[derive(Debug)]
pub struct SurveyContext {
    pub survey: Survey,
    pub questionnaire: Arc<Questionnaire>,
    /// By code, in code order.
    pub units: Vec<SurveyUnit>,
    pub(crate) unit_ids: HashMap<String, i64>,
    pub(crate) layout: tally::Layout,
}

impl SurveyContext {
    pub fn unit(&self, code: &str) -> Option<&SurveyUnit> {
        self.unit_ids
            .get(code)
            .and_then(|id| self.units.iter().find(|u| u.id == *id))
    }
    pub(crate) fn unit_code(&self, id: i64) -> Option<&str> {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.code.as_str())
    }
}

/// One unit's sample plan and progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplePlan {
    pub unit: String,
    pub name: String,
    pub group: String,
    /// People served in the period (N), if known.
    pub population: Option<u64>,
    /// n = N / (1 + N·e²), rounded up, when N is known.
    pub sample_size: Option<u64>,
    /// The quota: set explicitly, else the sample size.
    pub quota: Option<u64>,
    pub accepted: u64,
    pub quarantined: u64,
    /// Accepted responses as a share of the quota, in percent.
    pub progress: Option<f64>,
}

/// An arbitrary constant naming the PostgreSQL advisory locks that serialize writers of one
/// survey's statistics (xor the survey id). On SQLite write transactions are serial already.
const PG_SURVEY_LOCK: i64 = 0x7369_7061_7300_0000; // "sipas"

/// Takes the survey's statistics lock for the rest of the transaction (PostgreSQL), so two
/// writers never read-modify-write the same statistics row at once.
pub(crate) async fn lock_survey(tx: &mut Tx, survey_id: i64) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        tx.execute(q("SELECT pg_advisory_xact_lock($1)").bind(PG_SURVEY_LOCK ^ survey_id))
            .await?;
    }
    Ok(())
}

pub(crate) fn survey_not_found(year: i32, code: &str) -> Error {
    Error::not_found(Entity::Survey, format!("{year}/{code}"))
}

async fn round_units(db_or_tx: &Db, year: i32) -> Result<Vec<SurveyUnit>> {
    let rows = db_or_tx
        .fetch_all(
            q(
                "SELECT id, code, name, group_code FROM units WHERE active = $1 AND group_code IN \
               (SELECT group_code FROM round_groups WHERE year = $2) ORDER BY code",
            )
            .bind(true)
            .bind(year),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SurveyUnit {
                id: r.i64("id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                group: r.text("group_code")?,
            })
        })
        .collect()
}

impl Db {
    /// Creates a survey for a round from a questionnaire's TOML text (checked with
    /// parindex-core, every problem with file and line) and its settings. The survey starts open.
    pub async fn create_survey(
        &self,
        year: i32,
        source: &str,
        toml: &str,
        settings: &SurveySettings,
        by: &Actor,
    ) -> Result<Survey> {
        let questionnaire = parse_questionnaire(source, toml)?;
        check_questionnaire(source, &questionnaire, year)?;
        settings.check(&questionnaire)?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        crate::rounds::round_state(&mut tx, year).await?;
        let others = tx
            .fetch_all(q("SELECT code, settings FROM surveys WHERE year = $1").bind(year))
            .await?;
        for r in &others {
            let s = SurveySettings::from_json(&r.text("settings")?)
                .map_err(|e| Error::Corrupt(format!("survey settings: {e}")))?;
            let other = r.text("code")?;
            if s.indicator_prefix == settings.indicator_prefix && other != questionnaire.code {
                return Err(Error::invalid(
                    "settings.indicator_prefix",
                    format!(
                        "khảo sát \"{other}\" của kỳ {year} đã cung cấp các chỉ số \"{}.*\"",
                        settings.indicator_prefix
                    ),
                    format!(
                        "survey \"{other}\" of round {year} already supplies the indicators \"{}.*\"",
                        settings.indicator_prefix
                    ),
                ));
            }
        }
        let id = tx
            .fetch_one(
                q("INSERT INTO surveys (year, code, title, source, questionnaire, sha256, state, settings, version, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, 1, $8, $9) RETURNING id")
                .bind(year)
                .bind(&questionnaire.code)
                .bind(&questionnaire.title)
                .bind(source)
                .bind(toml)
                .bind(sha256_hex(toml.as_bytes()))
                .bind(settings.to_json())
                .bind(&by.name)
                .bind(now),
            )
            .await
            .map_err(|e| e.duplicate_as(Entity::Survey, &format!("{year}/{}", questionnaire.code)))?
            .i64("id")?;
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create", "survey", format!("{year}/{}", questionnaire.code))
                .new_value(source),
        )
        .await?;
        tx.commit().await?;
        let s = self.survey(year, &questionnaire.code).await?;
        debug_assert_eq!(s.id, id);
        Ok(s)
    }

    pub async fn survey(&self, year: i32, code: &str) -> Result<Survey> {
        let sql = crate::db::Q::owned(format!(
            "SELECT {SURVEY_COLS} FROM surveys WHERE year = $1 AND code = $2"
        ));
        let row = self
            .fetch_optional(sql.bind(year).bind(code))
            .await?
            .ok_or_else(|| survey_not_found(year, code))?;
        Survey::from_row(&row)
    }

    /// The surveys of a round, by code.
    pub async fn surveys(&self, year: i32) -> Result<Vec<Survey>> {
        let sql = crate::db::Q::owned(format!(
            "SELECT {SURVEY_COLS} FROM surveys WHERE year = $1 ORDER BY code"
        ));
        self.fetch_all(sql.bind(year))
            .await?
            .iter()
            .map(Survey::from_row)
            .collect()
    }

    /// The questionnaire's TOML text as stored.
    pub async fn survey_questionnaire_text(&self, year: i32, code: &str) -> Result<String> {
        self.fetch_optional(
            q("SELECT questionnaire FROM surveys WHERE year = $1 AND code = $2")
                .bind(year)
                .bind(code),
        )
        .await?
        .ok_or_else(|| survey_not_found(year, code))?
        .text("questionnaire")
    }

    /// Loads what validation and the writer need about a survey.
    pub async fn survey_context(&self, year: i32, code: &str) -> Result<Arc<SurveyContext>> {
        let survey = self.survey(year, code).await?;
        let text = self.survey_questionnaire_text(year, code).await?;
        let questionnaire = Arc::new(
            parse_questionnaire(&survey.source, &text)
                .map_err(|e| Error::Corrupt(format!("stored questionnaire: {e}")))?,
        );
        let units = round_units(self, year).await?;
        let unit_ids = units.iter().map(|u| (u.code.clone(), u.id)).collect();
        let layout = tally::Layout::new(&questionnaire);
        Ok(Arc::new(SurveyContext {
            survey,
            questionnaire,
            units,
            unit_ids,
            layout,
        }))
    }

    /// Opens or closes a survey. A closed survey refuses every new response.
    pub async fn set_survey_state(
        &self,
        year: i32,
        code: &str,
        state: SurveyState,
        by: &Actor,
    ) -> Result<Survey> {
        let old = self.survey(year, code).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        tx.execute(
            q("UPDATE surveys SET state = $1, version = version + 1 WHERE id = $2")
                .bind(state.as_str())
                .bind(old.id),
        )
        .await?;
        let mut diff = Diff::new("survey", old.key());
        diff.value("state", &old.state.as_str(), &state.as_str());
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.survey(year, code).await
    }

    /// Replaces a survey's settings (`expected_version` as read). The statistics do not depend on
    /// them, so nothing is recomputed; the quality thresholds apply to responses received later.
    pub async fn update_survey_settings(
        &self,
        year: i32,
        code: &str,
        expected_version: i64,
        settings: &SurveySettings,
        by: &Actor,
    ) -> Result<Survey> {
        let ctx = self.survey_context(year, code).await?;
        settings.check(&ctx.questionnaire)?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let n = tx
            .execute(
                q("UPDATE surveys SET settings = $1, version = version + 1 WHERE id = $2 AND version = $3")
                    .bind(settings.to_json())
                    .bind(ctx.survey.id)
                    .bind(expected_version),
            )
            .await?;
        if n == 0 {
            let actual = tx
                .fetch_one(q("SELECT version FROM surveys WHERE id = $1").bind(ctx.survey.id))
                .await?
                .i64("version")?;
            return Err(Error::Conflict {
                what: Entity::Survey,
                key: ctx.survey.key(),
                expected: expected_version,
                actual,
            });
        }
        let mut diff = Diff::new("survey", ctx.survey.key());
        diff.value(
            "settings",
            &ctx.survey.settings.to_json(),
            &settings.to_json(),
        );
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.survey(year, code).await
    }

    /// Sets a unit's number of people served (N) and, optionally, an explicit quota; `None`
    /// clears them. The sample size follows from N and the survey's margin.
    pub async fn set_sample_plan(
        &self,
        year: i32,
        code: &str,
        unit: &str,
        population: Option<u64>,
        quota: Option<u64>,
        by: &Actor,
    ) -> Result<SamplePlan> {
        let ctx = self.survey_context(year, code).await?;
        let unit_id = *ctx.unit_ids.get(unit).ok_or_else(|| {
            Error::invalid(
                "unit",
                format!("đơn vị \"{unit}\" không thuộc kỳ đánh giá {year}"),
                format!("unit \"{unit}\" is not in round {year}"),
            )
        })?;
        let as_i64 = |v: Option<u64>, field: &str| -> Result<Option<i64>> {
            v.map(|x| {
                i64::try_from(x).map_err(|_| {
                    Error::invalid(
                        field,
                        "số quá lớn".to_string(),
                        "number too large".to_string(),
                    )
                })
            })
            .transpose()
        };
        let (pop, quo) = (as_i64(population, "population")?, as_i64(quota, "quota")?);
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let old = tx
            .fetch_optional(
                q("SELECT population, quota FROM survey_units WHERE survey_id = $1 AND unit_id = $2")
                    .bind(ctx.survey.id)
                    .bind(unit_id),
            )
            .await?;
        let (old_pop, old_quota) = match &old {
            Some(r) => (r.opt_i64("population")?, r.opt_i64("quota")?),
            None => (None, None),
        };
        if old.is_some() {
            tx.execute(
                q("UPDATE survey_units SET population = $1, quota = $2 WHERE survey_id = $3 AND unit_id = $4")
                    .bind(pop)
                    .bind(quo)
                    .bind(ctx.survey.id)
                    .bind(unit_id),
            )
            .await?;
        } else {
            tx.execute(
                q("INSERT INTO survey_units (survey_id, unit_id, population, quota) VALUES ($1, $2, $3, $4)")
                    .bind(ctx.survey.id)
                    .bind(unit_id)
                    .bind(pop)
                    .bind(quo),
            )
            .await?;
        }
        let mut diff = Diff::new("survey_unit", format!("{}/{unit}", ctx.survey.key()));
        diff.field("population", &old_pop, &pop);
        diff.field("quota", &old_quota, &quo);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.sample_plan(year, code)
            .await?
            .into_iter()
            .find(|p| p.unit == unit)
            .ok_or_else(|| Error::Corrupt("sample plan row vanished".into()))
    }

    /// Every unit of the survey with its population, sample size, quota and progress.
    pub async fn sample_plan(&self, year: i32, code: &str) -> Result<Vec<SamplePlan>> {
        let ctx = self.survey_context(year, code).await?;
        let plans: HashMap<i64, (Option<i64>, Option<i64>)> = self
            .fetch_all(
                q("SELECT unit_id, population, quota FROM survey_units WHERE survey_id = $1")
                    .bind(ctx.survey.id),
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.i64("unit_id")?,
                    (r.opt_i64("population")?, r.opt_i64("quota")?),
                ))
            })
            .collect::<Result<_>>()?;
        let counts: HashMap<(i64, String), i64> = self
            .fetch_all(
                q("SELECT unit_id, bucket, respondents FROM survey_stats WHERE survey_id = $1 AND segment = ''")
                    .bind(ctx.survey.id),
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    (r.i64("unit_id")?, r.text("bucket")?),
                    r.i64("respondents")?,
                ))
            })
            .collect::<Result<_>>()?;
        let count = |unit: i64, bucket: &str| -> u64 {
            counts
                .get(&(unit, bucket.to_string()))
                .map_or(0, |n| u64::try_from(*n).unwrap_or(0))
        };
        Ok(ctx
            .units
            .iter()
            .map(|u| {
                let (pop, quota) = plans.get(&u.id).copied().unwrap_or((None, None));
                let population = pop.and_then(|p| u64::try_from(p).ok());
                let sample_size = population.map(|n| slovin(n, ctx.survey.settings.margin));
                let quota = quota.and_then(|q| u64::try_from(q).ok()).or(sample_size);
                let accepted = count(u.id, "accepted");
                SamplePlan {
                    unit: u.code.clone(),
                    name: u.name.clone(),
                    group: u.group.clone(),
                    population,
                    sample_size,
                    quota,
                    accepted,
                    quarantined: count(u.id, "quarantined"),
                    progress: quota
                        .filter(|q| *q > 0)
                        .map(|q| 100.0 * accepted as f64 / q as f64),
                }
            })
            .collect())
    }

    /// How many responses a survey holds in each status.
    pub async fn response_counts(
        &self,
        year: i32,
        code: &str,
    ) -> Result<Vec<(ResponseStatus, u64)>> {
        let s = self.survey(year, code).await?;
        let rows = self
            .fetch_all(
                q("SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM survey_responses WHERE survey_id = $1 GROUP BY status")
                    .bind(s.id),
            )
            .await?;
        let mut out: Vec<(ResponseStatus, u64)> =
            ResponseStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for r in rows {
            let st = r.text("status")?;
            let st = ResponseStatus::parse(&st)
                .ok_or_else(|| Error::Corrupt(format!("response status '{st}'")))?;
            let n = u64::try_from(r.i64("n")?).unwrap_or(0);
            if let Some(slot) = out.iter_mut().find(|(s, _)| *s == st) {
                slot.1 = n;
            }
        }
        Ok(out)
    }
}
