-- 012: the service runs as a role of its own, which may read and write rows
-- and nothing else.
--
-- Until now the service could connect as the role that owns the tables, and
-- an owner may ALTER TABLE, DISABLE TRIGGER (the audit triggers included) or
-- drop the audit trail: a flaw in the service, or a stolen connection string,
-- was then enough to rewrite history. Now `caseworkd migrate`, run as the
-- owner with CASEWORK_MIGRATE_DATABASE_URL, ends every run by calling
-- cw_grant_service() for the role the service connects as (the user of
-- CASEWORK_DATABASE_URL). It runs after the migrations of that run, so a table
-- a later migration creates is granted in the same run, with no step of its
-- own.
--
-- What the service may do to each table follows what the schema already says
-- with cw_forbid() triggers: every table may be read; a table may be
-- inserted into, updated or deleted from unless a cw_forbid() trigger refuses
-- that statement there. So the audit trail and the change feed (append-only)
-- get SELECT and INSERT, records (never removed, only marked deleted_at) get
-- SELECT, INSERT and UPDATE. schema_migrations is read only; TRUNCATE,
-- REFERENCES and TRIGGER are never granted. The grants are made to match
-- exactly (what is missing granted, what is too much revoked) and then checked
-- as PostgreSQL sees them (a privilege the role holds through PUBLIC or through
-- another role stops the run with its name).
--
-- The triggers need no SECURITY DEFINER: they run with the service's rights,
-- which include adding rows to the audit trail and the feed (the service adds
-- them with every write anyway) but never changing or removing one. What an
-- owner alone may do (ALTER, DROP, DISABLE TRIGGER, GRANT) the role cannot,
-- and cw_grant_service() refuses a role that could become an owner: the owner
-- itself, a superuser, a role with CREATEROLE (which may grant itself the
-- owner's role), a member of a role that owns the tables or the database, or a
-- role allowed to set session_replication_role (which turns triggers off).
--
-- Two more ways around the triggers are closed at the level of the database:
-- a temporary table named audit_log (or changes ...) would come first in the
-- service's own search path, and the audit trigger would write into it and
-- lose the rows at the end of the session; and a schema named after the role
-- would come first too. So the role may create neither: TEMPORARY on the
-- database is revoked from PUBLIC (by the migration role, when it owns the
-- database; otherwise the run stops and says what the owner must run), and
-- CREATE on the database or on schema public must not be the role's.
--
-- change_sequence keeps its one row: it was protected by nothing but the
-- service's good behaviour, and with the rule above it would have been given
-- INSERT and DELETE (a deleted row turns numbering into a no-op lock, and the
-- feed's order promises with it). The service only ever updates it.

CREATE TRIGGER change_sequence_one_row BEFORE INSERT OR DELETE OR TRUNCATE ON change_sequence
    FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('change_sequence holds exactly one row');

-- The privileges the service's role gets on a relation of schema public, in
-- the order has_table_privilege() is asked below.
CREATE FUNCTION cw_service_privileges(rel regclass) RETURNS text[]
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN c.relkind NOT IN ('r', 'p') OR c.relname = 'schema_migrations' THEN ARRAY['SELECT']
        -- tgtype bits (pg_trigger.h): 4 INSERT, 8 DELETE, 16 UPDATE
        ELSE array_remove(array_remove(array_remove(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                 CASE WHEN f.events & 4 <> 0 THEN 'INSERT' END),
                 CASE WHEN f.events & 16 <> 0 THEN 'UPDATE' END),
                 CASE WHEN f.events & 8 <> 0 THEN 'DELETE' END)
        END
      FROM pg_class c,
           LATERAL (SELECT coalesce(bit_or(t.tgtype), 0) AS events FROM pg_trigger t
                     WHERE t.tgrelid = c.oid AND t.tgfoid = 'cw_forbid'::regproc) f
     WHERE c.oid = rel
$$;

CREATE FUNCTION cw_grant_service(service name) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    every_privilege CONSTANT text[] := ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
    who    pg_roles%ROWTYPE;
    owner_name name;
    what   text;
    r      record;
    wanted text[];
    held   text[];
BEGIN
    SELECT * INTO who FROM pg_roles WHERE rolname = service;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'casework: the service''s role % does not exist', service;
    END IF;
    IF service = current_user THEN
        RAISE EXCEPTION 'casework: the service connects as %, the role that runs the migrations; '
            'give it a role of its own (CREATE ROLE ... LOGIN) in CASEWORK_DATABASE_URL', service;
    END IF;
    IF who.rolsuper THEN
        RAISE EXCEPTION 'casework: the service''s role % is a superuser, which no privilege binds', service;
    END IF;
    IF who.rolcreaterole THEN
        RAISE EXCEPTION 'casework: the service''s role % has CREATEROLE, and so may grant itself '
            'the owner''s role: ALTER ROLE % NOCREATEROLE', service, service;
    END IF;
    FOR owner_name, what IN
        SELECT DISTINCT pg_get_userbyid(c.relowner), 'table ' || c.relname FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT DISTINCT pg_get_userbyid(p.proowner), 'function ' || p.proname FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT pg_get_userbyid(n.nspowner), 'schema public' FROM pg_namespace n WHERE n.nspname = 'public'
        UNION ALL
        SELECT pg_get_userbyid(d.datdba), 'database ' || d.datname FROM pg_database d
         WHERE d.datname = current_database()
    LOOP
        IF pg_has_role(service, owner_name, 'MEMBER') THEN
            RAISE EXCEPTION 'casework: the service''s role % is, or may become, %, which owns %',
                service, owner_name, what;
        END IF;
    END LOOP;
    IF has_parameter_privilege(service, 'session_replication_role', 'SET') THEN
        RAISE EXCEPTION 'casework: the service''s role % may set session_replication_role, '
            'which turns the audit triggers off', service;
    END IF;

    IF NOT has_database_privilege(service, current_database(), 'CONNECT') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), service);
    END IF;
    IF has_database_privilege(service, current_database(), 'TEMPORARY') THEN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
        IF has_database_privilege(service, current_database(), 'TEMPORARY') THEN
            RAISE EXCEPTION 'casework: the service''s role % may create temporary tables, which would '
                'come before the audit trail in its search path; as the database''s owner run: '
                'REVOKE TEMPORARY ON DATABASE % FROM PUBLIC (and from %)', service, current_database(), service;
        END IF;
    END IF;
    IF has_database_privilege(service, current_database(), 'CREATE') THEN
        RAISE EXCEPTION 'casework: the service''s role % may create schemas in database %: '
            'REVOKE CREATE ON DATABASE % FROM %', service, current_database(), current_database(), service;
    END IF;
    IF has_schema_privilege(service, 'public', 'CREATE') THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        IF has_schema_privilege(service, 'public', 'CREATE') THEN
            RAISE EXCEPTION 'casework: the service''s role % may create objects in schema public: '
                'REVOKE CREATE ON SCHEMA public FROM PUBLIC (and from %)', service, service;
        END IF;
    END IF;
    IF NOT has_schema_privilege(service, 'public', 'USAGE') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', service);
    END IF;

    FOR r IN SELECT c.oid, c.relname, c.relkind FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relname
    LOOP
        IF r.relkind = 'S' THEN
            -- nextval() for serial columns (identity columns need nothing).
            IF NOT has_sequence_privilege(service, r.oid, 'USAGE') THEN
                EXECUTE format('GRANT USAGE ON SEQUENCE %I TO %I', r.relname, service);
            END IF;
            CONTINUE;
        END IF;
        wanted := cw_service_privileges(r.oid);
        held := ARRAY(SELECT p FROM unnest(every_privilege) p WHERE has_table_privilege(service, r.oid, p));
        IF held IS DISTINCT FROM wanted THEN
            EXECUTE format('REVOKE ALL ON TABLE %I FROM %I', r.relname, service);
            EXECUTE format('GRANT %s ON TABLE %I TO %I', array_to_string(wanted, ', '), r.relname, service);
            held := ARRAY(SELECT p FROM unnest(every_privilege) p WHERE has_table_privilege(service, r.oid, p));
            IF held IS DISTINCT FROM wanted THEN
                RAISE EXCEPTION 'casework: the service''s role % holds % on table % through PUBLIC or '
                    'another role; it may hold only %', service, array_to_string(held, ', '), r.relname,
                    array_to_string(wanted, ', ');
            END IF;
        END IF;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION cw_grant_service(name) FROM PUBLIC;
