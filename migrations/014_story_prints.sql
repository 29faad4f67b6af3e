-- wirewatch schema, migration 014: the story fingerprints in a narrow table
-- of their own. Finding a new article's story compares its fingerprint
-- with every storied article of its language first seen within 72 hours;
-- read from articles, each of those is a visit to a wide row on a page of
-- its own, which made the lookup cost grow with the window (about 6 ms at
-- 1,400 storied articles). Here a page holds a hundred of them.
-- articles.story_id and articles.story_fp stay what analysts query.
CREATE TABLE story_prints (
    article_id    bigint      PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    story_id      bigint      NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    fp            bigint      NOT NULL,
    language      text        NOT NULL,
    first_seen_at timestamptz NOT NULL
);
COMMENT ON TABLE story_prints IS 'Internal: each storied article''s fingerprint, language and first-seen time, for the story lookup (a copy of articles.story_fp and story_id).';
CREATE INDEX story_prints_recent_idx ON story_prints (language, first_seen_at);

INSERT INTO story_prints (article_id, story_id, fp, language, first_seen_at)
SELECT id, story_id, story_fp, language, first_seen_at
FROM articles WHERE story_fp IS NOT NULL AND story_id IS NOT NULL;
