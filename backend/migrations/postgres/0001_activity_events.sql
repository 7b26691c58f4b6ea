-- The activity log: one row per change asked through Glimpse. The row is written before the
-- OpenStack call (outcome NULL: unfinished) and completed after it.
-- The table goes to the first schema of the connection's search_path (to use a schema of its
-- own: postgres://…/db?options=-c%20search_path%3Dglimpse).
CREATE TABLE activity_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    user_id      TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    project_name TEXT NOT NULL,
    region       TEXT NOT NULL,
    action       TEXT NOT NULL,
    image_id     TEXT NOT NULL,
    image_name   TEXT,
    member_id    TEXT,
    outcome      TEXT, -- 'ok', an API error code, or NULL while unfinished
    request_id   TEXT
);

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
