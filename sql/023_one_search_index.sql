-- 023: one GIN index for case search, where sql/019 had three.
--
-- sql/019 kept a case's names in three trigram GIN indexes: beside its unit,
-- beside its worker, and alone, one for each kind of caller, so every name a
-- write added or changed went into all three.
--
-- A multicolumn GIN index keeps each column's keys apart and answers a
-- query on any subset of its columns (each condition's keys are looked up,
-- and their lists of rows intersected): one index over unit, worker and the
-- name's trigrams serves the supervisor (unit and trigrams), the caseworker
-- (worker and trigrams) and the administrator (trigrams alone), and a name
-- goes into it once, with two keys more than the bare trigram index held.
CREATE INDEX case_search_terms_idx ON case_search_terms
    USING gin (unit, assigned_worker, term gin_trgm_ops);
DROP INDEX case_search_terms_unit_idx;
DROP INDEX case_search_terms_worker_idx;
DROP INDEX case_search_terms_term_idx;
