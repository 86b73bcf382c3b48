//! Integration tests of parindex-report.

mod bad_input;
mod common;
mod proptests;
mod roundtrip;
mod results_sheets;
