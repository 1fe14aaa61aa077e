-- 004: service referrals with their status history, and caseworker visits.

-- Audit rows that hold a substance use treatment referral (42 CFR Part 2) are
-- marked, so that the trail shows them only to whoever may see the referral.
ALTER TABLE audit_log ADD COLUMN sensitive boolean NOT NULL DEFAULT false;

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
    INSERT INTO audit_log (actor, actor_roles, request_id, action, resource_type,
                           resource_id, case_id, before, after, sensitive)
    VALUES (cw_actor(),
            string_to_array(coalesce(current_setting('casework.roles', true), ''), ','),
            nullif(current_setting('casework.request_id', true), ''),
            action, TG_ARGV[0], NEW.id,
            coalesce((to_jsonb(NEW) ->> 'case_id')::uuid, CASE WHEN TG_ARGV[0] = 'case' THEN NEW.id END),
            changed_before, changed_after,
            coalesce(new_doc ->> 'service_type' = 'substance_use_treatment', false)
            OR coalesce(old_doc ->> 'service_type' = 'substance_use_treatment', false));
    RETURN NULL;
END
$$;

CREATE TABLE service_referrals (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id           uuid NOT NULL REFERENCES cases (id),
    service_type      text NOT NULL
                      CHECK (service_type IN ('substance_use_treatment', 'mental_health', 'parenting',
                                              'domestic_violence', 'housing', 'employment', 'education',
                                              'health', 'family_preservation', 'other')),
    provider          text NOT NULL,
    participant_id    uuid,
    goal_id           uuid,
    referred_on       date NOT NULL,
    status            text NOT NULL DEFAULT 'referred'
                      CHECK (status IN ('referred', 'accepted', 'declined', 'in_progress', 'completed',
                                        'cancelled')),
    status_changed_on date NOT NULL,
    outcome           text,
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    UNIQUE (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id),
    FOREIGN KEY (goal_id, case_id) REFERENCES goals (id, case_id),
    CHECK (status_changed_on >= referred_on)
);
CREATE INDEX service_referrals_case_page_idx ON service_referrals (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_referrals_page_idx ON service_referrals (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_referrals_referred_idx ON service_referrals (referred_on) WHERE deleted_at IS NULL;

-- Every status a referral has had, with the date it took that status: "when
-- was it accepted, and when did services start".
CREATE TABLE service_referral_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    referral_id uuid NOT NULL REFERENCES service_referrals (id),
    case_id     uuid NOT NULL,
    status      text NOT NULL,
    changed_on  date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by text NOT NULL
);
CREATE INDEX service_referral_history_referral_idx ON service_referral_history (referral_id, id);

CREATE FUNCTION service_referrals_record_status() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.status_changed_on IS DISTINCT FROM OLD.status_changed_on THEN
        INSERT INTO service_referral_history (referral_id, case_id, status, changed_on, recorded_by)
        VALUES (NEW.id, NEW.case_id, NEW.status, NEW.status_changed_on, cw_actor());
    END IF;
    RETURN NULL;
END
$$;

CREATE TABLE visits (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id          uuid NOT NULL REFERENCES cases (id),
    visited_at       timestamptz NOT NULL,
    visit_type       text NOT NULL
                     CHECK (visit_type IN ('caseworker_child', 'caseworker_parent', 'caseworker_caregiver',
                                           'family_time')),
    location         text NOT NULL
                     CHECK (location IN ('child_residence', 'parent_home', 'office', 'school', 'community',
                                         'virtual', 'other')),
    participant_ids  uuid[] NOT NULL CHECK (cardinality(participant_ids) >= 1),
    duration_minutes integer CHECK (duration_minutes BETWEEN 1 AND 1440),
    summary          text,
    safety_concern   boolean NOT NULL DEFAULT false,
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    UNIQUE (id, case_id)
);
CREATE INDEX visits_case_page_idx ON visits (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX visits_page_idx ON visits (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX visits_case_time_idx ON visits (case_id, visited_at, id) WHERE deleted_at IS NULL;
CREATE INDEX visits_time_idx ON visits (visited_at, id) WHERE deleted_at IS NULL;

-- Who was at each visit, one row per person: the database holds every one of
-- them to the visit's case, and reports find a child's visits by index. Kept
-- by trigger from visits.participant_ids (the API's and the audit's form).
CREATE TABLE visit_participants (
    visit_id       uuid NOT NULL,
    participant_id uuid NOT NULL,
    case_id        uuid NOT NULL,
    PRIMARY KEY (visit_id, participant_id),
    FOREIGN KEY (visit_id, case_id) REFERENCES visits (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id)
);
CREATE INDEX visit_participants_participant_idx ON visit_participants (participant_id);

CREATE FUNCTION visits_sync_participants() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.participant_ids IS NOT DISTINCT FROM OLD.participant_ids THEN
        RETURN NULL;
    END IF;
    DELETE FROM visit_participants WHERE visit_id = NEW.id;
    INSERT INTO visit_participants (visit_id, participant_id, case_id)
    SELECT DISTINCT NEW.id, p, NEW.case_id FROM unnest(NEW.participant_ids) AS p;
    RETURN NULL;
END
$$;

CREATE TRIGGER service_referrals_touch BEFORE UPDATE ON service_referrals
    FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER service_referrals_audit AFTER INSERT OR UPDATE ON service_referrals
    FOR EACH ROW EXECUTE FUNCTION cw_audit('service_referral');
CREATE TRIGGER service_referrals_status_history AFTER INSERT OR UPDATE ON service_referrals
    FOR EACH ROW EXECUTE FUNCTION service_referrals_record_status();
CREATE TRIGGER service_referrals_no_delete BEFORE DELETE OR TRUNCATE ON service_referrals
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER visits_touch BEFORE UPDATE ON visits FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER visits_audit AFTER INSERT OR UPDATE ON visits FOR EACH ROW EXECUTE FUNCTION cw_audit('visit');
CREATE TRIGGER visits_participants AFTER INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_sync_participants();
CREATE TRIGGER visits_no_delete BEFORE DELETE OR TRUNCATE ON visits
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');
