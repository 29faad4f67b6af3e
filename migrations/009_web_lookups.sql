-- wirewatch schema, version 9: indexes for the analysts' web UI (package
-- web), whose overview pages otherwise read the whole articles table
-- (measured on a generated 200,000-article archive: the "edited or removed"
-- page took 490 ms at the median, 890 ms at p95).

-- Articles edited after publication or removed by their outlet: a small
-- share of the archive, listed by the /changes page and its Atom feed.
-- Only those rows are in the index, so it costs nothing for the rest.
CREATE INDEX articles_changed_idx ON articles (id)
    WHERE revision > 1 OR removed_at IS NOT NULL;

-- The /sources page counts each source's articles of the last 24 hours
-- and 7 days and their relevant share: with first sight and the decision
-- in the index, that is a short index-only range per source. It replaces
-- the single-column index on source_id, whose lookups it serves as well,
-- so an insert still updates one index for the source.
CREATE INDEX articles_source_seen_idx ON articles (source_id, first_seen_at) INCLUDE (relevant);
DROP INDEX articles_source_idx;
