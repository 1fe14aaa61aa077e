-- 021: case search's functions planned once per connection, not per call.
--
-- sql/019 wrote cw_search_text() and cw_search_terms_of() in SQL. A SQL
-- function that cannot be inlined is planned again each time a statement
-- runs it: cw_search_text() cannot be (it is IMMUTABLE, unaccent() is only
-- STABLE), and cw_search_terms_of() is called by a trigger. Every new case
-- paid for planning the deletion and the two-armed insertion of its terms,
-- and every statement that computed a search text (the index on the case
-- number, the trigger's term, a search) for planning that one expression:
-- together about as much of the database's CPU as the rest of the insert.
-- In PL/pgSQL, statements are planned once per connection and an expression
-- like cw_search_text()'s is evaluated directly.
--
-- cw_search_text() keeps the very expression of sql/019, so what the indexes
-- built on it hold stays right; a new case inserts its one term (the family
-- name: it has no participants yet) without looking for others first.

CREATE OR REPLACE FUNCTION cw_search_text(t text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $$
BEGIN
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, t) COLLATE "und-x-icu");
END
$$;

CREATE OR REPLACE FUNCTION cw_search_terms_of(the_case uuid) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM case_search_terms WHERE case_id = the_case;
    INSERT INTO case_search_terms (case_id, participant_id, unit, assigned_worker, term)
    SELECT c.id, NULL, c.unit, c.assigned_worker, cw_search_text(c.family_name)
      FROM cases c WHERE c.id = the_case AND c.deleted_at IS NULL
    UNION ALL
    SELECT c.id, p.id, c.unit, c.assigned_worker, cw_search_text(p.first_name || ' ' || p.last_name)
      FROM cases c JOIN participants p ON p.case_id = c.id
     WHERE c.id = the_case AND c.deleted_at IS NULL AND p.deleted_at IS NULL;
END
$$;

CREATE OR REPLACE FUNCTION cw_search_case_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO case_search_terms (case_id, participant_id, unit, assigned_worker, term)
            VALUES (NEW.id, NULL, NEW.unit, NEW.assigned_worker, cw_search_text(NEW.family_name));
        END IF;
        RETURN NULL;
    END IF;
    IF NEW.deleted_at IS NOT NULL OR OLD.deleted_at IS NOT NULL THEN
        PERFORM cw_search_terms_of(NEW.id);
        RETURN NULL;
    END IF;
    IF OLD.unit IS DISTINCT FROM NEW.unit OR OLD.assigned_worker IS DISTINCT FROM NEW.assigned_worker THEN
        UPDATE case_search_terms SET unit = NEW.unit, assigned_worker = NEW.assigned_worker
         WHERE case_id = NEW.id;
    END IF;
    IF OLD.family_name IS DISTINCT FROM NEW.family_name THEN
        UPDATE case_search_terms SET term = cw_search_text(NEW.family_name)
         WHERE case_id = NEW.id AND participant_id IS NULL;
    END IF;
    RETURN NULL;
END
$$;
