-- What-if, for measurement only (search becomes a sequential scan): the
-- cold ingest without the two full-text GIN indexes, to show what keeping
-- them current costs at write time. The vectors themselves are still
-- computed and stored.
DROP INDEX articles_search_en_idx, articles_search_zh_idx;
