//! Integration tests of parindex-core: the set format, the rules, the engine and ranking,
//! reproduction of published results and property tests.

mod analysis;
mod common;
mod engine;
mod properties;
mod published;
mod set_file;
mod survey;
