-- 011: who sees substance use treatment records, decided once, beside
-- cw_visible(); and the functions nothing calls any more, dropped.
--
-- Substance use treatment referrals (42 CFR Part 2) are narrower than the
-- case they belong to: the case's assigned worker, a supervisor of its unit
-- and whoever sees them all (administrators; auditors and integrations when
-- the deployment discloses them: lib/access.c says who) see them. The rule was
-- typed out in each query that read them (referrals, reports, field history,
-- the audit trail, the change feed); now each of those calls this function.
-- Like cw_visible(), it is one SQL expression, which the planner inlines into
-- the query that calls it, so the plans are the ones the queries had.
--
--   is_protected  whether the row is such a record (a referral's service type,
--                 or for audit rows, whether the record ever was one)
--   case_worker, case_unit  of the record's case (NULL where the reader never
--                 sees protected records through their case: the audit trail
--                 and the change feed)
--   sees_all      the caller sees every such record ("t"/"f" from lib/access.c)
--   as_worker, as_unit  the caller's caseload and unit, as for cw_visible()
CREATE FUNCTION cw_sees_sud(is_protected boolean, case_worker text, case_unit text,
                            sees_all boolean, as_worker text, as_unit text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT sees_all OR NOT is_protected OR case_worker = as_worker OR case_unit = as_unit $$;

-- The API's form of a record is built in the service (lib/rowjson.c) from the
-- columns; these built it in the database and have not been called since.
DROP FUNCTION case_json(cases);
DROP FUNCTION cw_ts(timestamptz);
