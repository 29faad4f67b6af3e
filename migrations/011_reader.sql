-- wirewatch schema, version 10: what the reader receives (issue 14).
--
-- An article whose fetch was refused (unsafe address, robots.txt, a
-- permanent 4xx, a body over fetch.max_body_bytes) is kept as 'refused':
-- it is never fetched again and never alerted, whatever its feed summary
-- says.
ALTER TABLE articles DROP CONSTRAINT articles_fetch_state_check;
ALTER TABLE articles ADD CONSTRAINT articles_fetch_state_check
    CHECK (fetch_state IN ('pending', 'fetched', 'failed', 'refused'));
COMMENT ON COLUMN articles.fetch_state IS 'pending until fetched; fetched; failed (gave up, kept on the feed summary); refused (the fetch was refused for good: never fetched again, never alerted).';

-- Articles first seen more than alert.backfill after publication (a first
-- poll's backlog, a return after an outage) are archived, not alerted; the
-- sources page shows how many each source held back.
ALTER TABLE sources ADD COLUMN held_back integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN sources.held_back IS 'New articles this source listed that were older than alert.backfill when first seen: archived, not alerted (wirewatch alert replay sends them).';

-- More than alert.burst immediate email alerts for one subscriber within
-- alert.burst_window leave as one message: a 'burst' digest holding the
-- immediate rows (digest_id), sent when the window closes.
ALTER TABLE digests ADD COLUMN burst boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN digests.burst IS 'A folded burst of immediate alerts (rows of mode immediate), not a scheduled digest.';
CREATE INDEX deliveries_recent_immediate_email_idx ON deliveries (created_at)
    WHERE channel = 'email' AND mode = 'immediate';
