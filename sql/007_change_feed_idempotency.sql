-- 007: the change feed for state systems, and idempotent POSTs.
--
-- Change feed: every audit row (every committed change) gets a number at
-- COMMIT, in commit order. A deferred constraint trigger runs as the
-- transaction commits, takes the one row of change_sequence (held until the
-- commit is complete), and numbers the transaction's changes. The next
-- writer numbers its own only after that, so a number never becomes visible
-- after a higher one: a reader that has read up to N will never later find a
-- change numbered below N, whatever order transactions began or wrote in.
-- The price is that committing writers take turns for that instant.

CREATE TABLE change_sequence (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_value bigint NOT NULL
);

CREATE TABLE changes (
    seq      bigint PRIMARY KEY,
    audit_id bigint NOT NULL UNIQUE REFERENCES audit_log (id)
);

-- What was written before the feed existed, in the order it was written.
INSERT INTO changes (seq, audit_id) SELECT row_number() OVER (ORDER BY id), id FROM audit_log;
INSERT INTO change_sequence (last_value) SELECT coalesce(max(seq), 0) FROM changes;

CREATE FUNCTION cw_number_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint;
BEGIN
    UPDATE change_sequence SET last_value = last_value + 1 RETURNING last_value INTO n;
    INSERT INTO changes (seq, audit_id) VALUES (n, NEW.id);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_log_number_change AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION cw_number_change();

CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('the change feed is append-only');

-- Idempotency-Key: the first answer to a caller's POST under a key, replayed
-- for a retry with the same request within 24 hours. Written in the same
-- transaction as the record it answers, so a key never names a record that
-- was not committed.
CREATE TABLE idempotency_keys (
    actor        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,       -- SHA-256 of method, path and body
    record_id    uuid,                -- the answer: the record created ...
    version      bigint,              -- ... its version (the ETag) ...
    body         text,                -- ... and the body sent back
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
