-- 016: a child's time in care as removal episodes, each with its placements.
--
-- Until now a child's time in care was one pair of dates on the participant
-- (in_care_since, in_care_until). A child who went home and came back into
-- care lost the first removal, and nothing could say where the child lived.
-- Now every removal is an episode (removal and discharge with their reasons,
-- the permanency and concurrent goals), and within it the child lives in a
-- sequence of placements.
--
-- The rules hold in the database whatever the application does, and under
-- concurrent writers:
--   * a child's episodes never overlap (an exclusion constraint over
--     [removed_on, discharged_on], an open episode reaching to infinity, so
--     only the latest may be open);
--   * a discharge is on or after the removal, and has a reason;
--   * placements lie inside their episode and do not overlap, except that one
--     may end on the day the next starts (a move day);
--   * discharging an episode ends its open placement on the discharge date,
--     with end reason 'discharge', in the same transaction.
-- The service checks the same rules first, to name the field or the record
-- in the way; these are what hold when two requests race.
--
-- The participant's in_care_since / in_care_until stay, as the latest
-- episode's removed_on / discharged_on: kept by the triggers below in both
-- directions, so that existing clients and the participant's field history
-- go on working. Writing them on a child edits the latest episode, or opens
-- the first; such an episode discharged without a reason gets
-- 'not_recorded' (the service refuses it from clients).
--
-- Episodes and placements are audited and numbered in the change feed like
-- every kind of record; the episodes this migration makes from the
-- participants' dates are written on the record of 'migration-016'. Like the
-- other tables of records (sql/015), their pages keep a tenth free for
-- updates that touch no indexed column (goals, reasons, notes, a provider).

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The days of an episode, both ends included; an open one never ends.
CREATE FUNCTION cw_episode_days(removed_on date, discharged_on date) RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT daterange(removed_on, discharged_on, '[]') $$;

-- The days a placement holds against the others of its episode: from its
-- start up to, not including, its end, so that the next may start on the day
-- it ends; a placement that ends on the day it starts holds that one day.
CREATE FUNCTION cw_placement_hold(started_on date, ended_on date) RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT daterange(started_on, CASE WHEN ended_on IS NOT NULL THEN greatest(ended_on, started_on + 1) END) $$;

