//! Integration tests of parindex-store, run on SQLite and, with PARINDEX_TEST_PG_URL, on PostgreSQL.
