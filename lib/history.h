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
 */
#ifndef CW_HISTORY_H
#define CW_HISTORY_H

#include <jansson.h>

#include "db.h"
#include "resource.h"

/* {"field": [{"value", "since", "by", "request_id"}, ...], ...} of record id
 * of kind, in the order of kind's fields; *out is the caller's to decref.
 * CW_NOT_FOUND when the caller may not see its trail. The caller has already
 * decided that the record itself is visible. */
enum cw_code history_fields(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			    const char *id, json_t **out, struct cw_error *err);

/* GET /v1/{kind}/{id}/history: {"id", "resource_type", "fields"} as JSON text
 * (the caller frees it); CW_NOT_FOUND when the record is not visible. */
enum cw_code history_of(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			const char *id, char **page, struct cw_error *err);

#endif
