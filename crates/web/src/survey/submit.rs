//! One submission, whatever the channel (JSON, the public form, paper entry): the survey open, the
//! unit in the round, the token known and unused, `validate`, the open link's rate limit, then
//! the one writer — answering only when the batch holding it is committed. Refusals carry kind
//! messages in both languages and a stable code.

use crate::app::AppState;
use crate::error::{Error, problem};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_store::TokenRefusal;
use parindex_store::survey::{
    RawResponse, Receipt, SurveyContext, SurveyState, hash_token, validate,
};
use std::sync::Arc;
use std::time::Duration;

/// Why a submission was not stored (nothing of it was).
#[derive(Debug)]
pub enum Refusal {
    /// The survey takes no more responses (409 `survey_closed`).
    Closed(Problems),
    /// The unit is not one of the round's (404 on a unit's page, 422 in a JSON body).
    UnitNotInRound(Problems),
    /// No such token for this survey (422 `token_unknown`).
    TokenUnknown(Problems),
    /// The token was used before (409 `token_used`).
    TokenUsed(Problems),
    /// The token belongs to another unit (422 `token_other_unit`).
    TokenOtherUnit(Problems),
    /// Answers that do not fit the questionnaire (422 `invalid`), every problem with its field.
    Invalid(Problems),
    /// Too many submissions from this source without a token (429 `rate_limited`).
    RateLimited(Duration),
    /// Anything else: a missing survey (404), a fault (500).
    Other(Error),
}

fn one(p: Problem) -> Problems {
    Problems(vec![p])
}

fn at(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem::new(Location::default().with_field(field), vi, en)
}

pub(crate) fn closed(ctx: &SurveyContext) -> Problems {
    one(at(
        "survey",
        format!(
            "Cuộc khảo sát năm {} đã kết thúc và không nhận thêm phiếu. Trân trọng cảm ơn Ông/Bà đã quan tâm.",
            ctx.survey.year
        ),
        format!(
            "The {} survey has ended and takes no more responses. Thank you for your interest.",
            ctx.survey.year
        ),
    ))
}

pub(crate) fn unit_not_in_round(ctx: &SurveyContext, unit: &str) -> Problems {
    one(at(
        "unit",
        format!(
            "Đơn vị \"{unit}\" không tham gia cuộc khảo sát năm {}. Xin Ông/Bà kiểm tra lại đường dẫn.",
            ctx.survey.year
        ),
        format!(
            "Unit \"{unit}\" is not part of the {} survey. Please check the link.",
            ctx.survey.year
        ),
    ))
}

pub(crate) fn token_unknown() -> Problems {
    one(at(
        "token",
        "Không tìm thấy mã khảo sát này. Xin Ông/Bà kiểm tra lại mã in trên phiếu hẹn trả kết quả (32 chữ cái và chữ số).",
        "This survey code was not found. Please check the code printed on your receipt (32 letters and digits).",
    ))
}

pub(crate) fn token_used() -> Problems {
    one(at(
        "token",
        "Mã khảo sát này đã được sử dụng: mỗi mã chỉ dùng được một lần. Nếu Ông/Bà chưa gửi phiếu, xin liên hệ Bộ phận một cửa để được cấp mã khác.",
        "This survey code has already been used: each code works once. If you have not answered yet, please ask the one-stop shop for another code.",
    ))
}

fn token_other_unit(ctx: &SurveyContext, unit: &str) -> Problems {
    let name = ctx.unit(unit).map_or(unit, |u| u.name.as_str());
    one(at(
        "token",
        format!("Mã khảo sát này dành cho đơn vị {name}. Xin Ông/Bà mở đường dẫn in kèm mã."),
        format!("This survey code is for {name}. Please open the link printed with the code."),
    ))
}

/// The store's typed token refusals in kind words (the writer's answer to a race for the same
/// token is "used").
fn token_refusal(ctx: &SurveyContext, t: &TokenRefusal) -> Refusal {
    match t {
        TokenRefusal::Used => Refusal::TokenUsed(token_used()),
        TokenRefusal::OtherUnit { unit } => Refusal::TokenOtherUnit(token_other_unit(ctx, unit)),
        TokenRefusal::Unknown => Refusal::TokenUnknown(token_unknown()),
    }
}

fn has_field(p: &Problems, field: &str) -> bool {
    p.iter().any(|x| x.location.field.as_deref() == Some(field))
}

