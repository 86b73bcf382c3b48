//! Pure domain of parindex: criteria sets, scoring rules, results, ranking and Vietnamese text.
//! Nothing here does I/O; callers pass text in and get values or diagnostics out.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod diag;
pub mod engine;
pub mod input;
pub mod locale;
pub mod num;
pub mod questionnaire;
pub mod ranking;
pub mod rules;
pub mod sample;
pub mod scores;
pub mod set;
pub mod survey_stats;
pub mod text;
