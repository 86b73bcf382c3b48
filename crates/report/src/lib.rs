//! Outputs from plain data: XLSX of criteria sets and results.
#![forbid(unsafe_code)]
