//! A unit's sheet (phiếu đánh giá), one area at a time. Before appraisal it is the
//! self-assessment grid (STT | criterion | max | declared data | scoring rule | evidence required
//! | evidence | self points), which the unit's officers fill in; from appraisal on it shows the
//! self-assessment beside round 1, the explanation and round 2, each column editable by whom the
//! state allows. A row saves on its own with htmx (the points come back at once); the area's
//! "Save" button saves every row without JavaScript. Also: the sheet's state changes, one
//! sub-criterion with its evidence (upload, download, removal) and audit trail.

use crate::api::{can_read, readable_sheet};
use crate::app::AppState;
use crate::auth::Caller;
use crate::pages::cache::{Cache, SheetContent};
use crate::pages::form::Form;
use crate::pages::guard::see_other;
use crate::pages::internal::{Api, Refusal, refusal};
use crate::pages::{Ctx, Layout, PageError, PageResult, Signed, fmt, i18n, render};
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use parindex_core::locale::Locale;
use parindex_core::rules::{Rule, Score};
use parindex_core::set::{CriteriaSet, Node};
use parindex_core::text::fold;
use parindex_store::Timestamp;
use parindex_store::audit::AuditEntry;
use parindex_store::compute::survey_score;
use parindex_store::evidence::{Evidence, Stage};
use parindex_store::rounds::{Phase, Round};
use parindex_store::sheets::{
    Entry, Proposal, ProposalKind, Sheet, SheetState, allowed, is_backward,
};
use parindex_store::users::Role;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{year}/phieu/{unit}", get(sheet_page))
        .route("/ky/{year}/phieu/{unit}/luu", post(save_area))
        .route("/ky/{year}/phieu/{unit}/luu/{code}", post(save_row))
        .route("/ky/{year}/phieu/{unit}/chuyen", post(transition))
        .route("/ky/{year}/phieu/{unit}/de-xuat", post(propose))
        .route(
            "/ky/{year}/phieu/{unit}/de-xuat/{id}",
            post(appraise_proposal),
        )
        .route("/ky/{year}/phieu/{unit}/muc/{code}", get(item_page))
        .route("/ky/{year}/phieu/{unit}/muc/{code}/tai-lieu", post(upload))
        .route("/ky/{year}/phieu/{unit}/tai-lieu/{id}", get(download))
        .route("/ky/{year}/phieu/{unit}/tai-lieu/{id}/xoa", post(remove))
}

/// Everything a sheet page shows.
pub(crate) struct Loaded {
    pub sheet: Sheet,
    pub round: Round,
    pub set: Arc<CriteriaSet>,
    /// Every sub-criterion in code order, and the evidence.
    pub content: Arc<SheetContent>,
    /// The unit's results from the round's closed surveys, by indicator: they give the
    /// survey-derived sub-criteria their points (not cached with the content, since closing a
    /// survey does not change the sheet, but for two seconds like the round).
    pub survey: BTreeMap<String, Decimal>,
}

impl Loaded {
    /// A survey-derived sub-criterion's survey result (percent) and points, when the round's
    /// closed surveys supply its indicator for the unit.
    pub(crate) fn survey_points(&self, node: &Node) -> Option<(Decimal, Decimal)> {
        let Some(Rule::Survey { indicator, .. }) = &node.rule else {
            return None;
        };
        let value = *self.survey.get(indicator)?;
        match survey_score(node, self.sheet.level.as_deref(), &self.survey) {
            Ok(Some(Score::Points(p))) => Some((value, p)),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.content.entries
    }
    pub fn evidence(&self) -> &[Evidence] {
        &self.content.evidence
    }
}

/// The sheet's row, read with the one query for the round's sheets (cheaper than the store's
/// transaction for one sheet); the refusals (no such round, unit or sheet; not allowed) stay the
/// API's.
async fn sheet_row(state: &AppState, c: &Caller, year: i32, unit: &str) -> PageResult<Sheet> {
    match state
        .db()
        .sheets(year)
        .await?
        .into_iter()
        .find(|s| s.unit == unit)
    {
        Some(s) if can_read(c, &s) => Ok(s),
        _ => Ok(readable_sheet(state, c, year, unit).await?),
    }
}

pub(crate) async fn load(
    state: &AppState,
    cache: &Cache,
    c: &Caller,
    year: i32,
    unit: &str,
) -> PageResult<Loaded> {
    let db = state.db();
    let sheet = sheet_row(state, c, year, unit).await?;
    let round_and_set = async {
        let round = cache.round(db, year).await?;
        let set = cache.set(db, &round, &sheet.group).await?;
        Ok::<_, parindex_store::Error>((round, set))
    };
    if let Some(content) = cache.content(year, unit, sheet.version) {
        let ((round, set), survey) =
            tokio::try_join!(round_and_set, cache.survey_results(db, year))?;
        let survey = survey.get(unit).cloned().unwrap_or_default();
        return Ok(Loaded {
            sheet,
            round,
            set,
            content,
            survey,
        });
    }
    // Independent reads at once (SQLite in WAL mode reads in parallel).
    let ((round, set), entries, evidence, proposals, survey) = tokio::try_join!(
        round_and_set,
        db.entries(year, unit),
        db.evidence_of(year, unit),
        db.proposals(year, unit),
        cache.survey_results(db, year)
    )?;
    let survey = survey.get(unit).cloned().unwrap_or_default();
    let content = Arc::new(SheetContent {
        entries,
        evidence,
        proposals,
    });
    // Kept only if nothing changed the sheet while it was read.
    if sheet_row(state, c, year, unit).await?.version == sheet.version {
        cache.keep(year, unit, sheet.version, content.clone());
    }
    Ok(Loaded {
        sheet,
        round,
        set,
        content,
        survey,
    })
}

/// What the unit fills in, against what appraisers decide: the two ways a sheet is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    SelfAssessment,
    Review,
}

/// Which column a save writes, by the sheet's state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    SelfAssessment,
    Appraisal1,
    Explanation,
    Appraisal2,
}

