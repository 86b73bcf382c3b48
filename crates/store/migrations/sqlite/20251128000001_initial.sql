-- parindex schema, SQLite. Keep in step with ../postgres/ (same file names, same tables and
-- columns). Integers are 64-bit; points are exact decimal text; times are UTC milliseconds.

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    group_code TEXT NOT NULL,
    level TEXT,
    parent_id INTEGER REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    search_text TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
CREATE INDEX units_group ON units (group_code);

CREATE TABLE rounds (
    year INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE round_deadlines (
    year INTEGER NOT NULL REFERENCES rounds (year),
    phase TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    PRIMARY KEY (year, phase)
);

CREATE TABLE criteria_sets (
    year INTEGER NOT NULL REFERENCES rounds (year),
    code TEXT NOT NULL,
    source TEXT NOT NULL,
    toml TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (year, code)
);

CREATE TABLE round_groups (
    year INTEGER NOT NULL,
    group_code TEXT NOT NULL,
    set_code TEXT NOT NULL,
    PRIMARY KEY (year, group_code),
    FOREIGN KEY (year, set_code) REFERENCES criteria_sets (year, code)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    unit_id INTEGER REFERENCES units (id),
    locale TEXT NOT NULL DEFAULT 'vi',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('secretariat', 'appraiser', 'unit_officer', 'leader')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE appraiser_areas (
    user_id INTEGER NOT NULL REFERENCES users (id),
    year INTEGER NOT NULL REFERENCES rounds (year),
    group_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    PRIMARY KEY (user_id, year, group_code, area_code)
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE sheets (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES rounds (year),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    state TEXT NOT NULL CHECK (state IN ('not_started', 'self_assessing', 'submitted',
        'appraisal_1', 'explanation_requested', 'explanation_submitted', 'appraisal_2',
        'approved', 'published')),
    version INTEGER NOT NULL DEFAULT 1,
    state_changed_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (year, unit_id)
);

CREATE TABLE entries (
    sheet_id INTEGER NOT NULL REFERENCES sheets (id),
    code TEXT NOT NULL,
    declared TEXT NOT NULL DEFAULT '',
    self_points TEXT,
    not_applicable BOOLEAN NOT NULL DEFAULT FALSE,
    note TEXT NOT NULL DEFAULT '',
    appraisal1_points TEXT,
    appraisal1_note TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    appraisal2_points TEXT,
    appraisal2_note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (sheet_id, code)
);

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    sheet_id INTEGER NOT NULL REFERENCES sheets (id),
    kind TEXT NOT NULL CHECK (kind IN ('bonus', 'penalty')),
    points TEXT NOT NULL,
    reason TEXT NOT NULL,
    appraised_points TEXT,
    appraisal_note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    proposed_by TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    appraised_by TEXT,
    appraised_at INTEGER
);
CREATE INDEX proposals_sheet ON proposals (sheet_id);

CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    page_ref TEXT NOT NULL DEFAULT '',
    sheet_id INTEGER NOT NULL REFERENCES sheets (id),
    code TEXT,
    proposal_id INTEGER REFERENCES proposals (id),
    stage TEXT NOT NULL CHECK (stage IN ('self', 'explanation')),
    uploaded_by TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX evidence_sheet ON evidence (sheet_id, code);
CREATE INDEX evidence_sha256 ON evidence (sha256);

CREATE TABLE result_revisions (
    year INTEGER NOT NULL REFERENCES rounds (year),
    group_code TEXT NOT NULL,
    revision INTEGER NOT NULL,
    set_code TEXT NOT NULL,
    decimals INTEGER NOT NULL,
    unit_count INTEGER,
    average_total TEXT,
    average_percent TEXT,
    min_total TEXT,
    max_total TEXT,
    spread TEXT,
    reason TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (year, group_code, revision)
);

CREATE TABLE results (
    year INTEGER NOT NULL,
    group_code TEXT NOT NULL,
    revision INTEGER NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    position INTEGER NOT NULL,
    unit_code TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    direct TEXT NOT NULL,
    survey TEXT NOT NULL,
    bonus TEXT NOT NULL,
    penalty TEXT NOT NULL,
    total TEXT NOT NULL,
    max TEXT NOT NULL,
    percent TEXT NOT NULL,
    class_index INTEGER,
    class_label TEXT,
    rank INTEGER NOT NULL,
    delta_total TEXT,
    delta_rank INTEGER,
    PRIMARY KEY (year, group_code, revision, unit_id),
    FOREIGN KEY (year, group_code, revision) REFERENCES result_revisions (year, group_code, revision)
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT,
    old TEXT,
    new TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- Published results and the audit log are append-only: a correction is a new revision, a change
-- is a new entry. The triggers stop an application bug; the hash chain detects anyone else.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER results_no_update BEFORE UPDATE ON results
BEGIN SELECT RAISE(ABORT, 'published results are never edited: publish a new revision'); END;
CREATE TRIGGER results_no_delete BEFORE DELETE ON results
BEGIN SELECT RAISE(ABORT, 'published results are never edited: publish a new revision'); END;
CREATE TRIGGER result_revisions_no_update BEFORE UPDATE ON result_revisions
BEGIN SELECT RAISE(ABORT, 'published results are never edited: publish a new revision'); END;
CREATE TRIGGER result_revisions_no_delete BEFORE DELETE ON result_revisions
BEGIN SELECT RAISE(ABORT, 'published results are never edited: publish a new revision'); END;
