-- 013: changes are numbered after their transaction commits, not while it commits.
--
-- 007 and 008 numbered a transaction's changes as it committed, holding the one
-- row of change_sequence from its first change until its commit was flushed.
-- Every writer waited for every other writer's flush: commits never shared a
-- WAL flush, and a write's latency grew with the number of writers. Commit
-- order is more than the feed promises (shared API, Sync); what it promises is:
--
--   (1) every committed change is listed exactly once, and a reader never
--       passes a number that is filled in later;
--   (2) the changes of one record come in the order they were made;
--   (3) a change committed before another began comes before it.
--
-- Now a writer only queues its change: a statement trigger on audit_log puts
-- the id of every audit row (every change) into change_queue, in the writer's
-- transaction, so the queue entry commits or rolls back with the change.
-- cw_number_changes() numbers the queue: under an advisory lock, so one
-- numberer at a time, it takes the queued changes it can see, deletes them
-- from the queue and gives them the numbers after the highest one given so
-- far, in the order of their audit ids, all in one statement. The service
-- calls it from the feed reader's request, before the page is read (a poll
-- lists every change committed before it began), and from a thread of each
-- instance every fraction of a second (the feed stays current when nobody
-- polls, and a poll finds little left to number). Any number of instances
-- may do both at once.
--
-- Why the three promises hold:
--
-- (1) A change's queue entry is visible only once its transaction has
--     committed, so only committed changes are numbered, and each is deleted
--     from the queue in the statement that numbers it: it is numbered once.
--     Numberers take turns under the lock, and the lock is released only after
--     the numberer's commit is visible to everyone; the next numberer reads
--     the highest number in a statement that begins after it got the lock,
--     under READ COMMITTED (the function refuses to run under any other
--     level), so it sees every number given before and numbers above them.
--     The numbers visible to any snapshot are therefore always 1..N with no
--     gap, and a number is never given below one already visible: a reader at
--     N can only ever find numbers above N.
--
--     The case to think about: a transaction wrote audit row 100 and is still
--     open when audit row 101 commits and a numberer runs. 101 is numbered,
--     say as N. Row 100 is not lost and is not numbered later below N: its
--     queue entry is invisible until it commits, stays in the queue, and the
--     first numberer that sees it gives it a number above every number given
--     before, N + 1 or higher. A reader that has read up to N finds it there.
--     (A feed that kept only "the highest audit id numbered" would have to
--     stop at the lowest audit id still in flight, or lose 100; the queue
--     names what is not numbered yet, so nothing needs to stop.) Numbering
--     101 before 100 breaks neither (2) nor (3), as follows.
--
-- (2) Two changes of one record are two writes of its row: the later one waits
--     for the row lock, which the earlier transaction holds until it has
--     committed. So the later change's audit id is taken after the earlier
--     change committed (audit ids come from an identity sequence, which hands
--     out increasing values in the order they are asked for while its CACHE
--     is 1, the default, kept here), and the later transaction commits after
--     the earlier one. A numberer that can see the later change can see the
--     earlier one too, so the earlier one is numbered in an earlier turn or in
--     the same turn, and within a turn the lower audit id comes first.
--
-- (3) If A committed before B began, every audit id of A was taken before
--     every audit id of B, and a numberer that sees B committed sees A
--     committed: A is numbered in an earlier turn, or in the same turn with
--     lower audit ids.
--
-- Commit order is still what a reader polling while nothing else numbers
-- sees (each poll numbers what has committed since the last); with several
-- numberers, changes of transactions that overlapped may come in either
-- order, which the promises allow.
--
-- The service's role (sql/012) may only add to change_queue (the trigger does,
-- in the writer's transaction) and execute cw_number_changes(), which runs as
-- the owner of the tables: taking changes off the queue and writing the feed
-- are done by that function alone. cw_forbid() triggers that let only the
-- function through say so, and cw_grant_service() grants by them: the role
-- gets SELECT and INSERT on change_queue and SELECT on changes, so that it
-- can neither drop a change from the feed nor put one in out of turn.
-- changes stays append-only.

-- (2) and (3) rest on audit ids being taken in order: refuse a sequence that
-- hands out blocks of them (CACHE above 1 gives each session its own block).
DO $$
BEGIN
    IF (SELECT seqcache FROM pg_sequence
         WHERE seqrelid = pg_get_serial_sequence('audit_log', 'id')::regclass) <> 1 THEN
        RAISE EXCEPTION 'casework: audit_log ids must come from a sequence with CACHE 1';
    END IF;
END
$$;

CREATE TABLE change_queue (
    audit_id bigint PRIMARY KEY
);
COMMENT ON TABLE change_queue IS
    'Audit rows (changes) committed or in flight that the change feed has not numbered yet; see cw_number_changes().';

-- Audit rows that were never numbered (written while the numbering trigger
-- was disabled, as the write benchmark did) are numbered from now on too.
INSERT INTO change_queue (audit_id)
SELECT a.id FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.audit_id = a.id);

DROP TRIGGER audit_log_number_change ON audit_log;
DROP FUNCTION cw_number_change();
DROP TABLE change_sequence;

-- Only cw_number_changes() (which sets casework.numbering for its own run)
-- takes changes off the queue and writes the feed.
CREATE TRIGGER change_queue_numbered_only BEFORE UPDATE OR DELETE OR TRUNCATE ON change_queue
    FOR EACH STATEMENT WHEN (current_setting('casework.numbering', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION cw_forbid('only cw_number_changes() takes changes off the queue');
CREATE TRIGGER changes_numbered_only BEFORE INSERT ON changes
    FOR EACH STATEMENT WHEN (current_setting('casework.numbering', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION cw_forbid('only cw_number_changes() numbers changes');

-- One INSERT for every statement that writes audit rows, however many it writes.
CREATE FUNCTION cw_queue_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO change_queue (audit_id) SELECT id FROM written;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_queue_changes AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION cw_queue_changes();

-- Numbers at most `most` queued changes, the lowest audit ids first, and
-- returns how many it numbered. wait: whether to wait for another numberer to
-- finish; without it, a numberer at work makes this return -1 at once.
CREATE FUNCTION cw_number_changes(most integer, wait boolean) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
SET casework.numbering = 'on'
AS $$
DECLARE
    numbered integer;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'casework: changes are numbered under READ COMMITTED only' USING ERRCODE = 'P0001';
    END IF;
    -- The key: "cw" and 12, two integers, so that no one-bigint advisory lock
    -- of the service (a PUT's key) can ever be the same lock.
    IF wait THEN
        PERFORM pg_advisory_xact_lock(25463, 12);
    ELSIF NOT pg_try_advisory_xact_lock(25463, 12) THEN
        RETURN -1;
    END IF;
    -- A statement that begins after the lock was granted: it sees every number
    -- given by the numberers before this one.
    WITH taken AS (
        DELETE FROM change_queue q
         WHERE q.audit_id IN (SELECT audit_id FROM change_queue ORDER BY audit_id LIMIT most)
        RETURNING q.audit_id
    )
    INSERT INTO changes (seq, audit_id)
    SELECT (SELECT coalesce(max(seq), 0) FROM changes) + row_number() OVER (ORDER BY t.audit_id), t.audit_id
      FROM taken t;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    RETURN numbered;
END
$$;
