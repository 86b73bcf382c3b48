//! Outputs from plain data: XLSX of criteria sets and results, and (feature `pdf`) PDF documents.
//!
//! - [`write_set_toml`]: the canonical, commented `*.set.toml` text of a criteria set.
//! - [`write_set_xlsx`] / [`read_set_xlsx`]: a criteria set as a workbook a secretariat edits,
//!   and back again, exactly (see `docs/xlsx-format.md`).
//! - [`pdf`] (feature `pdf`): a unit's score sheet and a round's report, typeset by typst.
#![forbid(unsafe_code)]

mod cells;
mod error;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod qr;
pub mod results_xlsx;
pub mod set_toml;
pub mod set_xlsx;
pub mod sheet_xlsx;
mod toml_text;
pub mod xlsform;

pub use error::ReportError;
pub use set_toml::{rule_to_toml, write_set_toml};
pub use set_xlsx::{read_set_xlsx, write_set_xlsx};
