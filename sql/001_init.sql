-- 001: cases, the audit trail, and the helpers every later resource uses.
--
-- Conventions for every table that holds casework:
--   * case_id on every case-owned row (cases.id is itself the case id), so the data
--     can later be distributed by case;
--   * version (grows with every change), created_at, updated_at, kept by cw_touch();
--   * soft delete: deleted_at set, the row kept with its history;
--   * an AFTER trigger writes the audit row in the same transaction; it refuses to
--     run unless the transaction names its actor (casework.actor), so no write can
--     escape the audit trail.

-- RFC 3339 text in UTC with microseconds: the one timestamp format of the API.
CREATE FUNCTION cw_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Record-level access, decided once (lib/access.c supplies the last three
-- arguments from the caller's token): everything, the caller's own caseload,
-- or the caller's unit. Written as a plain OR so that the planner can use the
-- worker and unit indexes once the parameters are known.
CREATE FUNCTION cw_visible(case_worker text, case_unit text,
                           see_all boolean, as_worker text, as_unit text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT see_all OR case_worker = as_worker OR case_unit = as_unit $$;

CREATE TABLE cases (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_number           text NOT NULL,
    family_name           text NOT NULL,
    case_type             text NOT NULL CHECK (case_type IN ('in_home', 'out_of_home')),
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_on             date NOT NULL,
    closed_on             date,
    closure_reason        text,
    assigned_worker       text NOT NULL,
    unit                  text,
    permanency_goal       text NOT NULL DEFAULT 'not_established'
                          CHECK (permanency_goal IN ('reunification', 'live_with_relatives', 'adoption',
                                                     'guardianship', 'appla', 'not_established')),
    permanency_goal_since date NOT NULL,
    version               bigint NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    CHECK (closed_on IS NULL OR closed_on >= opened_on),
    CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);

-- A state's case number names one live case; a deleted case frees its number.
CREATE UNIQUE INDEX cases_case_number_key ON cases (case_number) WHERE deleted_at IS NULL;
-- Keyset pagination walks (created_at, id), within a caseload or a unit when the
-- caller sees only that.
CREATE INDEX cases_page_idx ON cases (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX cases_worker_page_idx ON cases (assigned_worker, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX cases_unit_page_idx ON cases (unit, created_at, id) WHERE deleted_at IS NULL;

-- Every earlier permanency goal with the date it took effect: federal reporting
-- needs each value, not only the latest.
CREATE TABLE case_permanency_goals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id),
    permanency_goal text NOT NULL,
    since           date NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    recorded_by     text NOT NULL
);
CREATE INDEX case_permanency_goals_case_idx ON case_permanency_goals (case_id, id);

CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    actor_roles   text[] NOT NULL,
    request_id    text,
    action        text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    resource_type text NOT NULL,
    resource_id   uuid NOT NULL,
    case_id       uuid,
    before        jsonb,
    after         jsonb
);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The actor of the current transaction, set by lib/audit.c; a write without one fails.
CREATE FUNCTION cw_actor() RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    who text := current_setting('casework.actor', true);
BEGIN
    IF who IS NULL OR who = '' THEN
        RAISE EXCEPTION 'casework: write without an actor' USING ERRCODE = 'P0001';
    END IF;
    RETURN who;
END
$$;

-- BEFORE UPDATE on every casework table: the version grows, updated_at moves,
-- identity and creation time never change.
CREATE FUNCTION cw_touch() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.id := OLD.id;
    NEW.created_at := OLD.created_at;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- AFTER INSERT OR UPDATE on every casework table. TG_ARGV[0] is the resource type.
-- Bookkeeping columns are left out of before/after; an update records only the
-- fields that changed; a soft delete records the record as it was.
CREATE FUNCTION cw_audit() RETURNS trigger
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
    INSERT INTO audit_log (actor, actor_roles, request_id, action, resource_type,
                           resource_id, case_id, before, after)
    VALUES (cw_actor(),
            string_to_array(coalesce(current_setting('casework.roles', true), ''), ','),
            nullif(current_setting('casework.request_id', true), ''),
            action, TG_ARGV[0], NEW.id,
            coalesce((to_jsonb(NEW) ->> 'case_id')::uuid, CASE WHEN TG_ARGV[0] = 'case' THEN NEW.id END),
            changed_before, changed_after);
    RETURN NULL;
END
$$;

-- Refuses the statement; TG_ARGV[0] says why.
CREATE FUNCTION cw_forbid() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'casework: %', TG_ARGV[0] USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('the audit trail is append-only');

CREATE FUNCTION cases_record_permanency_goal() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.permanency_goal IS DISTINCT FROM OLD.permanency_goal
       OR NEW.permanency_goal_since IS DISTINCT FROM OLD.permanency_goal_since THEN
        INSERT INTO case_permanency_goals (case_id, permanency_goal, since, recorded_by)
        VALUES (NEW.id, NEW.permanency_goal, NEW.permanency_goal_since, cw_actor());
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_touch BEFORE UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER cases_audit AFTER INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION cw_audit('case');
CREATE TRIGGER cases_permanency_goal AFTER INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_record_permanency_goal();
-- Rows are never removed: a delete is deleted_at.
CREATE TRIGGER cases_no_delete BEFORE DELETE OR TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

-- The API's form of a case: one function, so every answer agrees.
CREATE FUNCTION case_json(c cases) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT json_build_object(
    'id', c.id,
    'case_number', c.case_number,
    'family_name', c.family_name,
    'case_type', c.case_type,
    'status', c.status,
    'opened_on', c.opened_on,
    'closed_on', c.closed_on,
    'closure_reason', c.closure_reason,
    'assigned_worker', c.assigned_worker,
    'unit', c.unit,
    'permanency_goal', c.permanency_goal,
    'permanency_goal_since', c.permanency_goal_since,
    'version', c.version,
    'created_at', cw_ts(c.created_at),
    'updated_at', cw_ts(c.updated_at))
$$;
