-- 009: the visit measure finds each child's qualifying visits from indexes
-- alone. For every child it reads the child's rows of visit_participants and,
-- for each, whether the visit counts (caseworker_child, not virtual, not
-- deleted), when it was and where. With these two covering indexes both steps
-- are index-only scans: no table row is read (once VACUUM has marked the
-- pages all-visible, which autovacuum does).

CREATE INDEX visit_participants_participant_visit_idx ON visit_participants (participant_id) INCLUDE (visit_id);
DROP INDEX visit_participants_participant_idx;

CREATE INDEX visits_caseworker_child_idx ON visits (id) INCLUDE (visited_at, location)
    WHERE deleted_at IS NULL AND visit_type = 'caseworker_child' AND location <> 'virtual';
