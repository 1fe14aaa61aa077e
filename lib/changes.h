/*
 * changes: the feed state systems poll to stay in sync.
 *
 * Every committed change to every kind of record, each with its number (as an
 * opaque cursor), resource type, id, case id, action (created, updated,
 * deleted), time, actor, request id, and the record as it now stands (or as
 * it was deleted). Polling from the last cursor never misses or repeats a
 * change. A writer only queues its change; changes are numbered after they
 * commit, by one numberer at a time (sql/013 says why the feed's order
 * promises hold): a reader numbers what has committed before it reads, and
 * each instance numbers in the background too (changes_numberer_start()).
 * A page and its records are read in one snapshot. Changes of a
 * substance use treatment referral (ever one) appear only to callers who see
 * all of them, and the records looked up for a page leave such referrals out
 * for everyone else too.
 */
#ifndef CW_CHANGES_H
#define CW_CHANGES_H

#include <stdint.h>

#include "auth.h"
#include "db.h"

struct change_query {
	int64_t after;               /* the number of the last change seen; 0 from the start */
	const char *resource_type;   /* NULL: every kind */
	const char *case_id;         /* NULL: every case */
	int limit;
};

/* Whether name is a resource type of the feed. */
int changes_known_type(const char *name);

/* A page {"items":[...],"next_cursor":"..."} of at most q->limit changes and
 * PAGE_BYTES_MAX bytes (lib/page.h): next_cursor names the last change
 * returned, or the starting point when none was (poll again with it). Records
 * are read a batch of changes at a time, so that a request holds at most a
 * batch of records beside its page. */
enum cw_code changes_list(struct db_pool *pool, const struct principal *p, const struct change_query *q,
			  char **page, struct cw_error *err);

/* Numbers every change committed before the call and not numbered yet,
 * waiting for a numberer at work to finish first; a batch of changes per
 * transaction, and at most CHANGES_NUMBER_ROUNDS batches (a backlog larger
 * than that is left to the next call). changes_list() calls it. */
#define CHANGES_NUMBER_BATCH 10000
#define CHANGES_NUMBER_ROUNDS 20
enum cw_code changes_number(struct db_pool *pool, struct cw_error *err);

/* A thread that numbers committed changes every interval_ms milliseconds (at
 * once again while a batch comes back full) on a database connection of its
 * own to conninfo, skipping a turn when another numberer is at work. Failures
 * are logged once until numbering works again. NULL when the thread cannot
 * be started. */
struct changes_numberer;
struct changes_numberer *changes_numberer_start(const char *conninfo, unsigned interval_ms);

/* Stops the thread (a batch in progress finishes first) and frees it.
 * Accepts NULL. */
void changes_numberer_stop(struct changes_numberer *n);

/* Writes the metrics of numbering (lib/metrics.h): changes numbered by this
 * instance, failed rounds, and the seconds since a round last worked. */
void changes_metrics_write(struct strbuf *out);

#endif
