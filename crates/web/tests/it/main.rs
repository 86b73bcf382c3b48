//! Integration tests of parindex-web: a real server on 127.0.0.1:0 per test, on SQLite and (when
//! `PARINDEX_TEST_PG_URL` is set) PostgreSQL, each time on a fresh database.

mod harness;

mod accounts;
mod analysis;
mod bad_input;

mod matrix;
mod ops;
mod pages;
mod pages_flow;
mod pages_plans;
mod portal;
mod round;
mod survey;
mod survey_bad_input;
mod survey_pages;
