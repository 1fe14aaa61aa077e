-- 022: row triggers that fire only when what they keep has changed.
--
-- The service writes every column of a record it changes, so a trigger
-- declared AFTER UPDATE (or AFTER UPDATE OF a column) ran its function on
-- every write, and most returned at their first line: a case's permanency
-- goal history and its plans' completion on every PATCH of a case, the
-- family-time pairs of every visit that is no family time. Each run costs
-- a PL/pgSQL call and an entry in the transaction's queue of AFTER events.
-- A WHEN clause is evaluated as the row is written, and a trigger whose
-- clause is false is not queued at all.
--
-- The functions keep their own tests, so what they write is unchanged; the
-- WHEN clauses say the same as those tests, for the event each trigger now
-- has. An UPDATE trigger's WHEN may name OLD and an INSERT trigger's may not,
-- so each trigger that served both is split in two: the one for INSERT keeps
-- the name, the one for UPDATE adds _on_change. Triggers of one event fire in
-- the order of their names, which the new names keep.

DROP TRIGGER cases_permanency_goal ON cases;
CREATE TRIGGER cases_permanency_goal AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_record_permanency_goal();
CREATE TRIGGER cases_permanency_goal_on_change AFTER UPDATE ON cases
    FOR EACH ROW WHEN (NEW.permanency_goal IS DISTINCT FROM OLD.permanency_goal
                       OR NEW.permanency_goal_since IS DISTINCT FROM OLD.permanency_goal_since)
    EXECUTE FUNCTION cases_record_permanency_goal();

DROP TRIGGER cases_complete_plan_on_close ON cases;
CREATE TRIGGER cases_complete_plan_on_close AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (NEW.status = 'closed' AND OLD.status IS DISTINCT FROM 'closed')
    EXECUTE FUNCTION cases_complete_plan_on_close();

DROP TRIGGER service_referrals_status_history ON service_referrals;
CREATE TRIGGER service_referrals_status_history AFTER INSERT ON service_referrals
    FOR EACH ROW EXECUTE FUNCTION service_referrals_record_status();
CREATE TRIGGER service_referrals_status_history_on_change AFTER UPDATE ON service_referrals
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status
                       OR NEW.status_changed_on IS DISTINCT FROM OLD.status_changed_on)
    EXECUTE FUNCTION service_referrals_record_status();

DROP TRIGGER visits_participants ON visits;
CREATE TRIGGER visits_participants AFTER INSERT ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_sync_participants();
CREATE TRIGGER visits_participants_on_change AFTER UPDATE ON visits
    FOR EACH ROW WHEN (NEW.participant_ids IS DISTINCT FROM OLD.participant_ids)
    EXECUTE FUNCTION visits_sync_participants();

-- Pairs are kept for family time in person, and rewritten when anything
-- they hold, or whether they are kept, changes.
DROP TRIGGER visits_family_time_pairs ON visits;
CREATE TRIGGER visits_family_time_pairs AFTER INSERT ON visits
    FOR EACH ROW WHEN (NEW.visit_type = 'family_time' AND NEW.location <> 'virtual' AND NEW.deleted_at IS NULL)
    EXECUTE FUNCTION visits_sync_family_time_pairs();
CREATE TRIGGER visits_family_time_pairs_on_change AFTER UPDATE ON visits
    FOR EACH ROW WHEN (NEW.participant_ids IS DISTINCT FROM OLD.participant_ids
                       OR NEW.visit_type IS DISTINCT FROM OLD.visit_type
                       OR NEW.location IS DISTINCT FROM OLD.location
                       OR NEW.visited_at IS DISTINCT FROM OLD.visited_at
                       OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at)
    EXECUTE FUNCTION visits_sync_family_time_pairs();

DROP TRIGGER family_time_plans_people ON family_time_plans;
CREATE TRIGGER family_time_plans_people AFTER INSERT ON family_time_plans
    FOR EACH ROW EXECUTE FUNCTION family_time_plans_sync_people();
CREATE TRIGGER family_time_plans_people_on_change AFTER UPDATE ON family_time_plans
    FOR EACH ROW WHEN (NEW.person_ids IS DISTINCT FROM OLD.person_ids)
    EXECUTE FUNCTION family_time_plans_sync_people();
