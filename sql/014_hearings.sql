-- 014: court hearings about the children of a case.
--
-- Courts decide removals and permanency, and federal law times them: a
-- permanency hearing within 12 months of entering care, a review at least
-- every 6 months, and "entered care" itself is the date of the first hearing
-- that found abuse or neglect, when that comes before removal + 60 days. So
-- each hearing keeps its type, the day it was (or will be) held, the children
-- it concerns, its findings (contrary to the child's welfare, reasonable
-- efforts, abuse or neglect found), its outcome and the next hearing's date.
--
-- The rules hold in the database whatever the application does:
--   * a hearing concerns one to fifty children, each a live participant of
--     the hearing's own case with role 'child' (hearing_children, one row per
--     child, holds each to the case by foreign key; a trigger checks the role);
--   * the next hearing comes after this one;
--   * a hearing with findings or an outcome has been held: held_on is not
--     after the database's today + 1 day (the service checks the agency's
--     exact day; the day of slack covers time zones);
--   * a child that a live hearing names stays a child and is not deleted.
--
-- hearing_children carries each live hearing's type, date and abuse or
-- neglect finding beside the child, so that a child's hearings ("the latest
-- review", "the first finding of abuse or neglect") come from one index. A
-- deleted hearing has no rows there. Hearings are audited and numbered in
-- the change feed like every kind of record.

CREATE TABLE hearings (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id             uuid NOT NULL REFERENCES cases (id),
    hearing_type        text NOT NULL
                        CHECK (hearing_type IN ('removal', 'adjudication', 'disposition', 'review', 'permanency',
                                                'tpr', 'other')),
    held_on             date NOT NULL,
    child_ids           uuid[] NOT NULL CHECK (cardinality(child_ids) BETWEEN 1 AND 50),
    contrary_to_welfare boolean,
    reasonable_efforts  text CHECK (reasonable_efforts IN ('made', 'not_made', 'not_required')),
    abuse_neglect_found boolean,
    outcome             text,
    next_hearing_on     date,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    UNIQUE (id, case_id),
    CONSTRAINT hearings_next_after_held CHECK (next_hearing_on > held_on)
);
CREATE INDEX hearings_case_page_idx ON hearings (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX hearings_page_idx ON hearings (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE hearing_children (
    hearing_id          uuid NOT NULL,
    participant_id      uuid NOT NULL,
    case_id             uuid NOT NULL,
    hearing_type        text NOT NULL,
    held_on             date NOT NULL,
    abuse_neglect_found boolean NOT NULL,
    PRIMARY KEY (hearing_id, participant_id),
    FOREIGN KEY (hearing_id, case_id) REFERENCES hearings (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id)
);
CREATE INDEX hearing_children_child_idx ON hearing_children (participant_id, held_on)
    INCLUDE (hearing_type, abuse_neglect_found);

-- Every child a live hearing names is a live child of its case, and a
-- hearing with findings or an outcome has been held. Then hearing_children
-- follows the hearing.
CREATE FUNCTION hearings_sync_children() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.deleted_at IS NULL THEN
        IF EXISTS (SELECT 1 FROM unnest(NEW.child_ids) AS c (id)
                    WHERE NOT EXISTS (SELECT 1 FROM participants p
                                       WHERE p.id = c.id AND p.case_id = NEW.case_id AND p.role = 'child'
                                         AND p.deleted_at IS NULL)) THEN
            RAISE EXCEPTION 'casework: a hearing concerns children of its case'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'hearings_of_children';
        END IF;
        IF (NEW.contrary_to_welfare IS NOT NULL OR NEW.reasonable_efforts IS NOT NULL
            OR NEW.abuse_neglect_found IS NOT NULL OR NEW.outcome IS NOT NULL)
           AND NEW.held_on > current_date + 1 THEN
            RAISE EXCEPTION 'casework: a hearing not yet held has no findings'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'hearings_findings_once_held';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.child_ids IS NOT DISTINCT FROM OLD.child_ids
       AND NEW.hearing_type IS NOT DISTINCT FROM OLD.hearing_type AND NEW.held_on IS NOT DISTINCT FROM OLD.held_on
       AND NEW.abuse_neglect_found IS NOT DISTINCT FROM OLD.abuse_neglect_found
       AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at THEN
        RETURN NULL;
    END IF;
    DELETE FROM hearing_children WHERE hearing_id = NEW.id;
    IF NEW.deleted_at IS NULL THEN
        INSERT INTO hearing_children (hearing_id, participant_id, case_id, hearing_type, held_on, abuse_neglect_found)
        SELECT NEW.id, c, NEW.case_id, NEW.hearing_type, NEW.held_on, coalesce(NEW.abuse_neglect_found, false)
          FROM unnest(NEW.child_ids) AS c;
    END IF;
    RETURN NULL;
END
$$;

-- A child that a live hearing names stays a live child: otherwise the
-- hearing would concern someone who is not a child of the case.
CREATE FUNCTION participants_named_by_hearings() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.role IS DISTINCT FROM 'child' OR NEW.deleted_at IS NOT NULL)
       AND EXISTS (SELECT 1 FROM hearing_children WHERE participant_id = NEW.id) THEN
        RAISE EXCEPTION 'casework: hearings name this child'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'hearings_of_children';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER hearings_touch BEFORE UPDATE ON hearings FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER hearings_audit AFTER INSERT OR UPDATE ON hearings FOR EACH ROW EXECUTE FUNCTION cw_audit('hearing');
CREATE TRIGGER hearings_children AFTER INSERT OR UPDATE ON hearings
    FOR EACH ROW EXECUTE FUNCTION hearings_sync_children();
CREATE TRIGGER hearings_no_delete BEFORE DELETE OR TRUNCATE ON hearings
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER participants_named_by_hearings AFTER UPDATE OF role, deleted_at ON participants
    FOR EACH ROW WHEN (OLD.role = 'child' AND OLD.deleted_at IS NULL
                       AND (NEW.role IS DISTINCT FROM 'child' OR NEW.deleted_at IS NOT NULL))
    EXECUTE FUNCTION participants_named_by_hearings();
