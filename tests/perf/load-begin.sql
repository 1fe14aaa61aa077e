-- The opening of one batch of the state-scale data set, shared by its loads
-- (visit-measure-load.sql, family-time-load.sql, federal-clocks-load.sql),
-- which \ir it: one transaction in the bench actor's name and, with :replica
-- true, with every trigger off for it (superuser only: no audit rows, no
-- foreign-key checks, and no rows kept by triggers, which each load then writes
-- itself as the triggers would); and pg_temp.r, the draw every generated value
-- comes from.
\set ON_ERROR_STOP 1

BEGIN;
SELECT set_config('casework.actor', 'bench', true) \gset
SELECT set_config('casework.roles', 'administrator', true) \gset
\if :replica
SET LOCAL session_replication_role = replica;
\endif

-- A uniform draw in [0, 1) from a key and a salt.
CREATE FUNCTION pg_temp.r(k bigint, salt integer) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8extended(k, salt) & 2147483647)::float8 / 2147483648.0 $$;
