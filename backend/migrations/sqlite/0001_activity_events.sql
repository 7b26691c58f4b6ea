-- The activity log: one row per change asked through Glimpse. The row is written before the
-- OpenStack call (outcome NULL: unfinished) and completed after it.
-- Timestamps are UTC, RFC 3339 with exactly six fraction digits and a `Z`
-- (2025-01-31T12:34:56.123456Z), so that text order is time order.
CREATE TABLE activity_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after a purge
    at           TEXT    NOT NULL,
    finished_at  TEXT,
    user_id      TEXT    NOT NULL,
    user_name    TEXT    NOT NULL,
    project_id   TEXT    NOT NULL,
    project_name TEXT    NOT NULL,
    region       TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    image_id     TEXT    NOT NULL,
    image_name   TEXT,
    member_id    TEXT,
    outcome      TEXT,   -- 'ok', an API error code, or NULL while unfinished
    request_id   TEXT
) STRICT;

-- Every query is restricted to the reader's projects (project_id IN … OR member_id IN …) and
-- pages newest first by id: one (column, id) index per side of that OR.
CREATE INDEX activity_events_project ON activity_events (project_id, id);
CREATE INDEX activity_events_member ON activity_events (member_id, id);
-- The other filters that can be selective.
CREATE INDEX activity_events_user ON activity_events (user_id, id);
CREATE INDEX activity_events_image ON activity_events (image_id, id);
CREATE INDEX activity_events_at ON activity_events (at);
-- Unfinished entries (a crash between intent and outcome) are few: a small partial index.
CREATE INDEX activity_events_unfinished ON activity_events (id) WHERE outcome IS NULL;
