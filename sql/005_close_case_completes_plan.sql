-- 005: closing a case ends the work under its plan: the active plan becomes
-- completed in the same transaction (audited as the actor's), so that it is
-- neither left active nor stuck read-only under a closed case.
CREATE FUNCTION cases_complete_plan_on_close() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status = 'closed' AND OLD.status IS DISTINCT FROM 'closed' THEN
        UPDATE plans SET status = 'completed'
         WHERE case_id = NEW.id AND status = 'active' AND deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_complete_plan_on_close AFTER UPDATE OF status ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_complete_plan_on_close();
