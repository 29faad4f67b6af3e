-- wirewatch schema, version 5: the full-text vectors become plain columns.
-- wirewatch computes the Han bigrams and the Han-free English text of an
-- article in Go when it stores new text (regular-expression work that cost
-- PostgreSQL more than the vectors themselves); a trigger keeps the vectors
-- right for every other writer (SQL imports, older binaries), computing them
-- as the generated columns did.

ALTER TABLE articles ALTER COLUMN search_en DROP EXPRESSION;
ALTER TABLE articles ALTER COLUMN search_zh DROP EXPRESSION;

CREATE FUNCTION wirewatch_search_en(title text, summary text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT setweight(to_tsvector('english', wirewatch_strip_han(coalesce(title, ''))), 'A') ||
       setweight(to_tsvector('english', wirewatch_strip_han(coalesce(summary, ''))), 'B') ||
       setweight(to_tsvector('english', wirewatch_strip_han(left(coalesce(body, ''), 100000))), 'C')
$$;
COMMENT ON FUNCTION wirewatch_search_en(text, text, text) IS 'The English search vector of an article (what articles.search_en holds).';

CREATE FUNCTION wirewatch_search_zh(title text, summary text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT setweight(to_tsvector('simple', wirewatch_cjk_bigrams(coalesce(title, ''))), 'A') ||
       setweight(to_tsvector('simple', wirewatch_cjk_bigrams(coalesce(summary, ''))), 'B') ||
       setweight(to_tsvector('simple', wirewatch_cjk_bigrams(left(coalesce(body, ''), 30000))), 'C')
$$;
COMMENT ON FUNCTION wirewatch_search_zh(text, text, text) IS 'The Chinese (Han bigram) search vector of an article (what articles.search_zh holds).';

-- Fills in whichever vector a writer did not set itself.
CREATE FUNCTION wirewatch_articles_search() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.search_en IS NULL THEN
            NEW.search_en := wirewatch_search_en(NEW.title, NEW.summary, NEW.body_text);
        END IF;
        IF NEW.search_zh IS NULL THEN
            NEW.search_zh := wirewatch_search_zh(NEW.title, NEW.summary, NEW.body_text);
        END IF;
    ELSE
        IF NEW.search_en IS NOT DISTINCT FROM OLD.search_en THEN
            NEW.search_en := wirewatch_search_en(NEW.title, NEW.summary, NEW.body_text);
        END IF;
        IF NEW.search_zh IS NOT DISTINCT FROM OLD.search_zh THEN
            NEW.search_zh := wirewatch_search_zh(NEW.title, NEW.summary, NEW.body_text);
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER articles_search_vectors
    BEFORE INSERT OR UPDATE OF title, summary, body_text ON articles
    FOR EACH ROW EXECUTE FUNCTION wirewatch_articles_search();

COMMENT ON COLUMN articles.search_en IS 'English full-text vector (title A, summary B, body C; Han characters excluded), kept current by wirewatch or the articles_search_vectors trigger. Query with wirewatch_en_query(text).';
COMMENT ON COLUMN articles.search_zh IS 'Chinese full-text vector of Han character bigrams (title A, summary B, body C), kept current by wirewatch or the articles_search_vectors trigger. Query with wirewatch_zh_query(text).';
