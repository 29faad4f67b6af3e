-- wirewatch schema, version 11: story clusters. The same story carried by
-- several outlets (wire copy) is one story; a digest shows it once, with
-- the other outlets named. Articles are matched by a 64-bit SimHash of
-- their title and the start of their text (alert.StoryFingerprint).
CREATE TABLE stories (
    id               bigserial   PRIMARY KEY,
    first_article_id bigint      REFERENCES articles (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE stories IS 'One row per story; articles.story_id links the articles that carry it.';

ALTER TABLE articles
    ADD COLUMN story_id bigint REFERENCES stories (id) ON DELETE SET NULL,
    ADD COLUMN story_fp bigint;
COMMENT ON COLUMN articles.story_fp IS 'SimHash of the title and the start of the text (NULL when too short to compare); copies differ in few bits.';
CREATE INDEX articles_story_idx ON articles (story_id) WHERE story_id IS NOT NULL;
CREATE INDEX articles_story_recent_idx ON articles (first_seen_at) WHERE story_fp IS NOT NULL;