impl Kind {
    fn of(state: SheetState) -> Option<Kind> {
        match state {
            SheetState::SelfAssessing => Some(Kind::SelfAssessment),
            SheetState::Appraisal1 => Some(Kind::Appraisal1),
            SheetState::ExplanationRequested => Some(Kind::Explanation),
            SheetState::Appraisal2 => Some(Kind::Appraisal2),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Kind::SelfAssessment => "self",
            Kind::Appraisal1 => "a1",
            Kind::Explanation => "explanation",
            Kind::Appraisal2 => "a2",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::SelfAssessment,
            Kind::Appraisal1,
            Kind::Explanation,
            Kind::Appraisal2,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The phase whose deadline binds work in a state.
fn phase_of(state: SheetState) -> Option<Phase> {
    match state {
        SheetState::NotStarted | SheetState::SelfAssessing => Some(Phase::SelfAssessment),
        SheetState::Submitted | SheetState::Appraisal1 => Some(Phase::Appraisal1),
        SheetState::ExplanationRequested => Some(Phase::Explanation),
        SheetState::ExplanationSubmitted | SheetState::Appraisal2 => Some(Phase::Appraisal2),
        SheetState::Approved => Some(Phase::Approval),
        SheetState::Published => None,
    }
}

fn area_of(code: &str) -> &str {
    code.split('.').next().unwrap_or(code)
}

/// The area's code of a node path segment id (`1.1.4` → `1-1-4`), for HTML ids.
fn html_id(code: &str) -> String {
    code.replace('.', "-")
}

/// Who may write which column of which area now. The API decides for real; this only decides
/// what to offer.
pub(crate) struct Rights {
    pub kind: Option<Kind>,
    pub deadline_passed: bool,
    secretariat: bool,
    officer: bool,
    appraiser_areas: Vec<String>,
}

impl Rights {
    pub fn new(c: &Caller, sheet: &Sheet, round: &Round) -> Rights {
        let now = Timestamp::now();
        let secretariat = c.is(Role::Secretariat);
        let deadline_passed = !secretariat
            && phase_of(sheet.state)
                .and_then(|p| round.deadlines.iter().find(|(q, _)| *q == p))
                .is_some_and(|(_, due)| now > *due);
        // Nobody appraises their own unit's sheet, whatever the assignment.
        let appraiser = c.is(Role::Appraiser) && !c.of_unit(&sheet.unit);
        let appraiser_areas = c
            .areas
            .iter()
            .filter(|a| appraiser && a.year == sheet.year && a.group == sheet.group)
            .map(|a| a.area.clone())
            .collect();
        Rights {
            kind: Kind::of(sheet.state),
            deadline_passed,
            secretariat,
            officer: c.officer_of(&sheet.unit),
            appraiser_areas,
        }
    }
    /// Whether this caller may write the current column of a sub-criterion.
    pub fn may(&self, code: &str) -> bool {
        if self.deadline_passed {
            return false;
        }
        match self.kind {
            Some(Kind::SelfAssessment | Kind::Explanation) => self.secretariat || self.officer,
            Some(Kind::Appraisal1 | Kind::Appraisal2) => {
                self.secretariat || self.appraiser_areas.iter().any(|a| a == area_of(code))
            }
            None => false,
        }
    }
    fn any(&self) -> bool {
        !self.deadline_passed
            && match self.kind {
                Some(Kind::SelfAssessment | Kind::Explanation) => self.secretariat || self.officer,
                Some(Kind::Appraisal1 | Kind::Appraisal2) => {
                    self.secretariat || !self.appraiser_areas.is_empty()
                }
                None => false,
            }
    }
}

/// One option of a declared-data select.
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// How a sub-criterion's declared data is entered.
pub(crate) enum Input {
    /// One of a few values (yes/no, on time/late/missing, a level).
    Choice(Vec<Opt>),
    /// A number, a ratio `a/b`, counts per kind…
    Text { placeholder: &'static str },
    /// Survey-derived: nothing to declare.
    Survey,
}

pub(crate) struct FileView {
    pub href: String,
    pub name: String,
    pub page_ref: String,
    pub explanation: bool,
}

/// One row of the grid: a criterion heading or a sub-criterion.
pub(crate) struct Row {
    pub heading: bool,
    pub code: String,
    pub id: String,
    pub title: String,
    pub max: String,
    pub declared: String,
    /// The declaration as people read it (the option's label, not its key).
    pub declared_label: String,
    pub declared_hint: String,
    pub note: String,
    pub version: i64,
    pub input: Input,
    pub rule: String,
    pub evidence_required: String,
    pub files: Vec<FileView>,
    pub self_points: String,
    pub a1_points: String,
    pub a1_input: String,
    pub a1_note: String,
    pub explanation: String,
    pub a2_points: String,
    pub a2_input: String,
    pub a2_note: String,
    /// Round 1 differs from the self-assessment.
    pub a1_changed: bool,
    /// The unit answered with an explanation or supplementary evidence.
    pub explained: bool,
    /// Round 2 differs from round 1.
    pub a2_changed: bool,
    pub editable: bool,
    pub errors: Vec<String>,
    /// Set after an autosave: "saved".
    pub saved: bool,
    pub detail_href: String,
}

fn choice(rule: &Rule, allow_na: bool, declared: &str, lang: Locale) -> Input {
    let pairs: Vec<(String, String)> = match rule {
        Rule::Binary => vec![
            ("có".into(), lang.pick("Có", "Yes").into()),
            ("không".into(), lang.pick("Không", "No").into()),
        ],
        Rule::Timeliness { .. } => vec![
            ("dung_han".into(), lang.pick("Đúng hạn", "On time").into()),
            ("tre_han".into(), lang.pick("Trễ hạn", "Late").into()),
            (
                "khong".into(),
                lang.pick("Không thực hiện", "Not done").into(),
            ),
        ],
        Rule::Graded { levels } => levels
            .iter()
            .map(|l| (l.key.clone(), l.label.clone()))
            .collect(),
        Rule::Survey { .. } => return Input::Survey,
        Rule::Bands { .. } | Rule::PerItem { .. } | Rule::Manual => {
            return Input::Text { placeholder: "" };
        }
        Rule::Proportional { .. } => {
            return Input::Text {
                placeholder: lang.pick("vd. 12/15 hoặc 80", "e.g. 12/15 or 80"),
            };
        }
        Rule::Deduction { kinds } => {
            let _ = kinds;
            return Input::Text {
                placeholder: lang.pick("vd. 0 hoặc nhe=1", "e.g. 0 or minor=1"),
            };
        }
    };
    let folded = fold(declared);
    let mut opts = vec![Opt {
        value: String::new(),
        label: lang.pick("— chưa khai —", "— not declared —").into(),
        selected: declared.trim().is_empty(),
    }];
    let mut found = declared.trim().is_empty();
    for (value, label) in pairs {
        let selected = !found && (fold(&value) == folded || fold(&label) == folded);
        found |= selected;
        opts.push(Opt {
            value,
            label,
            selected,
        });
    }
    if allow_na {
        let selected = !found && parindex_core::rules::is_not_applicable(declared);
        found |= selected;
        opts.push(Opt {
            value: "na".into(),
            label: lang.pick("Không áp dụng", "Not applicable").into(),
            selected,
        });
    }
    if !found {
        // A value entered elsewhere (the API, an import) is kept as it is.
        opts.push(Opt {
            value: declared.to_string(),
            label: declared.to_string(),
            selected: true,
        });
    }
    Input::Choice(opts)
}

/// The grid's rows for one area.
pub(crate) fn rows(l: &Locale, data: &Loaded, area: &str, rights: &Rights, base: &str) -> Vec<Row> {
    let lang = *l;
    let level = data.sheet.level.as_deref();
    let by_code: HashMap<&str, &Entry> = data
        .entries()
        .iter()
        .map(|e| (e.code.as_str(), e))
        .collect();
    let mut files: HashMap<&str, Vec<FileView>> = HashMap::new();
    for ev in data.evidence() {
        if let Some(code) = &ev.code {
            files.entry(code.as_str()).or_default().push(FileView {
                href: format!("{base}/tai-lieu/{}", ev.id),
                name: ev.original_name.clone(),
                page_ref: ev.page_ref.clone(),
                explanation: ev.stage == Stage::Explanation,
            });
        }
    }
    let empty = Entry::default();
    let mut out = Vec::new();
    for node in data.set.nodes.iter().filter(|n| {
        n.code.level() >= 2 && n.code.parts().first().map(u32::to_string).as_deref() == Some(area)
    }) {
        let code = node.code.to_string();
        let title = match (lang, &node.title_en) {
            (Locale::En, Some(t)) => t.clone(),
            _ => node.title.clone(),
        };
        if !node.is_leaf() {
            out.push(heading(code, title, fmt::pts(lang, node.max_for(level))));
            continue;
        }
        let e = by_code.get(code.as_str()).copied().unwrap_or(&empty);
        let f = files.remove(code.as_str()).unwrap_or_default();
        let mut r = row(lang, node, e, level, f, rights, base);
        if let Some((value, points)) = data.survey_points(node) {
            // The survey decides: its result and points, not open to editing.
            r.declared_label = format!(
                "{} {} %",
                i18n::t(lang, "sheet.survey_result"),
                lang.decimal(value.round_dp(2), 2)
            );
            r.self_points = fmt::pts(lang, points);
            r.editable = false;
        }
        out.push(r);
    }
    out
}

fn heading(code: String, title: String, max: String) -> Row {
    Row {
        heading: true,
        id: html_id(&code),
        code,
        title,
        max,
        declared: String::new(),
        declared_label: String::new(),
        declared_hint: String::new(),
        note: String::new(),
        version: 0,
        input: Input::Survey,
        rule: String::new(),
        evidence_required: String::new(),
        files: Vec::new(),
        self_points: String::new(),
        a1_points: String::new(),
        a1_input: String::new(),
        a1_note: String::new(),
        explanation: String::new(),
        a2_points: String::new(),
        a2_input: String::new(),
        a2_note: String::new(),
        a1_changed: false,
        explained: false,
        a2_changed: false,
        editable: false,
        errors: Vec::new(),
        saved: false,
        detail_href: String::new(),
    }
}

fn row(
    lang: Locale,
    node: &Node,
    e: &Entry,
    level: Option<&str>,
    files: Vec<FileView>,
    rights: &Rights,
    base: &str,
) -> Row {
    let code = node.code.to_string();
    let rule = node.rule.as_ref();
    let survey = rule.is_some_and(Rule::is_survey);
    let input = match rule {
        Some(r) => choice(r, node.allow_na, &e.declared, lang),
        None => Input::Survey,
    };
    let declared_label = match &input {
        Input::Choice(opts) => opts
            .iter()
            .find(|o| o.selected && !o.value.is_empty())
            .map_or_else(|| e.declared.clone(), |o| o.label.clone()),
        _ => e.declared.clone(),
    };
    let a1 = e.appraisal1_points;
    let a2 = e.appraisal2_points;
    let in_place = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let explained = !e.explanation.trim().is_empty() || files.iter().any(|f| f.explanation);
    let editable = rights.may(&code)
        && !(survey && rights.kind == Some(Kind::SelfAssessment))
        && !(survey && rights.kind == Some(Kind::Explanation));
    Row {
        heading: false,
        id: html_id(&code),
        title: match (lang, &node.title_en) {
            (Locale::En, Some(t)) => t.clone(),
            _ => node.title.clone(),
        },
        max: fmt::pts(lang, node.max_for(level)),
        declared: e.declared.clone(),
        declared_label,
        declared_hint: node.declared.clone().unwrap_or_default(),
        note: e.note.clone(),
        version: e.version,
        input,
        rule: rule.map(|r| r.describe(lang)).unwrap_or_default(),
        evidence_required: node.evidence.clone().unwrap_or_default(),
        files,
        self_points: if e.not_applicable {
            lang.pick("Không áp dụng", "N/A").into()
        } else {
            fmt::opt_pts(lang, e.self_points)
        },
        a1_points: fmt::opt_pts(lang, a1),
        a1_input: in_place(a1),
        a1_note: e.appraisal1_note.clone(),
        explanation: e.explanation.clone(),
        a2_points: fmt::opt_pts(lang, a2),
        a2_input: in_place(a2),
        a2_note: e.appraisal2_note.clone(),
        a1_changed: a1.is_some() && a1 != e.self_points,
        explained,
        a2_changed: a2.is_some() && a2 != a1,
        editable,
        errors: Vec::new(),
        saved: false,
        detail_href: format!("{base}/muc/{code}"),
        code,
    }
}

/// Totals shown above the grid (and refreshed after each autosave).
pub(crate) struct Summary {
    pub filled: usize,
    pub to_fill: usize,
    pub self_total: String,
    pub a1_total: String,
    pub final_total: String,
    pub max_total: String,
    pub evidence: usize,
}

fn summary(lang: Locale, data: &Loaded) -> Summary {
    let level = data.sheet.level.as_deref();
    let mut s = Summary {
        filled: 0,
        to_fill: 0,
        self_total: String::new(),
        a1_total: String::new(),
        final_total: String::new(),
        max_total: String::new(),
        evidence: data.evidence().len(),
    };
    let (mut own, mut a1, mut fin, mut max) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let by_code: HashMap<&str, &Entry> = data
        .entries()
        .iter()
        .map(|e| (e.code.as_str(), e))
        .collect();
    for &i in data.set.leaves() {
        let node = &data.set.nodes[i];
        let code = node.code.to_string();
        let e = by_code.get(code.as_str());
        let survey = node.rule.as_ref().is_some_and(Rule::is_survey);
        if !survey {
            s.to_fill += 1;
            if e.is_some_and(|e| e.version > 0 && !e.declared.trim().is_empty()) {
                s.filled += 1;
            }
        }
        if let Some((_, points)) = data.survey_points(node) {
            max += node.max_for(level);
            own += points;
            a1 += points;
            fin += points;
            continue;
        }
        if e.is_some_and(|e| e.counts_as_not_applicable()) {
            continue;
        }
        max += node.max_for(level);
        if let Some(e) = e {
            own += e.self_points.unwrap_or_default();
            a1 += e.appraisal1_points.or(e.self_points).unwrap_or_default();
            fin += e.final_points().unwrap_or_default();
        }
    }
    s.self_total = fmt::pts(lang, own.round_dp(2));
    s.a1_total = fmt::pts(lang, a1.round_dp(2));
    s.final_total = fmt::pts(lang, fin.round_dp(2));
    s.max_total = fmt::pts(lang, max);
    s
}

/// A state change offered on the page.
pub(crate) struct Move {
    pub to: &'static str,
    pub label: &'static str,
    pub confirm: &'static str,
    pub needs_reason: bool,
    pub danger: bool,
}

/// The state changes this caller may make, as the API would allow them.
fn moves(c: &Caller, sheet: &Sheet) -> Vec<Move> {
    use SheetState::*;
    let sec = c.is(Role::Secretariat);
    let officer = sec || c.officer_of(&sheet.unit);
    let appraiser = sec || c.appraises_sheet(sheet, None);
    let mut out = Vec::new();
    for to in SheetState::ALL {
        if !allowed(sheet.state, to) || to == Published {
            continue;
        }
        let backward = is_backward(sheet.state, to);
        let may = if backward {
            sec
        } else {
            match to {
                SelfAssessing | Submitted | ExplanationSubmitted => officer,
                Appraisal1 | ExplanationRequested | Appraisal2 => appraiser,
                Approved => sec,
                _ => false,
            }
        };
        if !may {
            continue;
        }
        let (label, confirm) = match (sheet.state, to) {
            (NotStarted, SelfAssessing) => ("move.start", "confirm.start"),
            (_, Submitted) => ("move.submit", "confirm.submit"),
            (Submitted, SelfAssessing) => ("move.return", "confirm.return"),
            (_, Appraisal1) => ("move.appraise1", "confirm.appraise1"),
            (_, ExplanationRequested) => {
                ("move.request_explanation", "confirm.request_explanation")
            }
            (_, ExplanationSubmitted) => ("move.submit_explanation", "confirm.submit_explanation"),
            (ExplanationRequested, Appraisal2) => ("move.skip_explanation", "confirm.appraise2"),
            (Approved | Published, Appraisal2) => ("move.reopen", "confirm.reopen"),
            (_, Appraisal2) => ("move.appraise2", "confirm.appraise2"),
            (_, Approved) => ("move.approve", "confirm.approve"),
            _ => ("move.other", "confirm.other"),
        };
        out.push(Move {
            to: to.as_str(),
            label,
            confirm,
            needs_reason: backward,
            danger: backward,
        });
    }
    out
}

/// One area's tab.
pub(crate) struct Tab {
    pub code: String,
    pub title: String,
    pub href: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "sheet.html")]
struct SheetPage {
    l: Layout,
    year: i32,
    unit_name: String,
    state: String,
    state_code: &'static str,
    version: i64,
    base: String,
    mode_review: bool,
    kind: &'static str,
    area: String,
    area_title: String,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    s: Summary,
    deadline: Option<(String, String, bool)>,
    deadline_passed: bool,
    can_edit: bool,
    moves: Vec<Move>,
    move_errors: Vec<String>,
    form_errors: Vec<String>,
    /// Rendered as an out-of-band swap (never in a whole page).
    oob: bool,
    show_a1: bool,
    show_a2: bool,
    edit_a1: bool,
    edit_a2: bool,
    edit_expl: bool,
    highlight: bool,
    audit_href: String,
    scorecard_href: Option<String>,
    proposals: Vec<ProposalRow>,
    /// The unit may propose (self-assessment, before its deadline).
    can_propose: bool,
    /// Appraisers may set what proposals earn (an appraisal round, before its deadline).
    can_appraise_proposals: bool,
    /// What was posted in the proposal form, shown again with its errors.
    proposal_form: (String, String, String),
    proposal_errors: Vec<String>,
}

/// A bonus or penalty proposal as the sheet page shows it.
pub(crate) struct ProposalRow {
    pub id: i64,
    pub version: i64,
    pub kind: String,
    pub penalty: bool,
    pub points: String,
    pub reason: String,
    pub proposed: String,
    pub appraised: String,
    pub appraised_input: String,
    pub note: String,
}

fn proposal_rows(lang: Locale, proposals: &[Proposal]) -> Vec<ProposalRow> {
    proposals
        .iter()
        .map(|p| ProposalRow {
            id: p.id,
            version: p.version,
            kind: i18n::t(lang, &format!("prop.{}", p.kind.as_str())).to_string(),
            penalty: p.kind == ProposalKind::Penalty,
            points: fmt::pts(lang, p.points),
            reason: p.reason.clone(),
            proposed: format!("{}, {}", p.proposed_by, fmt::date_time(lang, p.proposed_at)),
            appraised: p
                .appraised_points
                .map_or_else(|| "—".into(), |x| fmt::pts(lang, x)),
            appraised_input: p
                .appraised_points
                .map_or_else(String::new, |x| lang.decimal(x, 2)),
            note: p.appraisal_note.clone(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub(crate) struct SheetQuery {
    #[serde(rename = "linh-vuc")]
    area: Option<String>,
}

fn state_text(lang: Locale, s: SheetState) -> String {
    lang.pick(s.vi(), s.en()).to_string()
}

/// Builds the page; `errors` and `posted` come from a refused save (shown in place, with what
/// the user typed).
#[allow(clippy::too_many_arguments)]
async fn sheet_view(
    ctx: &Ctx,
    c: &Caller,
    data: &Loaded,
    area: Option<&str>,
    row_errors: &HashMap<String, Vec<String>>,
    posted: Option<&Form>,
    move_errors: Vec<String>,
    form_errors: Vec<String>,
) -> SheetPage {
    let lang = ctx.lang;
    let sheet = &data.sheet;
    let base = format!("/ky/{}/phieu/{}", sheet.year, sheet.unit);
    let areas: Vec<&Node> = data.set.areas().collect();
    let area = area
        .filter(|a| areas.iter().any(|n| n.code.to_string() == *a))
        .map(str::to_string)
        .or_else(|| areas.first().map(|n| n.code.to_string()))
        .unwrap_or_default();
    let rights = Rights::new(c, sheet, &data.round);
    let mode = if sheet.state <= SheetState::Submitted {
        Mode::SelfAssessment
    } else {
        Mode::Review
    };
    let mut rows = rows(&lang, data, &area, &rights, &base);
    for r in &mut rows {
        if let Some(errs) = row_errors.get(&r.code) {
            r.errors = errs.clone();
        }
        if let Some(f) = posted {
            if let Some(v) = f.get(&format!("d:{}", r.code)) {
                if let Input::Choice(opts) = &mut r.input
                    && !opts.iter().any(|o| o.value == v)
                {
                    opts.push(Opt {
                        value: v.to_string(),
                        label: v.to_string(),
                        selected: false,
                    });
                }
                if let Input::Choice(opts) = &mut r.input {
                    for o in opts.iter_mut() {
                        o.selected = o.value == v;
                    }
                }
                r.declared = v.to_string();
            }
            if let Some(v) = f.get(&format!("n:{}", r.code)) {
                r.note = v.to_string();
            }
            if let Some(v) = f.get(&format!("p:{}", r.code)) {
                match rights.kind {
                    Some(Kind::Appraisal2) => r.a2_input = v.to_string(),
                    _ => r.a1_input = v.to_string(),
                }
            }
            if let Some(v) = f.get(&format!("pn:{}", r.code)) {
                match rights.kind {
                    Some(Kind::Appraisal2) => r.a2_note = v.to_string(),
                    _ => r.a1_note = v.to_string(),
                }
            }
            if let Some(v) = f.get(&format!("e:{}", r.code)) {
                r.explanation = v.to_string();
            }
        }
    }
    let tabs = areas
        .iter()
        .map(|n| {
            let code = n.code.to_string();
            Tab {
                href: format!("{base}?linh-vuc={code}"),
                current: code == area,
                title: match (lang, &n.title_en) {
                    (Locale::En, Some(t)) => t.clone(),
                    _ => n.title.clone(),
                },
                code,
            }
        })
        .collect::<Vec<_>>();
    let area_title = tabs
        .iter()
        .find(|t| t.current)
        .map(|t| t.title.clone())
        .unwrap_or_default();
    let now = Timestamp::now();
    let deadline = phase_of(sheet.state).and_then(|p| {
        data.round
            .deadlines
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(p, due)| {
                let (left, late) = fmt::countdown(lang, *due, now);
                (
                    format!(
                        "{} {}",
                        lang.pick(p.vi(), p.en()),
                        fmt::date_time(lang, *due)
                    ),
                    left,
                    late,
                )
            })
    });
    let officer_only = c.officer_of(&sheet.unit) && !c.is(Role::Secretariat) && !c.is(Role::Leader);
    let show_a1 =
        mode == Mode::Review && (!officer_only || sheet.state >= SheetState::ExplanationRequested);
    let show_a2 = sheet.state >= SheetState::Appraisal2
        && (!officer_only || sheet.state >= SheetState::Approved);
    let kind = rights.kind;
    let published = sheet.state >= SheetState::Approved;
    SheetPage {
        l: ctx.layout(format!("{} — {}", sheet.unit_name, sheet.year)),
        year: sheet.year,
        unit_name: sheet.unit_name.clone(),
        state: state_text(lang, sheet.state),
        state_code: sheet.state.as_str(),
        version: sheet.version,
        mode_review: mode == Mode::Review,
        kind: kind.map_or("", Kind::as_str),
        area,
        area_title,
        tabs,
        s: summary(lang, data),
        deadline,
        deadline_passed: rights.deadline_passed,
        can_edit: rights.any(),
        moves: moves(c, sheet),
        move_errors,
        form_errors,
        oob: false,
        show_a1,
        show_a2,
        edit_a1: kind == Some(Kind::Appraisal1) && rights.any(),
        edit_a2: kind == Some(Kind::Appraisal2) && rights.any(),
        edit_expl: kind == Some(Kind::Explanation) && rights.any(),
        highlight: sheet.state >= SheetState::ExplanationSubmitted,
        audit_href: format!("{base}/nhat-ky"),
        scorecard_href: published
            .then(|| format!("/xep-hang/{}/{}/{}", sheet.year, sheet.group, sheet.unit)),
        proposals: proposal_rows(lang, &data.content.proposals),
        can_propose: kind == Some(Kind::SelfAssessment)
            && !rights.deadline_passed
            && (rights.officer || rights.secretariat),
        can_appraise_proposals: matches!(kind, Some(Kind::Appraisal1 | Kind::Appraisal2))
            && rights.any(),
        proposal_form: Default::default(),
        proposal_errors: Vec::new(),
        rows,
        base,
    }
}

/// A new bonus or penalty proposal (relayed to the API, which checks the round's cap, the
/// phase and its deadline, and audits it); a refusal is shown beside the form with what was
/// typed.
async fn propose(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let (kind, points, reason) = (form.text("kind"), form.text("points"), form.text("reason"));
    let body = json!({ "kind": kind, "points": points.replace(',', "."), "reason": reason });
    let path = format!("/api/rounds/{year}/sheets/{unit}/proposals");
    let typed = (kind, points, reason);
    let sent = (Method::POST, path, body);
    proposal_write(&state, &cache, &api, &ctx, &c, (year, &unit), sent, typed).await
}

/// An appraiser's points for a proposal (0 refuses it), relayed to the API.
async fn appraise_proposal(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    form: Form,
) -> PageResult {
    let body = json!({
        "version": form.int("version").unwrap_or(-1),
        "points": form.text("points").replace(',', "."),
        "note": form.text("note"),
    });
    let path = format!("/api/rounds/{year}/sheets/{unit}/proposals/{id}/appraisal");
    let sent = (Method::PUT, path, body);
    proposal_write(
        &state,
        &cache,
        &api,
        &ctx,
        &c,
        (year, &unit),
        sent,
        Default::default(),
    )
    .await
}

/// Sends a proposal form's request to the API: back to the proposals on success, else the sheet
/// page again with the refusal beside the proposals and `typed` in the new-proposal form.
#[allow(clippy::too_many_arguments)]
async fn proposal_write(
    state: &AppState,
    cache: &Cache,
    api: &Api,
    ctx: &Ctx,
    c: &Caller,
    (year, unit): (i32, &str),
    (method, path, body): (Method, String, serde_json::Value),
    typed: (String, String, String),
) -> PageResult {
    let refused = match api.json(c, method, &path, Some(body)).await {
        Ok(_) => return Ok(see_other(&format!("/ky/{year}/phieu/{unit}#de-xuat"))),
        Err(r) if r.in_place() => r,
        Err(r) => return Err(r.into()),
    };
    let data = load(state, cache, c, year, unit).await?;
    let mut page = sheet_view(
        ctx,
        c,
        &data,
        None,
        &HashMap::new(),
        None,
        Vec::new(),
        Vec::new(),
    )
    .await;
    page.proposal_form = typed;
    page.proposal_errors = messages(ctx.lang, &refused);
    render(refused.status, &page)
}

async fn sheet_page(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    Query(q): Query<SheetQuery>,
) -> PageResult {
    let data = load(&state, &cache, &c, year, &unit).await?;
    let page = sheet_view(
        &ctx,
        &c,
        &data,
        q.area.as_deref(),
        &HashMap::new(),
        None,
        Vec::new(),
        Vec::new(),
    )
    .await;
    render(StatusCode::OK, &page)
}

/// The API call that saves one row of the form, or `None` if the row did not change.
fn row_request(
    kind: Kind,
    year: i32,
    unit: &str,
    code: &str,
    form: &Form,
    current: &Entry,
) -> Option<(String, serde_json::Value)> {
    let version = form.int(&format!("v:{code}")).unwrap_or(current.version);
    let base = format!("/api/rounds/{year}/sheets/{unit}/entries/{code}");
    match kind {
        Kind::SelfAssessment => {
            let declared = form.get(&format!("d:{code}"))?.trim().to_string();
            let note = form
                .get(&format!("n:{code}"))
                .map_or_else(|| current.note.clone(), |n| n.trim().to_string());
            if declared == current.declared && note == current.note && current.version > 0 {
                return None;
            }
            if declared.is_empty() && note.is_empty() && current.version == 0 {
                return None;
            }
            Some((
                format!("{base}/self"),
                json!({ "version": version, "declared": declared, "note": note }),
            ))
        }
        Kind::Appraisal1 | Kind::Appraisal2 => {
            let points = form.get(&format!("p:{code}"))?.trim().to_string();
            let note = form
                .get(&format!("pn:{code}"))
                .unwrap_or("")
                .trim()
                .to_string();
            let (old_points, old_note) = match kind {
                Kind::Appraisal1 => (current.appraisal1_points, &current.appraisal1_note),
                _ => (current.appraisal2_points, &current.appraisal2_note),
            };
            let old = old_points
                .map(|d| d.normalize().to_string())
                .unwrap_or_default();
            if points.is_empty() && note.is_empty() && old_points.is_none() {
                return None;
            }
            if points.replace(',', ".") == old && note == *old_note {
                return None;
            }
            let round = if kind == Kind::Appraisal1 { 1 } else { 2 };
            Some((
                format!("{base}/appraisal/{round}"),
                json!({ "version": version, "points": points, "note": note }),
            ))
        }
        Kind::Explanation => {
            let text = form.get(&format!("e:{code}"))?.trim().to_string();
            if text == current.explanation {
                return None;
            }
            Some((
                format!("{base}/explanation"),
                json!({ "version": version, "explanation": text }),
            ))
        }
    }
}

/// Messages of a refusal for one row, in the user's language.
fn messages(lang: Locale, r: &Refusal) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| p.message(lang).to_string())
        .collect()
}

/// The kind the form was made for must still be the sheet's: a form posted after the sheet
/// moved on is refused with the reason, not half-applied.
fn check_kind(lang: Locale, form: &Form, sheet: &Sheet) -> Result<Kind, Vec<String>> {
    let posted = form.get("kind").and_then(Kind::parse);
    match (posted, Kind::of(sheet.state)) {
        (Some(p), Some(k)) if p == k => Ok(k),
        _ => Err(vec![format!(
            "{} {}",
            i18n::t(lang, "sheet.moved_on"),
            state_text(lang, sheet.state)
        )]),
    }
}

/// Saves every row of the area form (the way without JavaScript).
async fn save_area(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let data = load(&state, &cache, &c, year, &unit).await?;
    let area = form.text("area");
    let kind = match check_kind(ctx.lang, &form, &data.sheet) {
        Ok(k) => k,
        Err(errs) => {
            let page = sheet_view(
                &ctx,
                &c,
                &data,
                Some(&area),
                &HashMap::new(),
                Some(&form),
                Vec::new(),
                errs,
            )
            .await;
            return render(StatusCode::CONFLICT, &page);
        }
    };
    let mut errors: HashMap<String, Vec<String>> = HashMap::new();
    let mut status = StatusCode::OK;
    for e in data.entries() {
        let Some((path, body)) = row_request(kind, year, &unit, &e.code, &form, e) else {
            continue;
        };
        if let Err(r) = api.json(&c, Method::PUT, &path, Some(body)).await {
            if !r.in_place() {
                return Err(r.into());
            }
            status = r.status;
            errors.insert(e.code.clone(), messages(ctx.lang, &r));
        }
    }
    if errors.is_empty() {
        return Ok(see_other(&format!(
            "/ky/{year}/phieu/{unit}?linh-vuc={}&ok=saved",
            crate::pages::layout::encode(&area)
        )));
    }
    // Show what was saved and, in place, what was refused with what the user typed.
    let data = load(&state, &cache, &c, year, &unit).await?;
    let count = errors.len();
    let summary = vec![format!(
        "{} {count}",
        i18n::t(ctx.lang, "sheet.rows_refused")
    )];
    let page = sheet_view(
        &ctx,
        &c,
        &data,
        Some(&area),
        &errors,
        Some(&form),
        Vec::new(),
        summary,
    )
    .await;
    render(
        if status.is_success() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        },
        &page,
    )
}

#[derive(askama::Template)]
#[template(path = "sheet_row.html")]
struct RowFragment {
    l: Layout,
    r: Row,
    s: Summary,
    kind: &'static str,
    /// The state changes again, with the sheet's new version (a save changes it).
    moves: Vec<Move>,
    move_errors: Vec<String>,
    base: String,
    version: i64,
    area: String,
    oob: bool,
}

/// Saves one row (htmx autosave); answers with the row's new points, version, message and the
/// sheet's totals.
async fn save_row(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, code)): Path<(i32, String, String)>,
    form: Form,
) -> PageResult {
    let data = load(&state, &cache, &c, year, &unit).await?;
    let Some(current) = data.entries().iter().find(|e| e.code == code) else {
        return Err(PageError::not_found(
            format!("không có tiêu chí thành phần {code}"),
            format!("there is no sub-criterion {code}"),
        ));
    };
    if !ctx.htmx {
        // Without htmx this address is only reached by a form: save it like the area form.
        return save_area(
            State(state),
            Extension(cache),
            Extension(api),
            Signed(ctx, c),
            Path((year, unit)),
            form,
        )
        .await;
    }
    let (errors, status, saved) = match check_kind(ctx.lang, &form, &data.sheet) {
        Err(errs) => (errs, StatusCode::CONFLICT, false),
        Ok(kind) => match row_request(kind, year, &unit, &code, &form, current) {
            None => (Vec::new(), StatusCode::OK, false),
            Some((path, body)) => match api.json(&c, Method::PUT, &path, Some(body)).await {
                Ok(_) => (Vec::new(), StatusCode::OK, true),
                Err(r) if r.in_place() => (
                    messages(ctx.lang, &r),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    false,
                ),
                Err(r) => return Err(r.into()),
            },
        },
    };
    let data = load(&state, &cache, &c, year, &unit).await?;
    let rights = Rights::new(&c, &data.sheet, &data.round);
    let base = format!("/ky/{year}/phieu/{unit}");
    let mut r = rows(&ctx.lang, &data, area_of(&code), &rights, &base)
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| PageError::not_found(format!("không có {code}"), format!("no {code}")))?;
    r.errors = errors;
    r.saved = saved;
    let page = RowFragment {
        l: ctx.layout(String::new()),
        s: summary(ctx.lang, &data),
        kind: rights.kind.map_or("", Kind::as_str),
        moves: moves(&c, &data.sheet),
        move_errors: Vec::new(),
        version: data.sheet.version,
        area: area_of(&code).to_string(),
        oob: true,
        base,
        r,
    };
    render(status, &page)
}

