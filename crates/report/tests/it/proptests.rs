//! Random valid sets: XLSX export → import and TOML write → parse are the identity.
