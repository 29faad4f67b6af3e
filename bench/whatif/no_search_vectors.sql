-- What-if, for measurement only (search stops working): the cold ingest
-- without the generated full-text vectors and their GIN indexes, to show
-- what the search feature costs at write time.
ALTER TABLE articles DROP COLUMN search_en, DROP COLUMN search_zh;
