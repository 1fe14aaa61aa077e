-- 008: numbering changes costs the same for every change of a transaction.
--
-- 007 numbered each change with its own UPDATE of the one row of
-- change_sequence. Within one transaction every UPDATE leaves a version of
-- that row that nothing can remove before the commit, and the next UPDATE
-- walks past all of them: a transaction with N changes did N^2 / 2 steps (a
-- bulk load of 150,000 audited rows took ten times as long as without the
-- feed). Now a transaction takes its turn once, with its first change: one
-- UPDATE of change_sequence, whose row lock it keeps until the commit is
-- complete, exactly as before. Each change is then numbered one above the
-- highest number in changes, read from its primary key.
--
-- Why the highest number is right: under READ COMMITTED every statement of
-- the trigger sees what was committed before it, and every transaction that
-- numbered before this one had committed completely before this one got the
-- row lock. Under REPEATABLE READ or SERIALIZABLE, a turn taken by a
-- transaction that committed after this one's snapshot makes the UPDATE fail
-- with a serialization failure (the service retries it), so a transaction
-- that gets past the UPDATE sees every change numbered before it.

ALTER TABLE change_sequence RENAME COLUMN last_value TO turns;
COMMENT ON COLUMN change_sequence.turns IS
    'Transactions that numbered their changes since 008; updated once per transaction to take the turn.';
UPDATE change_sequence SET turns = 0;

CREATE OR REPLACE FUNCTION cw_number_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- A transaction-local setting: empty or missing until this transaction's
    -- first change, and back to that at its end.
    IF coalesce(current_setting('casework.numbering_turn', true), '') = '' THEN
        UPDATE change_sequence SET turns = turns + 1;
        PERFORM set_config('casework.numbering_turn', 'taken', true);
    END IF;
    INSERT INTO changes (seq, audit_id) SELECT coalesce(max(seq), 0) + 1, NEW.id FROM changes;
    RETURN NULL;
END
$$;
