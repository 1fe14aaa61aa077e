#include "changes.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "metrics.h"
#include "cursor.h"
#include "dates.h"
#include "kinds.h"
#include "log.h"
#include "page.h"
#include "record.h"
#include "resource_sql.h"
#include "rowjson.h"
#include "strbuf.h"

static const struct db_statement list_changes = {
	"changes_list",
	"SELECT ch.seq, a.resource_type, a.resource_id, a.case_id, a.action, a.at, a.actor, a.request_id"
	"  FROM changes ch JOIN audit_log a ON a.id = ch.audit_id"
	" WHERE ch.seq > $1"
	"   AND ($2::text IS NULL OR a.resource_type = $2)"
	"   AND ($3::uuid IS NULL OR a.case_id = $3)"
	"   AND cw_sees_sud(EXISTS (SELECT 1 FROM audit_log s WHERE s.resource_id = a.resource_id AND s.sensitive),"
	"                   NULL, NULL, $4, NULL, NULL)"
	" ORDER BY ch.seq LIMIT $5",
	5, 1};

enum { COL_SEQ, COL_TYPE, COL_ID, COL_CASE, COL_ACTION, COL_AT, COL_ACTOR, COL_REQUEST };

int changes_known_type(const char *name)
{
	for (const struct resource *const *k = record_kinds; *k; k++)
		if (strcmp((*k)->audit_type, name) == 0)
			return 1;
	return 0;
}

/* Records are read for this many changes at once: at most that many of the
 * largest records (about 80 KB each) are held beside the page. */
#define FEED_BATCH 32

static int keep_record(const PGresult *row, void *ctx)
{
	json_t *records = ctx;
	struct strbuf sb = STRBUF_INIT;
	char id[37];
	char *text;

	rowjson_uuid(row, 0, PQfnumber(row, "id"), id);
	rowjson_append(&sb, row, 0);
	text = strbuf_detach(&sb);
	json_object_set_new(records, id, json_string(text ? text : "null"));
	free(text);
	return 0;
}

/* The current form of every record of kind changed in rows [from, to) of the
 * page, as JSON text by id in records; protected records only when sud_all is
 * "t" (kinds that have them filter by it too, not only the feed's query). */
