-- wirewatch schema, version 8: indexes for the outbox's lookups, which
-- scanned the whole deliveries table (it only grows: one row per article,
-- subscriber and channel ever alerted).
--
-- The outbox reads an article's existing deliveries each time it decides on
-- that article, and deleting an article (a duplicate merged into its
-- canonical URL) cascades to its deliveries: both look rows up by article.
CREATE INDEX deliveries_article_idx ON deliveries (article_id);

-- The sender claims the oldest waiting immediate deliveries a few at a time
-- (ORDER BY next_attempt_at, id LIMIT n): in that order, so a claim reads
-- a few index entries instead of sorting the whole backlog, which a burst
-- of relevant articles makes thousands long.
CREATE INDEX deliveries_immediate_due_idx ON deliveries (next_attempt_at, id)
    WHERE status = 'pending' AND mode = 'immediate';
