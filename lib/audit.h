/*
 * audit: who changed what, and when.
 *
 * The rows themselves are written by database triggers (sql/001_init.sql) in
 * the same transaction as the change; this module names the actor of a write
 * transaction, so that no write can happen without one, and reads the trail
 * for GET /v1/audit.
 */
#ifndef CW_AUDIT_H
#define CW_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "record.h"

/* Runs work in one transaction whose changes are attributed to actor. */
enum cw_code audit_transaction(struct db_pool *pool, const struct actor *actor, db_work_fn work,
			       void *ctx, struct cw_error *err);

struct audit_query {
	const char *resource_type;  /* each filter NULL when not given */
	const char *resource_id;
	const char *actor;
	const char *from;           /* RFC 3339, inclusive */
	const char *to;             /* RFC 3339, exclusive */
	int64_t after_id;           /* 0: from the start */
	int limit;
};

/* A page of audit entries, oldest first, as JSON text (caller frees). The
 * caller must hold ACCESS_READ_AUDIT; entries about substance use treatment
 * referrals appear only to those who may see such referrals. */
enum cw_code audit_list(struct db_pool *pool, const struct principal *p, const struct audit_query *q,
			char **page, struct cw_error *err);

#endif
