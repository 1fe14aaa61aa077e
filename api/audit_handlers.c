#include "audit_handlers.h"

#include "audit.h"
#include "reply.h"
#include "request.h"

static const struct field_spec resource_type_spec = {"resource_type", FT_STRING, 0, 50, NULL, 0, 0};
static const struct field_spec resource_id_spec = {"resource_id", FT_UUID, 0, 0, NULL, 0, 0};
static const struct field_spec actor_spec = {"actor", FT_STRING, 0, PRINCIPAL_SUB_MAX, NULL, 0, 0};

enum cw_code list_audit(struct exchange *x)
{
	static const char *const allowed[] = {"resource_type", "resource_id", "actor", "from", "to",
					      "limit", "cursor", NULL};
	struct audit_query q = {0};
	char from[28], to[28], unused[37];
	char *page = NULL;

	query_only(x, allowed);
	q.resource_type = query_value(x, "resource_type", &resource_type_spec);
	q.resource_id = query_value(x, "resource_id", &resource_id_spec);
	q.actor = query_value(x, "actor", &actor_spec);
	q.from = query_timestamp(x, "from", from);
	q.to = query_timestamp(x, "to", to);
	q.limit = query_limit(x);
	query_cursor(x, CURSOR_AUDIT, &q.after_id, unused);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (audit_list(x->app->pool, &x->principal, &q, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}
