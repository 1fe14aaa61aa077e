#include "audit.h"

#include "access.h"
#include "page.h"

#include <stdio.h>
#include <stdlib.h>


static const struct db_statement set_actor = {
	"audit_set_actor",
	"SELECT set_config('casework.actor', $1, true), set_config('casework.roles', $2, true),"
	" set_config('casework.request_id', $3, true), set_config('casework.client_request_id', $4, true)",
	4, 0};

struct attributed {
	const struct actor *actor;
	db_work_fn work;
	void *ctx;
};

static enum cw_code attributed_work(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct attributed *a = ctx;
	char roles[128];
	const char *params[4] = {a->actor->principal->sub, roles, a->actor->request_id,
				 a->actor->client_request_id ? a->actor->client_request_id : ""};

	claims_roles_text(a->actor->principal->roles, roles, sizeof(roles));
	/* With the work's first statement, in one round trip. */
	if (db_defer(conn, &set_actor, params, err) != CW_OK)
		return err->code;
	return a->work(conn, a->ctx, err);
}

enum cw_code audit_transaction(struct db_pool *pool, const struct actor *actor, db_work_fn work,
			       void *ctx, struct cw_error *err)
{
	struct attributed a = {actor, work, ctx};

	return db_transaction(pool, attributed_work, &a, err);
}

static const struct db_statement list_audit = {
	NULL,
	"SELECT a.id, a.at, a.actor, array_to_json(a.actor_roles) AS actor_roles, a.request_id, a.client_request_id,"
	/* event: the change feed's word for the action, for new clients; action stays for old ones. */
	" CASE a.action WHEN 'create' THEN 'created' WHEN 'update' THEN 'updated' ELSE 'deleted' END AS event,"
	" a.action, a.resource_type, a.resource_id, a.case_id, a.before, a.after"
	" FROM audit_log a"
	" WHERE ($1::text IS NULL OR a.resource_type = $1)"
	"   AND ($2::uuid IS NULL OR a.resource_id = $2)"
	"   AND ($3::text IS NULL OR a.actor = $3)"
	"   AND ($4::timestamptz IS NULL OR a.at >= $4)"
	"   AND ($5::timestamptz IS NULL OR a.at < $5)"
	"   AND a.id > $6"
	/* Every row of a referral that was ever protected, not only those written while it was. */
	"   AND cw_sees_sud(EXISTS (SELECT 1 FROM audit_log s WHERE s.resource_id = a.resource_id AND s.sensitive),"
	"                   NULL, NULL, $8, NULL, NULL)"
	" ORDER BY a.id LIMIT $7",
	8, 1};

enum cw_code audit_list(struct db_pool *pool, const struct principal *p, const struct audit_query *q,
			char **page, struct cw_error *err)
{
	static const struct page_keys keys = {CURSOR_AUDIT, "id", NULL, NULL, 0, 5};
	char after[24];
	const char *params[8] = {q->resource_type, q->resource_id, q->actor, q->from, q->to, after,
				 NULL /* LIMIT: paging sets it */, access_scope_of(p).sud_all};

	snprintf(after, sizeof(after), "%lld", (long long)q->after_id);
	return page_list(pool, &list_audit, params, q->limit, &keys, page, NULL, err);
}
