//! Integration tests of parindex-report.