CREATE TABLE episodes (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant_id   uuid NOT NULL,
    case_id          uuid NOT NULL,
    removed_on       date NOT NULL,
    removal_manner   text CHECK (removal_manner IN ('court_ordered', 'voluntary')),
    removal_reasons  text[] CHECK (cardinality(removal_reasons) >= 1 AND removal_reasons <@ ARRAY[
                         'neglect', 'physical_abuse', 'sexual_abuse', 'parent_substance_use',
                         'parent_incarceration', 'inadequate_housing', 'caretaker_inability',
                         'child_behavior', 'abandonment', 'other']),
    discharged_on    date,
    discharge_reason text CHECK (discharge_reason IN ('reunification', 'living_with_relatives', 'adoption',
                                                      'guardianship', 'emancipation',
                                                      'transfer_to_another_agency', 'runaway', 'death',
                                                      'not_recorded')),
    permanency_goal  text CHECK (permanency_goal IN ('reunification', 'live_with_relatives', 'adoption',
                                                     'guardianship', 'appla', 'not_established')),
    concurrent_goal  text CHECK (concurrent_goal IN ('reunification', 'live_with_relatives', 'adoption',
                                                     'guardianship', 'appla', 'not_established')),
    tpr_exception    text CHECK (tpr_exception IN ('relative_placement', 'compelling_reason',
                                                   'services_not_provided')),
    notes            text,
    -- When the child entered care for the federal clocks (42 USC 675(5)(F)): the
    -- removal + 60 days, until hearings are recorded (the earlier of that and the
    -- first hearing that finds abuse or neglect).
    entered_care_on  date NOT NULL GENERATED ALWAYS AS (removed_on + 60) STORED,
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    UNIQUE (id, participant_id, case_id),
    FOREIGN KEY (participant_id, case_id) REFERENCES participants (id, case_id),
    CONSTRAINT episodes_discharge_after_removal CHECK (discharged_on >= removed_on),
    CONSTRAINT episodes_discharge_reason CHECK ((discharged_on IS NULL) = (discharge_reason IS NULL)),
    CONSTRAINT episodes_concurrent_goal_differs CHECK (concurrent_goal <> permanency_goal),
    CONSTRAINT episodes_no_overlap EXCLUDE USING gist
        (participant_id WITH =, cw_episode_days(removed_on, discharged_on) WITH &&) WHERE (deleted_at IS NULL)
) WITH (fillfactor = 90);
CREATE INDEX episodes_participant_page_idx ON episodes (participant_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX episodes_page_idx ON episodes (created_at, id) WHERE deleted_at IS NULL;
-- The visit measure and the placement-stability report read a unit's
-- episodes through its cases, from the index alone.
CREATE INDEX episodes_case_idx ON episodes (case_id) INCLUDE (participant_id, removed_on, discharged_on)
    WHERE deleted_at IS NULL;

CREATE TABLE placements (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id     uuid NOT NULL,
    participant_id uuid NOT NULL,
    case_id        uuid NOT NULL,
    started_on     date NOT NULL,
    ended_on       date,
    setting        text NOT NULL CHECK (setting IN ('relative_foster_home', 'nonrelative_foster_home',
                                                    'pre_adoptive_home', 'group_home', 'institution',
                                                    'supervised_independent_living', 'trial_home_visit',
                                                    'runaway')),
    provider_name  text,
    end_reason     text CHECK (end_reason IN ('step_down', 'step_up', 'reunification', 'provider_request',
                                              'child_behavior', 'allegation_in_care', 'kin_found', 'discharge',
                                              'other')),
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    UNIQUE (id, case_id),
    FOREIGN KEY (episode_id, participant_id, case_id) REFERENCES episodes (id, participant_id, case_id),
    CONSTRAINT placements_end_after_start CHECK (ended_on >= started_on),
    CONSTRAINT placements_end_reason CHECK ((ended_on IS NULL) = (end_reason IS NULL)),
    CONSTRAINT placements_no_overlap EXCLUDE USING gist
        (episode_id WITH =, cw_placement_hold(started_on, ended_on) WITH &&) WHERE (deleted_at IS NULL)
) WITH (fillfactor = 90);
CREATE INDEX placements_episode_page_idx ON placements (episode_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX placements_page_idx ON placements (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX placements_case_idx ON placements (case_id) INCLUDE (episode_id, started_on, setting)
    WHERE deleted_at IS NULL;

-- An episode is a child's, of the child's case.
CREATE FUNCTION episodes_of_a_child() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM participants WHERE id = NEW.participant_id AND role = 'child') THEN
        RAISE EXCEPTION 'casework: only a child has removal episodes'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'episodes_of_a_child';
    END IF;
    RETURN NULL;
END
$$;

-- The participant's in_care_since / in_care_until are the latest live
-- episode's dates (both null without one). Writes nothing when they already
-- are, so that the write that came from the participant stops here.
CREATE FUNCTION episodes_to_participant() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    since date;
    until date;
BEGIN
    SELECT e.removed_on, e.discharged_on INTO since, until
      FROM episodes e
     WHERE e.participant_id = NEW.participant_id AND e.deleted_at IS NULL
     ORDER BY e.removed_on DESC LIMIT 1;
    UPDATE participants SET in_care_since = since, in_care_until = until
     WHERE id = NEW.participant_id
       AND (in_care_since IS DISTINCT FROM since OR in_care_until IS DISTINCT FROM until);
    RETURN NULL;
END
$$;

-- A client that writes a child's in_care_since / in_care_until edits the
-- latest episode (clearing in_care_since deletes it), or opens the first.
-- Does nothing when they already are the latest episode's dates (the write
-- came from an episode).
CREATE FUNCTION participants_to_episodes() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    latest episodes%ROWTYPE;
BEGIN
    SELECT * INTO latest FROM episodes
     WHERE participant_id = NEW.id AND deleted_at IS NULL
     ORDER BY removed_on DESC LIMIT 1
       FOR UPDATE;
    IF NOT FOUND THEN
        IF NEW.in_care_since IS NOT NULL THEN
            INSERT INTO episodes (participant_id, case_id, removed_on, discharged_on, discharge_reason)
            VALUES (NEW.id, NEW.case_id, NEW.in_care_since, NEW.in_care_until,
                    CASE WHEN NEW.in_care_until IS NOT NULL THEN 'not_recorded' END);
        END IF;
    ELSIF NEW.in_care_since IS NULL THEN
        UPDATE episodes SET deleted_at = now() WHERE id = latest.id;
    ELSIF latest.removed_on <> NEW.in_care_since OR latest.discharged_on IS DISTINCT FROM NEW.in_care_until THEN
        UPDATE episodes
           SET removed_on = NEW.in_care_since, discharged_on = NEW.in_care_until,
               discharge_reason = CASE WHEN NEW.in_care_until IS NOT NULL
                                       THEN coalesce(latest.discharge_reason, 'not_recorded') END
         WHERE id = latest.id;
    END IF;
    RETURN NULL;
END
$$;

-- A placement lies inside its episode: from the removal to the discharge,
-- both included (and has ended when the episode has). The episode is read
-- FOR SHARE, so that a discharge written at the same time waits for this
-- placement, and then sees it.
CREATE FUNCTION placements_inside_episode() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    e episodes%ROWTYPE;
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO e FROM episodes WHERE id = NEW.episode_id FOR SHARE;
    IF NOT cw_episode_days(e.removed_on, e.discharged_on) @> daterange(NEW.started_on, NEW.ended_on, '[]') THEN
        RAISE EXCEPTION 'casework: a placement lies inside its episode'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'placements_inside_episode';
    END IF;
    RETURN NULL;
END
$$;

-- A discharge ends the episode's open placement on the discharge date; then
-- every placement must still lie inside the episode's new dates.
CREATE FUNCTION episodes_hold_placements() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.discharged_on IS NOT NULL AND NEW.discharged_on IS DISTINCT FROM OLD.discharged_on THEN
        UPDATE placements SET ended_on = NEW.discharged_on, end_reason = 'discharge'
         WHERE episode_id = NEW.id AND deleted_at IS NULL AND ended_on IS NULL
           AND started_on <= NEW.discharged_on;
    END IF;
    IF EXISTS (SELECT 1 FROM placements p
                WHERE p.episode_id = NEW.id AND p.deleted_at IS NULL
                  AND NOT cw_episode_days(NEW.removed_on, NEW.discharged_on)
                          @> daterange(p.started_on, p.ended_on, '[]')) THEN
        RAISE EXCEPTION 'casework: a placement lies inside its episode'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'placements_inside_episode';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER episodes_touch BEFORE UPDATE ON episodes FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER episodes_audit AFTER INSERT OR UPDATE ON episodes FOR EACH ROW EXECUTE FUNCTION cw_audit('episode');
CREATE TRIGGER episodes_of_a_child AFTER INSERT OR UPDATE ON episodes
    FOR EACH ROW EXECUTE FUNCTION episodes_of_a_child();
CREATE TRIGGER episodes_hold_placements AFTER UPDATE OF removed_on, discharged_on, deleted_at ON episodes
    FOR EACH ROW EXECUTE FUNCTION episodes_hold_placements();
CREATE TRIGGER episodes_to_participant AFTER INSERT OR UPDATE OF removed_on, discharged_on, deleted_at ON episodes
    FOR EACH ROW EXECUTE FUNCTION episodes_to_participant();
CREATE TRIGGER episodes_no_delete BEFORE DELETE OR TRUNCATE ON episodes
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

CREATE TRIGGER placements_touch BEFORE UPDATE ON placements FOR EACH ROW EXECUTE FUNCTION cw_touch();
CREATE TRIGGER placements_audit AFTER INSERT OR UPDATE ON placements
    FOR EACH ROW EXECUTE FUNCTION cw_audit('placement');
CREATE TRIGGER placements_inside_episode AFTER INSERT OR UPDATE OF episode_id, started_on, ended_on, deleted_at
    ON placements FOR EACH ROW EXECUTE FUNCTION placements_inside_episode();
CREATE TRIGGER placements_no_delete BEFORE DELETE OR TRUNCATE ON placements
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('casework rows are never removed; set deleted_at');

-- Every child's dates become a first episode. A discharge date without a
-- reason is 'not_recorded' until someone records the real one.
SELECT set_config('casework.actor', 'migration-016', true),
       set_config('casework.roles', 'administrator', true);

INSERT INTO episodes (participant_id, case_id, removed_on, discharged_on, discharge_reason, created_at, updated_at)
SELECT p.id, p.case_id, p.in_care_since, p.in_care_until,
       CASE WHEN p.in_care_until IS NOT NULL THEN 'not_recorded' END, p.updated_at, p.updated_at
  FROM participants p
 WHERE p.in_care_since IS NOT NULL
 ORDER BY p.created_at, p.id;

-- From here on, writes of the participant's dates go to the episodes.
CREATE TRIGGER participants_to_episodes AFTER INSERT ON participants
    FOR EACH ROW WHEN (NEW.in_care_since IS NOT NULL) EXECUTE FUNCTION participants_to_episodes();
CREATE TRIGGER participants_to_episodes_on_change AFTER UPDATE OF in_care_since, in_care_until ON participants
    FOR EACH ROW WHEN (OLD.in_care_since IS DISTINCT FROM NEW.in_care_since
                       OR OLD.in_care_until IS DISTINCT FROM NEW.in_care_until)
    EXECUTE FUNCTION participants_to_episodes();
