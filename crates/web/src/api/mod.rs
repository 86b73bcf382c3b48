//! The JSON API under `/api`: one module per resource, each with its `router()`, merged here.
//! The authorization rules shared by the modules live here too, so one place says who may do
//! what (docs/web.md has them as a table).

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{Error, Result};
use parindex_store::rounds::{Phase, RoundState};
use parindex_store::sheets::Sheet;
use parindex_store::users::Role;
use parindex_store::{Action, Timestamp};
use utoipa_axum::router::OpenApiRouter;

pub mod analysis;
pub mod audit;
pub mod entries;
pub mod evidence;
pub mod me;
pub mod plans;
pub mod portal;
pub mod proposals;
pub mod results;
pub mod rounds;
pub mod session;
pub mod sheets;
pub mod units;
pub mod users;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(session::router())
        .merge(me::router())
        .merge(units::router())
        .merge(rounds::router())
        .merge(sheets::router())
        .merge(entries::router())
        .merge(evidence::router(state.config().max_upload_bytes))
        .merge(proposals::router())
        .merge(results::router())
        .merge(audit::router())
        .merge(users::router())
        .merge(portal::router(state.config().max_upload_bytes))
        .merge(analysis::router())
        .merge(plans::router())
}

/// Only the secretariat.
pub fn secretariat(c: &Caller, vi_what: &str, en_what: &str) -> Result<()> {
    if c.is(Role::Secretariat) {
        Ok(())
    } else {
        Err(Error::forbidden(
            format!("chỉ cơ quan thường trực (Sở Nội vụ) được {vi_what}"),
            format!("only the secretariat may {en_what}"),
        ))
    }
}

/// Whether the caller may read a sheet: the secretariat and leaders all, an officer their own
/// unit's, an appraiser those of the groups they appraise in that round.
pub fn can_read(c: &Caller, sheet: &Sheet) -> bool {
    c.is(Role::Secretariat)
        || c.is(Role::Leader)
        || c.officer_of(&sheet.unit)
        || c.appraises(sheet.year, &sheet.group, None)
}

/// The sheet, if it exists (404) and the caller may read it (403).
pub async fn readable_sheet(state: &AppState, c: &Caller, year: i32, unit: &str) -> Result<Sheet> {
    let sheet = state.db().sheet(year, unit).await?;
    if !can_read(c, &sheet) {
        return Err(Error::forbidden(
            format!("bạn không có quyền xem phiếu đánh giá của đơn vị {unit}"),
            format!("you may not see the sheet of unit {unit}"),
        ));
    }
    Ok(sheet)
}

/// The unit's own officers (and the secretariat) fill in its sheet.
pub fn unit_writer(c: &Caller, sheet: &Sheet) -> Result<()> {
    if c.is(Role::Secretariat) || c.officer_of(&sheet.unit) {
        Ok(())
    } else {
        Err(Error::forbidden(
            format!(
                "chỉ cán bộ của đơn vị {} được khai và nộp phiếu của đơn vị",
                sheet.unit
            ),
            format!(
                "only officers of unit {} may fill in and submit its sheet",
                sheet.unit
            ),
        ))
    }
}

/// Nobody appraises their own unit's sheet: the refusal for an appraiser who would (the
/// secretariat is let through before this is asked).
fn own_unit(c: &Caller, sheet: &Sheet) -> Result<()> {
    if c.is(Role::Appraiser) && c.of_unit(&sheet.unit) {
        return Err(Error::forbidden(
            format!(
                "bạn không được thẩm định phiếu của chính đơn vị mình ({})",
                sheet.unit
            ),
            format!(
                "you may not appraise your own unit's sheet ({})",
                sheet.unit
            ),
        ));
    }
    Ok(())
}

/// Appraisers of the sheet's group (any area), and the secretariat.
pub fn group_appraiser(c: &Caller, sheet: &Sheet) -> Result<()> {
    if c.is(Role::Secretariat) || c.appraises_sheet(sheet, None) {
        Ok(())
    } else {
        own_unit(c, sheet)?;
        Err(Error::forbidden(
            format!(
                "chỉ thẩm định viên được phân công cho khối {} được thẩm định",
                sheet.group
            ),
            format!(
                "only appraisers assigned to group {} may appraise",
                sheet.group
            ),
        ))
    }
}

/// Appraisers of the area a sub-criterion belongs to (its code's first part), and the
/// secretariat.
pub fn area_appraiser(c: &Caller, sheet: &Sheet, code: &str) -> Result<()> {
    let area = code.split('.').next().unwrap_or(code);
    if c.is(Role::Secretariat) || c.appraises_sheet(sheet, Some(area)) {
        Ok(())
    } else {
        own_unit(c, sheet)?;
        Err(Error::forbidden(
            format!(
                "bạn không được phân công thẩm định lĩnh vực {area} của khối {}",
                sheet.group
            ),
            format!(
                "you are not assigned to appraise area {area} of group {}",
                sheet.group
            ),
        ))
    }
}

/// Writes to a round's sheets need the round open; and, for everyone but the secretariat
/// (who sets and extends deadlines), the phase's deadline not passed.
pub async fn check_open(
    state: &AppState,
    c: &Caller,
    year: i32,
    phase: Option<Phase>,
    action: Action,
) -> Result<()> {
    let round = state.db().round(year).await?;
    if round.state != RoundState::Open {
        return Err(parindex_store::Error::RoundState {
            year,
            state: round.state,
            action,
        }
        .into());
    }
    if c.is(Role::Secretariat) {
        return Ok(());
    }
    if let Some(phase) = phase
        && let Some((_, due)) = round.deadlines.iter().find(|(p, _)| *p == phase)
        && Timestamp::now() > *due
    {
        return Err(Error::Deadline { phase, due: *due });
    }
    Ok(())
}
