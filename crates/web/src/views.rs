//! What the API answers with: the store's records as JSON, with exact points as decimal strings
//! and times as RFC 3339 (UTC).

use parindex_core::ranking::{RankedUnit, Summary};
use parindex_core::set::{CriteriaSet, Node};
use parindex_store::audit::AuditEntry;
use parindex_store::evidence::Evidence;
use parindex_store::results::Published;
use parindex_store::rounds::Round;
use parindex_store::sheets::{Entry, Proposal, Sheet};
use parindex_store::units::Unit;
use parindex_store::users::{AreaAssignment, User};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

fn opt_dec(d: Option<Decimal>) -> Option<String> {
    d.map(dec)
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `unauthenticated`, `forbidden`, `csrf_missing`, `not_found`, `stale`,
    /// `sheet_state`, `deadline_passed`, `invalid`, `bad_request`, `too_large`…
    pub code: String,
    /// All problems in the caller's language.
    pub message: String,
    pub problems: Vec<ProblemView>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemView {
    pub field: Option<String>,
    pub node: Option<String>,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct AreaView {
    pub year: i32,
    pub group: String,
    pub area: String,
}

impl From<&AreaAssignment> for AreaView {
    fn from(a: &AreaAssignment) -> AreaView {
        AreaView {
            year: a.year,
            group: a.group.clone(),
            area: a.area.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub unit: Option<String>,
    /// `vi` or `en`.
    pub locale: String,
    pub active: bool,
    /// `secretariat`, `appraiser`, `unit_officer`, `leader`.
    pub roles: Vec<String>,
    pub version: i64,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            unit: u.unit.clone(),
            locale: u.locale.code().into(),
            active: u.active,
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
            version: u.version,
            created_at: u.created_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub group: String,
    pub level: Option<String>,
    pub parent: Option<String>,
    pub active: bool,
    pub version: i64,
    pub updated_at: String,
}

impl From<&Unit> for UnitView {
    fn from(u: &Unit) -> UnitView {
        UnitView {
            code: u.code.clone(),
            name: u.name.clone(),
            name_en: u.name_en.clone(),
            group: u.group.clone(),
            level: u.level.clone(),
            parent: u.parent.clone(),
            active: u.active,
            version: u.version,
            updated_at: u.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineView {
    /// `self_assessment`, `appraisal_1`, `explanation`, `appraisal_2`, `approval`.
    pub phase: String,
    pub due: String,
}

#[derive(Serialize, ToSchema)]
pub struct GroupSetView {
    pub group: String,
    pub set: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoundView {
    pub year: i32,
    pub title: String,
    /// `draft`, `open`, `closed`.
    pub state: String,
    pub version: i64,
    pub created_at: String,
    pub deadlines: Vec<DeadlineView>,
    pub groups: Vec<GroupSetView>,
}

impl From<&Round> for RoundView {
    fn from(r: &Round) -> RoundView {
        RoundView {
            year: r.year,
            title: r.title.clone(),
            state: r.state.as_str().into(),
            version: r.version,
            created_at: r.created_at.to_string(),
            deadlines: r
                .deadlines
                .iter()
                .map(|(p, t)| DeadlineView {
                    phase: p.as_str().into(),
                    due: t.to_string(),
                })
                .collect(),
            groups: r
                .groups
                .iter()
                .map(|(g, s)| GroupSetView {
                    group: g.clone(),
                    set: s.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NodeView {
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    /// The maximum for the unit level asked for (or the set's default).
    pub max: String,
    /// The scoring rule's type for sub-criteria (`binary`, `bands`, `manual`, `survey`…).
    pub rule: Option<String>,
    pub declared: Option<String>,
    pub evidence: Option<String>,
    pub allow_na: bool,
}

impl NodeView {
    pub fn new(n: &Node, level: Option<&str>) -> NodeView {
        NodeView {
            code: n.code.to_string(),
            title: n.title.clone(),
            title_en: n.title_en.clone(),
            max: dec(n.max_for(level)),
            rule: n.rule.as_ref().map(|r| r.type_name().to_string()),
            declared: n.declared.clone(),
            evidence: n.evidence.clone(),
            allow_na: n.allow_na,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SetView {
    pub code: String,
    pub title: String,
    pub year: i32,
    pub total: String,
    pub bonus_max: String,
    pub penalty_max: String,
    pub groups: Vec<String>,
    pub nodes: Vec<NodeView>,
}

impl SetView {
    pub fn new(set: &CriteriaSet, level: Option<&str>) -> SetView {
        SetView {
            code: set.code.clone(),
            title: set.title.clone(),
            year: set.year,
            total: dec(set.total),
            bonus_max: dec(set.bonus_max),
            penalty_max: dec(set.penalty_max),
            groups: set.groups.iter().map(|g| g.code.clone()).collect(),
            nodes: set.nodes.iter().map(|n| NodeView::new(n, level)).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SheetSummary {
    pub year: i32,
    pub unit: String,
    pub unit_name: String,
    pub group: String,
    pub level: Option<String>,
    /// `not_started`, `self_assessing`, `submitted`, `appraisal_1`, `explanation_requested`,
    /// `explanation_submitted`, `appraisal_2`, `approved`, `published`.
    pub state: String,
    /// State it with every transition: a stale version is refused (409).
    pub version: i64,
    pub state_changed_at: String,
    pub updated_at: String,
}

impl From<&Sheet> for SheetSummary {
    fn from(s: &Sheet) -> SheetSummary {
        SheetSummary {
            year: s.year,
            unit: s.unit.clone(),
            unit_name: s.unit_name.clone(),
            group: s.group.clone(),
            level: s.level.clone(),
            state: s.state.as_str().into(),
            version: s.version,
            state_changed_at: s.state_changed_at.to_string(),
            updated_at: s.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntryView {
    pub code: String,
    pub title: String,
    pub max: String,
    pub rule: Option<String>,
    pub declared: String,
    pub self_points: Option<String>,
    /// The unit declared the sub-criterion not applicable.
    pub not_applicable: bool,
    /// That claim stands: no appraiser has given the sub-criterion points (points overturn it,
    /// and the sub-criterion counts against its full maximum).
    pub not_applicable_stands: bool,
    pub note: String,
    pub appraisal1_points: Option<String>,
    pub appraisal1_note: String,
    pub explanation: String,
    pub appraisal2_points: Option<String>,
    pub appraisal2_note: String,
    /// The points that count: round 2, else round 1, else self-assessed.
    pub final_points: Option<String>,
    /// 0 until first saved; state it with every save (a stale version is refused with 409).
    pub version: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

impl EntryView {
    pub fn new(e: &Entry, node: Option<&Node>, level: Option<&str>) -> EntryView {
        EntryView {
            code: e.code.clone(),
            title: node.map(|n| n.title.clone()).unwrap_or_default(),
            max: node.map(|n| dec(n.max_for(level))).unwrap_or_default(),
            rule: node
                .and_then(|n| n.rule.as_ref())
                .map(|r| r.type_name().to_string()),
            declared: e.declared.clone(),
            self_points: opt_dec(e.self_points),
            not_applicable: e.not_applicable,
            not_applicable_stands: e.counts_as_not_applicable(),
            note: e.note.clone(),
            appraisal1_points: opt_dec(e.appraisal1_points),
            appraisal1_note: e.appraisal1_note.clone(),
            explanation: e.explanation.clone(),
            appraisal2_points: opt_dec(e.appraisal2_points),
            appraisal2_note: e.appraisal2_note.clone(),
            final_points: opt_dec(e.final_points()),
            version: e.version,
            updated_by: e.updated_by.clone(),
            updated_at: e.updated_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProposalView {
    pub id: i64,
    /// `bonus` or `penalty`.
    pub kind: String,
    pub points: String,
    pub reason: String,
    pub appraised_points: Option<String>,
    pub appraisal_note: String,
    pub version: i64,
    pub proposed_by: String,
    pub proposed_at: String,
    pub appraised_by: Option<String>,
    pub appraised_at: Option<String>,
}

impl From<&Proposal> for ProposalView {
    fn from(p: &Proposal) -> ProposalView {
        ProposalView {
            id: p.id,
            kind: p.kind.as_str().into(),
            points: dec(p.points),
            reason: p.reason.clone(),
            appraised_points: opt_dec(p.appraised_points),
            appraisal_note: p.appraisal_note.clone(),
            version: p.version,
            proposed_by: p.proposed_by.clone(),
            proposed_at: p.proposed_at.to_string(),
            appraised_by: p.appraised_by.clone(),
            appraised_at: p.appraised_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    /// `pdf`, `docx`, `xlsx`, `jpeg`, `png`.
    pub kind: String,
    pub original_name: String,
    pub page_ref: String,
    pub code: Option<String>,
    pub proposal: Option<i64>,
    /// `self` or `explanation`.
    pub stage: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// Where to download it.
    pub href: String,
}

impl From<&Evidence> for EvidenceView {
    fn from(e: &Evidence) -> EvidenceView {
        EvidenceView {
            id: e.id,
            sha256: e.sha256.clone(),
            size: e.size,
            kind: e.kind.as_str().into(),
            original_name: e.original_name.clone(),
            page_ref: e.page_ref.clone(),
            code: e.code.clone(),
            proposal: e.proposal,
            stage: e.stage.as_str().into(),
            uploaded_by: e.uploaded_by.clone(),
            uploaded_at: e.uploaded_at.to_string(),
            href: format!("/api/rounds/{}/sheets/{}/evidence/{}", e.year, e.unit, e.id),
        }
    }
}

/// A survey-derived sub-criterion of a sheet and what the round's closed surveys give it.
#[derive(Serialize, ToSchema)]
pub struct SurveyPointsView {
    pub code: String,
    pub indicator: String,
    /// The unit's result (percent), once a closed survey of the round supplies it.
    pub value: Option<String>,
    pub max: String,
    /// The points that count when `value` is given, instead of the sheet's.
    pub points: Option<String>,
}

impl From<&parindex_store::survey::SurveyPoints> for SurveyPointsView {
    fn from(p: &parindex_store::survey::SurveyPoints) -> Self {
        SurveyPointsView {
            code: p.code.clone(),
            indicator: p.indicator.clone(),
            value: opt_dec(p.value),
            max: dec(p.max),
            points: opt_dec(p.points),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SheetView {
    pub sheet: SheetSummary,
    pub entries: Vec<EntryView>,
    /// The survey-derived sub-criteria with the survey's results and points.
    pub survey: Vec<SurveyPointsView>,
    pub proposals: Vec<ProposalView>,
    pub evidence: Vec<EvidenceView>,
    pub deadlines: Vec<DeadlineView>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: Option<String>,
    pub hash: String,
}

impl From<&AuditEntry> for AuditView {
    fn from(a: &AuditEntry) -> AuditView {
        AuditView {
            seq: a.seq,
            at: a.at.to_string(),
            actor: a.actor.clone(),
            action: a.action.clone(),
            entity: a.entity.clone(),
            entity_id: a.entity_id.clone(),
            field: a.field.clone(),
            old: a.old.clone(),
            new: a.new.clone(),
            reason: a.reason.clone(),
            hash: a.hash.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RankedView {
    pub unit: String,
    pub name: String,
    pub direct: String,
    pub survey: String,
    pub bonus: String,
    pub penalty: String,
    pub total: String,
    pub max: String,
    /// Index % = total / the unit's own maximum × 100, rounded as the set says.
    pub percent: String,
    pub class: Option<String>,
    pub rank: u32,
    pub delta_total: Option<String>,
    pub delta_rank: Option<i64>,
}

impl From<&RankedUnit> for RankedView {
    fn from(u: &RankedUnit) -> RankedView {
        RankedView {
            unit: u.unit.clone(),
            name: u.name.clone(),
            direct: dec(u.direct),
            survey: dec(u.survey),
            bonus: dec(u.bonus),
            penalty: dec(u.penalty),
            total: dec(u.total),
            max: dec(u.max),
            percent: dec(u.percent),
            class: u.class_label.clone(),
            rank: u.rank,
            delta_total: opt_dec(u.delta_total),
            delta_rank: u.delta_rank,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    pub count: usize,
    pub average_total: String,
    pub average_percent: String,
    pub min_total: String,
    pub max_total: String,
    pub spread: String,
}

impl From<&Summary> for SummaryView {
    fn from(s: &Summary) -> SummaryView {
        SummaryView {
            count: s.count,
            average_total: dec(s.average_total),
            average_percent: dec(s.average_percent),
            min_total: dec(s.min_total),
            max_total: dec(s.max_total),
            spread: dec(s.spread),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupResultView {
    pub year: i32,
    pub group: String,
    pub set: String,
    pub decimals: u32,
    /// The published revision (absent for a preview).
    pub revision: Option<i64>,
    pub reason: Option<String>,
    pub published_at: Option<String>,
    pub units: Vec<RankedView>,
    pub summary: Option<SummaryView>,
}

impl From<&Published> for GroupResultView {
    fn from(p: &Published) -> GroupResultView {
        GroupResultView {
            year: p.year,
            group: p.group.clone(),
            set: p.set_code.clone(),
            decimals: p.decimals,
            revision: Some(p.revision),
            reason: Some(p.reason.clone()),
            published_at: Some(p.published_at.to_string()),
            units: p.units.iter().map(RankedView::from).collect(),
            summary: p.summary.as_ref().map(SummaryView::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PublishedIndexItem {
    pub year: i32,
    pub group: String,
    pub revision: i64,
    pub published_at: String,
    pub href: String,
}
