-- Copies of an image to another region: the activity event of a copy names both regions,
-- and each copy's state lives here so that every replica, and a restarted Glimpse, sees it.
ALTER TABLE activity_events ADD COLUMN target_region TEXT;
ALTER TABLE activity_events ADD COLUMN target_image_id TEXT;

CREATE TABLE image_copies (
    id               TEXT    PRIMARY KEY,  -- a UUID
    event_id         INTEGER NOT NULL,     -- the copy's activity event
    user_id          TEXT    NOT NULL,
    project_id       TEXT    NOT NULL,
    source_region    TEXT    NOT NULL,
    source_image_id  TEXT    NOT NULL,
    image_name       TEXT,
    target_region    TEXT    NOT NULL,
    target_image_id  TEXT,
    method           TEXT    NOT NULL,     -- 'glance-download' or 'stream'
    with_members     INTEGER NOT NULL,     -- 0 or 1
    state            TEXT    NOT NULL,     -- running, done, failed, cancelled
    bytes_done       INTEGER NOT NULL,
    bytes_total      INTEGER,
    error_code       TEXT,
    error_message    TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- The partial target image is still to be deleted (its copy was interrupted).
    leftover         INTEGER NOT NULL DEFAULT 0,
    started_at       TEXT    NOT NULL,
    -- Written by the process running the copy every second or so: a running copy whose
    -- heartbeat stopped was left by a process that died.
    heartbeat_at     TEXT    NOT NULL,
    finished_at      TEXT
) STRICT;

CREATE INDEX image_copies_project ON image_copies (project_id, started_at);
-- Partial images still to delete, looked for at every listing of the project's images.
CREATE INDEX image_copies_leftover ON image_copies (project_id) WHERE leftover != 0;
CREATE INDEX image_copies_running ON image_copies (heartbeat_at) WHERE state = 'running';
