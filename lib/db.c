#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

#define ACQUIRE_TIMEOUT_SECONDS 10
#define RECONNECT_BACKOFF_MS 1000
#define MAX_PREPARED 128
#define TRANSACTION_ATTEMPTS 3

/* Settings every connection starts with: UTC for unambiguous instants;
 * names found by a search (lib/cases.c) when 45 % of the search text's
 * trigrams occur in them (pg_trgm's own 0.6 misses a one-letter slip in a
 * name of six to nine letters; the setting waits until pg_trgm is loaded);
 * bounds so that no request can hold a connection for long (the statement's
 * own comes from the pool's settings, set next); no JIT, whose
 * compilation (triggered by cost estimates, not by real work) added half a
 * second to the visit measure at state scale and saves nothing on the short
 * statements that are everything else here. */
static const char session_setup[] =
	"SET TimeZone = 'UTC';"
	"SET jit = off;"
	"SET pg_trgm.word_similarity_threshold = 0.45;"
	"SET lock_timeout = '10s';"
	"SET idle_in_transaction_session_timeout = '60s'";

/* A statement waiting to go with the next one (db_defer), its parameters copied. */
struct deferred {
	const struct db_statement *stmt;
	char *params[DB_DEFER_MAX_PARAMS];
};

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	int in_use;
	int connected;  /* counted in the pool's open connections */
	int untried;    /* no statement has run since it was taken from the pool */
	char own_name[DB_APPLICATION_NAME_MAX + 1]; /* application_name as the connection was opened */
	const struct db_statement *prepared[MAX_PREPARED];
	int nprepared;
	struct deferred deferred[DB_DEFER_MAX];
	int ndeferred;
	int committed;  /* the transaction was committed by db_run_committing() */
};

struct db_pool {
	char *conninfo;
	const char *name;
	const char *application_name;
	unsigned size;
	unsigned statement_timeout;
	int wait;
	unsigned free_count;
	unsigned waiting;                     /* threads waiting for a connection */
	atomic_uint open;                     /* connections open to the database */
	atomic_uint_least64_t refused;        /* acquisitions that got no connection */
	atomic_uint_least64_t connect_failures;
	struct metrics_histogram wait_time;   /* time db_acquire took to hand out a connection */
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct timespec last_connect_failure; /* CLOCK_MONOTONIC; zero when none */
	int down;                             /* connecting fails since down_since */
	struct timespec down_since;
	int full;                             /* every connection taken since full_since */
	struct timespec full_since;
	struct db_conn conns[];
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

struct db_pool *db_pool_new(const char *conninfo, const struct db_pool_settings *settings)
{
	unsigned size = settings->size;
	struct db_pool *pool = calloc(1, sizeof(*pool) + size * sizeof(struct db_conn));
	pthread_condattr_t attr;

	if (pool == NULL)
		return NULL;
	pool->conninfo = strdup(conninfo);
	if (pool->conninfo == NULL) {
		free(pool);
		return NULL;
	}
	pool->name = settings->name ? settings->name : "unnamed";
	pool->application_name = settings->application_name;
	pool->size = size;
	pool->statement_timeout = settings->statement_timeout;
	pool->wait = settings->wait;
	pool->free_count = size;
	for (unsigned i = 0; i < size; i++)
		pool->conns[i].pool = pool;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &attr);
	pthread_condattr_destroy(&attr);
	return pool;
}

void db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	for (unsigned i = 0; i < pool->size; i++)
		PQfinish(pool->conns[i].pg);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->freed);
	free(pool->conninfo);
	free(pool);
}

static void forget_connection(struct db_conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
	c->nprepared = 0;
	if (c->connected)
		atomic_fetch_sub_explicit(&c->pool->open, 1, memory_order_relaxed);
	c->connected = 0;
}

/* Errors by SQLSTATE class (its first two characters, digits and capital
 * letters): a bounded set of 36 x 36 labels, of which a handful ever occur. */
