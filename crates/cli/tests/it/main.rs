//! Integration tests of the parindex command: each runs the built binary as a user would.

mod analyze;
mod bad_input;
mod results;
mod server;
mod sets;
mod support;
mod survey;
