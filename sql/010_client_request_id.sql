-- 010: the audit trail names each change's request by the service's own id.
--
-- Until now a client's X-Request-Id, when it looked safe, became the audit
-- row's request_id: a client could make its change look like another request
-- (another client's, say) to whoever follows the trail. request_id is now
-- always the id the service gave the request (answered in X-Request-Id and
-- written in the log line); the id the client sent, if any, is kept beside it
-- in client_request_id, for the client's own correlation and nothing else.
-- Rows written before this migration keep what they had in request_id.

ALTER TABLE audit_log ADD COLUMN client_request_id text;

CREATE OR REPLACE FUNCTION cw_audit() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    meta    text[] := ARRAY['version', 'created_at', 'updated_at', 'deleted_at'];
    old_doc jsonb;
    new_doc jsonb := to_jsonb(NEW) - meta;
    action  text;
    changed_before jsonb;
    changed_after  jsonb;
BEGIN
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
                           resource_id, case_id, before, after, sensitive)
    VALUES (cw_actor(),
            string_to_array(coalesce(current_setting('casework.roles', true), ''), ','),
            nullif(current_setting('casework.request_id', true), ''),
            nullif(current_setting('casework.client_request_id', true), ''),
            action, TG_ARGV[0], NEW.id,
            coalesce((to_jsonb(NEW) ->> 'case_id')::uuid, CASE WHEN TG_ARGV[0] = 'case' THEN NEW.id END),
            changed_before, changed_after,
            coalesce(new_doc ->> 'service_type' = 'substance_use_treatment', false)
            OR coalesce(old_doc ->> 'service_type' = 'substance_use_treatment', false));
    RETURN NULL;
END
$$;
