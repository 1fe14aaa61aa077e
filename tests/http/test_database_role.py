"""Least privilege in the database: the service's role reads and writes rows and
can do nothing else. Migrations run as the tables' owner; `caseworkd migrate`
grants the role the service connects as (sql/012), after every run, so tables
that later migrations add are granted too; and it refuses a role that could
alter the schema."""
import unittest

import harness

SERVICE = harness.SERVICE_ROLE
REFUSED = ('permission denied', 'must be owner')


class ServiceRoleTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = harness.cluster()

    def as_service(self, sql, dbname='casework'):
        return self.cluster.psql_as(SERVICE, sql, dbname)

    def assertRefused(self, sql, why=REFUSED, dbname='casework'):
        done = self.as_service(sql, dbname)
        self.assertNotEqual(done.returncode, 0, f'the service role may run: {sql}')
        self.assertTrue(any(w in done.stderr for w in ((why,) if isinstance(why, str) else why)),
                        f'{sql}: {done.stderr}')

    def assertAllowed(self, sql, dbname='casework'):
        done = self.as_service(sql, dbname)
        self.assertEqual(done.returncode, 0, f'{sql}: {done.stderr}')
        return done.stdout

    def migrate(self, dbname, **env):
        return self.cluster.run_caseworkd('migrate', env=self.cluster.base_env(
            **{**self.cluster.database_env(dbname), **env}), timeout=120)

    def new_role(self, prefix, attributes=''):
        role = harness.unique(prefix).replace('-', '_')
        self.cluster.psql(f'CREATE ROLE {role} LOGIN {attributes}', dbname='postgres')
        return role


class WhatTheServiceCannotDoTest(ServiceRoleTest):
    """On the suite's database, as the role every service of the suite connects as."""

    def test_the_services_connect_as_the_service_role(self):
        self.cluster.service.request('GET', '/readyz')
        roles = self.cluster.psql("SELECT DISTINCT usename FROM pg_stat_activity "
                                  "WHERE application_name LIKE 'caseworkd%'").split()
        self.assertEqual(roles, [SERVICE])

    def test_service_role_cannot_update_or_delete_audit_rows(self):
        for sql in ("UPDATE audit_log SET actor = 'someone else'",
                    'DELETE FROM audit_log',
                    'TRUNCATE audit_log',
                    'UPDATE changes SET seq = seq + 1000000',
                    'DELETE FROM changes',
                    # The feed is written by cw_number_changes() alone: no change
                    # taken off the queue unnumbered, none numbered out of turn.
                    'DELETE FROM change_queue',
                    "SET casework.numbering = 'on'; DELETE FROM change_queue",
                    'INSERT INTO changes (seq, audit_id) SELECT max(seq) + 1, max(audit_id) FROM changes',
                    "INSERT INTO schema_migrations VALUES (999, 'x', 'x')",
                    'DELETE FROM cases',
                    'TRUNCATE cases'):
            with self.subTest(sql=sql):
                self.assertRefused(sql)

    def test_service_role_cannot_alter_or_drop_tables(self):
        for sql in ('ALTER TABLE audit_log ADD COLUMN note text',
                    'ALTER TABLE cases DROP COLUMN family_name',
                    'ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only',
                    'ALTER TABLE cases DISABLE TRIGGER cases_audit',
                    'ALTER TABLE audit_log DISABLE TRIGGER ALL',
                    'DROP TRIGGER cases_audit ON cases',
                    'DROP TABLE audit_log',
                    'CREATE OR REPLACE FUNCTION cw_audit() RETURNS trigger LANGUAGE plpgsql '
                    'AS $$ BEGIN RETURN NULL; END $$'):
            with self.subTest(sql=sql):
                self.assertRefused(sql)

    def test_service_role_cannot_turn_triggers_off_or_get_around_them(self):
        self.assertRefused('SET session_replication_role = replica')
        # A temporary audit_log would come first in the role's search path, and
        # the audit trigger would write into it.
        self.assertRefused('CREATE TEMPORARY TABLE audit_log (LIKE public.audit_log)')
        self.assertRefused(f'CREATE SCHEMA {SERVICE}')
        self.assertRefused('CREATE TABLE public.shadow (x int)')
        self.assertRefused(f'CREATE ROLE {harness.unique("r").replace("-", "_")}')
        self.assertRefused(f"SELECT cw_grant_service('{SERVICE}')")

    def test_service_role_reads_and_appends_where_the_service_needs_to(self):
        self.assertAllowed('SELECT count(*) FROM audit_log')
        self.assertAllowed('SELECT count(*) FROM changes')
        self.assertAllowed('SELECT max(version) FROM schema_migrations')
        self.assertAllowed("DELETE FROM idempotency_keys WHERE created_at < now() - interval '100 years'")
        self.assertAllowed('SELECT count(*) FROM change_queue')
        self.assertAllowed('SELECT cw_number_changes(10000, true)')


