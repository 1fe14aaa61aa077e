#include "migrate.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Any constant unique to casework; "casework" in ASCII. */
#define MIGRATION_LOCK_KEY "7161133975459836523"

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	/* libpq messages end in a newline; the reason is one line. */
	why[strcspn(why, "\n")] = '\0';
	return -1;
}

/* Runs trusted SQL from this binary (never client text); 0 when it succeeded. */
static int exec_ok(PGconn *conn, const char *sql, char *why, size_t len)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fail(why, len, "%s", PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Checksum recorded for version, or NULL when not applied. Caller frees. */
static char *applied_checksum(PGconn *conn, int version)
{
	char v[16];
	const char *params[1] = {v};
	PGresult *res;
	char *sum = NULL;

	snprintf(v, sizeof(v), "%d", version);
	res = PQexecParams(conn, "SELECT checksum FROM schema_migrations WHERE version = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		sum = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return sum;
}

static int apply(PGconn *conn, const struct migration *m, FILE *out, char *why, size_t len)
{
	char v[16];
	const char *params[3] = {v, m->name, m->sha256};
	PGresult *res;
	int ok;

	snprintf(v, sizeof(v), "%d", m->version);
	if (exec_ok(conn, "BEGIN", why, len) != 0)
		return -1;
	if (exec_ok(conn, m->sql, why, len) != 0) {
		char reason[512];

		snprintf(reason, sizeof(reason), "%s", why);
		PQclear(PQexec(conn, "ROLLBACK"));
		return fail(why, len, "migration %s failed: %s", m->name, reason);
	}
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
			   3, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || exec_ok(conn, "COMMIT", why, len) != 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return fail(why, len, "migration %s could not be recorded: %s", m->name, PQerrorMessage(conn));
	}
	fprintf(out, "applied %s\n", m->name);
	return 0;
}

static int run_locked(PGconn *conn, FILE *out, char *why, size_t len)
{
	int applied = 0;

	if (exec_ok(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
			  " applied_at timestamptz NOT NULL DEFAULT now())", why, len) != 0)
		return -1;
	for (size_t i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char *sum = applied_checksum(conn, m->version);

		if (sum != NULL) {
			int same = strcmp(sum, m->sha256) == 0;

			free(sum);
			if (!same)
				return fail(why, len, "migration %s was changed after it was applied; "
					    "add a new migration instead", m->name);
			continue;
		}
		if (apply(conn, m, out, why, len) != 0)
			return -1;
		applied++;
	}
	fprintf(out, applied ? "database is at version %d\n" : "database is up to date at version %d\n",
		migrate_latest_version());
	return 0;
}

/* The role a connection string logs in as, by logging in with it: this also
 * proves that the service can connect. Caller frees; NULL with why set. */
static char *role_of(const char *conninfo, char *why, size_t len)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *res = NULL;
	char *role = NULL;

	if (PQstatus(conn) != CONNECTION_OK) {
		fail(why, len, "cannot connect to the database as the service (CASEWORK_DATABASE_URL): %s", PQerrorMessage(conn));
		goto out;
	}
	res = PQexec(conn, "SELECT current_user");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fail(why, len, "cannot ask the service's role its name: %s", PQerrorMessage(conn));
		goto out;
	}
	role = strdup(PQgetvalue(res, 0, 0));
	if (role == NULL)
		fail(why, len, "out of memory");
out:
	PQclear(res);
	PQfinish(conn);
	return role;
}

/* Gives the service's role what sql/012 says it may do, after this run's
 * migrations, so that the tables they created are granted too. */
static int grant_service(PGconn *conn, const char *role, FILE *out, char *why, size_t len)
{
	const char *params[1] = {role};
	PGresult *res = PQexecParams(conn, "SELECT cw_grant_service($1)", 1, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	const char *refusal = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	/* cw_grant_service() says itself what is wrong with the role. */
	if (!ok && refusal != NULL && strncmp(refusal, "casework: ", 10) == 0)
		fail(why, len, "%s", refusal + 10);
	else if (!ok)
		fail(why, len, "cannot grant the service's role %s its rights: %s", role, PQerrorMessage(conn));
	PQclear(res);
	if (ok)
		fprintf(out, "the service's role %s may read and write rows, and nothing more\n", role);
	return ok ? 0 : -1;
}

int migrate_run(const char *conninfo, const char *service_conninfo, FILE *out, char *why, size_t len)
{
	PGconn *conn;
	char *role = NULL;
	int rc;

	if (service_conninfo != NULL && (role = role_of(service_conninfo, why, len)) == NULL)
		return -1;
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		rc = fail(why, len, "cannot connect to the database: %s", PQerrorMessage(conn));
		goto out;
	}
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
	rc = exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", why, len);
	if (rc != 0)
		goto out;
	rc = run_locked(conn, out, why, len);
	if (rc == 0 && role != NULL)
		rc = grant_service(conn, role, out, why, len);
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
out:
	PQfinish(conn);
	free(role);
	return rc;
}

int migrate_latest_version(void)
{
	return migrations_count ? migrations[migrations_count - 1].version : 0;
}
