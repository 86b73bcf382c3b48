//! The store's error type: what went wrong, in words a caller can show in Vietnamese or English.

use crate::audit::BrokenEntry;
use crate::rounds::RoundState;
use crate::sheets::SheetState;
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kinds of thing the store keeps, named in both languages for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Unit,
    Round,
    CriteriaSet,
    Group,
    Area,
    User,
    Session,
    Sheet,
    SubCriterion,
    Proposal,
    Evidence,
    EvidenceFile,
    Results,
    Backup,
    Survey,
    SurveyResponse,
    SurveyToken,
    News,
    NewsCategory,
    CalendarEvent,
    Link,
    NewsAttachment,
    PlanTask,
}

impl Entity {
    pub fn vi(self) -> &'static str {
        match self {
            Entity::Unit => "đơn vị",
            Entity::Round => "kỳ đánh giá",
            Entity::CriteriaSet => "bộ chỉ số",
            Entity::Group => "khối",
            Entity::Area => "lĩnh vực",
            Entity::User => "người dùng",
            Entity::Session => "phiên đăng nhập",
            Entity::Sheet => "phiếu đánh giá",
            Entity::SubCriterion => "tiêu chí thành phần",
            Entity::Proposal => "đề xuất điểm thưởng/điểm trừ",
            Entity::Evidence => "tài liệu kiểm chứng",
            Entity::EvidenceFile => "tệp tài liệu kiểm chứng",
            Entity::Results => "kết quả công bố",
            Entity::Backup => "bản sao lưu",
            Entity::Survey => "cuộc khảo sát",
            Entity::SurveyResponse => "phiếu trả lời khảo sát",
            Entity::SurveyToken => "mã khảo sát",
            Entity::News => "tin bài",
            Entity::NewsCategory => "chuyên mục",
            Entity::CalendarEvent => "lịch công tác",
            Entity::Link => "liên kết",
            Entity::NewsAttachment => "tệp đính kèm",
            Entity::PlanTask => "việc trong kế hoạch khắc phục",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Entity::Unit => "unit",
            Entity::Round => "round",
            Entity::CriteriaSet => "criteria set",
            Entity::Group => "group",
            Entity::Area => "area",
            Entity::User => "user",
            Entity::Session => "session",
            Entity::Sheet => "sheet",
            Entity::SubCriterion => "sub-criterion",
            Entity::Proposal => "bonus/penalty proposal",
            Entity::Evidence => "evidence",
            Entity::EvidenceFile => "evidence file",
            Entity::Results => "published results",
            Entity::Backup => "backup",
            Entity::Survey => "survey",
            Entity::SurveyResponse => "survey response",
            Entity::SurveyToken => "survey token",
            Entity::News => "news item",
            Entity::NewsCategory => "news category",
            Entity::CalendarEvent => "calendar event",
            Entity::Link => "link",
            Entity::NewsAttachment => "attachment",
            Entity::PlanTask => "action-plan task",
        }
    }
}

/// What a caller tried to do, for refusals that depend on a sheet's or a round's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    EditSelfAssessment,
    EditAppraisal1,
    EditExplanation,
    EditAppraisal2,
    ProposeBonusPenalty,
    AppraiseProposal,
    AttachEvidence,
    RemoveEvidence,
    ChangeCriteriaSet,
    OpenRound,
    CloseRound,
    CreateSheet,
}

