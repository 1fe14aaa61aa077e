-- 017: family team meetings, and family-time plans (parent-child visiting).
--
-- Meetings record a decision made with the family and its network: the case
-- participants present (meeting_participants, kept from participant_ids as
-- visit_participants is from visits) and others present by name and
-- relationship (meeting_others, kept from others_present). Both lists stay in
-- the meeting's row as well, which is the API's, the audit trail's and the
-- field history's form of them.
--
-- A family-time plan says how often (visits a month), how long and how
-- supervised a child's time with some of the parents or relatives of the case
-- is. What may never break is held here, whatever the application does:
--   * the child and the people are participants of the plan's case
--     (composite foreign keys), the child a child and the people parents or
--     relatives (a trigger; the service says which field is wrong first);
--   * a child has one plan in force per set of people at a time: an exclusion
--     constraint over the child, the set (its sorted members, whatever order
--     they were sent in) and the days in force, so of two concurrent writers
--     only one commits;
--   * a new plan for the same child and people ends the one in force the day
--     before it takes effect, in the inserting transaction (a BEFORE INSERT
--     trigger, so the exclusion constraint sees the shortened plan); the
--     shortened plan's audit row is written under the same actor and request,
--     so the progression supervised -> unsupervised -> overnight is a chain of
--     plans whose ends are each in the field history.
-- A plan that starts on or before the day the plan in force started is not
-- "new": it collides with it (the exclusion constraint), and so does one that
-- overlaps a later plan.
--
-- Family time as the family-time report counts it (family_time visits, not
-- virtual) is kept apart by trigger as pairs of the people at each visit
-- (family_time_pairs, at the end), so that the report reads a plan's
-- delivered visits from one index range per person of the plan.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- ---- meetings ------------------------------------------------------------

-- others_present: an array of {"name", "relationship"}, both non-blank
-- strings, nothing else; at most 50.
CREATE FUNCTION cw_others_present_valid(others jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN jsonb_typeof(others) <> 'array' OR jsonb_array_length(others) > 50 THEN false
       ELSE NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(others) AS o
            WHERE jsonb_typeof(o) <> 'object'
               OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(o) AS k)
                  IS DISTINCT FROM ARRAY['name', 'relationship']
               OR jsonb_typeof(o -> 'name') <> 'string' OR jsonb_typeof(o -> 'relationship') <> 'string'
               OR btrim(o ->> 'name') = '' OR btrim(o ->> 'relationship') = '')
       END
$$;

