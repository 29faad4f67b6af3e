-- wirewatch schema, version 3: full-text search in English and Chinese.
--
-- English: to_tsvector('english', …) over the text with Han characters
-- blanked out, weighted title A, summary B, body C.
-- Chinese: PostgreSQL has no Chinese parser without extensions (zhparser,
-- pg_jieba), so Han text is indexed as overlapping character bigrams
-- ("网络安全" → 网络 络安 安全) in a 'simple' tsvector; a query is the same
-- bigrams joined by the phrase operator (网络 <-> 络安 <-> 安全), which
-- matches the characters in sequence. Both vectors are generated columns
-- (always in step with the text) with GIN indexes.
--
-- Adding the columns rewrites the articles table once: on a large archive
-- plan for the lock (docs/operations.md, "Upgrading").

-- Han characters: CJK unified ideographs, extension A, compatibility
-- ideographs, extension B and beyond.
CREATE FUNCTION wirewatch_han_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+' $$;
COMMENT ON FUNCTION wirewatch_han_pattern() IS 'Regular expression matching a run of Han characters.';

CREATE FUNCTION wirewatch_cjk_bigrams(doc text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT coalesce(string_agg(
           CASE WHEN length(r.m[1]) = 1 THEN r.m[1] ELSE substr(r.m[1], i, 2) END,
           ' ' ORDER BY r.n, i), '')
FROM regexp_matches(doc, wirewatch_han_pattern(), 'g') WITH ORDINALITY AS r(m, n)
CROSS JOIN LATERAL generate_series(1, greatest(length(r.m[1]) - 1, 1)) AS i
$$;
COMMENT ON FUNCTION wirewatch_cjk_bigrams(text) IS
    'The Han character bigrams of a text, space separated, in order (a lone Han character stands for itself); other characters are dropped.';

CREATE FUNCTION wirewatch_strip_han(doc text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(doc, wirewatch_han_pattern(), ' ', 'g') $$;
COMMENT ON FUNCTION wirewatch_strip_han(text) IS 'The text with runs of Han characters replaced by a space (what the English vector indexes).';

-- Query side. Both return NULL when the query has no part in their
-- language, so a caller can tell "no condition" from "matches nothing".
CREATE FUNCTION wirewatch_zh_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT string_agg('(' || phraseto_tsquery('simple', wirewatch_cjk_bigrams(r.m[1]))::text || ')', ' & ' ORDER BY r.n)::tsquery
FROM regexp_matches(q, wirewatch_han_pattern(), 'g') WITH ORDINALITY AS r(m, n)
$$;
COMMENT ON FUNCTION wirewatch_zh_query(text) IS
    'The Chinese part of a search: each run of Han characters as a phrase of its bigrams, runs ANDed; NULL without Han characters. Match against articles.search_zh.';

CREATE FUNCTION wirewatch_en_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN numnode(t) > 0 THEN t END
FROM (SELECT CASE WHEN rest ~ '[[:alnum:]]' THEN websearch_to_tsquery('english', rest) END AS t
      FROM (SELECT wirewatch_strip_han(q) AS rest) AS r) AS s
$$;
COMMENT ON FUNCTION wirewatch_en_query(text) IS
    'The non-Chinese part of a search in web-search syntax ("quoted phrase", or, -not) with English stemming; NULL when nothing is left. Match against articles.search_en.';

-- Body text beyond these lengths is not indexed: a tsvector holds at most
-- 1 MB and positions stop at 16383, so longer text adds size, not recall.
ALTER TABLE articles
    ADD COLUMN search_en tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', wirewatch_strip_han(title)), 'A') ||
        setweight(to_tsvector('english', wirewatch_strip_han(summary)), 'B') ||
        setweight(to_tsvector('english', wirewatch_strip_han(left(body_text, 100000))), 'C')
    ) STORED,
    ADD COLUMN search_zh tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', wirewatch_cjk_bigrams(title)), 'A') ||
        setweight(to_tsvector('simple', wirewatch_cjk_bigrams(summary)), 'B') ||
        setweight(to_tsvector('simple', wirewatch_cjk_bigrams(left(body_text, 30000))), 'C')
    ) STORED;
COMMENT ON COLUMN articles.search_en IS 'English full-text vector (title A, summary B, body C; Han characters excluded). Query with wirewatch_en_query(text).';
COMMENT ON COLUMN articles.search_zh IS 'Chinese full-text vector of Han character bigrams (title A, summary B, body C). Query with wirewatch_zh_query(text).';

CREATE INDEX articles_search_en_idx ON articles USING gin (search_en);
CREATE INDEX articles_search_zh_idx ON articles USING gin (search_zh);
-- Filters analysts combine with a search.
CREATE INDEX articles_topics_idx ON articles USING gin (topics);
CREATE INDEX articles_outlet_published_idx ON articles (outlet, (coalesce(published_at, first_seen_at)));

-- Columns added after 001's GRANT ... ON ALL TABLES are covered by the
-- table grant; the functions are executable by PUBLIC.
