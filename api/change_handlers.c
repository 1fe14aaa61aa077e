#include "change_handlers.h"

#include <stdio.h>

#include "changes.h"
#include "kinds.h"
#include "reply.h"
#include "request.h"

static const struct field_spec case_id_spec = {"case_id", FT_UUID, 0, 0, NULL, 0, 0};

/* "must be one of: case, participant, ...": every kind of the feed. */
static void refuse_type(struct exchange *x)
{
	char types[256] = "";
	size_t used = 0;

	for (const struct resource *const *k = record_kinds; *k && used < sizeof(types); k++)
		used += (size_t)snprintf(types + used, sizeof(types) - used, "%s%s", used ? ", " : "", (*k)->audit_type);
	cw_field_error(&x->err, "resource_type", "must be one of: %s", types);
}

enum cw_code list_changes(struct exchange *x)
{
	static const char *const allowed[] = {"after", "limit", "resource_type", "case_id", NULL};
	struct change_query q = {0};
	char *page = NULL;
	const char *after;
	char unused[37];

	query_only(x, allowed);
	query_text(x, "after", &after);
	if (after != NULL && (cursor_decode(after, CURSOR_CHANGES, &q.after, unused) != 0 || q.after < 0))
		cw_field_error(&x->err, "after", "is not a cursor of the change feed; pass next_cursor or an "
			       "item's cursor unchanged");
	query_text(x, "resource_type", &q.resource_type);
	if (q.resource_type != NULL && !changes_known_type(q.resource_type))
		refuse_type(x);
	q.case_id = query_value(x, "case_id", &case_id_spec);
	q.limit = query_limit(x);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (changes_list(x->app->pool, &x->principal, &q, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}
