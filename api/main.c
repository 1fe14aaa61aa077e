/*
 * caseworkd: the casework service.
 *
 *   caseworkd [serve]     serve HTTP (the default)
 *   caseworkd migrate     apply pending database migrations and exit
 *   caseworkd probe       exit 0 when the local instance answers /readyz with 200
 *   caseworkd statements  print the SQL each kind of record is read and written with
 *
 * Settings come from CASEWORK_* environment variables; an unusable one stops
 * the program with one line on stderr and exit status 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "auth.h"
#include "changes.h"
#include "config.h"
#include "db.h"
#include "fetch.h"
#include "kinds.h"
#include "log.h"
#include "migrate.h"
#include "resource_sql.h"
#include "server.h"

static const char usage[] =
	"usage: caseworkd [serve | migrate | probe | statements] [--help] [--version]\n"
	"\n"
	"  serve      serve the casework HTTP API (the default)\n"
	"  migrate    apply pending database migrations, then exit\n"
	"  probe      ask the instance this environment configures for /readyz over\n"
	"             loopback (a container's health check): exit 0 when ready, else 1\n"
	"  statements print the SQL each kind of record is read and written with\n"
	"             (name, a tab, the statement; for EXPLAIN), then exit\n"
	"\n"
	"Configuration (environment):\n"
	"  CASEWORK_DATABASE_URL         libpq connection string or URI (postgresql:///casework)\n"
	"  CASEWORK_MIGRATE_DATABASE_URL migrate: the tables' owner's, when the service\n"
	"                                connects as a role of its own, which migrate then\n"
	"                                grants rows and nothing more (unset: the one above)\n"
	"  CASEWORK_BIND, CASEWORK_PORT  listen address and port (127.0.0.1, 8080)\n"
	"  CASEWORK_DB_POOL_SIZE         database connections held (4 x cores)\n"
	"  CASEWORK_JWT_ALG              HS256, HS384, HS512, RS256 or ES256; with a JWK Set\n"
	"                                RS256, ES256 or RS256,ES256 (HS256; RS256 with a set)\n"
	"  CASEWORK_JWT_SECRET           HMAC key for HS*, at least 32/48/64 bytes; or\n"
	"  CASEWORK_JWT_SECRET_FILE      a file holding it\n"
	"  CASEWORK_JWT_PUBLIC_KEY_FILE  PEM public key for RS256/ES256; or\n"
	"  CASEWORK_JWT_JWKS_FILE        a JWK Set file (read again on SIGHUP); or\n"
	"  CASEWORK_JWT_JWKS_URL         the identity provider's JWK Set, https:// (http://\n"
	"                                only to a loopback address)\n"
	"  CASEWORK_JWT_JWKS_REFRESH_SECONDS       longest use of a fetched set (300)\n"
	"  CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS  least time between fetches (10)\n"
	"  CASEWORK_JWT_JWKS_TIMEOUT_SECONDS       one fetch, whole (5)\n"
	"  CASEWORK_JWT_ISSUER           when set, tokens' iss must equal it\n"
	"  CASEWORK_JWT_AUDIENCE         when set, tokens' aud must contain it\n"
	"  CASEWORK_JWT_SUBJECT_CLAIM    claim naming the caller (sub)\n"
	"  CASEWORK_JWT_UNIT_CLAIM       claim naming the caller's unit (unit)\n"
	"  CASEWORK_JWT_ROLE_CLAIM       claim holding the roles, a dotted path such as\n"
	"                                realm_access.roles (role)\n"
	"  CASEWORK_JWT_ROLE_MAP         provider names to roles, such as\n"
	"                                cw-supervisors=supervisor,state-sync=integration\n"
	"                                (none: the role names themselves)\n"
	"  CASEWORK_MAX_BODY_BYTES       largest request body (1048576)\n"
	"  CASEWORK_CORS_ORIGINS         comma-separated browser origins (none)\n"
	"  CASEWORK_TIMEZONE             the agency's time zone, for \"today\" (UTC)\n"
	"  CASEWORK_DISCLOSE_SUD         1: auditors and integrations see substance use\n"
	"                                treatment referrals (42 CFR Part 2) (0)\n"
	"  CASEWORK_HTTP_THREADS         0: a thread per connection (0); N: an epoll pool\n"
	"                                of N workers, each serving many connections\n"
	"  CASEWORK_IDLE_TIMEOUT_SECONDS idle connections are closed after this (30)\n"
	"  CASEWORK_REPORT_CONCURRENCY   reports run at once, on database connections of\n"
	"                                their own; more get 503 and Retry-After (2)\n"
	"  CASEWORK_REPORT_TIMEOUT_SECONDS  a report running longer is stopped (120)\n";

/* How often each instance numbers the changes committed since (sql/013): the
 * feed's lag when nobody polls, at the cost of a small transaction each time. */
#define CHANGE_NUMBERING_INTERVAL_MS 100

