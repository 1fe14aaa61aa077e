-- One batch of the visit-measure data set: families (cases) :g_from .. :g_to.
-- Run by tests/perf/bench-visit-measure.sh through psql, with the variables
--   g_from, g_to  the batch's family numbers (the 10 % set is 1 .. N/10, the rest N/10+1 .. N)
--   workers       caseworkers bench-worker-001.. (10 to a unit bench-unit-01..)
--   p0            the first day of the measured period (YYYY-MM-01)
--   months        the period's length in months
--   replica       true: bulk load with triggers off (see below); false: every trigger fires
--
-- Everything is set-based (generate_series, INSERT ... SELECT) and deterministic:
-- each family's, child's and month's draws are hashes of their numbers, so a
-- family is the same whether loaded in the 10 % batch or in a full load, and two
-- runs load the same data (only the visits' ids are random).
--
-- The family g: 1-5 children in out-of-home care (2.5 on average), 1-2 parents, one
-- foster parent; worker (g - 1) mod workers + 1. Each child's time in care: 68 % in
-- care the whole period, 14 % removed during it, 13 % discharged during it, 5 %
-- removed and discharged within it (any day of the month, so partial months at
-- both ends). Each month a child is in care, even partly: a caseworker visit with
-- probability 0.95, a second one with 0.10, on a day the child is in care, between
-- 08:00 and 19:00 in the agency's time zone (America/Chicago; the late ones on a
-- month's last day fall into the next month in UTC, as the service counts); 60 %
-- in the child's residence, 8 % virtual. In 30 % of the months where the first two
-- siblings are both in care all month, one visit sees both. Per family and month
-- it is open: a caseworker-parent visit with probability 0.40 and a family-time
-- visit (a parent and the first child) with 0.10; neither counts for the measure.
--
-- Removal episodes: the time in care above is each child's main episode; 8 % of the
-- children have a second one. A child discharged in the period re-enters care 1 to 60
-- days later (a quarter of them the next day: back to back), and stays or is
-- discharged again; any other child (and one whose re-entry would fall after the
-- period) had an earlier episode of 30 to 400 days that
-- ended 1 to 60 days before the removal (a quarter the day before). The months of a
-- second episode get visits as the main one's do. The child's in_care_since /
-- in_care_until are the latest episode's. Each episode has 1 to 4 placements (2.2 on
-- average), one after the other from the removal (each ends on the day the next
-- starts), the last open while the episode is; 5 % of the placements after the
-- first are trial home visits and 3 % runaways.
-- With triggers off (load-begin.sql): no permanency-goal history and no
-- visit_participants sync either; the latter is filled below with exactly the
-- rows the trigger writes.
\ir load-begin.sql