static enum cw_code load_records(struct db_conn *conn, const struct resource *kind, const PGresult *page, int from,
				 int to, const char *sud_all, json_t *records, struct cw_error *err)
{
	json_t *ids = json_array();
	char id[37];
	char *list;
	const char *params[2] = {NULL, sud_all};
	enum cw_code rc;

	for (int i = from; i < to; i++) {
		if (strcmp(PQgetvalue(page, i, COL_TYPE), kind->audit_type) != 0)
			continue;
		rowjson_uuid(page, i, COL_ID, id);
		json_array_append_new(ids, json_string(id));
	}
	if (json_array_size(ids) == 0) {
		json_decref(ids);
		return CW_OK;
	}
	list = record_array_literal(ids);
	json_decref(ids);
	if (list == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	params[0] = list;
	rc = resource_sql(kind) ? db_stream(conn, &resource_sql(kind)->by_ids, params, keep_record, records, err)
				: cw_fail(err, CW_INTERNAL, "Out of memory.");
	free(list);
	return rc;
}

static const char *action_word(const char *audit_action)
{
	if (strcmp(audit_action, "create") == 0)
		return "created";
	if (strcmp(audit_action, "delete") == 0)
		return "deleted";
	return "updated";
}

static void append_change(struct strbuf *sb, const PGresult *page, int row, const json_t *records)
{
	char cursor[CURSOR_TEXT_LEN + 1], id[37], case_id[37], at[28];
	const char *record;

	cursor_encode(CURSOR_CHANGES, rowjson_int8(page, row, COL_SEQ), NULL, cursor);
	rowjson_uuid(page, row, COL_ID, id);
	record = json_string_value(json_object_get(records, id));
	strbuf_addstr(sb, "{\"cursor\":\"");
	strbuf_addstr(sb, cursor);
	strbuf_addstr(sb, "\",\"resource_type\":");
	rowjson_string(sb, PQgetvalue(page, row, COL_TYPE), (size_t)PQgetlength(page, row, COL_TYPE));
	strbuf_addstr(sb, ",\"id\":\"");
	strbuf_addstr(sb, id);
	strbuf_addstr(sb, "\",\"case_id\":");
	if (PQgetisnull(page, row, COL_CASE)) {
		strbuf_addstr(sb, "null");
	} else {
		rowjson_uuid(page, row, COL_CASE, case_id);
		strbuf_addch(sb, '"');
		strbuf_addstr(sb, case_id);
		strbuf_addch(sb, '"');
	}
	strbuf_addstr(sb, ",\"action\":\"");
	strbuf_addstr(sb, action_word(PQgetvalue(page, row, COL_ACTION)));
	timestamp_format(rowjson_timestamp_us(page, row, COL_AT), at);
	strbuf_addstr(sb, "\",\"at\":\"");
	strbuf_addstr(sb, at);
	strbuf_addstr(sb, "\",\"actor\":");
	rowjson_string(sb, PQgetvalue(page, row, COL_ACTOR), (size_t)PQgetlength(page, row, COL_ACTOR));
	strbuf_addstr(sb, ",\"request_id\":");
	if (PQgetisnull(page, row, COL_REQUEST))
		strbuf_addstr(sb, "null");
	else
		rowjson_string(sb, PQgetvalue(page, row, COL_REQUEST), (size_t)PQgetlength(page, row, COL_REQUEST));
	strbuf_addstr(sb, ",\"record\":");
	strbuf_addstr(sb, record ? record : "null");
	strbuf_addch(sb, '}');
}

/* Appends the changes of rows [from, to) of the page while b admits them;
 * *last is the number of the last one appended. 0 once the page is full. */
static int append_batch(struct strbuf *sb, const PGresult *page, int from, int to, const json_t *records,
			struct page_bound *b, int64_t *last)
{
	for (int i = from; i < to; i++) {
		size_t mark = sb->len;

		if (!page_bound_room(b))
			return 0;
		if (b->count > 0)
			strbuf_addch(sb, ',');
		append_change(sb, page, i, records);
		if (!page_bound_keep(b, sb->len + PAGE_TAIL_BYTES)) {
			strbuf_setlen(sb, mark);
			return 0;
		}
		*last = rowjson_int8(page, i, COL_SEQ);
	}
	return 1;
}

/* Changes of the page, batch by batch with their records, while they fit. */
static enum cw_code append_changes(struct db_conn *conn, const PGresult *page, const char *sud_all,
				   struct page_bound *b, struct strbuf *sb, int64_t *last, struct cw_error *err)
{
	int n = PQntuples(page), more = 1;
	enum cw_code rc = CW_OK;

	for (int from = 0; more && rc == CW_OK && from < n; from += FEED_BATCH) {
		int to = from + FEED_BATCH < n ? from + FEED_BATCH : n;
		json_t *records = json_object();

		if (records == NULL)
			return cw_fail(err, CW_INTERNAL, "Out of memory.");
		for (const struct resource *const *k = record_kinds; rc == CW_OK && *k; k++)
			rc = load_records(conn, *k, page, from, to, sud_all, records, err);
		if (rc == CW_OK)
			more = append_batch(sb, page, from, to, records, b, last);
		json_decref(records);
	}
	return rc;
}

struct feed_read {
	const struct change_query *q;
	const char *sud_all;
	struct strbuf sb;   /* the answer, up to its items */
	int64_t last;       /* the number of the last change in it */
};

static enum cw_code read_feed(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct feed_read *f = ctx;
	char after[24], limit[16];
	const char *params[5] = {after, f->q->resource_type, f->q->case_id, f->sud_all, limit};
	struct page_bound b;
	PGresult *res;
	enum cw_code rc;

	snprintf(after, sizeof(after), "%lld", (long long)f->q->after);
	snprintf(limit, sizeof(limit), "%d", f->q->limit);
	strbuf_setlen(&f->sb, 0);
	strbuf_addstr(&f->sb, "{\"items\":[");
	f->last = f->q->after;
	page_bound_init(&b, f->q->limit, PAGE_BYTES_MAX);
	res = db_run(conn, &list_changes, params, err);
	rc = res ? append_changes(conn, res, f->sud_all, &b, &f->sb, &f->last, err) : err->code;
	PQclear(res);
	return rc;
}

/* The page and its records are read in one snapshot: a record is shown as it
 * stood when the page was read, never as a later change (one that made it a
 * protected referral, say) left it. Numbering first makes the page list every
 * change committed before the request. */
enum cw_code changes_list(struct db_pool *pool, const struct principal *p, const struct change_query *q,
			  char **page, struct cw_error *err)
{
	struct feed_read f = {q, access_scope_of(p).sud_all, STRBUF_INIT, q->after};
	char cursor[CURSOR_TEXT_LEN + 1];
	enum cw_code rc = changes_number(pool, err);

	*page = NULL;
	if (rc == CW_OK)
		rc = db_read_snapshot(pool, read_feed, &f, err);
	if (rc != CW_OK) {
		strbuf_release(&f.sb);
		return rc;
	}
	/* Never null: an empty page hands back where it started, to poll again. */
	cursor_encode(CURSOR_CHANGES, f.last, NULL, cursor);
	strbuf_addstr(&f.sb, "],");
	page_close(&f.sb, cursor);
	*page = strbuf_detach(&f.sb);
	return *page ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

/* ---- numbering (sql/013) ----------------------------------------------- */

/* The function reads the highest number given so far in a statement of its
 * own after taking the lock, which shows it the numbers of the numberer before
 * it only under READ COMMITTED: set here, whatever the server's default. */
static const struct db_statement read_committed = {
	"changes_read_committed", "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", 0, 0};
static const struct db_statement number_changes = {
	"changes_number", "SELECT cw_number_changes($1, $2)", 2, 0};

struct numbering {
	const char *wait;   /* "t": wait for a numberer at work; "f": skip the turn */
	int numbered;       /* how many the round numbered; -1 when it skipped */
};

/* What this instance's rounds did, for /metrics. */
static atomic_uint_least64_t numbered_total, numbering_failures;
static atomic_llong last_round_at;   /* CLOCK_MONOTONIC seconds of the last round that worked; 0: none */

static long long monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec;
}

static void count_round(const struct numbering *n, enum cw_code rc)
{
	if (rc != CW_OK) {
		atomic_fetch_add_explicit(&numbering_failures, 1, memory_order_relaxed);
		return;
	}
	if (n->numbered > 0)
		atomic_fetch_add_explicit(&numbered_total, (uint_least64_t)n->numbered, memory_order_relaxed);
	atomic_store_explicit(&last_round_at, monotonic_seconds(), memory_order_relaxed);
}

void changes_metrics_write(struct strbuf *out)
{
	long long last = atomic_load_explicit(&last_round_at, memory_order_relaxed);

	metrics_family(out, "casework_change_feed_numbered_total", "counter",
		       "Committed changes this instance gave their feed number.");
	metrics_sample(out, "casework_change_feed_numbered_total", NULL, 0,
		       atomic_load_explicit(&numbered_total, memory_order_relaxed));
	metrics_family(out, "casework_change_feed_numbering_failures_total", "counter",
		       "Numbering rounds of this instance that failed.");
	metrics_sample(out, "casework_change_feed_numbering_failures_total", NULL, 0,
		       atomic_load_explicit(&numbering_failures, memory_order_relaxed));
	metrics_family(out, "casework_change_feed_numbered_ago_seconds", "gauge",
		       "Seconds since this instance last numbered the feed (a round that worked, whatever it found): "
		       "how long a committed change may have waited for its number. "
		       "Below a second while numbering works; -1 before the first round.");
	metrics_sample_real(out, "casework_change_feed_numbered_ago_seconds", NULL, 0,
			    last ? (double)(monotonic_seconds() - last) : -1.0);
}

static enum cw_code number_round(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct numbering *n = ctx;
	char most[16];
	const char *params[2] = {most, n->wait};
	PGresult *res = db_run(conn, &read_committed, NULL, err);

	if (res == NULL)
		return err->code;
	PQclear(res);
	snprintf(most, sizeof(most), "%d", CHANGES_NUMBER_BATCH);
	res = db_run(conn, &number_changes, params, err);
	if (res == NULL)
		return err->code;
	n->numbered = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return CW_OK;
}

enum cw_code changes_number(struct db_pool *pool, struct cw_error *err)
{
	for (int round = 0; round < CHANGES_NUMBER_ROUNDS; round++) {
		struct numbering n = {"t", 0};
		enum cw_code rc = db_transaction(pool, number_round, &n, err);

		count_round(&n, rc);
		if (rc != CW_OK)
			return err->code;
		if (n.numbered < CHANGES_NUMBER_BATCH)
			break;
	}
	return CW_OK;
}

struct changes_numberer {
	struct db_pool *pool;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;   /* signalled to stop */
	int stopping;
};

/* One round; logs the first failure of a run of them and the recovery. */
static int background_round(struct changes_numberer *n, int *failing)
{
	struct numbering round = {"f", 0};
	struct cw_error err = CW_ERROR_INIT;
	enum cw_code rc = db_transaction(n->pool, number_round, &round, &err);

	count_round(&round, rc);
	if (rc != CW_OK) {
		if (!*failing)
			log_event("warn", "numbering the change feed failed: %s", err.detail);
		*failing = 1;
		cw_error_release(&err);
		return 0;
	}
	if (*failing)
		log_event("info", "numbering the change feed works again");
	*failing = 0;
	return round.numbered;
}

static void *numberer_main(void *arg)
{
	struct changes_numberer *n = arg;
	int failing = 0;

	pthread_mutex_lock(&n->lock);
	while (!n->stopping) {
		struct timespec until;
		int numbered;

		pthread_mutex_unlock(&n->lock);
		numbered = background_round(n, &failing);
		pthread_mutex_lock(&n->lock);
		if (numbered == CHANGES_NUMBER_BATCH)
			continue;   /* more are waiting */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += n->interval_ms / 1000;
		until.tv_nsec += (long)(n->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!n->stopping && pthread_cond_timedwait(&n->wake, &n->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

struct changes_numberer *changes_numberer_start(const char *conninfo, unsigned interval_ms)
{
	struct changes_numberer *n = calloc(1, sizeof(*n));
	pthread_condattr_t attr;

	if (n == NULL)
		return NULL;
	n->interval_ms = interval_ms;
	n->pool = db_pool_new(conninfo, &(struct db_pool_settings){
		"numbering", "caseworkd change numbering", 1, DB_STATEMENT_TIMEOUT_SECONDS, 1});
	if (n->pool == NULL) {
		free(n);
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&n->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&n->thread, NULL, numberer_main, n) != 0) {
		pthread_cond_destroy(&n->wake);
		pthread_mutex_destroy(&n->lock);
		db_pool_free(n->pool);
		free(n);
		return NULL;
	}
	return n;
}

void changes_numberer_stop(struct changes_numberer *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stopping = 1;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
	db_pool_free(n->pool);
	free(n);
}
