//! Integration tests of parindex-core.