-- One of a list, by a draw.
CREATE FUNCTION pg_temp.pick(names text[], u float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT names[1 + floor(u * cardinality(names))::integer] $$;

CREATE TEMP TABLE b_period ON COMMIT DROP AS
SELECT :'p0'::date AS p0,
       (:'p0'::date + make_interval(months => :months))::date - :'p0'::date AS span;

-- The batch's children: key = g * 16 + k.
CREATE TEMP TABLE b_children ON COMMIT DROP AS
WITH fam AS (
    SELECT g, CASE WHEN u < 0.30 THEN 1 WHEN u < 0.55 THEN 2 WHEN u < 0.75 THEN 3
                   WHEN u < 0.90 THEN 4 ELSE 5 END AS n
      FROM (SELECT g, pg_temp.r(g, 1) AS u FROM generate_series(:g_from, :g_to) AS g) AS s
), kid AS (
    SELECT fam.g, fam.n, k, fam.g::bigint * 16 + k AS key,
           p.p0, p.span
      FROM fam CROSS JOIN b_period p CROSS JOIN LATERAL generate_series(1, fam.n) AS k
), drawn AS (
    SELECT kid.*, p0 - (30 + floor(pg_temp.r(key, 2) * 6200))::integer AS dob,
           pg_temp.r(key, 3) AS kind, pg_temp.r(key, 4) AS u4, pg_temp.r(key, 5) AS u5,
           floor(pg_temp.r(key, 4) * span * 0.7)::integer AS short_from
      FROM kid
)
SELECT g, k, n, key,
       md5('vm-child-' || g || '-' || k)::uuid AS id,
       md5('vm-case-' || g)::uuid AS case_id,
       dob,
       CASE WHEN kind < 0.68 THEN greatest(dob, p0 - 30 - floor(u4 * 2000)::integer)
            WHEN kind < 0.82 THEN p0 + floor(u4 * (span - 1))::integer
            WHEN kind < 0.95 THEN greatest(dob, p0 - 30 - floor(u4 * 1500)::integer)
            ELSE p0 + short_from END AS since,
       CASE WHEN kind < 0.82 THEN NULL
            WHEN kind < 0.95 THEN p0 + floor(u5 * (span - 1))::integer
            ELSE p0 + short_from + 20 + floor(u5 * (span - short_from - 21))::integer END AS until
  FROM drawn;

-- Every episode of the batch's children: n = 1 the main one, 2 a re-entry, 0 an
-- earlier one; latest marks the one whose dates the participant's are.
CREATE TEMP TABLE b_episodes ON COMMIT DROP AS
WITH second AS (
    SELECT ch.*, p.p0 + p.span - 1 AS p_end, pg_temp.r(ch.key, 41) AS u41, pg_temp.r(ch.key, 42) AS u42,
           CASE WHEN pg_temp.r(ch.key, 43) < 0.25 THEN 1 ELSE 1 + floor(pg_temp.r(ch.key, 44) * 60)::integer END AS gap
      FROM b_children ch CROSS JOIN b_period p
     WHERE pg_temp.r(ch.key, 40) < 0.092   -- a few cannot have one (too young): 8 % do
), every AS (
    SELECT key, 1 AS n, since, until FROM b_children
    UNION ALL
    SELECT key, 2, until + gap,
           CASE WHEN u41 >= 0.5 AND until + gap + 20 <= p_end
                THEN least(p_end, until + gap + 20 + floor(u42 * 200)::integer) END
      FROM second WHERE until IS NOT NULL AND until + gap <= p_end
    UNION ALL
    SELECT key, 0, greatest(dob, since - gap - 30 - floor(u41 * 370)::integer), since - gap
      FROM second WHERE (until IS NULL OR until + gap > p_end) AND since - gap >= dob
)
SELECT ch.g, ch.k, ch.n AS siblings, ch.key, ch.id AS participant_id, ch.case_id, e.n, e.since, e.until,
       e.since = max(e.since) OVER (PARTITION BY e.key) AS latest
  FROM every e JOIN b_children ch USING (key);

-- The batch's families.
CREATE TEMP TABLE b_cases ON COMMIT DROP AS
SELECT g, case_id, n, opened_on,
       CASE WHEN discharged THEN least(last_out + 5 + floor(pg_temp.r(g, 7) * 25)::integer, p1 - 1) END AS closed_on,
       1 + (pg_temp.r(g, 8) < 0.5)::integer AS parents,
       'bench-worker-' || lpad(((g - 1) % :workers + 1)::text, 3, '0') AS worker,
       'bench-unit-' || lpad((((g - 1) % :workers) / 10 + 1)::text, 2, '0') AS unit
  FROM (SELECT e.g, e.case_id, e.siblings AS n, min(e.since) - floor(pg_temp.r(e.g, 6) * 60)::integer AS opened_on,
               bool_and(e.until IS NOT NULL) FILTER (WHERE e.latest) AS discharged,
               max(e.until) FILTER (WHERE e.latest) AS last_out, min(p.p0 + p.span) AS p1
          FROM b_episodes e CROSS JOIN b_period p
         GROUP BY e.g, e.case_id, e.siblings) AS f;

INSERT INTO cases (id, case_number, family_name, case_type, status, opened_on, closed_on, closure_reason,
                   assigned_worker, unit, permanency_goal, permanency_goal_since, created_at, updated_at)
SELECT case_id, 'VM-' || lpad(g::text, 7, '0'),
       pg_temp.pick('{Garcia,Smith,Johnson,Williams,Brown,Jones,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Wilson,Anderson,Thomas,Taylor,Moore,Jackson,Martin,Lee,Thompson,White,Harris,Clark,Lewis,Robinson,Walker,Young,Allen,King}', pg_temp.r(g, 9)),
       'out_of_home', CASE WHEN closed_on IS NULL THEN 'open' ELSE 'closed' END, opened_on, closed_on,
       CASE WHEN closed_on IS NOT NULL THEN 'reunified' END,
       worker, unit,
       pg_temp.pick('{reunification,reunification,reunification,reunification,reunification,reunification,reunification,adoption,adoption,guardianship,live_with_relatives,appla,not_established}', pg_temp.r(g, 10)),
       opened_on + 45,
       opened_on + time '09:00', opened_on + time '09:00'
  FROM b_cases
 ORDER BY g;

INSERT INTO participants (id, case_id, first_name, last_name, role, date_of_birth, in_care_since, in_care_until,
                          created_at, updated_at)
SELECT ch.id, ch.case_id,
       pg_temp.pick('{Ava,Liam,Olivia,Noah,Emma,Elijah,Sophia,Mateo,Isabella,Lucas,Mia,Levi,Amelia,Ezra,Harper,Asher,Luna,James,Aria,Leo}', pg_temp.r(ch.key, 11)),
       'Family ' || ch.g, 'child', dob, e.since, e.until,
       ch.since + time '12:00', ch.since + time '12:00'
  FROM b_children ch JOIN b_episodes e ON e.key = ch.key AND e.latest
UNION ALL
SELECT md5('vm-parent-' || g || '-' || j)::uuid, case_id,
       pg_temp.pick('{Maria,James,Jennifer,Michael,Linda,David,Patricia,Robert,Jessica,Daniel,Sarah,Joseph}', pg_temp.r(g * 16 + j, 12)),
       'Family ' || g, 'parent', opened_on - 9000 - floor(pg_temp.r(g * 16 + j, 13) * 5000)::integer, NULL, NULL,
       opened_on + time '10:00', opened_on + time '10:00'
  FROM b_cases CROSS JOIN LATERAL generate_series(1, parents) AS j
UNION ALL
SELECT md5('vm-foster-' || g)::uuid, case_id, 'Pat', 'Foster ' || g, 'foster_parent', NULL, NULL, NULL,
       opened_on + time '11:00', opened_on + time '11:00'
  FROM b_cases;

-- The episodes. With triggers on, writing the participant's dates opened the latest
-- one (with discharge reason not_recorded); the others are written here. With them
-- off, all of them, the latest with that reason too; entered_care_on is what the
-- trigger sets before any hearing (sql/018): the removal + 60 days.
INSERT INTO episodes (participant_id, case_id, removed_on, removal_manner, removal_reasons, discharged_on,
                      discharge_reason, permanency_goal, entered_care_on, created_at, updated_at)
SELECT participant_id, case_id, since,
       CASE WHEN pg_temp.r(key * 4 + n, 45) < 0.8 THEN 'court_ordered' ELSE 'voluntary' END,
       ARRAY[pg_temp.pick('{neglect,neglect,neglect,parent_substance_use,parent_substance_use,physical_abuse,inadequate_housing,caretaker_inability,sexual_abuse,abandonment}', pg_temp.r(key * 4 + n, 46))],
       until,
       CASE WHEN until IS NULL THEN NULL WHEN latest THEN 'not_recorded'
            ELSE pg_temp.pick('{reunification,reunification,reunification,living_with_relatives,guardianship,adoption}', pg_temp.r(key * 4 + n, 47)) END,
       'reunification', since + 60, since + time '12:00', since + time '12:00'
  FROM b_episodes
 WHERE NOT latest OR :'replica' = 'true'
 ORDER BY key, since;

-- Each episode's placements: 1 to 4, one after the other from the removal to the
-- discharge (or the end of the period), the last open while the episode is.
CREATE TEMP TABLE b_placements ON COMMIT DROP AS
WITH eps AS (
    SELECT e.id AS episode_id, e.participant_id, e.case_id, e.removed_on, e.discharged_on,
           coalesce(e.discharged_on, p.p0 + p.span - 1) - e.removed_on AS len, be.key * 4 + be.n AS ekey
      FROM b_episodes be JOIN episodes e ON e.participant_id = be.participant_id AND e.removed_on = be.since
     CROSS JOIN b_period p
), counted AS (
    SELECT eps.*, least(1 + (pg_temp.r(ekey, 50) < 0.7)::integer + (pg_temp.r(ekey, 51) < 0.35)::integer
                        + (pg_temp.r(ekey, 52) < 0.15)::integer, greatest(1, len)) AS places
      FROM eps
)
SELECT c.episode_id, c.participant_id, c.case_id, i, c.places, c.discharged_on, c.ekey * 8 + i AS pkey,
       c.removed_on + (i - 1) * c.len / c.places AS started_on,
       CASE WHEN i < c.places THEN c.removed_on + i * c.len / c.places ELSE c.discharged_on END AS ended_on
  FROM counted c CROSS JOIN LATERAL generate_series(1, c.places) AS i;

INSERT INTO placements (episode_id, participant_id, case_id, started_on, ended_on, setting, provider_name,
                        end_reason, created_at, updated_at)
SELECT episode_id, participant_id, case_id, started_on, ended_on,
       CASE WHEN i > 1 AND pg_temp.r(pkey, 53) < 0.05 THEN 'trial_home_visit'
            WHEN i > 1 AND pg_temp.r(pkey, 53) < 0.08 THEN 'runaway'
            ELSE pg_temp.pick('{nonrelative_foster_home,nonrelative_foster_home,nonrelative_foster_home,relative_foster_home,relative_foster_home,group_home,pre_adoptive_home,institution}', pg_temp.r(pkey, 54)) END,
       'Provider ' || (pkey % 5000),
       CASE WHEN ended_on IS NULL THEN NULL WHEN i = places AND discharged_on IS NOT NULL THEN 'discharge'
            ELSE pg_temp.pick('{step_down,step_up,provider_request,child_behavior,kin_found,other}', pg_temp.r(pkey, 55)) END,
       started_on + time '13:00', started_on + time '13:00'
  FROM b_placements
 ORDER BY episode_id, started_on;

-- Each (child, month) with at least one day in care, the days in care in it, and
-- whether the first two siblings share a visit that month.
CREATE TEMP TABLE b_child_months ON COMMIT DROP AS
WITH months AS (
    SELECT m, (p.p0 + make_interval(months => m))::date AS first_day,
           (p.p0 + make_interval(months => m + 1))::date - 1 AS last_day
      FROM b_period p CROSS JOIN generate_series(0, :months - 1) AS m
)
SELECT ch.g, ch.k, ch.n, ch.key, ch.id, ch.case_id, mo.m,
       greatest(mo.first_day, ch.since) AS lo,
       least(mo.last_day, coalesce(ch.until, mo.last_day)) AS hi,
       ch.since <= mo.first_day AND (ch.until IS NULL OR ch.until >= mo.last_day) AS full_month
  FROM b_children ch
  JOIN months mo ON ch.since <= mo.last_day AND (ch.until IS NULL OR ch.until >= mo.first_day);

-- The same for the second episodes, under keys of their own (key + 8: a child's
-- number k is at most 5), so that their draws are their own.
CREATE TEMP TABLE b_extra_months ON COMMIT DROP AS
WITH months AS (
    SELECT m, (p.p0 + make_interval(months => m))::date AS first_day,
           (p.p0 + make_interval(months => m + 1))::date - 1 AS last_day
      FROM b_period p CROSS JOIN generate_series(0, :months - 1) AS m
)
SELECT e.g, e.k, e.siblings AS n, e.key + 8 AS key, e.participant_id AS id, e.case_id, mo.m,
       greatest(mo.first_day, e.since) AS lo,
       least(mo.last_day, coalesce(e.until, mo.last_day)) AS hi,
       false AS full_month
  FROM b_episodes e
  JOIN months mo ON e.since <= mo.last_day AND (e.until IS NULL OR e.until >= mo.first_day)
 WHERE e.n <> 1;

CREATE TEMP TABLE b_visits ON COMMIT DROP AS
WITH cm AS (
    SELECT a.*, b.id AS sibling,
           a.n >= 2 AND a.k <= 2 AND a.full_month AND coalesce(b.full_month, false)
           AND pg_temp.r(a.g::bigint * 64 + a.m, 20) < 0.30 AS joint
      FROM b_child_months a
      LEFT JOIN b_child_months b ON b.g = a.g AND b.m = a.m AND a.k <= 2 AND b.k = 3 - a.k
    UNION ALL
    SELECT x.*, NULL, false FROM b_extra_months x
), v AS (
    SELECT cm.*, s.seq, (cm.key * 64 + cm.m) * 4 + s.seq AS vkey
      FROM cm CROSS JOIN (VALUES (1), (2)) AS s (seq)
     WHERE (s.seq = 1 AND pg_temp.r(cm.key * 64 + cm.m, 21) < 0.95 AND NOT (cm.k = 2 AND cm.joint))
        OR (s.seq = 2 AND pg_temp.r(cm.key * 64 + cm.m, 22) < 0.10)
)
SELECT case_id,
       ((lo + floor(pg_temp.r(vkey, 23) * (hi - lo + 1))::integer)
        + make_interval(mins => 480 + floor(pg_temp.r(vkey, 24) * 660)::integer))
           AT TIME ZONE 'America/Chicago' AS visited_at,
       'caseworker_child' AS visit_type,
       CASE WHEN u < 0.60 THEN 'child_residence' WHEN u < 0.68 THEN 'virtual' WHEN u < 0.80 THEN 'school'
            WHEN u < 0.90 THEN 'office' WHEN u < 0.97 THEN 'community' ELSE 'other' END AS location,
       CASE WHEN joint AND k = 1 AND seq = 1 THEN ARRAY[id, sibling] ELSE ARRAY[id] END AS participant_ids,
       vkey
  FROM (SELECT v.*, pg_temp.r(vkey, 25) AS u FROM v) AS v2
UNION ALL
-- Caseworker-parent and family-time visits, per family and month it is open.
SELECT c.case_id,
       ((greatest(mo.first_day, c.opened_on)
         + floor(pg_temp.r(vkey, 23) * (least(mo.last_day, coalesce(c.closed_on, mo.last_day))
                                         - greatest(mo.first_day, c.opened_on) + 1))::integer)
        + make_interval(mins => 480 + floor(pg_temp.r(vkey, 24) * 660)::integer)) AT TIME ZONE 'America/Chicago',
       t.visit_type,
       CASE WHEN t.visit_type = 'family_time' THEN CASE WHEN pg_temp.r(vkey, 25) < 0.7 THEN 'office' ELSE 'community' END
            WHEN pg_temp.r(vkey, 25) < 0.65 THEN 'parent_home' WHEN pg_temp.r(vkey, 25) < 0.85 THEN 'office'
            WHEN pg_temp.r(vkey, 25) < 0.95 THEN 'virtual' ELSE 'community' END,
       CASE WHEN t.visit_type = 'family_time' THEN ARRAY[md5('vm-parent-' || c.g || '-1')::uuid, md5('vm-child-' || c.g || '-1')::uuid]
            WHEN c.parents = 2 AND pg_temp.r(vkey, 26) < 0.4 THEN ARRAY[md5('vm-parent-' || c.g || '-1')::uuid, md5('vm-parent-' || c.g || '-2')::uuid]
            ELSE ARRAY[md5('vm-parent-' || c.g || '-1')::uuid] END,
       vkey
  FROM b_cases c
 CROSS JOIN b_period p
 CROSS JOIN LATERAL (SELECT m, (p.p0 + make_interval(months => m))::date AS first_day,
                            (p.p0 + make_interval(months => m + 1))::date - 1 AS last_day
                       FROM generate_series(0, :months - 1) AS m) AS mo
 CROSS JOIN LATERAL (VALUES ('caseworker_parent', 0.40, 1), ('family_time', 0.10, 2)) AS t (visit_type, p, seq)
 CROSS JOIN LATERAL (SELECT -((c.g::bigint * 64 + mo.m) * 4 + t.seq) AS vkey) AS vk
 WHERE c.opened_on <= mo.last_day AND (c.closed_on IS NULL OR c.closed_on >= mo.first_day)
   AND pg_temp.r(vkey, 27) < t.p
   -- family time only while the first child is in care that day: keep it simple, in care all month
   AND (t.visit_type <> 'family_time' OR EXISTS (
        SELECT 1 FROM b_child_months cm WHERE cm.g = c.g AND cm.k = 1 AND cm.m = mo.m AND cm.full_month));

-- The visits as inserted, in the order of visited_at, the same with triggers or without.
CREATE TEMP VIEW b_visit_rows AS
SELECT case_id, visited_at, visit_type, location, participant_ids,
       20 + floor(pg_temp.r(vkey, 30) * 100)::integer AS duration_minutes,
       substr(repeat('Seen at the placement; talked about school, contact with parents and the plan. '
                     'Home clean and safe, sleeping arrangements seen. Next visit agreed. ', 3),
              1 + floor(pg_temp.r(vkey, 31) * 60)::integer, 80 + floor(pg_temp.r(vkey, 32) * 320)::integer) AS summary,
       pg_temp.r(vkey, 33) < 0.02 AS safety_concern,
       visited_at + make_interval(hours => 2 + floor(pg_temp.r(vkey, 34) * 70)::integer) AS created_at
  FROM b_visits;

\if :replica
WITH ins AS (
    INSERT INTO visits (case_id, visited_at, visit_type, location, participant_ids, duration_minutes, summary,
                        safety_concern, created_at, updated_at)
    SELECT *, created_at FROM b_visit_rows ORDER BY visited_at
    RETURNING id, case_id, participant_ids
)
-- What visits_sync_participants() writes for each new visit.
INSERT INTO visit_participants (visit_id, participant_id, case_id)
SELECT DISTINCT ins.id, p, ins.case_id FROM ins CROSS JOIN LATERAL unnest(ins.participant_ids) AS p;
\else
INSERT INTO visits (case_id, visited_at, visit_type, location, participant_ids, duration_minutes, summary,
                    safety_concern, created_at, updated_at)
SELECT *, created_at FROM b_visit_rows ORDER BY visited_at;
\endif

COMMIT;
