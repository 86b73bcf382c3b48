//! The parindex server: the JSON API over the store, accounts and sessions, evidence uploads,
//! health and metrics. See docs/web.md.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod health;
pub mod locale;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod survey;
pub mod views;
pub mod visits;

pub use app::{AppState, Application, open_store, router};
pub use auth::{MIN_PASSWORD_LEN, check_password, hash_password, verify_password};
pub use config::{Config, ConfigOverrides};
pub use error::Error;
