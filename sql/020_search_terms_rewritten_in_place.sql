-- 020: a case's search terms changed in place, not rewritten whole.
--
-- sql/019 kept case_search_terms by deleting every term of a case and
-- inserting them again whenever its name, unit, worker or deletion changed:
-- a family name changed by PATCH re-inserted the name of every participant
-- too, each into three trigram GIN indexes, and doubled the database's CPU
-- of such a write. Now a new case inserts its one term (it has no
-- participants yet), a changed name updates that one term, a changed unit or
-- worker updates the unit and worker of the case's terms, and a deletion or
-- its undoing deletes or rebuilds them as before. What the table holds after
-- every change is what cw_search_terms_of() would write.

CREATE OR REPLACE FUNCTION cw_search_case_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.deleted_at IS NOT NULL OR OLD.deleted_at IS NOT NULL THEN
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