/// Sorts a store refusal into ours.
pub(crate) fn from_store(ctx: &SurveyContext, e: parindex_store::Error) -> Refusal {
    match e {
        parindex_store::Error::Invalid(p) if has_field(&p, "survey") => {
            Refusal::Closed(closed(ctx))
        }
        parindex_store::Error::Token(t) => token_refusal(ctx, &t),
        parindex_store::Error::Invalid(p) => Refusal::Invalid(p),
        e => Refusal::Other(e.into()),
    }
}

/// Validates and stores one response; `Ok` once it is durable. `rate_key` is the source to
/// count against the open link's limit (`None`: not limited, e.g. staff entry); a response with
/// a token is never counted.
pub async fn submit(
    state: &AppState,
    ctx: &Arc<SurveyContext>,
    mut raw: RawResponse,
    rate_key: Option<&str>,
) -> Result<Receipt, Refusal> {
    if ctx.survey.state != SurveyState::Open {
        return Err(Refusal::Closed(closed(ctx)));
    }
    let unit = raw.unit.trim().to_string();
    if !unit.is_empty() && ctx.unit(&unit).is_none() {
        return Err(Refusal::UnitNotInRound(unit_not_in_round(ctx, &unit)));
    }
    let token = raw
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(t) = &token {
        if hash_token(t).is_none() {
            return Err(Refusal::TokenUnknown(token_unknown()));
        }
        match state
            .db()
            .check_token(ctx.survey.year, &ctx.survey.code, t)
            .await
        {
            Ok(info) => {
                if unit.is_empty() {
                    raw.unit = info.unit.clone();
                } else if info.unit != unit {
                    return Err(Refusal::TokenOtherUnit(token_other_unit(ctx, &info.unit)));
                }
                if raw
                    .service_field
                    .as_deref()
                    .is_none_or(|f| f.trim().is_empty())
                {
                    raw.service_field = info.service_field;
                }
            }
            Err(e) => return Err(from_store(ctx, e)),
        }
    }
    let valid = validate(ctx, &raw).map_err(|p| {
        if has_field(&p, "survey") {
            Refusal::Closed(closed(ctx))
        } else {
            Refusal::Invalid(p)
        }
    })?;
    if token.is_none()
        && let Some(key) = rate_key
        && let Err(wait) = state.survey().limiter().check(key)
    {
        return Err(Refusal::RateLimited(wait));
    }
    state
        .survey()
        .ingest(state.db())
        .submit(valid)
        .await
        .map_err(|e| from_store(ctx, e))
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Closed(_) | Refusal::TokenUsed(_) => StatusCode::CONFLICT,
            Refusal::UnitNotInRound(_)
            | Refusal::TokenUnknown(_)
            | Refusal::TokenOtherUnit(_)
            | Refusal::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Other(e) => e.status(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Closed(_) => "survey_closed",
            Refusal::UnitNotInRound(_) | Refusal::Invalid(_) => "invalid",
            Refusal::TokenUnknown(_) => "token_unknown",
            Refusal::TokenUsed(_) => "token_used",
            Refusal::TokenOtherUnit(_) => "token_other_unit",
            Refusal::RateLimited(_) => "rate_limited",
            Refusal::Other(e) => e.code(),
        }
    }

    pub fn problems(&self) -> Problems {
        match self {
            Refusal::Closed(p)
            | Refusal::UnitNotInRound(p)
            | Refusal::TokenUnknown(p)
            | Refusal::TokenUsed(p)
            | Refusal::TokenOtherUnit(p)
            | Refusal::Invalid(p) => p.clone(),
            Refusal::RateLimited(wait) => {
                let minutes = wait.as_secs().div_ceil(60).max(1);
                one(problem(
                    format!(
                        "Ông/Bà đã gửi nhiều phiếu trong thời gian ngắn. Xin vui lòng thử lại sau khoảng {minutes} phút."
                    ),
                    format!(
                        "Several responses were sent from here in a short time. Please try again in about {minutes} minutes."
                    ),
                ))
            }
            Refusal::Other(e) => e.problems(),
        }
    }

    /// The JSON error response (`Retry-After` on 429).
    pub fn json(self, lang: Locale) -> Response {
        if let Refusal::Other(e) = &self
            && e.status().is_server_error()
        {
            tracing::error!(error = %e, "survey submission failed");
        }
        let mut res = super::refuse(self.status(), self.code(), self.problems(), lang);
        if let Refusal::RateLimited(wait) = self
            && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
