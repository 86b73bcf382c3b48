//! Persistence for parindex: one `Db` over SQLite or PostgreSQL (work in progress).
#![forbid(unsafe_code)]
