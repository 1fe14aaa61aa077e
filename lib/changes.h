/*
 * changes: the feed state systems poll to stay in sync.
 *
 * Every committed change to every kind of record, in commit order (numbered at
 * COMMIT: sql/007 and 008), each with its number (as an
 * opaque cursor), resource type, id, case id, action (created, updated,
 * deleted), time, actor, request id, and the record as it now stands (or as
 * it was deleted). Polling from the last cursor never misses or repeats a
 * change. A page and its records are read in one snapshot. Changes of a
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

#endif
