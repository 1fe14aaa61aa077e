-- 003: participants, case plans, goals and goal progress notes.
--
-- Every row carries its case_id, and references within a case are composite
-- foreign keys on (id, case_id): a goal can only name a participant of its own
-- case, whatever the application does.

CREATE TABLE participants (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id       uuid NOT NULL REFERENCES cases (id),
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    role          text NOT NULL CHECK (role IN ('child', 'parent', 'caregiver', 'relative',
                                                'foster_parent', 'other')),
    date_of_birth date,
    in_care_since date,
    in_care_until date,
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    UNIQUE (id, case_id),
    -- Time in care is a child's: removal, then perhaps discharge.
    CHECK (role = 'child' OR (in_care_since IS NULL AND in_care_until IS NULL)),
    CHECK (in_care_until IS NULL OR (in_care_since IS NOT NULL AND in_care_until >= in_care_since))
);
CREATE INDEX participants_case_page_idx ON participants (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX participants_page_idx ON participants (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE plans (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id             uuid NOT NULL REFERENCES cases (id),
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'active', 'completed', 'superseded')),
    effective_on        date NOT NULL,
    review_due_on       date NOT NULL,
    family_participated boolean NOT NULL DEFAULT false,
    strengths           text,
    needs               text,
    approved_by         text,
    approved_at         timestamptz,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    UNIQUE (id, case_id),
    CHECK (review_due_on >= effective_on),
    -- A plan past draft was approved, by someone, at some time.
    CHECK ((status = 'draft') = (approved_at IS NULL) AND (approved_at IS NULL) = (approved_by IS NULL))
);
-- At most one active plan per case, whatever the application does: two
-- concurrent activations cannot both commit.
CREATE UNIQUE INDEX plans_one_active_per_case ON plans (case_id) WHERE status = 'active' AND deleted_at IS NULL;
CREATE INDEX plans_case_page_idx ON plans (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX plans_page_idx ON plans (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX plans_active_review_idx ON plans (review_due_on) WHERE status = 'active' AND deleted_at IS NULL;

CREATE TABLE goals (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    plan_id        uuid NOT NULL,
    case_id        uuid NOT NULL,
    description    text NOT NULL,
    participant_id uuid,
    target_date    date,
    status         text NOT NULL DEFAULT 'not_started'
                   CHECK (status IN ('not_started', 'in_progress', 'achieved', 'not_achieved', 'discontinued')),
    achieved_on    date,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    UNIQUE (id, case_id),
    FOREIGN KEY (plan_id, case_id) REFERENCES plans (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id),
    CHECK ((status = 'achieved') = (achieved_on IS NOT NULL))
);
CREATE INDEX goals_plan_page_idx ON goals (plan_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX goals_page_idx ON goals (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX goals_case_idx ON goals (case_id) WHERE deleted_at IS NULL;

-- Dated notes on a goal's progress: written once, never changed.
CREATE TABLE goal_progress (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    goal_id     uuid NOT NULL,
    case_id     uuid NOT NULL,
    noted_on    date NOT NULL,
    note        text NOT NULL,
    author      text NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    FOREIGN KEY (goal_id, case_id) REFERENCES goals (id, case_id)
);
CREATE INDEX goal_progress_goal_page_idx ON goal_progress (goal_id, created_at, id) WHERE deleted_at IS NULL;

-- A plan becomes active only with its approval stamped by the database: who
-- (the transaction's actor) and when.
CREATE FUNCTION plans_stamp_approval() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status = 'active' AND OLD.status = 'draft' THEN
        NEW.approved_by := cw_actor();
        NEW.approved_at := now();
    ELSIF NEW.approved_by IS DISTINCT FROM OLD.approved_by OR NEW.approved_at IS DISTINCT FROM OLD.approved_at THEN
        RAISE EXCEPTION 'casework: an approval is recorded only by activating a draft plan'
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER participants_touch BEFORE UPDATE ON participants FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER participants_audit AFTER INSERT OR UPDATE ON participants
    FOR EACH ROW EXECUTE FUNCTION cw_audit('participant');
CREATE TRIGGER participants_no_delete BEFORE DELETE OR TRUNCATE ON participants
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER plans_touch BEFORE UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER plans_stamp_approval BEFORE UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION plans_stamp_approval();
CREATE TRIGGER plans_audit AFTER INSERT OR UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION cw_audit('plan');
CREATE TRIGGER plans_no_delete BEFORE DELETE OR TRUNCATE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER goals_touch BEFORE UPDATE ON goals FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER goals_audit AFTER INSERT OR UPDATE ON goals FOR EACH ROW EXECUTE FUNCTION cw_audit('goal');
CREATE TRIGGER goals_no_delete BEFORE DELETE OR TRUNCATE ON goals
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER goal_progress_audit AFTER INSERT OR UPDATE ON goal_progress
    FOR EACH ROW EXECUTE FUNCTION cw_audit('goal_progress');
CREATE TRIGGER goal_progress_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON goal_progress
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('goal progress notes are written once');