#define SQLSTATE_SYMBOLS 36
static atomic_uint_least64_t errors_by_class[SQLSTATE_SYMBOLS * SQLSTATE_SYMBOLS];

static int sqlstate_symbol(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

static char symbol_char(int v)
{
	return (char)(v < 10 ? '0' + v : 'A' + v - 10);
}

/* A lost connection reports no SQLSTATE: it counts as class 08 (connection exception). */
static void count_error(const char *state)
{
	int hi = state ? sqlstate_symbol(state[0]) : 0;
	int lo = state ? sqlstate_symbol(state[1]) : 8;

	if (hi < 0 || lo < 0)
		return;
	atomic_fetch_add_explicit(&errors_by_class[hi * SQLSTATE_SYMBOLS + lo], 1, memory_order_relaxed);
}

/* Classifies a failed result (res may be NULL) into err. */
static enum cw_code classify(PGconn *pg, PGresult *res, struct cw_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
	snprintf(err->constraint, sizeof(err->constraint), "%s", constraint ? constraint : "");
	count_error(state && strlen(state) == 5 ? state : NULL);
	if (PQstatus(pg) != CONNECTION_OK || state == NULL || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0)
		return cw_fail(err, CW_UNAVAILABLE, "The database is unavailable; try again shortly.");
	if (strcmp(state, "23505") == 0)
		return cw_fail(err, CW_CONFLICT, "A record with this identifying value already exists.");
	if (strcmp(state, "23P01") == 0)
		return cw_fail(err, CW_CONFLICT, "The record's dates overlap those of another record.");
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0 || strcmp(state, "53300") == 0)
		return cw_fail(err, CW_UNAVAILABLE, "The database is busy; try again shortly.");
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42883") == 0)
		return cw_fail(err, CW_UNAVAILABLE, "The database schema is not migrated; run caseworkd migrate.");
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
		log_event("error", "database refused a value (%s, %s)", state, err->constraint);
		return cw_fail(err, CW_INVALID, "A value breaks a rule of the database.");
	}
	log_event("error", "database error %s: %s", state, PQresultErrorMessage(res));
	return cw_fail(err, CW_INTERNAL, "The database could not complete the request.");
}