static int fail(const char *why)
{
	fprintf(stderr, "caseworkd: %s\n", why);
	return 1;
}

static int run_migrate(void)
{
	struct config cfg;
	char why[512];
	int rc;

	if (config_load_database(&cfg, why, sizeof(why)) != 0)
		return fail(why);
	if (cfg.migrate_database_url != NULL)
		rc = migrate_run(cfg.migrate_database_url, cfg.database_url, stdout, why, sizeof(why));
	else
		rc = migrate_run(cfg.database_url, NULL, stdout, why, sizeof(why));
	if (rc == 0 && cfg.migrate_database_url == NULL)
		fputs("caseworkd: note: the service connects as the role that owns the tables, which may alter them;\n"
		      "  set CASEWORK_MIGRATE_DATABASE_URL to the owner's URL and CASEWORK_DATABASE_URL to a role of its own\n",
		      stderr);
	config_release(&cfg);
	return rc == 0 ? 0 : fail(why);
}

#define PROBE_TIMEOUT_MS 3000
#define PROBE_MAX_BYTES 65536   /* /readyz answers a few hundred bytes */

/* The URL of /readyz of the instance that CASEWORK_BIND and CASEWORK_PORT
 * configure: a wildcard address is asked on loopback. */
static void probe_url(const struct config *cfg, char *url, size_t len)
{
	const char *host = cfg->bind;

	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(url, len, strchr(host, ':') ? "http://[%s]:%u/readyz" : "http://%s:%u/readyz", host, cfg->port);
}

/* `caseworkd probe`: a HEALTHCHECK for an image without curl. One line on
 * stderr when the instance is not ready. */
static int run_probe(void)
{
	struct config cfg;
	struct fetch_result res = {0};
	char why[512], url[128];
	int rc;

	if (config_load_listener(&cfg, why, sizeof(why)) != 0)
		return fail(why);
	probe_url(&cfg, url, sizeof(url));
	config_release(&cfg);
	if (fetch_global_init() != 0)
		return fail("cannot initialise the HTTP client");
	rc = fetch_get(&(struct fetch_request){url, 1, PROBE_MAX_BYTES, PROBE_TIMEOUT_MS, NULL}, &res);
	fetch_global_cleanup();
	if (rc != 0) {
		snprintf(why, sizeof(why), "not ready: %s: %s", url, res.error);
		return fail(why);
	}
	free(res.body);
	return 0;
}

/* SIGINT, SIGTERM and SIGHUP are taken by sigwait() in server_run; every
 * thread inherits the block. */
static void block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int run_serve(void)
{
	struct config cfg;
	struct app app = {0};
	struct changes_numberer *numberer;
	char why[512];
	int rc = 1;

	if (config_load(&cfg, why, sizeof(why)) != 0)
		return fail(why);
	setenv("TZ", cfg.timezone, 1);
	tzset();
	access_disclose_sud(cfg.disclose_sud);
	block_stop_signals();
	if (fetch_global_init() != 0) {
		config_release(&cfg);
		return fail("cannot initialise the HTTP client");
	}
	app.config = &cfg;
	app.started = time(NULL);
	app.pool = db_pool_new(cfg.database_url, &(struct db_pool_settings){
		"requests", "caseworkd", cfg.pool_size, DB_STATEMENT_TIMEOUT_SECONDS, 1});
	app.report_pool = db_pool_new(cfg.database_url, &(struct db_pool_settings){
		"reports", "caseworkd reports", cfg.report_concurrency, cfg.report_timeout, 0});
	app.auth = auth_new(&cfg, why, sizeof(why));
	if (app.auth == NULL) {
		fail(why);
	} else if (app.pool == NULL || app.report_pool == NULL) {
		fail("out of memory at start");
	} else {
		log_start_buffering();
		numberer = changes_numberer_start(cfg.database_url, CHANGE_NUMBERING_INTERVAL_MS);
		if (numberer == NULL)
			fail("cannot start numbering the change feed");
		else
			rc = server_run(&app) == 0 ? 0 : 1;
		changes_numberer_stop(numberer);
		log_stop_buffering();
	}
	auth_free(app.auth);
	db_pool_free(app.report_pool);
	db_pool_free(app.pool);
	fetch_global_cleanup();
	config_release(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	const char *command = "serve";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("caseworkd %s\n", CASEWORK_VERSION);
			return 0;
		}
	}
	if (argc > 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (argc == 2)
		command = argv[1];
	if (strcmp(command, "serve") == 0)
		return run_serve();
	if (strcmp(command, "migrate") == 0)
		return run_migrate();
	if (strcmp(command, "probe") == 0)
		return run_probe();
	if (strcmp(command, "statements") == 0)
		return resource_sql_print(record_kinds, stdout) == 0 ? 0 : fail("out of memory");
	fprintf(stderr, "caseworkd: unknown command '%s'\n\n%s", command, usage);
	return 2;
}