/// Moves the sheet (start, submit, request an explanation, approve, reopen…).
async fn transition(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit)): Path<(i32, String)>,
    form: Form,
) -> PageResult {
    let to = form.text("to");
    let reason = form.text("reason");
    let version = form.int("version").unwrap_or(-1);
    let body =
        json!({ "to": to, "version": version, "reason": (!reason.is_empty()).then_some(reason) });
    let path = format!("/api/rounds/{year}/sheets/{unit}/transitions");
    match api.json(&c, Method::POST, &path, Some(body)).await {
        Ok(_) => Ok(see_other(&format!("/ky/{year}/phieu/{unit}?ok=moved"))),
        Err(r) if r.in_place() => {
            let data = load(&state, &cache, &c, year, &unit).await?;
            let area = form.text("area");
            let page = sheet_view(
                &ctx,
                &c,
                &data,
                Some(&area),
                &HashMap::new(),
                None,
                messages(ctx.lang, &r),
                Vec::new(),
            )
            .await;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}

/// A row of an audit trail.
pub(crate) struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub what: String,
    pub href: Option<String>,
    pub field: String,
    pub old: String,
    pub new: String,
    pub reason: String,
}

fn action_text(lang: Locale, a: &str) -> String {
    let (vi, en) = match a {
        "create" => ("tạo", "created"),
        "update" => ("sửa", "changed"),
        "transition" => ("chuyển trạng thái", "state change"),
        "delete" => ("xóa", "removed"),
        "publish" => ("công bố", "published"),
        _ => (a, a),
    };
    lang.pick(vi, en).to_string()
}

pub(crate) fn audit_rows(
    lang: Locale,
    entries: &[AuditEntry],
    year: i32,
    unit: &str,
) -> Vec<AuditRow> {
    let prefix = format!("{year}/{unit}/");
    entries
        .iter()
        .rev()
        .map(|e| {
            let sub = e.entity_id.strip_prefix(&prefix);
            let href = match (e.entity.as_str(), sub) {
                ("entry", Some(code)) => Some(format!("/ky/{year}/phieu/{unit}/muc/{code}")),
                _ => None,
            };
            let what = match (e.entity.as_str(), sub) {
                ("entry", Some(code)) => format!("{} {code}", lang.pick("Tiêu chí", "Item")),
                ("sheet", _) => lang.pick("Phiếu", "Sheet").to_string(),
                ("evidence", _) => lang.pick("Tài liệu kiểm chứng", "Evidence").to_string(),
                ("proposal", _) => lang.pick("Đề xuất thưởng/trừ", "Bonus/penalty").to_string(),
                _ => format!("{} {}", e.entity, e.entity_id),
            };
            AuditRow {
                at: fmt::date_time(lang, e.at),
                actor: e.actor.clone(),
                action: action_text(lang, &e.action),
                what,
                href,
                field: e.field.clone().unwrap_or_default(),
                old: e.old.clone().unwrap_or_default(),
                new: e.new.clone().unwrap_or_default(),
                reason: e.reason.clone().unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "item.html")]
struct ItemPage {
    l: Layout,
    base: String,
    unit_name: String,
    year: i32,
    state: String,
    r: Row,
    files: Vec<(i64, FileView, String, bool)>,
    can_upload: bool,
    upload_action: String,
    upload_errors: Vec<String>,
    trail: Vec<AuditRow>,
    area_href: String,
}

// The view of one item needs the request's whole context; a struct for it would only rename them.
#[allow(clippy::too_many_arguments)]
async fn item_view(
    state: &AppState,
    cache: &Cache,
    ctx: &Ctx,
    c: &Caller,
    year: i32,
    unit: &str,
    code: &str,
    upload_errors: Vec<String>,
) -> PageResult<ItemPage> {
    let data = load(state, cache, c, year, unit).await?;
    let base = format!("/ky/{year}/phieu/{unit}");
    let rights = Rights::new(c, &data.sheet, &data.round);
    let r = rows(&ctx.lang, &data, area_of(code), &rights, &base)
        .into_iter()
        .find(|r| r.code == code && !r.heading)
        .ok_or_else(|| {
            PageError::not_found(
                format!("bộ chỉ số không có tiêu chí thành phần {code}"),
                format!("the criteria set has no sub-criterion {code}"),
            )
        })?;
    let writer = c.is(Role::Secretariat) || c.officer_of(unit);
    let stage_open = matches!(
        data.sheet.state,
        SheetState::SelfAssessing | SheetState::ExplanationRequested
    );
    let files = data
        .evidence()
        .iter()
        .filter(|e| e.code.as_deref() == Some(code))
        .map(|e| {
            let removable = writer
                && match e.stage {
                    Stage::SelfAssessment => data.sheet.state == SheetState::SelfAssessing,
                    Stage::Explanation => data.sheet.state == SheetState::ExplanationRequested,
                };
            (
                e.id,
                FileView {
                    href: format!("{base}/tai-lieu/{}", e.id),
                    name: e.original_name.clone(),
                    page_ref: e.page_ref.clone(),
                    explanation: e.stage == Stage::Explanation,
                },
                format!(
                    "{} · {}",
                    e.uploaded_by,
                    fmt::date_time(ctx.lang, e.uploaded_at)
                ),
                removable,
            )
        })
        .collect();
    let trail = state
        .db()
        .audit_of("entry", &format!("{year}/{unit}/{code}"))
        .await?;
    Ok(ItemPage {
        l: ctx.layout(format!("{code} — {}", data.sheet.unit_name)),
        unit_name: data.sheet.unit_name.clone(),
        year,
        state: state_text(ctx.lang, data.sheet.state),
        files,
        can_upload: writer && stage_open && !rights.deadline_passed,
        upload_action: format!("{base}/muc/{code}/tai-lieu?csrf={}", c.csrf),
        upload_errors,
        trail: audit_rows(ctx.lang, &trail, year, unit),
        area_href: format!("{base}?linh-vuc={}#row-{}", area_of(code), r.id),
        r,
        base,
    })
}

/// One sub-criterion: what is declared and decided, its evidence, and its audit trail.
async fn item_page(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Signed(ctx, c): Signed,
    Path((year, unit, code)): Path<(i32, String, String)>,
) -> PageResult {
    let page = item_view(&state, &cache, &ctx, &c, year, &unit, &code, Vec::new()).await?;
    render(StatusCode::OK, &page)
}

/// An evidence upload (multipart: `page_ref`, then `file`), streamed through to the API.
async fn upload(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, code)): Path<(i32, String, String)>,
    req: Request,
) -> PageResult {
    let path = format!("/api/rounds/{year}/sheets/{unit}/entries/{code}/evidence");
    let res = api.forward(&c, req, &path).await;
    if res.status().is_success() {
        return Ok(see_other(&format!(
            "/ky/{year}/phieu/{unit}/muc/{code}?ok=uploaded"
        )));
    }
    let r = refusal(res).await;
    if !r.in_place() {
        return Err(r.into());
    }
    let page = item_view(
        &state,
        &cache,
        &ctx,
        &c,
        year,
        &unit,
        &code,
        messages(ctx.lang, &r),
    )
    .await?;
    render(r.status, &page)
}

/// Downloads a piece of evidence (whoever may read the sheet), relayed from the API.
async fn download(
    Extension(api): Extension<Api>,
    Signed(_, c): Signed,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    req: Request,
) -> PageResult<Response> {
    let path = format!("/api/rounds/{year}/sheets/{unit}/evidence/{id}");
    let res = api.forward(&c, req, &path).await;
    if res.status().is_success() {
        return Ok(res.into_response());
    }
    Err(refusal(res).await.into())
}

/// Removes a piece of evidence while its stage is open.
async fn remove(
    State(state): State<AppState>,
    Extension(cache): Extension<Cache>,
    Extension(api): Extension<Api>,
    Signed(ctx, c): Signed,
    Path((year, unit, id)): Path<(i32, String, i64)>,
    form: Form,
) -> PageResult {
    let code = form.text("code");
    let path = format!("/api/rounds/{year}/sheets/{unit}/evidence/{id}");
    match api.json(&c, Method::DELETE, &path, None).await {
        Ok(_) => Ok(see_other(&format!(
            "/ky/{year}/phieu/{unit}/muc/{code}?ok=removed"
        ))),
        Err(r) if r.in_place() && !code.is_empty() => {
            let page = item_view(
                &state,
                &cache,
                &ctx,
                &c,
                year,
                &unit,
                &code,
                messages(ctx.lang, &r),
            )
            .await?;
            render(r.status, &page)
        }
        Err(r) => Err(r.into()),
    }
}
