-- wirewatch schema, version 9: the health of each source, so that a source
-- that turns stale, broken, blocked or challenged is reported once when the
-- state starts and once when it ends, whatever the number of replicas and
-- restarts (the replica whose update changes the state sends the message).
ALTER TABLE sources
    ADD COLUMN health_state   text        NOT NULL DEFAULT 'ok'
        CHECK (health_state IN ('ok', 'stale', 'broken', 'blocked', 'challenge')),
    ADD COLUMN health_reason  text        NOT NULL DEFAULT '',
    ADD COLUMN health_since   timestamptz,
    ADD COLUMN newest_item_at timestamptz,
    ADD COLUMN usual_gap      interval,
    ADD COLUMN rule_misses    integer     NOT NULL DEFAULT 0;

COMMENT ON COLUMN sources.health_state IS 'ok, stale (newest item too old), broken (nothing listed, or the site rule misses), blocked (403/451) or challenge (anti-bot page).';
COMMENT ON COLUMN sources.newest_item_at IS 'Publication time of the newest item the source has listed.';
COMMENT ON COLUMN sources.usual_gap IS 'Median gap between the source''s items, from its last poll with three or more dated items.';
COMMENT ON COLUMN sources.rule_misses IS 'Articles in a row whose site rule body selector yielded nothing.';
