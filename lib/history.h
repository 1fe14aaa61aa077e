/*
 * history: every value each field of a record has had, from the audit trail.
 *
 * Federal reporting (AFCARS, NCANDS) asks what a field held on a date, not
 * only what it holds now. The audit trail keeps the whole record as created
 * and the fields each change changed, so a field's timeline is its value at
 * creation followed by each later value, each with when it was written, by
 * whom and in which request. A record that is not visible is not found, and a
 * referral that was ever substance use treatment has its trail shown only to
 * those who may see such referrals of its case (as in GET /v1/audit).
 *
 * A history is paged like a list, oldest first, by audit entry: a page holds
 * the values written by at most limit entries of the trail, and no more than
 * PAGE_BYTES_MAX bytes (lib/page.h). Its cursor names the record, so that it
 * pages only that record's history.
 */
#ifndef CW_HISTORY_H
#define CW_HISTORY_H

#include <stdint.h>

#include "cursor.h"
#include "db.h"
#include "page.h"
#include "resource.h"

/* Where a page of a history starts: after these entries (0: at the first). */
struct history_position {
	int limit;
	int64_t after;            /* the last entry shown: an audit entry (a permanency goal) */
	int64_t after_status;     /* a referral's last status shown; 0 elsewhere */
};

/* Appends "fields":{"field": [{"value", "since", "by", "request_id"}, ...], ...}
 * to out: the values written by the entries of record id's trail after
 * audit entry after, oldest first, in the order of kind's fields, while b
 * admits them (the answer being out with the fields in it). *last is the
 * last entry shown. CW_NOT_FOUND when the caller may see no entry of the
 * trail and after is 0. The caller has already decided that the record itself
 * is visible. */
enum cw_code history_fields(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			    const char *id, int64_t after, struct page_bound *b, struct strbuf *out, int64_t *last,
			    struct cw_error *err);

/* GET /v1/{kind}/{id}/history: one page {"id", "resource_type", "fields",
 * "next_cursor"} as JSON text (the caller frees it), or the page of the
 * kind's own history (rules.history); CW_NOT_FOUND when the record is not
 * visible. */
enum cw_code history_of(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			const char *id, const struct history_position *pos, char **page, struct cw_error *err);

#endif