/* The session settings: the fixed ones, then the pool's statement timeout. */
static int set_up_session(struct db_pool *pool, PGconn *pg)
{
	char timeout[32];
	const char *params[1] = {timeout};
	PGresult *res = PQexec(pg, session_setup);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	if (!ok)
		return -1;
	snprintf(timeout, sizeof(timeout), "%us", pool->statement_timeout);
	res = PQexecParams(pg, "SELECT set_config('statement_timeout', $1, false)", 1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

static int connect_one(struct db_pool *pool, struct db_conn *c)
{
	/* Defaults first: libpq lets later keywords (the operator's URL) override them. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {"5", pool->application_name, pool->conninfo, NULL};

	c->pg = PQconnectdbParams(keys, values, 1);
	c->nprepared = 0;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		log_event("warn", "cannot connect to the database: %.200s", PQerrorMessage(c->pg));
		forget_connection(c);
		atomic_fetch_add_explicit(&pool->connect_failures, 1, memory_order_relaxed);
		return -1;
	}
	c->connected = 1;
	atomic_fetch_add_explicit(&pool->open, 1, memory_order_relaxed);
	snprintf(c->own_name, sizeof(c->own_name), "%s",
		 PQparameterStatus(c->pg, "application_name") ? PQparameterStatus(c->pg, "application_name") : "");
	if (set_up_session(pool, c->pg) != 0) {
		forget_connection(c);
		atomic_fetch_add_explicit(&pool->connect_failures, 1, memory_order_relaxed);
		return -1;
	}
	return 0;
}

/* Connects c if needed, but not more often than the backoff allows. */
static enum cw_code ensure_connected(struct db_pool *pool, struct db_conn *c, struct cw_error *err)
{
	int wait;

	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
		return CW_OK;
	if (c->pg != NULL)
		forget_connection(c);
	pthread_mutex_lock(&pool->lock);
	wait = pool->last_connect_failure.tv_sec != 0 &&
	       ms_since(&pool->last_connect_failure) < RECONNECT_BACKOFF_MS;
	pthread_mutex_unlock(&pool->lock);
	if (wait || connect_one(pool, c) != 0) {
		double down_for;

		pthread_mutex_lock(&pool->lock);
		if (!wait)
			clock_gettime(CLOCK_MONOTONIC, &pool->last_connect_failure);
		if (!pool->down)
			clock_gettime(CLOCK_MONOTONIC, &pool->down_since);
		pool->down = 1;
		down_for = seconds_since(&pool->down_since);
		pthread_mutex_unlock(&pool->lock);
		cw_fail(err, CW_UNAVAILABLE, "The database is unavailable; try again shortly.");
		err->retry_after = (int)db_retry_after_seconds(down_for, 1);
		return CW_UNAVAILABLE;
	}
	pthread_mutex_lock(&pool->lock);
	pool->last_connect_failure.tv_sec = 0;
	pool->last_connect_failure.tv_nsec = 0;
	pool->down = 0;
	pthread_mutex_unlock(&pool->lock);
	return CW_OK;
}

static struct db_conn *take_free(struct db_pool *pool)
{
	/* Prefer a connection that is already open. */
	struct db_conn *closed = NULL;

	for (unsigned i = 0; i < pool->size; i++) {
		struct db_conn *c = &pool->conns[i];

		if (c->in_use)
			continue;
		if (c->pg != NULL) {
			c->in_use = 1;
			return c;
		}
		if (closed == NULL)
			closed = c;
	}
	if (closed)
		closed->in_use = 1;
	return closed;
}

struct db_conn *db_acquire(struct db_pool *pool, struct cw_error *err)
{
	struct timespec start, deadline;
	struct db_conn *c = NULL;
	double full_for;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	deadline = start;
	deadline.tv_sec += ACQUIRE_TIMEOUT_SECONDS;
	pthread_mutex_lock(&pool->lock);
	if (pool->wait && pool->free_count == 0) {
		pool->waiting++;
		while (pool->free_count == 0 && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline);
		pool->waiting--;
	}
	if (pool->free_count > 0) {
		c = take_free(pool);
		if (--pool->free_count == 0) {
			pool->full = 1;
			clock_gettime(CLOCK_MONOTONIC, &pool->full_since);
		}
	}
	full_for = pool->full ? seconds_since(&pool->full_since) : 0;
	pthread_mutex_unlock(&pool->lock);
	metrics_histogram_observe(&pool->wait_time, seconds_since(&start));
	if (c == NULL)
		atomic_fetch_add_explicit(&pool->refused, 1, memory_order_relaxed);
	if (c == NULL && !pool->wait) {
		cw_fail(err, CW_BUSY, "As many of these requests as the service runs at once are running; "
			"try again in a few seconds.");
		err->retry_after = (int)db_retry_after_seconds(full_for, DB_BUSY_RETRY_AFTER_LEAST);
		return NULL;
	}
	if (c == NULL) {
		cw_fail(err, CW_UNAVAILABLE, "The service is busy; try again shortly.");
		err->retry_after = (int)db_retry_after_seconds(full_for, 1);
		return NULL;
	}
	if (ensure_connected(pool, c, err) != CW_OK) {
		db_release(pool, c);
		return NULL;
	}
	c->untried = 1;
	return c;
}

static void drop_deferred(struct db_conn *c)
{
	for (int i = 0; i < c->ndeferred; i++)
		for (int j = 0; j < DB_DEFER_MAX_PARAMS; j++)
			free(c->deferred[i].params[j]);
	memset(c->deferred, 0, sizeof(c->deferred));
	c->ndeferred = 0;
}

void db_release(struct db_pool *pool, struct db_conn *c)
{
	if (c == NULL)
		return;
	drop_deferred(c);
	if (c->pg != NULL && PQstatus(c->pg) != CONNECTION_OK)
		forget_connection(c);
	if (c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
			forget_connection(c);
	}
	pthread_mutex_lock(&pool->lock);
	c->in_use = 0;
	pool->free_count++;
	pool->full = 0;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

static int is_prepared(const struct db_conn *c, const struct db_statement *stmt)
{
	for (int i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == stmt)
			return 1;
	return 0;
}

static enum cw_code prepare(struct db_conn *c, const struct db_statement *stmt, struct cw_error *err)
{
	PGresult *res;

	if (is_prepared(c, stmt))
		return CW_OK;
	if (c->nprepared >= MAX_PREPARED)
		return cw_fail(err, CW_INTERNAL, "Too many prepared statements.");
	res = PQprepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		classify(c->pg, res, err);
		PQclear(res);
		return err->code;
	}
	PQclear(res);
	c->prepared[c->nprepared++] = stmt;
	return CW_OK;
}

static PGresult *checked(struct db_conn *c, PGresult *res, struct cw_error *err)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	classify(c->pg, res, err);
	PQclear(res);
	if (PQstatus(c->pg) != CONNECTION_OK)
		c->nprepared = 0;
	return NULL;
}

static int send_statement(struct db_conn *c, const struct db_statement *stmt, const char *const *params);

/* The result of the query being read in pipeline mode: kept in *kept when
 * keep and it succeeded; the first failure of the pipeline goes into err
 * (the queries after it are only reported as aborted). 0 when the connection
 * failed. */
static int read_pipelined(struct db_conn *c, int keep, PGresult **kept, int *failed, struct cw_error *err)
{
	PGresult *res;

	while ((res = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			if (keep && *kept == NULL) {
				*kept = res;
				continue;
			}
		} else if (!*failed) {
			classify(c->pg, res, err);
			*failed = 1;
		}
		PQclear(res);
	}
	return PQstatus(c->pg) == CONNECTION_OK;
}

/* The deferred statements and then stmt, sent in one round trip (libpq's
 * pipeline mode) and read in order; the result of query keep (an index into
 * the deferred statements, or ndeferred for stmt), or NULL with the first
 * failure in err. The deferred statements are dropped once the database has
 * answered them, and kept when the connection failed first, for a retry. */
static PGresult *run_pipelined(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
			       int keep, struct cw_error *err)
{
	PGresult *mine = NULL, *sync;
	int failed = 0, sent = 1, alive = 1;

	for (int i = 0; i < c->ndeferred; i++)
		if (c->deferred[i].stmt->name != NULL && prepare(c, c->deferred[i].stmt, err) != CW_OK)
			return NULL;
	if (stmt->name != NULL && prepare(c, stmt, err) != CW_OK)
		return NULL;
	if (!PQenterPipelineMode(c->pg)) {
		classify(c->pg, NULL, err);
		return NULL;
	}
	for (int i = 0; i < c->ndeferred && sent; i++)
		sent = send_statement(c, c->deferred[i].stmt, (const char *const *)c->deferred[i].params);
	sent = sent && send_statement(c, stmt, params) && PQpipelineSync(c->pg);
	for (int i = 0; sent && alive && i <= c->ndeferred; i++)
		alive = read_pipelined(c, i == keep, &mine, &failed, err);
	sync = sent && alive ? PQgetResult(c->pg) : NULL;
	if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(c->pg)) {
		PQclear(sync);
		PQclear(mine);
		if (!failed)
			classify(c->pg, NULL, err);
		/* Not usable again: a dead connection is replaced by db_run(), one left
		 * in pipeline mode is closed here. */
		if (PQstatus(c->pg) == CONNECTION_OK)
			forget_connection(c);
		else
			c->nprepared = 0;
		return NULL;
	}
	PQclear(sync);
	drop_deferred(c);
	if (failed) {
		PQclear(mine);
		return NULL;
	}
	return mine;
}

/* The name this thread's statements run under; "" for the connection's own. */
static __thread char thread_application_name[DB_APPLICATION_NAME_MAX + 1];

void db_set_application_name(const char *name)
{
	snprintf(thread_application_name, sizeof(thread_application_name), "%s", name ? name : "");
}

static const struct db_statement set_application_name = {
	"db_set_application_name", "SELECT set_config('application_name', $1, false)", 1, 0};

/* The name c must take before its next statement, or NULL when it has it
 * already (the server reports the current name with every change:
 * PQparameterStatus knows it) or a transaction is open. */
static const char *name_to_take(const struct db_conn *c)
{
	const char *want = thread_application_name[0] ? thread_application_name : c->own_name;
	const char *has = PQparameterStatus(c->pg, "application_name");

	if ((has && strcmp(has, want) == 0) || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return NULL;
	return want;
}

/* Gives c the name this thread wants, when it needs another: one round trip. */
static enum cw_code take_application_name(struct db_conn *c, struct cw_error *err)
{
	const char *params[1] = {name_to_take(c)};
	PGresult *res;

	if (params[0] == NULL)
		return CW_OK;
	if (prepare(c, &set_application_name, err) != CW_OK)
		return err->code;
	res = checked(c, PQexecPrepared(c->pg, set_application_name.name, 1, params, NULL, NULL, 0), err);
	if (res == NULL)
		return err->code;
	PQclear(res);
	return CW_OK;
}

/* Sets the name, then runs stmt, in one round trip: libpq's pipeline mode,
 * each in a transaction of its own (a Sync after each), so that a statement
 * that begins a transaction finds the name set, and a failed statement does
 * not take it back. The statement's result, as PQexec would give it; NULL
 * when the connection failed. */
static PGresult *run_after_naming(struct db_conn *c, const char *name, const struct db_statement *stmt,
				  const char *const *params)
{
	const char *name_param[1] = {name};
	PGresult *res, *answer = NULL;
	int syncs = 0, nulls = 0;

	if (!PQenterPipelineMode(c->pg))
		return NULL;
	if (!PQsendQueryPrepared(c->pg, set_application_name.name, 1, name_param, NULL, NULL, 0) ||
	    !PQpipelineSync(c->pg) || !send_statement(c, stmt, params) || !PQpipelineSync(c->pg))
		syncs = 2;  /* nothing more will come: the connection failed */
	/* Each query's results end with NULL, each part with its sync result. */
	while (syncs < 2 && nulls < 2) {
		res = PQgetResult(c->pg);
		nulls = res == NULL ? nulls + 1 : 0;
		if (res != NULL && syncs == 1 && answer == NULL && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
			answer = res;
			continue;
		}
		if (res != NULL && PQresultStatus(res) == PGRES_PIPELINE_SYNC)
			syncs++;
		PQclear(res);
		if (res == NULL && PQstatus(c->pg) != CONNECTION_OK)
			break;
	}
	PQexitPipelineMode(c->pg);
	return answer;
}

static PGresult *run(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
		     struct cw_error *err)
{
	const char *name = name_to_take(c);

	/* Deferred statements go in one pipeline with stmt: the name is taken first, on its own. */
	if (c->ndeferred > 0) {
		if (name != NULL && take_application_name(c, err) != CW_OK)
			return NULL;
		return run_pipelined(c, stmt, params, c->ndeferred, err);
	}
	if (name != NULL) {
		if (prepare(c, &set_application_name, err) != CW_OK ||
		    (stmt->name != NULL && prepare(c, stmt, err) != CW_OK))
			return NULL;
		return checked(c, run_after_naming(c, name, stmt, params), err);
	}
	if (stmt->name == NULL)
		return checked(c, PQexecParams(c->pg, stmt->sql, stmt->nparams, NULL, params, NULL, NULL,
					       stmt->binary), err);
	if (prepare(c, stmt, err) != CW_OK)
		return NULL;
	return checked(c, PQexecPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, stmt->binary),
		       err);
}

/* A pooled connection can have died while idle (a database restart). The
 * first statement after taking it is either a read or a transaction's BEGIN,
 * so when the connection turns out dead it is safe to run it once more on a
 * new one; later statements are never repeated. */
PGresult *db_run(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
		 struct cw_error *err)
{
	int first = c->untried;
	PGresult *res;

	c->untried = 0;
	res = run(c, stmt, params, err);
	if (res != NULL || !first || c->pg == NULL || PQstatus(c->pg) == CONNECTION_OK)
		return res;
	forget_connection(c);
	if (ensure_connected(c->pool, c, err) != CW_OK)
		return NULL;
	cw_error_release(err);
	return run(c, stmt, params, err);
}

PGresult *db_query(struct db_pool *pool, const struct db_statement *stmt, const char *const *params,
		   struct cw_error *err)
{
	struct db_conn *c = db_acquire(pool, err);
	PGresult *res;

	if (c == NULL)
		return NULL;
	res = db_run(c, stmt, params, err);
	db_release(pool, c);
	return res;
}

enum cw_code db_defer(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
		      struct cw_error *err)
{
	struct deferred *d;

	if (c->ndeferred >= DB_DEFER_MAX || stmt->nparams > DB_DEFER_MAX_PARAMS)
		return cw_fail(err, CW_INTERNAL, "Too many statements deferred.");
	d = &c->deferred[c->ndeferred++];
	d->stmt = stmt;
	for (int i = 0; i < stmt->nparams; i++) {
		d->params[i] = params[i] ? strdup(params[i]) : NULL;
		if (params[i] && d->params[i] == NULL)
			return cw_fail(err, CW_INTERNAL, "Out of memory.");
	}
	return CW_OK;
}

static const struct db_statement commit = {"db_commit", "COMMIT", 0, 0};

PGresult *db_run_committing(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
			    struct cw_error *err)
{
	PGresult *res;

	/* A first statement on a connection that may have died while idle is
	 * run on its own (db_run() may run it again): COMMIT goes later. */
	if (c->untried)
		return db_run(c, stmt, params, err);
	/* stmt goes last of the deferred statements, and its result is the one kept. */
	if (db_defer(c, stmt, params, err) != CW_OK)
		return NULL;
	c->untried = 0;
	res = run_pipelined(c, &commit, NULL, c->ndeferred - 1, err);
	if (res != NULL)
		c->committed = 1;
	return res;
}

static int send_statement(struct db_conn *c, const struct db_statement *stmt, const char *const *params)
{
	if (stmt->name == NULL)
		return PQsendQueryParams(c->pg, stmt->sql, stmt->nparams, NULL, params, NULL, NULL, stmt->binary);
	return PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, stmt->binary);
}

