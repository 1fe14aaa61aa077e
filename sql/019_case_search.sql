-- 019: finding a case by what a caseworker knows of it: the state's case
-- number, or a name (the family's, or any participant's), typed as it comes,
-- in any case, with or without accents, perhaps slightly wrong.
--
-- A search text is the name lower-cased (ICU's rules, so É, Ñ and Σ fold as
-- they should whatever the database's locale) with its accents taken off
-- (unaccent's default rules). cw_search_text() must be IMMUTABLE to be
-- indexed; unaccent() is only STABLE because its rules file could change, so
-- it is called with the dictionary named, schema and all, which pins what the
-- indexes were built with. Should the rules file change, REINDEX them.
--
-- Names are matched by trigram word similarity (pg_trgm): a name is found
-- when enough of the search text's trigrams occur in one stretch of it (the
-- service sets pg_trgm.word_similarity_threshold), so "garsia" finds "García"
-- and "maria garcia" finds "Ana María García López".
--
-- Every name a case can be found by is kept, as its search text, in
-- case_search_terms: the family's name, and each live participant's first and
-- last name, one row each, beside the case's unit and assigned worker. That
-- is what makes a supervisor's search fast: the GIN indexes (with btree_gin)
-- take the unit, or the worker, together with the trigrams, so a search reads
-- only the names of the cases the caller may see, whatever a common name
-- matches in the rest of the state. The unit and worker here only narrow the
-- search; who sees what is still decided on cases (cw_visible()) by the query
-- that answers. The rows are written by the triggers below, in the
-- transaction that changes a name, a case's unit or worker, or deletes a
-- record; they are no record of their own (not audited, not in the feed).
--
-- A case number is found by its beginning, through a btree index of its
-- search text on cases.
--
-- pg_trgm, unaccent and btree_gin ship with PostgreSQL (postgresql-contrib)
-- and are trusted: the owner of the database may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE FUNCTION cw_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT lower(public.unaccent('public.unaccent'::regdictionary, t) COLLATE "und-x-icu");
END;

CREATE INDEX cases_search_number_idx ON cases (cw_search_text(case_number) text_pattern_ops)
    WHERE deleted_at IS NULL;

CREATE TABLE case_search_terms (
    case_id         uuid NOT NULL REFERENCES cases (id),
    participant_id  uuid REFERENCES participants (id),   -- NULL: the family's name
    unit            text,
    assigned_worker text NOT NULL,
    term            text NOT NULL
);
COMMENT ON TABLE case_search_terms IS
    'The names each live case is found by (sql/019), kept by triggers; not a record.';
CREATE UNIQUE INDEX case_search_terms_key ON case_search_terms (case_id, participant_id) NULLS NOT DISTINCT;

-- The terms of one case as it stands now: none once it is deleted.
CREATE FUNCTION cw_search_terms_of(the_case uuid) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    DELETE FROM case_search_terms WHERE case_id = the_case;
    INSERT INTO case_search_terms (case_id, participant_id, unit, assigned_worker, term)
    SELECT c.id, NULL, c.unit, c.assigned_worker, cw_search_text(c.family_name)
      FROM cases c WHERE c.id = the_case AND c.deleted_at IS NULL
    UNION ALL
    SELECT c.id, p.id, c.unit, c.assigned_worker, cw_search_text(p.first_name || ' ' || p.last_name)
      FROM cases c JOIN participants p ON p.case_id = c.id
     WHERE c.id = the_case AND c.deleted_at IS NULL AND p.deleted_at IS NULL;
END;

CREATE FUNCTION cw_search_case_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM cw_search_terms_of(NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION cw_search_participant_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM case_search_terms WHERE participant_id = NEW.id;
    IF NEW.deleted_at IS NULL THEN
        INSERT INTO case_search_terms (case_id, participant_id, unit, assigned_worker, term)
        SELECT c.id, NEW.id, c.unit, c.assigned_worker, cw_search_text(NEW.first_name || ' ' || NEW.last_name)
          FROM cases c WHERE c.id = NEW.case_id AND c.deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

-- The service writes every column of a record it changes: the WHEN clauses
-- keep the terms from being rewritten when nothing they hold has changed.
CREATE TRIGGER cases_search_insert AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION cw_search_case_changed();
CREATE TRIGGER cases_search_update AFTER UPDATE ON cases
    FOR EACH ROW WHEN (OLD.family_name IS DISTINCT FROM NEW.family_name OR OLD.unit IS DISTINCT FROM NEW.unit
                       OR OLD.assigned_worker IS DISTINCT FROM NEW.assigned_worker
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION cw_search_case_changed();
CREATE TRIGGER participants_search_insert AFTER INSERT ON participants
    FOR EACH ROW EXECUTE FUNCTION cw_search_participant_changed();
CREATE TRIGGER participants_search_update AFTER UPDATE ON participants
    FOR EACH ROW WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.case_id IS DISTINCT FROM NEW.case_id)
    EXECUTE FUNCTION cw_search_participant_changed();

INSERT INTO case_search_terms (case_id, participant_id, unit, assigned_worker, term)
SELECT c.id, NULL, c.unit, c.assigned_worker, cw_search_text(c.family_name) FROM cases c WHERE c.deleted_at IS NULL
UNION ALL
SELECT c.id, p.id, c.unit, c.assigned_worker, cw_search_text(p.first_name || ' ' || p.last_name)
  FROM participants p JOIN cases c ON c.id = p.case_id
 WHERE p.deleted_at IS NULL AND c.deleted_at IS NULL;

-- A caller who sees one unit, or one caseload, reads only its own names; one
-- who sees every case, all of them.
CREATE INDEX case_search_terms_unit_idx ON case_search_terms USING gin (unit, term gin_trgm_ops);
CREATE INDEX case_search_terms_worker_idx ON case_search_terms USING gin (assigned_worker, term gin_trgm_ops);
CREATE INDEX case_search_terms_term_idx ON case_search_terms USING gin (term gin_trgm_ops);
CREATE INDEX case_search_terms_participant_idx ON case_search_terms (participant_id);
