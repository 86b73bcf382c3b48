-- SIPAS surveys, SQLite. Keep in step with ../postgres/ (same tables and columns).
-- Raw responses are append-only (triggers refuse DELETE and any UPDATE of what was answered);
-- survey_stats holds the running sufficient statistics, rebuilt and checked by `survey recompute`.

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES rounds (year),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    settings TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (year, code)
);

CREATE TABLE survey_units (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    population INTEGER,
    quota INTEGER,
    PRIMARY KEY (survey_id, unit_id)
);

CREATE TABLE survey_tokens (
    hash TEXT PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    service_field TEXT,
    created_at INTEGER NOT NULL,
    used_at INTEGER,
    response_id INTEGER,
    reuse_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX survey_tokens_unit ON survey_tokens (survey_id, unit_id);

CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    channel TEXT NOT NULL,
    service_field TEXT,
    token_hash TEXT,
    device TEXT,
    source TEXT,
    started_at INTEGER,
    submitted_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    answers TEXT NOT NULL,
    profile TEXT NOT NULL,
    expectations TEXT NOT NULL,
    free_text TEXT,
    other TEXT,
    batch TEXT,
    batch_row INTEGER,
    flags TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'quarantined', 'rejected')),
    reviewed_by TEXT,
    reviewed_at INTEGER,
    UNIQUE (survey_id, batch, batch_row)
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);
CREATE INDEX survey_responses_status ON survey_responses (survey_id, status);
CREATE INDEX survey_responses_device ON survey_responses (survey_id, device, received_at) WHERE device IS NOT NULL;
CREATE INDEX survey_responses_source ON survey_responses (survey_id, source, received_at) WHERE source IS NOT NULL;
CREATE INDEX survey_responses_token ON survey_responses (token_hash) WHERE token_hash IS NOT NULL;

CREATE TRIGGER survey_responses_no_delete BEFORE DELETE ON survey_responses
BEGIN SELECT RAISE(ABORT, 'survey_responses is append-only: quarantine or reject instead'); END;
CREATE TRIGGER survey_responses_answers_fixed BEFORE UPDATE OF id, survey_id, unit_id, channel,
    service_field, token_hash, device, source, started_at, submitted_at, received_at, answers,
    profile, expectations, free_text, other, batch, batch_row ON survey_responses
BEGIN SELECT RAISE(ABORT, 'survey_responses is append-only: only the review columns change'); END;

CREATE TABLE survey_stats (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    segment TEXT NOT NULL,
    bucket TEXT NOT NULL CHECK (bucket IN ('accepted', 'quarantined')),
    respondents INTEGER NOT NULL,
    items TEXT NOT NULL,
    sums TEXT NOT NULL,
    cross_products TEXT NOT NULL,
    expectations TEXT NOT NULL,
    PRIMARY KEY (survey_id, unit_id, segment, bucket)
);