/* One try of db_stream(); *given counts the rows handed to each. */
static enum cw_code stream(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
			   db_row_fn each, void *ctx, int *given, struct cw_error *err)
{
	enum cw_code rc = CW_OK;
	int wanted = 1;
	PGresult *res;

	if (take_application_name(c, err) != CW_OK || (stmt->name != NULL && prepare(c, stmt, err) != CW_OK))
		return err->code;
	if (!send_statement(c, stmt, params)) {
		if (PQstatus(c->pg) != CONNECTION_OK)
			c->nprepared = 0;
		return classify(c->pg, NULL, err);
	}
	if (!PQsetSingleRowMode(c->pg))
		rc = cw_fail(err, CW_INTERNAL, "Could not read the rows one at a time.");
	/* Every result is read, even after an error or once each wants no more,
	 * so that the connection is ready for the next statement. */
	while ((res = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && wanted && rc == CW_OK) {
			(*given)++;
			wanted = each(res, ctx) == 0;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
			   rc == CW_OK) {
			rc = classify(c->pg, res, err);
		}
		PQclear(res);
	}
	if (rc != CW_OK && PQstatus(c->pg) != CONNECTION_OK)
		c->nprepared = 0;
	return rc;
}

enum cw_code db_stream(struct db_conn *c, const struct db_statement *stmt, const char *const *params,
		       db_row_fn each, void *ctx, struct cw_error *err)
{
	static const struct db_statement nothing = {"db_nothing", "SELECT", 0, 0};
	int first = c->untried, given = 0;
	enum cw_code rc;

	if (c->ndeferred > 0) {
		/* Rows are read one at a time, outside a pipeline: the deferred statements go first. */
		PGresult *res = db_run(c, &nothing, NULL, err);

		PQclear(res);
		if (res == NULL)
			return err->code;
		first = 0;
	}
	c->untried = 0;
	rc = stream(c, stmt, params, each, ctx, &given, err);
	/* As db_run(): a first statement on a connection that died while idle runs once more. */
	if (rc == CW_OK || !first || given > 0 || c->pg == NULL || PQstatus(c->pg) == CONNECTION_OK)
		return rc;
	forget_connection(c);
	if (ensure_connected(c->pool, c, err) != CW_OK)
		return err->code;
	cw_error_release(err);
	return stream(c, stmt, params, each, ctx, &given, err);
}

