-- 015: the service writes a change's audit row in the statement that makes it.
--
-- cw_audit(), the AFTER trigger on every table of records, did most of a
-- write's work in the database: it turned the old and the new row into JSON
-- three times, compared them field by field in a query of its own and
-- inserted the audit row, all from PL/pgSQL; a PATCH of a case spent about
-- half of its UPDATE's time there.
--
-- The service now writes the audit row itself (lib/resource.c): a
-- data-modifying WITH inserts or updates the record, returns it, and inserts
-- the audit row from the row returned (the record as stored, with whatever
-- BEFORE triggers set, such as an approval's stamp) and, for an update, from
-- the record as this transaction locked it before the change, which the
-- service sends. The audit row is what the trigger would have written: who,
-- which request, the fields that changed with their values before and after,
-- in the same JSON. It now also records the version of the record the change
-- wrote.
--
-- A write by any other path (psql, a migration, a trigger that changes other
-- records, such as closing a case, which completes its plan) is still
-- audited, by the same trigger: cw_audit() first looks at the newest audit
-- row of the record (one step down audit_log_resource_idx), and when that row
-- is of this very version the writer has audited the change itself and the
-- trigger returns; otherwise it writes the audit row as it always has. The
-- row lock that the write holds keeps every other transaction from auditing
-- the record meanwhile, so the newest row is this transaction's own. A write
-- without an actor is still refused, the audit trail stays append-only, and
-- every audit row still enters the change feed's queue (sql/013).
--
-- A visit's participants are kept by a trigger that removed the visit's rows
-- before inserting them, on INSERT too, where there are none.
--
-- The change feed no longer checks each numbered change against audit_log with
-- a foreign key: the check locked the audit row (a write to its page, and to
-- the WAL) for every change numbered. The numberer takes its ids from
-- change_queue, which only audit_log's trigger fills, and audit rows are never
-- removed.
--
-- Records are updated far more often than they are created, and an UPDATE
-- that changes no indexed column can stay on the row's page without touching
-- any index (a HOT update) when the page has room: new pages of the tables
-- of records keep a tenth free for that.

ALTER TABLE audit_log ADD COLUMN version bigint;
COMMENT ON COLUMN audit_log.version IS 'The version of the record the change wrote (NULL before migration 015).';

CREATE OR REPLACE FUNCTION cw_audit() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    meta    text[] := ARRAY['version', 'created_at', 'updated_at', 'deleted_at'];
    old_doc jsonb;
    new_doc jsonb;
    action  text;
    changed_before jsonb;
    changed_after  jsonb;
BEGIN
    -- Audited by the statement that wrote it?
    IF (SELECT a.version FROM audit_log a WHERE a.resource_id = NEW.id ORDER BY a.id DESC LIMIT 1)
       IS NOT DISTINCT FROM NEW.version THEN
        RETURN NULL;
    END IF;
    new_doc := to_jsonb(NEW) - meta;
    IF TG_OP = 'INSERT' THEN
        action := 'create';
        changed_after := new_doc;
    ELSE
        old_doc := to_jsonb(OLD) - meta;
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            action := 'delete';
            changed_before := old_doc;
        ELSE
            action := 'update';
            SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, new_doc -> o.key)
              INTO changed_before, changed_after
              FROM jsonb_each(old_doc) o
             WHERE o.value IS DISTINCT FROM new_doc -> o.key;
            IF changed_before IS NULL THEN
                RETURN NULL;   -- nothing a reader would see changed
            END IF;
        END IF;
    END IF;
    INSERT INTO audit_log (actor, actor_roles, request_id, client_request_id, action, resource_type,
                           resource_id, case_id, before, after, sensitive, version)
    VALUES (cw_actor(),
            string_to_array(coalesce(current_setting('casework.roles', true), ''), ','),
            nullif(current_setting('casework.request_id', true), ''),
            nullif(current_setting('casework.client_request_id', true), ''),
            action, TG_ARGV[0], NEW.id,
            coalesce((new_doc ->> 'case_id')::uuid, CASE WHEN TG_ARGV[0] = 'case' THEN NEW.id END),
            changed_before, changed_after,
            coalesce(new_doc ->> 'service_type' = 'substance_use_treatment', false)
            OR coalesce(old_doc ->> 'service_type' = 'substance_use_treatment', false),
            NEW.version);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visits_sync_participants() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.participant_ids IS NOT DISTINCT FROM OLD.participant_ids THEN
            RETURN NULL;
        END IF;
        DELETE FROM visit_participants WHERE visit_id = NEW.id;
    END IF;
    INSERT INTO visit_participants (visit_id, participant_id, case_id)
    SELECT DISTINCT NEW.id, p, NEW.case_id FROM unnest(NEW.participant_ids) AS p;
    RETURN NULL;
END
$$;

ALTER TABLE changes DROP CONSTRAINT changes_audit_id_fkey;

ALTER TABLE cases SET (fillfactor = 90);
ALTER TABLE participants SET (fillfactor = 90);
ALTER TABLE plans SET (fillfactor = 90);
ALTER TABLE goals SET (fillfactor = 90);
ALTER TABLE service_referrals SET (fillfactor = 90);
ALTER TABLE visits SET (fillfactor = 90);
