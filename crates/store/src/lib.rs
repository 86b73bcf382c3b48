//! Persistence of parindex: one `Db` over SQLite or PostgreSQL with the same behaviour on both,
//! one module per aggregate, evidence files outside the database, a hash-chained audit log, and
//! consistent backups. See docs/store.md.
#![forbid(unsafe_code)]

pub mod audit;
pub mod backup;
pub mod compute;
pub mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod plans;
pub mod portal;
pub mod results;
pub mod rounds;
pub mod sheets;
pub mod survey;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod units;
pub mod users;
pub mod web_support;

pub use db::{Backend, Db};
pub use error::{Action, Entity, Error, ErrorKind, Result, TokenRefusal};
pub use time::Timestamp;

/// Who makes a change, and why. Every write takes one and records it in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A username, or `system` / `cli:<os user>` for changes made outside the web.
    pub name: String,
    /// Required where a change goes back (a sheet returned, results corrected).
    pub reason: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>) -> Actor {
        Actor {
            name: name.into(),
            reason: None,
        }
    }

    pub fn because(mut self, reason: impl Into<String>) -> Actor {
        let reason = reason.into();
        self.reason = (!reason.trim().is_empty()).then_some(reason);
        self
    }
}