static int retryable(const struct cw_error *err)
{
	return strcmp(err->sqlstate, "40001") == 0 || strcmp(err->sqlstate, "40P01") == 0;
}

static const struct db_statement begin_write = {"db_begin", "BEGIN", 0, 0};
static const struct db_statement begin_snapshot = {
	"db_begin_snapshot", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, 0};

/* BEGIN goes with the transaction's first statement, in one round trip. */
static enum cw_code attempt(struct db_conn *c, const struct db_statement *begin, db_work_fn work, void *ctx,
			    struct cw_error *err)
{
	enum cw_code rc = db_defer(c, begin, NULL, err);
	PGresult *res;

	c->committed = 0;
	if (rc == CW_OK)
		rc = work(c, ctx, err);
	if (rc == CW_OK && !c->committed) {
		res = db_run(c, &commit, NULL, err);
		rc = res ? CW_OK : err->code;
		PQclear(res);
	}
	drop_deferred(c);
	if (rc != CW_OK && c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return rc;
}

static enum cw_code run_transaction(struct db_pool *pool, const struct db_statement *begin, db_work_fn work,
				    void *ctx, struct cw_error *err)
{
	enum cw_code rc = CW_UNAVAILABLE;

	for (int i = 0; i < TRANSACTION_ATTEMPTS; i++) {
		struct db_conn *c = db_acquire(pool, err);

		if (c == NULL)
			return err->code;
		rc = attempt(c, begin, work, ctx, err);
		db_release(pool, c);
		if (rc == CW_OK || !retryable(err))
			return rc;
		cw_error_release(err);
	}
	return cw_fail(err, CW_UNAVAILABLE, "The database is busy; try again shortly.");
}

enum cw_code db_transaction(struct db_pool *pool, db_work_fn work, void *ctx, struct cw_error *err)
{
	return run_transaction(pool, &begin_write, work, ctx, err);
}

enum cw_code db_read_snapshot(struct db_pool *pool, db_work_fn work, void *ctx, struct cw_error *err)
{
	return run_transaction(pool, &begin_snapshot, work, ctx, err);
}

unsigned db_retry_after_seconds(double seconds, unsigned least)
{
	unsigned whole;

	if (!(seconds > least))
		return least;
	if (seconds >= DB_RETRY_AFTER_MAX)
		return DB_RETRY_AFTER_MAX;
	whole = (unsigned)seconds;
	return whole < seconds ? whole + 1 : whole;
}

enum cw_code db_check_ready(struct db_pool *pool, int min_version, struct cw_error *err)
{
	static const struct db_statement schema_version = {
		"db_schema_version", "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, 0};
	PGresult *res = db_query(pool, &schema_version, NULL, err);
	int version;

	if (res == NULL)
		return err->code;
	version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (version < min_version)
		return cw_fail(err, CW_UNAVAILABLE, "The database schema is at version %d; this service needs %d.",
			       version, min_version);
	return CW_OK;
}

/* ---- metrics ------------------------------------------------------------ */

enum pool_gauge { POOL_SIZE, POOL_IN_USE, POOL_WAITING, POOL_OPEN, POOL_DOWN };

static unsigned pool_gauge(struct db_pool *pool, enum pool_gauge which)
{
	unsigned v;

	if (which == POOL_OPEN)
		return atomic_load_explicit(&pool->open, memory_order_relaxed);
	pthread_mutex_lock(&pool->lock);
	if (which == POOL_DOWN)
		v = pool->down ? (unsigned)seconds_since(&pool->down_since) : 0;
	else
		v = which == POOL_SIZE ? pool->size : which == POOL_IN_USE ? pool->size - pool->free_count : pool->waiting;
	pthread_mutex_unlock(&pool->lock);
	return v;
}

static void write_pool_gauges(struct strbuf *out, struct db_pool *const *pools, size_t npools)
{
	static const struct {
		enum pool_gauge which;
		const char *name, *help;
	} gauges[] = {
		{POOL_SIZE, "casework_db_pool_connections", "Connections the pool may hold."},
		{POOL_IN_USE, "casework_db_pool_in_use", "Connections taken by a request now."},
		{POOL_WAITING, "casework_db_pool_waiting", "Requests waiting for a free connection now."},
		{POOL_OPEN, "casework_db_pool_open", "Connections open to the database now."},
		{POOL_DOWN, "casework_db_pool_down_seconds",
		 "How long connecting to the database has been failing; 0 while it succeeds."},
	};

	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		metrics_family(out, gauges[g].name, "gauge", gauges[g].help);
		for (size_t p = 0; p < npools; p++)
			metrics_sample(out, gauges[g].name, &(struct metrics_label){"pool", pools[p]->name}, 1,
				       pool_gauge(pools[p], gauges[g].which));
	}
}

void db_metrics_write(struct strbuf *out, struct db_pool *const *pools, size_t npools)
{
	write_pool_gauges(out, pools, npools);
	metrics_family(out, "casework_db_pool_wait_seconds", "histogram",
		       "Time taken to get a database connection from the pool, waiting included.");
	for (size_t p = 0; p < npools; p++)
		metrics_histogram_write(out, "casework_db_pool_wait_seconds",
					&(struct metrics_label){"pool", pools[p]->name}, 1, &pools[p]->wait_time);
	metrics_family(out, "casework_db_pool_refusals_total", "counter",
		       "Requests that got no connection: none freed up in time, or the pool does not wait.");
	for (size_t p = 0; p < npools; p++)
		metrics_sample(out, "casework_db_pool_refusals_total", &(struct metrics_label){"pool", pools[p]->name},
			       1, atomic_load_explicit(&pools[p]->refused, memory_order_relaxed));
	metrics_family(out, "casework_db_connect_failures_total", "counter",
		       "Attempts to open a database connection that failed.");
	for (size_t p = 0; p < npools; p++)
		metrics_sample(out, "casework_db_connect_failures_total",
			       &(struct metrics_label){"pool", pools[p]->name}, 1,
			       atomic_load_explicit(&pools[p]->connect_failures, memory_order_relaxed));
	metrics_family(out, "casework_db_errors_total", "counter",
		       "Statements the database failed, by SQLSTATE class (08 also for a connection lost "
		       "without one).");
	for (int i = 0; i < SQLSTATE_SYMBOLS * SQLSTATE_SYMBOLS; i++) {
		uint64_t count = atomic_load_explicit(&errors_by_class[i], memory_order_relaxed);
		char class[3] = {symbol_char(i / SQLSTATE_SYMBOLS), symbol_char(i % SQLSTATE_SYMBOLS), '\0'};

		if (count > 0)
			metrics_sample(out, "casework_db_errors_total", &(struct metrics_label){"class", class}, 1, count);
	}
}
