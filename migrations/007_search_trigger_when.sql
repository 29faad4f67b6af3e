-- wirewatch schema, version 7: the search-vector trigger runs only when a
-- writer left a vector for it to fill.
--
-- wirewatch sets both vectors itself whenever it writes text; the trigger
-- of migration 005 was still called for each of those rows (a PL/pgSQL call
-- that then found nothing to do). The same function now sits behind WHEN
-- conditions that PostgreSQL checks without calling it: a row inserted with
-- a vector missing, or an update of the text that left a vector as it was.
DROP TRIGGER articles_search_vectors ON articles;

CREATE TRIGGER articles_search_vectors_insert
    BEFORE INSERT ON articles
    FOR EACH ROW WHEN (NEW.search_en IS NULL OR NEW.search_zh IS NULL)
    EXECUTE FUNCTION wirewatch_articles_search();

CREATE TRIGGER articles_search_vectors_update
    BEFORE UPDATE OF title, summary, body_text ON articles
    FOR EACH ROW WHEN (NEW.search_en IS NOT DISTINCT FROM OLD.search_en OR NEW.search_zh IS NOT DISTINCT FROM OLD.search_zh)
    EXECUTE FUNCTION wirewatch_articles_search();