impl Action {
    pub fn vi(self) -> &'static str {
        match self {
            Action::EditSelfAssessment => "sửa phần tự đánh giá",
            Action::EditAppraisal1 => "chấm thẩm định lần 1",
            Action::EditExplanation => "sửa giải trình",
            Action::EditAppraisal2 => "chấm thẩm định lần 2",
            Action::ProposeBonusPenalty => "đề xuất điểm thưởng/điểm trừ",
            Action::AppraiseProposal => "thẩm định điểm thưởng/điểm trừ",
            Action::AttachEvidence => "đính kèm tài liệu kiểm chứng",
            Action::RemoveEvidence => "gỡ tài liệu kiểm chứng",
            Action::ChangeCriteriaSet => "thay đổi bộ chỉ số",
            Action::OpenRound => "mở kỳ đánh giá",
            Action::CloseRound => "đóng kỳ đánh giá",
            Action::CreateSheet => "tạo phiếu đánh giá",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Action::EditSelfAssessment => "editing the self-assessment",
            Action::EditAppraisal1 => "entering round-1 appraisal",
            Action::EditExplanation => "editing the explanation",
            Action::EditAppraisal2 => "entering round-2 appraisal",
            Action::ProposeBonusPenalty => "proposing bonus or penalty points",
            Action::AppraiseProposal => "appraising a bonus or penalty proposal",
            Action::AttachEvidence => "attaching evidence",
            Action::RemoveEvidence => "removing evidence",
            Action::ChangeCriteriaSet => "changing the criteria set",
            Action::OpenRound => "opening the round",
            Action::CloseRound => "closing the round",
            Action::CreateSheet => "creating a sheet",
        }
    }
}

/// How a caller should treat an error (e.g. which HTTP status a handler answers with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// Someone else changed it first, or it already exists: reload and retry.
    Conflict,
    /// Not allowed in the current state.
    Forbidden,
    /// The input is wrong; the problems say where.
    Invalid,
    /// A fault of the system (database, disk, corrupt data): log it, do not show the details.
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} not found: {key}", what.en())]
    NotFound { what: Entity, key: String },
    #[error("{} already exists: {key}", what.en())]
    Duplicate { what: Entity, key: String },
    /// A stale edit: the row changed since the caller read `expected`.
    #[error("{} {key} was changed by someone else (read version {expected}, now {actual})", what.en())]
    Conflict {
        what: Entity,
        key: String,
        expected: i64,
        actual: i64,
    },
    #[error("a sheet cannot go from {} to {}", from.en(), to.en())]
    Forbidden { from: SheetState, to: SheetState },
    #[error("{} is not possible while sheet {key} is {}", action.en(), state.en())]
    SheetState {
        key: String,
        state: SheetState,
        action: Action,
    },
    #[error("{} is not possible while round {year} is {}", action.en(), state.en())]
    RoundState {
        year: i32,
        state: RoundState,
        action: Action,
    },
    #[error("{0}")]
    Invalid(Problems),
    /// A survey token that cannot be used: the caller tells the respondent which case it is.
    #[error("{}", .0.en())]
    Token(TokenRefusal),
    #[error("audit log entry {} is broken: {}", .0.seq, .0.en)]
    Broken(BrokenEntry),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Why a survey token was refused (`Error::Token`). Typed, so that a web page can give the
/// respondent the kind words for each case without reading the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a token of this survey (mistyped, or of another survey).
    Unknown,
    /// Used before: each token works once.
    Used,
    /// A token of this survey for another unit (its code).
    OtherUnit { unit: String },
}

impl TokenRefusal {
    pub fn vi(&self) -> String {
        match self {
            TokenRefusal::Unknown => {
                "mã khảo sát không đúng hoặc không thuộc cuộc khảo sát này".into()
            }
            TokenRefusal::Used => {
                "mã khảo sát này đã được dùng: mỗi mã chỉ dùng được một lần".into()
            }
            TokenRefusal::OtherUnit { unit } => {
                format!("mã khảo sát này dành cho đơn vị \"{unit}\"")
            }
        }
    }

    pub fn en(&self) -> String {
        match self {
            TokenRefusal::Unknown => {
                "the survey token is unknown or belongs to another survey".into()
            }
            TokenRefusal::Used => {
                "this survey token has already been used: each token works once".into()
            }
            TokenRefusal::OtherUnit { unit } => format!("this survey token is for unit \"{unit}\""),
        }
    }
}

