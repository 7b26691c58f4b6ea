-- Access history: every completed access audit, kept per user (the newest
-- `audit_snapshots_keep`).
CREATE TABLE audit_snapshots (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT        NOT NULL, -- the Keystone user who ran the audit
    started_at TIMESTAMPTZ NOT NULL,
    taken_at   TIMESTAMPTZ NOT NULL, -- when the audit completed
    row_count  BIGINT      NOT NULL,
    regions    TEXT        NOT NULL, -- JSON: the regions covered
    projects   TEXT        NOT NULL, -- JSON: the projects covered, [{id, name}]
    gaps       TEXT        NOT NULL, -- JSON: the parts that failed, [{region, project_id, project_name}]
    rows       BYTEA       NOT NULL  -- deflated, interned rows (glimpse::history::pack)
);

CREATE INDEX audit_snapshots_user ON audit_snapshots (user_id, id);

-- The project directory: every project a sign-in told Glimpse about, to name the projects a
-- user shares with (a user cannot look up a project it has no role in).
CREATE TABLE project_directory (
    id         TEXT PRIMARY KEY,
    name       TEXT        NOT NULL,
    domain_id  TEXT,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);
