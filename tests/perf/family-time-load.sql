-- One batch of the family-time data set: for families (cases) :g_from .. :g_to of
-- the visit-measure data set (tests/perf/visit-measure-load.sql, loaded first for
-- the same batch), their family team meetings, family-time plans and weekly
-- family time. Run by tests/perf/bench-visit-measure.sh (REPORT=family-time)
-- through psql, with the variables
--   g_from, g_to  the batch's family numbers
--   p0            the first day of the measured period (YYYY-MM-01)
--   months        the period's length in months
--   replica       true: bulk load with triggers off; false: every trigger fires
--
-- Deterministic like the visit-measure load: each draw is a hash of the child's
-- key (g * 16 + k, read back from the child's id) and a salt.
--
-- Every child in care during the period: a team decision-making meeting at the
-- removal (a few days after in_care_since) with the first parent and the child,
-- one other person present, a recommendation, consensus in 80 %. 80 % of them
-- have a family-time plan with the first parent (and the second, in 30 % of
-- families with two), weekly (4 a month), supervised, from a week or so after the
-- removal to the discharge; in 25 % of those the plan steps up mid-period to a
-- twice-weekly unsupervised one (8 a month), which ends the first the day before.
-- Family time under each plan, on a day it is in force and the child is in care:
-- weekly for the first plan, twice weekly for the second, each visit delivered
-- with probability 0.85, 08:00 to 19:00 in America/Chicago; 5 % of them virtual
-- (which do not count), the rest at the office, in the community or the parent's
-- home.
\ir load-begin.sql

CREATE TEMP TABLE f_period ON COMMIT DROP AS
SELECT :'p0'::date AS p0, (:'p0'::date + make_interval(months => :months))::date AS p1;

-- The batch's children in care at some time of the period, with their keys.
CREATE TEMP TABLE f_children ON COMMIT DROP AS
SELECT c.g, k.k, c.g::bigint * 16 + k.k AS key, p.id, p.case_id, p.in_care_since AS since, p.in_care_until AS until,
       md5('vm-parent-' || c.g || '-1')::uuid AS parent1,
       (SELECT q.id FROM participants q WHERE q.id = md5('vm-parent-' || c.g || '-2')::uuid) AS parent2
  FROM (SELECT g, md5('vm-case-' || g)::uuid AS case_id FROM generate_series(:g_from, :g_to) AS g) AS c
 CROSS JOIN generate_series(1, 5) AS k (k)
  JOIN participants p ON p.id = md5('vm-child-' || c.g || '-' || k.k)::uuid
 CROSS JOIN f_period f
 WHERE p.in_care_since < f.p1 AND (p.in_care_until IS NULL OR p.in_care_until >= f.p0);

-- One meeting at each removal.
CREATE TEMP TABLE f_meetings ON COMMIT DROP AS
SELECT key, case_id, since + floor(pg_temp.r(key, 41) * 4)::integer AS held_on,
       ARRAY[parent1, id] AS participant_ids,
       jsonb_build_array(jsonb_build_object(
           'name', (ARRAY['J. Ortiz', 'Rev. Kim', 'A. Novak', 'D. Mensah'])[1 + floor(pg_temp.r(key, 42) * 4)::integer],
           'relationship', (ARRAY['service provider', 'pastor', 'neighbour', 'family friend'])[1 + floor(pg_temp.r(key, 42) * 4)::integer]))
           AS others_present,
       CASE WHEN pg_temp.r(key, 43) < 0.35 THEN 'place_with_relative' ELSE 'place_in_foster_care' END AS recommendation,
       pg_temp.r(key, 44) < 0.8 AS consensus
  FROM f_children;

INSERT INTO meetings (case_id, meeting_type, reason, held_on, facilitator, participant_ids, others_present,
                      decision, recommendation, consensus, created_at, updated_at)
SELECT case_id, 'team_decision_making', 'considered_removal', held_on, 'TDM facilitator', participant_ids,
       others_present, 'The team agreed on a placement and on family time while the child is in care.',
       recommendation, consensus, held_on + time '17:00', held_on + time '17:00'
  FROM f_meetings
 ORDER BY held_on;

-- Plans: the first from about a week after the removal; in a quarter, a second one
-- mid-period that ends the first the day before.
CREATE TEMP TABLE f_plans ON COMMIT DROP AS
WITH drawn AS (
    SELECT ch.*, f.p0, f.p1,
           ch.since + 5 + floor(pg_temp.r(key, 45) * 10)::integer AS first_on,
           CASE WHEN ch.parent2 IS NOT NULL AND pg_temp.r(key, 46) < 0.3 THEN ARRAY[ch.parent1, ch.parent2]
                ELSE ARRAY[ch.parent1] END AS people,
           CASE WHEN pg_temp.r(key, 47) < 0.25
                THEN f.p0 + 15 + floor(pg_temp.r(key, 48) * ((f.p1 - f.p0) * 0.8))::integer END AS step_on
      FROM f_children ch CROSS JOIN f_period f
     WHERE pg_temp.r(key, 49) < 0.8
), plans AS (
    SELECT d.*, d.step_on IS NOT NULL AND d.step_on > d.first_on
                AND (d.until IS NULL OR d.step_on <= d.until) AS steps
      FROM drawn d
     WHERE d.until IS NULL OR d.first_on <= d.until
)
SELECT key, 1 AS seq, id AS child_id, case_id, people, 4 AS per_month, 'supervised' AS supervision,
       first_on AS effective_on, CASE WHEN steps THEN step_on - 1 ELSE until END AS ended_on, since, until
  FROM plans
UNION ALL
SELECT key, 2, id, case_id, people, 8, 'unsupervised', step_on, until, since, until
  FROM plans WHERE steps;

-- With triggers off, the rows the triggers would write are written here.
WITH ins AS (
    INSERT INTO family_time_plans (case_id, child_id, person_ids, visits_per_month, minutes_per_visit, supervision,
                                   effective_on, ended_on, created_at, updated_at)
    SELECT case_id, child_id, people, per_month, 60 + 60 * (seq - 1), supervision, effective_on, ended_on,
           effective_on + time '09:00', effective_on + time '09:00'
      FROM f_plans
     ORDER BY effective_on
    RETURNING id, case_id, person_ids
)
INSERT INTO family_time_plan_people (plan_id, participant_id, case_id)
SELECT ins.id, p, ins.case_id FROM ins CROSS JOIN LATERAL unnest(ins.person_ids) AS p WHERE :'replica'::boolean;
\if :replica
INSERT INTO meeting_participants (meeting_id, participant_id, case_id)
SELECT m.id, p, m.case_id FROM meetings m CROSS JOIN LATERAL unnest(m.participant_ids) AS p
 WHERE m.case_id IN (SELECT case_id FROM f_children);
INSERT INTO meeting_others (meeting_id, position, case_id, name, relationship)
SELECT m.id, o.n, m.case_id, o.v ->> 'name', o.v ->> 'relationship'
  FROM meetings m CROSS JOIN LATERAL jsonb_array_elements(m.others_present) WITH ORDINALITY AS o (v, n)
 WHERE m.case_id IN (SELECT case_id FROM f_children);
\endif

-- Family time: a slot a week (two for the twice-weekly plan) while the plan is in
-- force and the child in care, inside the period and not in the future.
CREATE TEMP TABLE f_visits ON COMMIT DROP AS
WITH span AS (
    SELECT pl.*, greatest(pl.effective_on, f.p0) AS lo,
           least(coalesce(pl.ended_on, f.p1 - 1), coalesce(pl.until, f.p1 - 1), f.p1 - 1, current_date - 1) AS hi
      FROM f_plans pl CROSS JOIN f_period f
), slots AS (
    SELECT s.*, w, slot, (s.key * 1024 + w) * 4 + s.seq * 2 + slot AS vkey
      FROM span s
     CROSS JOIN LATERAL generate_series(0, (s.hi - s.lo) / 7) AS w
     CROSS JOIN LATERAL generate_series(0, s.seq - 1) AS slot
     WHERE s.hi >= s.lo
)
SELECT case_id,
       ((least(lo + w * 7 + slot * 3 + floor(pg_temp.r(vkey, 50) * 3)::integer, hi))
        + make_interval(mins => 480 + floor(pg_temp.r(vkey, 51) * 660)::integer)) AT TIME ZONE 'America/Chicago'
           AS visited_at,
       CASE WHEN u < 0.05 THEN 'virtual' WHEN u < 0.65 THEN 'office' WHEN u < 0.90 THEN 'community'
            ELSE 'parent_home' END AS location,
       array_prepend(child_id, people) AS participant_ids,
       vkey
  FROM (SELECT slots.*, pg_temp.r(vkey, 52) AS u FROM slots) AS s2
 WHERE pg_temp.r(vkey, 53) < 0.85;

WITH ins AS (
    INSERT INTO visits (case_id, visited_at, visit_type, location, participant_ids, duration_minutes, summary,
                        safety_concern, created_at, updated_at)
    SELECT case_id, visited_at, 'family_time', location, participant_ids, 60 + floor(pg_temp.r(vkey, 54) * 60)::integer,
           'Family time as planned; the parent arrived on time and the visit went well.', false,
           visited_at + interval '3 hours', visited_at + interval '3 hours'
      FROM f_visits
     ORDER BY visited_at
    RETURNING id, case_id, participant_ids
)
INSERT INTO visit_participants (visit_id, participant_id, case_id)
SELECT DISTINCT ins.id, p, ins.case_id FROM ins CROSS JOIN LATERAL unnest(ins.participant_ids) AS p
 WHERE :'replica'::boolean;

-- With triggers off, the family-time pairs of the batch's family time (this
-- load's, and the visit-measure load's family_time visits), as the trigger
-- writes them.
INSERT INTO family_time_pairs (visit_id, participant_id, other_id, visited_at)
SELECT DISTINCT v.id, a, b, v.visited_at
  FROM visits v, unnest(v.participant_ids) AS a, unnest(v.participant_ids) AS b
 WHERE :'replica'::boolean AND a <> b
   AND v.case_id IN (SELECT md5('vm-case-' || g)::uuid FROM generate_series(:g_from, :g_to) AS g)
   AND v.visit_type = 'family_time' AND v.location <> 'virtual' AND v.deleted_at IS NULL;

COMMIT;
