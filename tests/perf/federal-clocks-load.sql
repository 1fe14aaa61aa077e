-- Court hearings and approved case plans for the visit-measure data set
-- (tests/perf/visit-measure-load.sql), for the federal-clocks benchmark: run
-- after each batch of families, it adds them to every episode and case that
-- has none yet. Variables:
--   today    the agency's date (YYYY-MM-DD) the data is made around
--   zone     the agency's time zone
--   replica  true: triggers off (no audit rows); hearing_children and each
--            episode's entered_care_on are then filled here, as the triggers
--            would; false: every trigger fires
--
-- Deterministic: every draw is a hash of the case's id, or of the episode's child
-- and removal day (an episode's own id is random).
-- Each removal episode gets about 3 hearings about its child:
--   an adjudication 10 to 50 days after the removal, finding abuse or neglect in
--     75 % of them (which brings entered care before day 60 for most);
--   a disposition 50 to 90 days after the removal, for half of the episodes;
--   reviews every 150 to 200 days, up to two, each held with probability 0.8;
--   a permanency hearing 300 to 380 days after the removal, for episodes that long;
--   a tpr hearing 470 to 600 days after the removal for a quarter of those in care that long;
--   and for a third of the open episodes, the next hearing, scheduled 10 to 90 days ahead.
-- Hearings after the discharge are not held; those after today are scheduled, without findings.
-- Each case gets one plan, approved 20 to 90 days after its first removal at 10:00
-- in the agency's zone (a draft when that is after today).
\ir load-begin.sql

-- The same draw from a uuid key (load-begin.sql's takes a number).
CREATE FUNCTION pg_temp.r(k uuid, salt integer) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashtextextended(k::text, salt) & 2147483647)::float8 / 2147483648.0 $$;

CREATE TEMP TABLE b_new_hearings ON COMMIT DROP AS
WITH eps AS (
    SELECT e.id, md5(e.participant_id::text || e.removed_on)::uuid AS key, e.participant_id, e.case_id,
           e.removed_on, e.discharged_on, least(coalesce(e.discharged_on, :'today'::date), :'today'::date) AS last_day
      FROM episodes e
     WHERE e.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM hearing_children hc WHERE hc.participant_id = e.participant_id)
), drawn AS (
    SELECT eps.*, h.kind, h.n, h.at
      FROM eps CROSS JOIN LATERAL (VALUES
          ('adjudication', 1, eps.removed_on + 10 + floor(pg_temp.r(eps.key, 1) * 40)::integer),
          ('disposition', 2, CASE WHEN pg_temp.r(eps.key, 2) < 0.5
                                  THEN eps.removed_on + 50 + floor(pg_temp.r(eps.key, 3) * 40)::integer END),
          ('review', 3, CASE WHEN pg_temp.r(eps.key, 4) < 0.8
                             THEN eps.removed_on + 150 + floor(pg_temp.r(eps.key, 5) * 50)::integer END),
          ('review', 4, CASE WHEN pg_temp.r(eps.key, 6) < 0.8
                             THEN eps.removed_on + 330 + floor(pg_temp.r(eps.key, 7) * 50)::integer END),
          ('permanency', 5, eps.removed_on + 300 + floor(pg_temp.r(eps.key, 8) * 80)::integer),
          ('tpr', 6, CASE WHEN pg_temp.r(eps.key, 9) < 0.25
                          THEN eps.removed_on + 470 + floor(pg_temp.r(eps.key, 10) * 130)::integer END),
          ('review', 7, CASE WHEN eps.discharged_on IS NULL AND pg_temp.r(eps.key, 11) < 0.33
                             THEN :'today'::date + 10 + floor(pg_temp.r(eps.key, 12) * 80)::integer END)
      ) AS h (kind, n, at)
     WHERE h.at IS NOT NULL AND (h.at <= eps.last_day OR (h.n = 7))
)
SELECT gen_random_uuid() AS id, d.case_id, d.participant_id, d.kind, d.at, d.n,
       d.at <= :'today'::date AS held,
       d.kind = 'adjudication' AND pg_temp.r(d.key, 13) < 0.75 AS found
  FROM drawn d;

INSERT INTO hearings (id, case_id, hearing_type, held_on, child_ids, contrary_to_welfare, reasonable_efforts,
                      abuse_neglect_found, outcome, next_hearing_on, created_at, updated_at)
SELECT h.id, h.case_id, h.kind, h.at, ARRAY[h.participant_id],
       CASE WHEN h.held AND h.kind IN ('removal', 'adjudication') THEN true END,
       CASE WHEN h.held THEN 'made' END,
       CASE WHEN h.held AND h.kind = 'adjudication' THEN h.found END,
       CASE WHEN h.held THEN 'Continued; services as ordered.' END,
       NULL, h.at + time '16:00', h.at + time '16:00'
  FROM b_new_hearings h
 ORDER BY h.at, h.id;

\if :replica
INSERT INTO hearing_children (hearing_id, participant_id, case_id, hearing_type, held_on, abuse_neglect_found)
SELECT h.id, h.participant_id, h.case_id, h.kind, h.at, h.held AND h.found
  FROM b_new_hearings h;
UPDATE episodes e SET entered_care_on = cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on)
 WHERE e.participant_id IN (SELECT participant_id FROM b_new_hearings WHERE found)
   AND e.entered_care_on IS DISTINCT FROM cw_entered_care_on(e.participant_id, e.removed_on, e.discharged_on);
\endif

INSERT INTO plans (case_id, status, effective_on, review_due_on, family_participated, approved_by, approved_at,
                   created_at, updated_at)
SELECT c.case_id, CASE WHEN c.approve_on <= :'today'::date THEN 'active' ELSE 'draft' END,
       c.approve_on, (c.approve_on + interval '6 months')::date, true,
       CASE WHEN c.approve_on <= :'today'::date THEN 'bench-supervisor' END,
       CASE WHEN c.approve_on <= :'today'::date THEN (c.approve_on + time '10:00') AT TIME ZONE :'zone' END,
       (c.approve_on - 5) + time '09:00', (c.approve_on - 5) + time '09:00'
  FROM (SELECT e.case_id, min(e.removed_on) + 20 + floor(pg_temp.r(e.case_id, 14) * 70)::integer AS approve_on
          FROM episodes e
         WHERE e.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.case_id = e.case_id)
         GROUP BY e.case_id) AS c;
COMMIT;