CREATE TABLE meetings (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL REFERENCES cases (id),
    meeting_type    text NOT NULL
                    CHECK (meeting_type IN ('team_decision_making', 'family_team_meeting',
                                            'family_group_decision_making', 'other')),
    reason          text NOT NULL
                    CHECK (reason IN ('considered_removal', 'placement_change', 'exit_from_care', 'plan_review',
                                      'other')),
    held_on         date NOT NULL,
    facilitator     text,
    participant_ids uuid[] NOT NULL CHECK (cardinality(participant_ids) BETWEEN 1 AND 50),
    others_present  jsonb NOT NULL DEFAULT '[]' CHECK (cw_others_present_valid(others_present)),
    decision        text,
    recommendation  text
                    CHECK (recommendation IN ('remain_home_with_safety_plan', 'remain_home_with_services',
                                              'place_with_relative', 'place_in_foster_care', 'reunify',
                                              'maintain_placement', 'change_placement', 'other')),
    consensus       boolean,
    plan_id         uuid,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    UNIQUE (id, case_id),
    FOREIGN KEY (plan_id, case_id) REFERENCES plans (id, case_id)
);
CREATE INDEX meetings_case_page_idx ON meetings (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX meetings_page_idx ON meetings (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE meeting_participants (
    meeting_id     uuid NOT NULL,
    participant_id uuid NOT NULL,
    case_id        uuid NOT NULL,
    PRIMARY KEY (meeting_id, participant_id),
    FOREIGN KEY (meeting_id, case_id) REFERENCES meetings (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id)
);
CREATE INDEX meeting_participants_participant_idx ON meeting_participants (participant_id);

CREATE TABLE meeting_others (
    meeting_id   uuid NOT NULL,
    position     integer NOT NULL CHECK (position >= 1),
    case_id      uuid NOT NULL,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    relationship text NOT NULL CHECK (btrim(relationship) <> ''),
    PRIMARY KEY (meeting_id, position),
    FOREIGN KEY (meeting_id, case_id) REFERENCES meetings (id, case_id)
);

CREATE FUNCTION meetings_sync_people() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.participant_ids IS DISTINCT FROM OLD.participant_ids THEN
        DELETE FROM meeting_participants WHERE meeting_id = NEW.id;
        INSERT INTO meeting_participants (meeting_id, participant_id, case_id)
        SELECT DISTINCT NEW.id, p, NEW.case_id FROM unnest(NEW.participant_ids) AS p;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.others_present IS DISTINCT FROM OLD.others_present THEN
        DELETE FROM meeting_others WHERE meeting_id = NEW.id;
        INSERT INTO meeting_others (meeting_id, position, case_id, name, relationship)
        SELECT NEW.id, o.n, NEW.case_id, o.v ->> 'name', o.v ->> 'relationship'
          FROM jsonb_array_elements(NEW.others_present) WITH ORDINALITY AS o (v, n);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER meetings_touch BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER meetings_audit AFTER INSERT OR UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION cw_audit('meeting');
CREATE TRIGGER meetings_people AFTER INSERT OR UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION meetings_sync_people();
CREATE TRIGGER meetings_no_delete BEFORE DELETE OR TRUNCATE ON meetings
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

-- ---- family-time plans ---------------------------------------------------

-- The set of people a plan is with, as one comparable value: its distinct
-- members sorted, as text. Two plans are for the same people exactly when
-- these are equal.
CREATE FUNCTION cw_uuid_set(ids uuid[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT string_agg(DISTINCT i::text, ',' ORDER BY i::text) FROM unnest(ids) AS i $$;

CREATE TABLE family_time_plans (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id           uuid NOT NULL REFERENCES cases (id),
    child_id          uuid NOT NULL,
    person_ids        uuid[] NOT NULL CHECK (cardinality(person_ids) BETWEEN 1 AND 20),
    visits_per_month  integer NOT NULL CHECK (visits_per_month BETWEEN 1 AND 62),
    minutes_per_visit integer CHECK (minutes_per_visit BETWEEN 1 AND 1440),
    supervision       text NOT NULL
                      CHECK (supervision IN ('supervised', 'monitored', 'unsupervised', 'overnight')),
    effective_on      date NOT NULL,
    ended_on          date,
    notes             text,
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    UNIQUE (id, case_id),
    FOREIGN KEY (child_id, case_id) REFERENCES participants (id, case_id),
    CHECK (ended_on IS NULL OR ended_on >= effective_on),
    CHECK (NOT child_id = ANY (person_ids)),
    CONSTRAINT family_time_plans_one_in_force EXCLUDE USING gist (
        child_id WITH =, cw_uuid_set(person_ids) WITH =, daterange(effective_on, ended_on, '[]') WITH &&)
        WHERE (deleted_at IS NULL)
);
CREATE INDEX family_time_plans_case_page_idx ON family_time_plans (case_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX family_time_plans_page_idx ON family_time_plans (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX family_time_plans_child_idx ON family_time_plans (child_id, effective_on) WHERE deleted_at IS NULL;

CREATE TABLE family_time_plan_people (
    plan_id        uuid NOT NULL,
    participant_id uuid NOT NULL,
    case_id        uuid NOT NULL,
    PRIMARY KEY (plan_id, participant_id),
    FOREIGN KEY (plan_id, case_id) REFERENCES family_time_plans (id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id)
);
CREATE INDEX family_time_plan_people_participant_idx ON family_time_plan_people (participant_id);

-- The child is a child, the people are parents or relatives, when they are
-- named (a participant whose role changes later keeps the plans it has).
CREATE FUNCTION family_time_plans_check_roles() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.child_id IS NOT DISTINCT FROM OLD.child_id
       AND NEW.person_ids IS NOT DISTINCT FROM OLD.person_ids THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM participants WHERE id = NEW.child_id AND role = 'child') THEN
        RAISE EXCEPTION 'casework: a family-time plan is for a child'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'family_time_plans_child_role';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(NEW.person_ids) AS i LEFT JOIN participants p ON p.id = i
                WHERE p.role IS NULL OR p.role NOT IN ('parent', 'relative')) THEN
        RAISE EXCEPTION 'casework: a family-time plan is with parents or relatives'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'family_time_plans_person_role';
    END IF;
    RETURN NEW;
END
$$;

-- A new plan ends the one in force for the same child and people the day
-- before it takes effect (one at most can be in force on that day).
CREATE FUNCTION family_time_plans_end_previous() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE family_time_plans f SET ended_on = NEW.effective_on - 1
     WHERE f.child_id = NEW.child_id AND f.deleted_at IS NULL
       AND cw_uuid_set(f.person_ids) = cw_uuid_set(NEW.person_ids)
       AND f.effective_on < NEW.effective_on
       AND (f.ended_on IS NULL OR f.ended_on >= NEW.effective_on);
    RETURN NEW;
END
$$;

CREATE FUNCTION family_time_plans_sync_people() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.person_ids IS NOT DISTINCT FROM OLD.person_ids THEN
        RETURN NULL;
    END IF;
    DELETE FROM family_time_plan_people WHERE plan_id = NEW.id;
    INSERT INTO family_time_plan_people (plan_id, participant_id, case_id)
    SELECT DISTINCT NEW.id, p, NEW.case_id FROM unnest(NEW.person_ids) AS p;
    RETURN NULL;
END
$$;

CREATE TRIGGER family_time_plans_roles BEFORE INSERT OR UPDATE ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION family_time_plans_check_roles();
CREATE TRIGGER family_time_plans_end_previous BEFORE INSERT ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION family_time_plans_end_previous();
CREATE TRIGGER family_time_plans_touch BEFORE UPDATE ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER family_time_plans_audit AFTER INSERT OR UPDATE ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION cw_audit('family_time_plan');
CREATE TRIGGER family_time_plans_people AFTER INSERT OR UPDATE ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION family_time_plans_sync_people();
CREATE TRIGGER family_time_plans_no_delete BEFORE DELETE OR TRUNCATE ON family_time_plans
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

-- ---- family time as the report counts it --------------------------------

-- Every family_time visit, not virtual, not deleted, as one row per ordered
-- pair of different people at it (participant_id, then other_id) with the
-- visit's instant. Kept from visits by trigger (their participant_ids, type,
-- location, instant and deletion), so the family-time report finds a plan's
-- delivered visits, those of its child with one of its people, as one index
-- range per person, instead of joining each child's visits with every visit
-- of the plan's people. No roles are kept: a pair counts for whoever is a
-- plan's child and people when the report runs.
CREATE TABLE family_time_pairs (
    visit_id       uuid NOT NULL REFERENCES visits (id),
    participant_id uuid NOT NULL,
    other_id       uuid NOT NULL,
    visited_at     timestamptz NOT NULL,
    PRIMARY KEY (visit_id, participant_id, other_id),
    CHECK (participant_id <> other_id)
);
CREATE INDEX family_time_pairs_people_idx ON family_time_pairs (participant_id, other_id, visited_at)
    INCLUDE (visit_id);

CREATE FUNCTION visits_sync_family_time_pairs() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.participant_ids IS NOT DISTINCT FROM OLD.participant_ids
       AND NEW.visit_type IS NOT DISTINCT FROM OLD.visit_type AND NEW.location IS NOT DISTINCT FROM OLD.location
       AND NEW.visited_at IS NOT DISTINCT FROM OLD.visited_at
       AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM family_time_pairs WHERE visit_id = NEW.id;
    END IF;
    IF NEW.visit_type = 'family_time' AND NEW.location <> 'virtual' AND NEW.deleted_at IS NULL THEN
        INSERT INTO family_time_pairs (visit_id, participant_id, other_id, visited_at)
        SELECT DISTINCT NEW.id, a, b, NEW.visited_at
          FROM unnest(NEW.participant_ids) AS a, unnest(NEW.participant_ids) AS b
         WHERE a <> b;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER visits_family_time_pairs AFTER INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_sync_family_time_pairs();

INSERT INTO family_time_pairs (visit_id, participant_id, other_id, visited_at)
SELECT DISTINCT v.id, a, b, v.visited_at
  FROM visits v, unnest(v.participant_ids) AS a, unnest(v.participant_ids) AS b
 WHERE a <> b AND v.visit_type = 'family_time' AND v.location <> 'virtual' AND v.deleted_at IS NULL;
