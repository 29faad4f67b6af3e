-- wirewatch schema, version 9: indexes for the analysts' web UI (package
-- web), whose overview pages otherwise read the whole articles table
-- (measured on a generated 200,000-article archive with 5,000 edits: the
-- "edited or removed" page took 490 ms at the median, 890 ms at p95, and
-- 1.3 ms and 5.3 ms with these indexes).

-- Edits and removals, newest first, for the /changes page and its Atom
-- feed: partial indexes, so only the few edited or removed rows are in
-- them.
CREATE INDEX article_revisions_edits_idx ON article_revisions (seen_at) WHERE revision > 1;
CREATE INDEX articles_removed_idx ON articles (removed_at) WHERE removed_at IS NOT NULL;

-- The /sources page counts each source's articles of the last 24 hours
-- and 7 days and their relevant share: with first sight and the decision
-- in the index, that is a short index-only range per source. It replaces
-- the single-column index on source_id, whose lookups it serves as well,
-- so an insert still updates one index for the source.
CREATE INDEX articles_source_seen_idx ON articles (source_id, first_seen_at) INCLUDE (relevant);
DROP INDEX articles_source_idx;
