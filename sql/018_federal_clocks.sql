-- 018: the federal clocks of a child in care, and entered care with its
-- hearing part.
--
-- Federal law sets clocks on every removal episode (DOMAIN.md, "Court and the
-- federal clocks"): a case plan within 60 days of removal (45 CFR
-- 1356.21(g)), a review at least every 6 months (42 USC 675(5)(B)), a
-- permanency hearing within 12 months of entering care and every 12 months
-- after (675(5)(C)), and a petition to terminate parental rights once the
-- child has been in care 15 of the most recent 22 months (675(5)(E)).
--
-- Entered care (675(5)(F)) is the earlier of the first hearing within the
-- episode that found abuse or neglect and removal + 60 days. Until now
-- episodes.entered_care_on was removal + 60 days, a generated column. It is
-- now an ordinary column that triggers keep current, both ways: an episode's
-- own write computes it, and a hearing's write recomputes it for the episodes
-- of every child the hearing concerns, before and after the change. Such a
-- change is the episode's: a new version, an audit entry and a change in the
-- feed, in the name of whoever wrote the hearing. Hearings with a finding
-- have been held (sql/014: held_on is not after the day they were written),
-- so the value does not depend on the day it is read.
--
-- Hearing writes lock the episodes of their children before they read the
-- hearings, so two hearings written at once about one child leave the value
-- the later commit computes with both in view; an episode written at the same
-- time holds its own row, and the hearing's update waits for it and then
-- sees it. (The service also has hearings and episodes take their case's
-- lock exclusively, so they take turns per case before any of this.)
--
-- The clocks themselves depend on today, so they are computed when read, by
-- cw_clocks_of(), one statement for an episode or for a whole report.

ALTER TABLE episodes ALTER COLUMN entered_care_on DROP EXPRESSION;

-- The earlier of the first hearing concerning the child within the episode
-- that found abuse or neglect, and removal + 60 days.
CREATE FUNCTION cw_entered_care_on(child uuid, removed_on date, discharged_on date) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT least(removed_on + 60,
                 (SELECT min(hc.held_on) FROM hearing_children hc
                   WHERE hc.participant_id = child AND hc.abuse_neglect_found
                     AND hc.held_on >= removed_on AND (discharged_on IS NULL OR hc.held_on <= discharged_on)))
$$;

CREATE FUNCTION episodes_entered_care() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.entered_care_on := cw_entered_care_on(NEW.participant_id, NEW.removed_on, NEW.discharged_on);
    RETURN NEW;
END
$$;

CREATE FUNCTION hearings_entered_care() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    children uuid[] := NEW.child_ids;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.child_ids IS NOT DISTINCT FROM OLD.child_ids AND NEW.held_on IS NOT DISTINCT FROM OLD.held_on
           AND NEW.abuse_neglect_found IS NOT DISTINCT FROM OLD.abuse_neglect_found
           AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at THEN
            RETURN NULL;
        END IF;
        children := children || OLD.child_ids;
    END IF;
    PERFORM 1 FROM episodes WHERE participant_id = ANY (children) AND deleted_at IS NULL ORDER BY id FOR UPDATE;
    UPDATE episodes e SET entered_care_on = cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on)
     WHERE e.participant_id = ANY (children) AND e.deleted_at IS NULL
       AND e.entered_care_on IS DISTINCT FROM cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on);
    RETURN NULL;
END
$$;

CREATE TRIGGER episodes_entered_care BEFORE INSERT OR UPDATE OF participant_id, removed_on, discharged_on, entered_care_on
    ON episodes FOR EACH ROW EXECUTE FUNCTION episodes_entered_care();
-- After hearings_children (sql/014), which it reads: triggers fire by name.
CREATE TRIGGER hearings_entered_care AFTER INSERT OR UPDATE ON hearings
    FOR EACH ROW EXECUTE FUNCTION hearings_entered_care();

-- Hearings recorded before this migration count.
SELECT set_config('casework.actor', 'migration-018', true),
       set_config('casework.roles', 'administrator', true);
UPDATE episodes e SET entered_care_on = cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on)
 WHERE e.entered_care_on IS DISTINCT FROM cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on);

