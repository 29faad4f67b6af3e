-- wirewatch schema, migration 016: less work for each stored article.
--
-- articles_story_recent_idx served the story lookup, which reads
-- story_prints since migration 014: no query uses it, and every relevant
-- article's save added an entry to it.
DROP INDEX IF EXISTS articles_story_recent_idx;

-- The search vectors and the story check texts are compressed with lz4,
-- as the texts are since migration 006: pglz spent more CPU on them than
-- anything else in the row. Existing values keep their compression until
-- rewritten; reading mixes both.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE articles ALTER COLUMN search_en SET COMPRESSION lz4, '
            'ALTER COLUMN search_zh SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE story_texts ALTER COLUMN text SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'LZ4 not available on this server (%); search vectors stay pglz-compressed', SQLERRM;
END
$$;
