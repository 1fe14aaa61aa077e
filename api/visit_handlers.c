/* visit_handlers: /v1/cases/{id}/visits, /v1/visits, /v1/visits/{id}. */
#include "visits.h"

#include <string.h>

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

static const struct field_spec case_id_spec = {"case_id", FT_UUID, 0, 0, NULL, 0, 0};

/* sort: absent (creation order), visited_at or -visited_at. */
static enum visit_order read_order(struct exchange *x)
{
	const char *sort;

	if (query_text(x, "sort", &sort) != 1)
		return VISITS_BY_CREATION;
	if (strcmp(sort, "visited_at") == 0)
		return VISITS_BY_TIME;
	if (strcmp(sort, "-visited_at") == 0)
		return VISITS_BY_TIME_DESC;
	cw_field_error(&x->err, "sort", "must be visited_at (earliest first) or -visited_at (latest first)");
	return VISITS_BY_CREATION;
}

static enum cw_code list(struct exchange *x, const char *path_case_id)
{
	static const char *const nested[] = {"visit_type", "from", "to", "updated_since", "sort", "limit", "cursor",
					     NULL};
	static const char *const across[] = {"case_id", "visit_type", "from", "to", "updated_since", "sort",
					     "limit", "cursor", NULL};
	struct visit_filter f = {0};
	struct list_position pos;
	char from[28], to[28];
	char *page = NULL;

	query_only(x, path_case_id ? nested : across);
	f.case_id = path_case_id ? path_case_id : query_value(x, "case_id", &case_id_spec);
	f.visit_type = query_value(x, "visit_type", field_spec_find(visit_fields, "visit_type"));
	f.from = query_timestamp(x, "from", from);
	f.to = query_timestamp(x, "to", to);
	f.order = read_order(x);
	query_list_position(x, visits_cursor_kind(f.order), &pos);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	f.updated_since = pos.updated_since;
	f.after_key = pos.after_created;
	f.after_id = pos.after_id;
	f.limit = pos.limit;
	if (visits_list(x->app->pool, &x->principal, &f, path_case_id != NULL, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code list_case_visits(struct exchange *x)
{
	char case_id[37];

	if (path_uuid(x, 0, case_id, "case") != CW_OK)
		return x->err.code;
	return list(x, case_id);
}

enum cw_code list_visits(struct exchange *x)
{
	return list(x, NULL);
}

enum cw_code create_visit(struct exchange *x)
{
	return record_create_handler(x, &visit_resource, "case", "/v1/visits/");
}

enum cw_code get_visit(struct exchange *x)
{
	return record_get_handler(x, &visit_resource);
}

enum cw_code get_visit_history(struct exchange *x)
{
	return record_history_handler(x, &visit_resource);
}

enum cw_code patch_visit(struct exchange *x)
{
	return record_patch_handler(x, &visit_resource);
}

enum cw_code delete_visit(struct exchange *x)
{
	return record_delete_handler(x, &visit_resource);
}
