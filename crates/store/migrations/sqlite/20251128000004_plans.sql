-- Action plans: a unit's tasks for a year (the remedies to the points it lost), each aimed at
-- sub-criteria of that year's set, owned by a division, with a deadline, a status and evidence.
-- Keep in step with ../postgres/.

CREATE TABLE plan_tasks (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES rounds (year),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    remedy TEXT NOT NULL,
    division TEXT NOT NULL,
    owner TEXT NOT NULL,
    -- A calendar date, YYYY-MM-DD (the last day of the task).
    deadline TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    effort INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX plan_tasks_unit ON plan_tasks (year, unit_id);

CREATE TABLE plan_task_codes (
    task_id INTEGER NOT NULL REFERENCES plan_tasks (id),
    code TEXT NOT NULL,
    PRIMARY KEY (task_id, code)
);

CREATE TABLE plan_task_evidence (
    task_id INTEGER NOT NULL REFERENCES plan_tasks (id),
    evidence_id INTEGER NOT NULL REFERENCES evidence (id),
    PRIMARY KEY (task_id, evidence_id)
);
CREATE INDEX plan_task_evidence_evidence ON plan_task_evidence (evidence_id);
