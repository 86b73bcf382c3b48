//! Integration tests of parindex-store. Every test runs on SQLite, and also on PostgreSQL when
//! `PARINDEX_TEST_PG_URL` is set, each time on a fresh database.

mod harness;

mod api;
mod audit;
mod backup;
mod demo;
mod evidence;
mod migrations;
mod plans;
mod portal;
mod results;
mod rounds;
mod sheets;
mod survey;
mod survey_import;
mod units;
mod users;