-- The days of s from a to b, both included.
CREATE FUNCTION cw_days_within(s datemultirange, a date, b date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(sum(upper(r) - lower(r)), 0)::integer FROM unnest(s * datemultirange(daterange(a, b, '[]'))) r $$;

-- The 15-of-22 rule over the days a child counts as in care (s: bounded
-- ranges): the first day D on which the days of s from D - 22 months + 1 day
-- to D add up to at least 457 (15 x 365.25 / 12, rounded up), or null.
--
-- D is a day of s (the count grows only on days of s), and not before the
-- 457th day of s, d0. When every day of s up to d0 lies within the 22 months
-- that end on d0 (a child who stayed in care, whatever the gaps before), D is
-- d0; otherwise the days of s after d0 are walked until the count reaches 457.
CREATE FUNCTION cw_tpr_reached_on(s datemultirange) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    r    daterange;
    seen integer := 0;
    d0   date;
    d    date;
BEGIN
    IF s IS NULL OR isempty(s) THEN
        RETURN NULL;
    END IF;
    FOR r IN SELECT x FROM unnest(s) x LOOP
        IF seen + (upper(r) - lower(r)) >= 457 THEN
            d0 := lower(r) + (457 - seen) - 1;
            EXIT;
        END IF;
        seen := seen + (upper(r) - lower(r));
    END LOOP;
    IF d0 IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(s) > (d0 - interval '22 months')::date THEN
        RETURN d0;
    END IF;
    FOR r IN SELECT x FROM unnest(s) x WHERE upper(x) > d0 LOOP
        d := greatest(lower(r), d0);
        WHILE d < upper(r) LOOP
            IF cw_days_within(s, (d - interval '22 months')::date + 1, d) >= 457 THEN
                RETURN d;
            END IF;
            d := d + 1;
        END LOOP;
    END LOOP;
    RETURN NULL;
END
$$;

-- The clocks of a set of episodes as of today, the agency's date; zone is
-- the agency's time zone, in which a plan's approved_at is a date. One
-- statement over the whole set, so that a report of many children reads each
-- table once rather than once a child:
--   picked          the episodes asked for;
--   child_episodes  every live episode of their children from its entered-care
--                   date to its discharge (to today while open);
--   excluded        the days a trial home visit or a runaway holds the child:
--                   the placement on a day is the one that covers it, and on
--                   a move day the one that starts that day, so such a
--                   placement that ends on the day the next starts leaves
--                   that day to the next;
--   counted         each child's days that count for the 15-of-22 rule;
--   tpr             the day it was reached (cw_tpr_reached_on).
CREATE FUNCTION cw_clocks_of(episode_ids uuid[], today date, zone text)
RETURNS TABLE (episode_id uuid,
               case_plan_due_on date, case_plan_met_on date, case_plan_status text,
               periodic_review_due_on date, periodic_review_last_hearing_on date, periodic_review_status text,
               permanency_hearing_due_on date, permanency_hearing_last_hearing_on date,
               permanency_hearing_status text,
               tpr_reached_on date, tpr_days_in_last_22_months integer, tpr_petition_on date, tpr_status text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH picked AS MATERIALIZED (
        SELECT e.id, e.participant_id, e.case_id, e.removed_on, e.discharged_on, e.entered_care_on,
               e.tpr_exception, least(coalesce(e.discharged_on, today), today) AS last_day
          FROM unnest(episode_ids) AS u (id) JOIN episodes e ON e.id = u.id
    ), child_episodes AS MATERIALIZED (
        SELECT e.id, e.participant_id, e.entered_care_on AS first_day,
               least(coalesce(e.discharged_on, today), today) AS last_day
          FROM episodes e
         WHERE e.participant_id IN (SELECT participant_id FROM picked) AND e.deleted_at IS NULL
           AND e.entered_care_on <= least(coalesce(e.discharged_on, today), today)
    ), excluded AS (
        SELECT pm.episode_id,
               range_agg(daterange(pm.started_on, pm.ended_on,
                                   CASE WHEN pm.next_start = pm.ended_on THEN '[)' ELSE '[]' END)) AS days
          FROM (SELECT pm.episode_id, pm.started_on, pm.ended_on, pm.setting,
                       lead(pm.started_on) OVER (PARTITION BY pm.episode_id ORDER BY pm.started_on) AS next_start
                  FROM placements pm
                 WHERE pm.episode_id IN (SELECT id FROM child_episodes) AND pm.deleted_at IS NULL) AS pm
         WHERE pm.setting IN ('trial_home_visit', 'runaway')
         GROUP BY pm.episode_id
    ), counted AS (
        SELECT ce.participant_id, range_agg(r.d) AS days
          FROM child_episodes ce LEFT JOIN excluded x ON x.episode_id = ce.id,
               LATERAL unnest(datemultirange(daterange(ce.first_day, ce.last_day, '[]'))
                              - coalesce(x.days, '{}'::datemultirange)) AS r (d)
         GROUP BY ce.participant_id
    ), tpr AS MATERIALIZED (
        SELECT c.participant_id,
               CASE WHEN (SELECT sum(upper(r) - lower(r)) FROM unnest(c.days) AS r) >= 457
                    THEN cw_tpr_reached_on(c.days) END AS reached_on,
               (SELECT coalesce(sum(upper(r) - lower(r)), 0)::integer
                  FROM unnest(c.days * datemultirange(daterange((today - interval '22 months')::date + 1, today, '[]'))) AS r)
                   AS in_22
          FROM counted c
    ), dated AS (
        SELECT p.*, p.removed_on + 60 AS plan_due,
               (SELECT min((pl.approved_at AT TIME ZONE zone)::date) FROM plans pl
                 WHERE pl.case_id = p.case_id AND pl.deleted_at IS NULL AND pl.approved_at IS NOT NULL
                   AND (pl.approved_at AT TIME ZONE zone)::date >= p.removed_on
                   AND (p.discharged_on IS NULL OR (pl.approved_at AT TIME ZONE zone)::date <= p.discharged_on))
                   AS plan_met,
               h.last_review, (coalesce(h.last_review, p.entered_care_on) + interval '6 months')::date AS review_due,
               h.last_permanency,
               (coalesce(h.last_permanency, p.entered_care_on) + interval '12 months')::date AS permanency_due,
               t.reached_on, coalesce(t.in_22, 0) AS in_22,
               (SELECT min(hc.held_on) FROM hearing_children hc
                 WHERE hc.participant_id = p.participant_id AND hc.hearing_type = 'tpr'
                   AND hc.held_on >= t.reached_on AND hc.held_on <= today) AS petition_on
          FROM picked p
          LEFT JOIN tpr t ON t.participant_id = p.participant_id,
               LATERAL (SELECT max(hc.held_on) FILTER (WHERE hc.hearing_type IN ('review', 'permanency'))
                                   AS last_review,
                               max(hc.held_on) FILTER (WHERE hc.hearing_type = 'permanency') AS last_permanency
                          FROM hearing_children hc
                         WHERE hc.participant_id = p.participant_id
                           AND hc.held_on BETWEEN p.removed_on AND p.last_day
                           AND hc.hearing_type IN ('review', 'permanency')) AS h
    )
    SELECT d.id, d.plan_due, d.plan_met,
           CASE WHEN d.plan_met <= d.plan_due THEN 'met'
                WHEN d.plan_met IS NOT NULL THEN 'met_late'
                WHEN d.discharged_on < d.plan_due THEN 'not_applicable'
                WHEN today <= d.plan_due THEN 'due' ELSE 'overdue' END,
           d.review_due, d.last_review,
           CASE WHEN d.discharged_on < d.review_due THEN 'not_applicable'
                WHEN today <= d.review_due THEN 'due' ELSE 'overdue' END,
           d.permanency_due, d.last_permanency,
           CASE WHEN d.discharged_on < d.permanency_due THEN 'not_applicable'
                WHEN today <= d.permanency_due THEN 'due' ELSE 'overdue' END,
           d.reached_on, d.in_22, d.petition_on,
           CASE WHEN d.reached_on IS NULL THEN 'not_reached'
                WHEN d.petition_on IS NOT NULL THEN 'petition_filed'
                WHEN d.tpr_exception IS NOT NULL THEN 'exception' ELSE 'no_action' END
      FROM dated d
$$;
