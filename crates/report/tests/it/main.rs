//! Integration tests of parindex-report.

mod bad_input;
mod common;
#[cfg(feature = "pdf")]
mod pdf;
mod proptests;
mod results_sheets;
mod roundtrip;
