-- wirewatch schema, migration 015: the fair article claim reads a few rows
-- per host instead of ranking every due article on each claim.
--
-- The claim (store/articles.go, claimArticles) takes hosts in turn. It used
-- to parse the host out of every due article's URL and rank them all on
-- every claim: about 30–45 ms a claim with a 10,000-article backlog, most
-- of the database's CPU in a cold ingest. Now the host is a stored column,
-- and the claim walks the hosts that have work through two small partial
-- indexes and reads at most the claim's size of rows from each.
ALTER TABLE articles ADD COLUMN host text NOT NULL
    GENERATED ALWAYS AS (coalesce(lower(substring(canonical_url from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#]+)')), '')) STORED;
COMMENT ON COLUMN articles.host IS 'Host (and port) of canonical_url, lower-case, without user info; empty when the URL has none. Derived: the unit of fairness of the fetch claim.';

-- Pages waiting for their first fetch, newest first within a host.
CREATE INDEX articles_host_pending_idx ON articles (host, first_seen_at DESC, id)
    WHERE fetch_state = 'pending' AND next_check_at IS NOT NULL;
-- Re-checks (and retries of fetched pages), by due time within a host.
CREATE INDEX articles_host_recheck_idx ON articles (host, next_check_at, id)
    WHERE fetch_state <> 'pending' AND next_check_at IS NOT NULL;
-- (No index on the lease columns: a claim or a save that changes no
-- indexed column is a HOT update, which adds no index entry.)

-- A source's kind is named by the code (fetch/ and the catalogue), not by
-- the schema: adding a kind needs no migration.
ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]*$');

-- Story prints in the order they were recorded. Prints are written under
-- the story lock, so this order is their commit order: a story lookup made
-- before the lock (store.Store.StoryLookup) notes the highest number it
-- saw, and under the lock only the prints recorded since are read
-- (StoryQuery.After), which keeps the serialised part of a story
-- assignment to a few index probes.
CREATE SEQUENCE story_prints_seq;
ALTER TABLE story_prints ADD COLUMN seq bigint NOT NULL DEFAULT nextval('story_prints_seq');
ALTER SEQUENCE story_prints_seq OWNED BY story_prints.seq;
CREATE INDEX story_prints_seq_idx ON story_prints (seq);

-- What the story check reads of each storied article: outlet, title and
-- the start of its text, recorded with the print. A print is committed
-- before its article's text (the save comes after the short story
-- transaction), so a copy saved at the same moment must not read the
-- article row, where the text is not yet.
CREATE TABLE story_texts (
    article_id bigint PRIMARY KEY REFERENCES story_prints (article_id) ON DELETE CASCADE,
    outlet     text   NOT NULL,
    title      text   NOT NULL,
    text       text   NOT NULL
);
COMMENT ON TABLE story_texts IS 'Internal: the outlet, title and start of the text (at most 1,000 characters) that the story check reads of each storied article.';
INSERT INTO story_texts (article_id, outlet, title, text)
SELECT p.article_id, coalesce(a.outlet, ''), coalesce(a.title, ''),
       left(CASE WHEN coalesce(a.body_text, '') <> '' THEN a.body_text ELSE coalesce(a.summary, '') END, 1000)
FROM story_prints p JOIN articles a ON a.id = p.article_id;
