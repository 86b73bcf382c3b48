//! Integration tests of the parindex command.
