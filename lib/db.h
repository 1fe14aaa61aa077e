/*
 * db: a bounded pool of PostgreSQL connections.
 *
 * Connections are opened lazily and replaced when they break, so the service
 * starts without a database and survives a PostgreSQL restart. A service may
 * hold several pools (one for ordinary requests, a small one for reports), each
 * with its own bound on a statement's time and its own answer to "every
 * connection is taken": wait for one, or refuse at once. Statements are
 * named and prepared once per connection on first use. Errors are classified
 * into cw_error codes: unique or exclusion violation -> CW_CONFLICT, connection loss,
 * overload and timeouts -> CW_UNAVAILABLE, a failed check -> CW_INVALID,
 * anything else -> CW_INTERNAL.
 */
#ifndef CW_DB_H
#define CW_DB_H

#include <libpq-fe.h>

#include "error.h"
#include "strbuf.h"

struct db_pool;
struct db_conn;

/* A statement of this program (never client text). With a name, it is
 * prepared once per connection; without one, it is sent with its parameters
 * each time, so the planner sees their values (lists with optional filters). */
struct db_statement {
	const char *name;
	const char *sql;
	int nparams;
	int binary;     /* results in binary format, for lib/rowjson.c */
};

#define DB_STATEMENT_TIMEOUT_SECONDS 30   /* for ordinary requests */

struct db_pool_settings {
	const char *name;             /* the pool's label in metrics ("requests"); kept, not copied */
	const char *application_name; /* what PostgreSQL shows for these connections */
	unsigned size;                /* connections at most */
	unsigned statement_timeout;   /* seconds one statement may run (PostgreSQL's statement_timeout) */
	int wait;                     /* 1: db_acquire waits for a free connection, up to 10 s;
	                               * 0: it fails at once with CW_BUSY */
};

/* A pool of connections to conninfo (copied), as settings say. NULL on failure. */
struct db_pool *db_pool_new(const char *conninfo, const struct db_pool_settings *settings);

/* Closes every connection. The caller guarantees none is in use. Accepts NULL. */
void db_pool_free(struct db_pool *pool);

/* A connected connection for the caller's exclusive use, or NULL with
 * CW_UNAVAILABLE when none frees up in time or the database cannot be reached,
 * or with CW_BUSY when every connection is taken and the pool does not wait. */
struct db_conn *db_acquire(struct db_pool *pool, struct cw_error *err);

/* Returns conn to the pool; a connection left inside a transaction is rolled back. */
void db_release(struct db_pool *pool, struct db_conn *conn);

#define DB_APPLICATION_NAME_MAX 63   /* PostgreSQL's NAMEDATALEN - 1 */

/* The application_name under which the statements this thread runs from now
 * on run (copied; longer than DB_APPLICATION_NAME_MAX bytes is cut), or NULL
 * for the connection's own (the pool's, or the one the connection URL sets).
 * So PostgreSQL's logs and pg_stat_activity name the request a statement
 * serves. A connection takes the name before a statement that starts a
 * transaction (never within one), at the cost of one round trip to the
 * database when the name differs from the one it has. */
void db_set_application_name(const char *name);

/* Runs a statement; params are text, or NULL for SQL NULL. Returns the result
 * (caller PQclear()s) or NULL with err filled. */
PGresult *db_run(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
		 struct cw_error *err);

/* Queues stmt (params copied; at most DB_DEFER_MAX_PARAMS) to go to the
 * database with the next statement run on conn, in the same round trip, for
 * statements whose results nobody reads (BEGIN, settings of the transaction):
 * a failure of one is reported by that next statement. At most DB_DEFER_MAX
 * wait at once; they are dropped when conn goes back to the pool. */
#define DB_DEFER_MAX 4
#define DB_DEFER_MAX_PARAMS 64
enum cw_code db_defer(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
		      struct cw_error *err);

/* db_run(), and COMMIT in the same round trip, for the last statement of a
 * transaction's work (db_transaction() then commits nothing more): its
 * result, or NULL with err filled when it or the commit failed (nothing is
 * then committed). What the caller does with the result comes after the
 * commit, so it must not be able to fail for any reason to roll back. As
 * the first statement on the connection it is db_run(), and
 * db_transaction() commits. */
PGresult *db_run_committing(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
			    struct cw_error *err);

/* db_run() on a pooled connection taken and given back around it, for reads
 * that need one statement. */
PGresult *db_query(struct db_pool *pool, const struct db_statement *stmt, const char *const *params,
		   struct cw_error *err);

/* Takes each row of a streamed statement: row is a result holding that one
 * row, freed when the call returns. Returns 0 for the next row, anything else
 * when it wants no more. */
typedef int (*db_row_fn)(const PGresult *row, void *ctx);

/* Runs a statement and hands its rows to each one at a time, so that at most
 * one row is held in memory whatever the result's size. Rows that come after
 * each has declined are read and dropped. CW_OK, or err filled (rows already
 * handed over are then to be thrown away). */
enum cw_code db_stream(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
		       db_row_fn each, void *ctx, struct cw_error *err);

/* Work done inside db_transaction(); returns CW_OK to commit. */
typedef enum cw_code (*db_work_fn)(struct db_conn *conn, void *ctx, struct cw_error *err);

/* BEGIN; work; COMMIT on one pooled connection. Retries the whole transaction
 * a few times on serialization failure or deadlock. Anything else rolls back.
 * CW_OK means the commit was acknowledged by the database. BEGIN is sent with
 * work's first statement (db_defer). */
enum cw_code db_transaction(struct db_pool *pool, db_work_fn work, void *ctx, struct cw_error *err);

/* The same for reads that must see the database as it stood at one moment:
 * every statement of work sees one snapshot, and work may write nothing
 * (REPEATABLE READ READ ONLY). */
enum cw_code db_read_snapshot(struct db_pool *pool, db_work_fn work, void *ctx, struct cw_error *err);

/* Writes the metrics of these pools and of every database error so far
 * (lib/metrics.h): connections in use, open and waited for, the time taken to
 * get one, refusals, failed connects and for how long they have failed, and
 * errors by SQLSTATE class. */
void db_metrics_write(struct strbuf *out, struct db_pool *const *pools, size_t npools);

/* Retry-After advice (err->retry_after) for a failure that has lasted
 * seconds: a client told to wait as long as the trouble has lasted backs off
 * the longer it lasts. At least least, at most DB_RETRY_AFTER_MAX, whole
 * seconds rounded up. Given by db_acquire (every connection taken: since
 * when; at least DB_BUSY_RETRY_AFTER_LEAST for a pool that does not wait) and
 * whatever cannot connect (the database unreachable: since when). */
#define DB_RETRY_AFTER_MAX 30
#define DB_BUSY_RETRY_AFTER_LEAST 5
unsigned db_retry_after_seconds(double seconds, unsigned least);

/* CW_OK when the database answers and the schema is at least at min_version. */
enum cw_code db_check_ready(struct db_pool *pool, int min_version, struct cw_error *err);

#endif
