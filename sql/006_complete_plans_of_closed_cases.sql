-- 006: cases closed before 005 kept their active plans, which then could
-- neither change nor end. Complete them now, as closing does, on the record
-- of this migration.
SELECT set_config('casework.actor', 'migration-006', true),
       set_config('casework.roles', 'administrator', true);

UPDATE plans pl SET status = 'completed'
  FROM cases c
 WHERE c.id = pl.case_id AND c.status = 'closed'
   AND pl.status = 'active' AND pl.deleted_at IS NULL;
