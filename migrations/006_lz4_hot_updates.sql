-- wirewatch schema, version 6: the same rows, written with less work.

-- Article text is compressed with LZ4 instead of pglz where the server has
-- it (PostgreSQL 14 and later, built --with-lz4 as Debian's and the official
-- images are): several times cheaper to compress, a little larger on disk.
-- Existing values keep their compression until rewritten; reading mixes
-- both. A server without LZ4 keeps pglz.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE articles ALTER COLUMN body_text SET COMPRESSION lz4, '
            'ALTER COLUMN summary SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE article_revisions ALTER COLUMN body_text SET COMPRESSION lz4, '
            'ALTER COLUMN diff SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE classifications ALTER COLUMN evidence SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'LZ4 not available on this server (%); article text stays pglz-compressed', SQLERRM;
END
$$;

-- A claim or a lease release changes only lease columns, none of them
-- indexed: with room left on the page PostgreSQL updates the row in place
-- (a HOT update) instead of adding an entry to each of the ten indexes of
-- articles, three of them GIN. Applies to pages written from now on.
ALTER TABLE articles SET (fillfactor = 70);
