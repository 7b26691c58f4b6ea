-- Access history: every completed access audit, kept per user (the newest
-- `audit_snapshots_keep`). Timestamps as in activity_events (UTC text, six fraction digits, Z).
CREATE TABLE audit_snapshots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: an id a user holds stays gone
    user_id    TEXT    NOT NULL,                  -- the Keystone user who ran the audit
    started_at TEXT    NOT NULL,
    taken_at   TEXT    NOT NULL,                  -- when the audit completed
    row_count  INTEGER NOT NULL,
    regions    TEXT    NOT NULL,                  -- JSON: the regions covered
    projects   TEXT    NOT NULL,                  -- JSON: the projects covered, [{id, name}]
    gaps       TEXT    NOT NULL,                  -- JSON: the parts that failed, [{region, project_id, project_name}]
    rows       BLOB    NOT NULL                   -- deflated, interned rows (glimpse::history::pack)
) STRICT;

CREATE INDEX audit_snapshots_user ON audit_snapshots (user_id, id);

-- The project directory: every project a sign-in told Glimpse about, to name the projects a
-- user shares with (a user cannot look up a project it has no role in).
CREATE TABLE project_directory (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    domain_id  TEXT,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