class GrantsFollowTheSchemaTest(ServiceRoleTest):
    """A fresh database, migrated as a deployment would be."""

    def test_tables_of_later_migrations_are_granted_by_the_next_run(self):
        db = self.cluster.create_database('later')
        self.assertEqual(self.migrate(db).returncode, 0)
        # What a later migration might add: records (never removed), an
        # append-only log, and a table of its own with no rule.
        self.cluster.psql(
            "CREATE TABLE later_records (id int PRIMARY KEY, note text);"
            "CREATE TRIGGER later_records_no_delete BEFORE DELETE OR TRUNCATE ON later_records"
            " FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('never removed');"
            "CREATE TABLE later_log (id serial PRIMARY KEY, note text);"
            "CREATE TRIGGER later_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON later_log"
            " FOR EACH STATEMENT EXECUTE FUNCTION cw_forbid('append-only');"
            "CREATE TABLE later_scratch (id int);", dbname=db)
        self.assertRefused('SELECT * FROM later_records', dbname=db)
        done = self.migrate(db)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(f"the service's role {SERVICE} may read and write rows", done.stdout)
        self.assertAllowed("INSERT INTO later_records VALUES (1, 'a'); UPDATE later_records SET note = 'b'", db)
        self.assertRefused('DELETE FROM later_records', dbname=db)
        self.assertAllowed("INSERT INTO later_log (note) VALUES ('a')", db)  # a serial: nextval is granted
        self.assertRefused("UPDATE later_log SET note = 'b'", dbname=db)
        self.assertRefused('DELETE FROM later_log', dbname=db)
        self.assertAllowed('INSERT INTO later_scratch VALUES (1); DELETE FROM later_scratch', db)
        self.assertRefused('TRUNCATE later_scratch', dbname=db)
        self.assertRefused('ALTER TABLE later_records ADD COLUMN x int', why='must be owner', dbname=db)

    def test_privileges_granted_beyond_the_rule_are_taken_back(self):
        db = self.cluster.create_database('extra')
        self.assertEqual(self.migrate(db).returncode, 0)
        self.cluster.psql(f'GRANT ALL ON audit_log, cases TO {SERVICE}', dbname=db)
        done = self.migrate(db)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRefused('DELETE FROM audit_log', dbname=db)
        self.assertRefused('TRUNCATE cases', dbname=db)

    def test_a_privilege_held_through_public_stops_migrate(self):
        db = self.cluster.create_database('public')
        self.assertEqual(self.migrate(db).returncode, 0)
        self.cluster.psql('GRANT UPDATE ON audit_log TO PUBLIC', dbname=db)
        done = self.migrate(db)
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn('UPDATE on table audit_log', done.stderr)

    def test_migrate_refuses_a_service_role_that_could_alter_the_schema(self):
        member = self.new_role('member')
        self.cluster.psql(f'GRANT {harness.OWNER} TO {member}', dbname='postgres')
        cases = {
            'the owner itself': (harness.OWNER, 'role that runs the migrations'),
            'a superuser': (self.new_role('super', 'SUPERUSER'), 'superuser'),
            'a role with CREATEROLE': (self.new_role('creator', 'CREATEROLE'), 'CREATEROLE'),
            "a member of the owner's role": (member, f'may become, {harness.OWNER}, which owns'),
        }
        for what, (role, why) in cases.items():
            with self.subTest(what):
                db = self.cluster.create_database('refused')
                done = self.migrate(db, CASEWORK_DATABASE_URL=self.cluster.database_url_for(db, role))
                self.assertNotEqual(done.returncode, 0, done.stdout)
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertIn(why, done.stderr)

    def test_migrate_refuses_a_service_role_that_cannot_connect(self):
        db = self.cluster.create_database('noconnect')
        done = self.migrate(db, CASEWORK_DATABASE_URL=self.cluster.database_url_for(db, 'no_such_role'))
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn('as the service (CASEWORK_DATABASE_URL)', done.stderr)
        self.assertEqual(self.cluster.psql("SELECT to_regclass('schema_migrations') IS NULL", dbname=db).strip(),
                         't', 'nothing is migrated when the service could not connect')

    def test_one_url_still_migrates_and_says_the_service_is_the_owner(self):
        db = self.cluster.create_database('oneurl')
        done = self.migrate(db, CASEWORK_DATABASE_URL=self.cluster.owner_url_for(db),
                            CASEWORK_MIGRATE_DATABASE_URL=None)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('CASEWORK_MIGRATE_DATABASE_URL', done.stderr)


if __name__ == '__main__':
    unittest.main()
