-- What-if for a migration 004 (measured with go run ./bench -pre-sql
-- bench/whatif/004_cheaper_writes.sql): the same vectors and the same
-- stored bytes, computed and stored more cheaply.
--
-- 1. The Han bigram function is a multi-statement SQL function, so it is
--    parsed and planned on every call (six calls per written row: title,
--    summary and body of two vectors). PL/pgSQL caches its plan per session.
CREATE OR REPLACE FUNCTION wirewatch_cjk_bigrams(doc text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
BEGIN
    RETURN (SELECT coalesce(string_agg(
                CASE WHEN length(r.m[1]) = 1 THEN r.m[1] ELSE substr(r.m[1], i, 2) END,
                ' ' ORDER BY r.n, i), '')
            FROM regexp_matches(doc, wirewatch_han_pattern(), 'g') WITH ORDINALITY AS r(m, n)
            CROSS JOIN LATERAL generate_series(1, greatest(length(r.m[1]) - 1, 1)) AS i);
END
$fn$;
-- 2. Raw pages are gzip-compressed by wirewatch: PostgreSQL's pglz only
--    burns CPU trying to compress them again.
ALTER TABLE article_revisions ALTER COLUMN raw_gzip SET STORAGE EXTERNAL;