impl Error {
    /// One invalid-input error with a single problem.
    pub fn invalid(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Error {
        let mut p = Problems::default();
        p.push(Problem::new(Location::default().with_field(field), vi, en));
        Error::Invalid(p)
    }

    pub(crate) fn not_found(what: Entity, key: impl Into<String>) -> Error {
        Error::NotFound {
            what,
            key: key.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Duplicate { .. } | Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Forbidden { .. } | Error::SheetState { .. } | Error::RoundState { .. } => {
                ErrorKind::Forbidden
            }
            Error::Invalid(_)
            | Error::Token(TokenRefusal::Unknown | TokenRefusal::OtherUnit { .. }) => {
                ErrorKind::Invalid
            }
            Error::Token(TokenRefusal::Used) => ErrorKind::Conflict,
            Error::Broken(_)
            | Error::Corrupt(_)
            | Error::Io(_)
            | Error::Db(_)
            | Error::Migrate(_) => ErrorKind::Internal,
        }
    }

    /// Every problem, in both languages. Internal faults give one generic problem: their details
    /// (SQL, paths) are for the log, through `Display`, not for the user.
    pub fn problems(&self) -> Problems {
        match self {
            Error::Invalid(p) => p.clone(),
            other => Problems(vec![other.problem()]),
        }
    }

    /// The first (usually only) problem, in both languages.
    pub fn problem(&self) -> Problem {
        let at = Location::default();
        match self {
            Error::NotFound { what, key } => Problem::new(
                at,
                format!("không tìm thấy {} \"{key}\"", what.vi()),
                format!("{} \"{key}\" not found", what.en()),
            ),
            Error::Duplicate { what, key } => Problem::new(
                at,
                format!("{} \"{key}\" đã có", what.vi()),
                format!("{} \"{key}\" already exists", what.en()),
            ),
            Error::Conflict { what, key, .. } => Problem::new(
                at,
                format!(
                    "{} \"{key}\" vừa được người khác thay đổi: hãy tải lại rồi sửa tiếp",
                    what.vi()
                ),
                format!(
                    "{} \"{key}\" was just changed by someone else: reload and edit again",
                    what.en()
                ),
            ),
            Error::Forbidden { from, to } => Problem::new(
                at,
                format!(
                    "không thể chuyển phiếu từ \"{}\" sang \"{}\"",
                    from.vi(),
                    to.vi()
                ),
                format!(
                    "a sheet cannot go from \"{}\" to \"{}\"",
                    from.en(),
                    to.en()
                ),
            ),
            Error::SheetState { key, state, action } => Problem::new(
                at,
                format!(
                    "không thể {} khi phiếu {key} đang ở trạng thái \"{}\"",
                    action.vi(),
                    state.vi()
                ),
                format!(
                    "{} is not possible while sheet {key} is \"{}\"",
                    action.en(),
                    state.en()
                ),
            ),
            Error::RoundState {
                year,
                state,
                action,
            } => Problem::new(
                at,
                format!(
                    "không thể {} khi kỳ đánh giá {year} đang ở trạng thái \"{}\"",
                    action.vi(),
                    state.vi()
                ),
                format!(
                    "{} is not possible while round {year} is \"{}\"",
                    action.en(),
                    state.en()
                ),
            ),
            Error::Invalid(p) => {
                p.0.first()
                    .cloned()
                    .unwrap_or_else(|| Problem::new(at, "dữ liệu không hợp lệ", "invalid input"))
            }
            Error::Token(t) => Problem::new(at.with_field("token"), t.vi(), t.en()),
            Error::Broken(b) => Problem::new(
                at,
                format!("nhật ký thay đổi bị hỏng từ mục {}: {}", b.seq, b.vi),
                format!("the audit log is broken at entry {}: {}", b.seq, b.en),
            ),
            Error::Corrupt(_) | Error::Io(_) | Error::Db(_) | Error::Migrate(_) => Problem::new(
                at,
                "lỗi hệ thống khi lưu trữ dữ liệu; đã ghi nhật ký để kiểm tra",
                "a system error occurred while storing data; it has been logged",
            ),
        }
    }

    /// The message in one language.
    pub fn message(&self, locale: Locale) -> String {
        self.problems().render(locale)
    }

    /// Maps a unique-constraint violation to `Duplicate`, leaving other errors as they are.
    pub(crate) fn duplicate_as(self, what: Entity, key: &str) -> Error {
        match &self {
            Error::Db(sqlx::Error::Database(e))
                if e.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                Error::Duplicate {
                    what,
                    key: key.to_string(),
                }
            }
            _ => self,
        }
    }
}

impl From<Problems> for Error {
    fn from(p: Problems) -> Error {
        Error::Invalid(p)
    }
}
