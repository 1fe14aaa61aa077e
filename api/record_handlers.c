#include "record_handlers.h"

#include <stdio.h>
#include <string.h>

#include "history.h"
#include "idempotency.h"
#include "path.h"
#include "reply.h"
#include "request.h"
#include "resource_sql.h"
#include "routes.h"

/* sort: absent (the default order), or one of the kind's other orders. */
static int read_order(struct exchange *x, const struct resource_sql *sql)
{
	char message[256];
	size_t used = 0;
	const char *sort;

	if (query_text(x, "sort", &sort) != 1)
		return 0;
	for (int i = 1; i < sql->norders; i++)
		if (strcmp(sort, sql->orders[i].sort) == 0)
			return i;
	for (int i = 1; i < sql->norders && used < sizeof(message); i++)
		used += (size_t)snprintf(message + used, sizeof(message) - used, "%s%s (%s)",
					 i == 1 ? "must be " : i + 1 < sql->norders ? ", " : " or ",
					 sql->orders[i].sort, sql->orders[i].meaning);
	cw_field_error(&x->err, "sort", "%s", message);
	return 0;
}

enum cw_code record_list(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	const struct resource_sql *sql = resource_sql(kind);
	int nested = (x->route->flags & ROUTE_UNDER) != 0;
	const char *allowed[RESOURCE_MAX_FILTERS + 6];
	char parent[37], instants[RESOURCE_MAX_FILTERS][28], search[4 * LIST_SEARCH_MAX + 1];
	struct list_query q = {0};
	struct list_position pos;
	char *page = NULL;
	int n = 0, searching;

	if (sql == NULL)
		return cw_fail(&x->err, CW_INTERNAL, "Out of memory.");
	if (nested && path_uuid(x, 0, parent, kind->store.parent->noun) != CW_OK)
		return x->err.code;
	for (int i = 0; i < sql->nfilters; i++)
		if (!(nested && sql->filters[i].ancestor))
			allowed[n++] = sql->filters[i].name;
	if (sql->since)
		allowed[n++] = "updated_since";
	if (sql->norders > 1)
		allowed[n++] = "sort";
	if (kind->search)
		allowed[n++] = "q";
	allowed[n++] = "limit";
	allowed[n++] = "cursor";
	allowed[n] = NULL;
	query_only(x, allowed);
	for (int i = 0; i < sql->nfilters; i++) {
		const struct list_filter *f = &sql->filters[i];

		if (nested && f->ancestor)
			continue;
		if (f->op == FILTER_EQUALS)
			q.values[i] = query_value(x, f->name, field_spec_find(kind->fields, f->name));
		else
			q.values[i] = query_timestamp(x, f->name, instants[i]);
	}
	/* With q, even a bad one, the list is the search: its cursors are the search's. */
	searching = kind->search && u_map_get(x->req->map_url, "q") != NULL;
	if (searching)
		q.search = query_search(x, "q", LIST_SEARCH_MIN, LIST_SEARCH_MAX, search, sizeof(search));
	if (sql->norders > 1)
		q.order = read_order(x, sql);
	if (searching && q.order != 0)
		cw_field_error(&x->err, "sort", "must be left out with q: a search comes best match first");
	if (searching)
		query_ranked_position(x, kind->search->cursor, LIST_SEARCH_RANK_MAX, &pos);
	else
		query_page_position(x, sql->orders[q.order].cursor, &pos);
	if (sql->since)
		pos.window.updated_since = query_timestamp(x, "updated_since", pos.updated_since_text);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	q.parent_id = nested ? parent : NULL;
	q.window = pos.window;
	if (resource_list(x->app->pool, kind, &x->principal, &q, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code record_get(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	struct record_text r = {0};
	char parent[37], id[37];
	int under = (x->route->flags & ROUTE_UNDER) != 0;

	if ((under && path_uuid(x, 0, parent, kind->store.parent->noun) != CW_OK) ||
	    path_uuid(x, under, id, kind->noun) != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	if ((under ? resource_get_under(x->app->pool, kind, &x->principal, parent, id, &r, &x->err)
		   : resource_get(x->app->pool, kind, &x->principal, id, &r, &x->err)) != CW_OK)
		return x->err.code;
	return reply_record(x, 200, &r, NULL);
}

enum cw_code record_history(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	struct history_position pos;
	char id[37];
	char *page = NULL;

	if (path_uuid(x, 0, id, kind->noun) != CW_OK || query_history_page(x, CURSOR_HISTORY, id, &pos) != CW_OK ||
	    history_of(x->app->pool, kind, &x->principal, id, &pos, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code record_create(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	struct actor actor = exchange_actor(x);
	struct record_text r = {0};
	struct idempotency idem;
	const struct idempotency *with_key = NULL;
	const char *key = request_header(x, "Idempotency-Key");
	char parent[37], location[ROUTE_LOCATION_MAX];
	const char *parent_id = NULL;
	int replayed = 0;

	if (x->route->flags & ROUTE_UNDER) {
		if (path_uuid(x, 0, parent, kind->store.parent->noun) != CW_OK)
			return x->err.code;
		parent_id = parent;
	}
	if (route_location_prefix(kind, parent_id, location, sizeof(location)) != 0)
		return cw_fail(&x->err, CW_INTERNAL, "No route reads a %s.", kind->noun);
	/* Query and key errors are collected, and reported with the body's after the role check. */
	query_none(x);
	if (key != NULL && idempotency_key_valid(key) != 0)
		cw_field_error(&x->err, "Idempotency-Key", "must be 1 to %d printable characters without spaces",
			       IDEMPOTENCY_KEY_MAX);
	else if (key != NULL && idempotency_prepare(&idem, key, x->req->http_verb, x->req->url_path,
						    x->req->binary_body, x->req->binary_body_length) != 0)
		return cw_fail(&x->err, CW_INTERNAL, "Could not fingerprint the request.");
	else if (key != NULL)
		with_key = &idem;
	if (resource_create(x->app->pool, kind, &actor, parent_id, x->body, with_key, &r, &replayed,
			    &x->err) != CW_OK)
		return x->err.code;
	x->replayed = replayed;
	return reply_record(x, 201, &r, location);
}

enum cw_code record_update(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	struct actor actor = exchange_actor(x);
	struct precondition pre;
	struct record_text r = {0};
	char id[37];

	if (path_uuid(x, 0, id, kind->noun) != CW_OK)
		return x->err.code;
	query_none(x);
	request_precondition(x, &pre);
	if (resource_update(x->app->pool, kind, &actor, id, x->body, &pre, &r, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, 200, &r, NULL);
}

enum cw_code record_delete(struct exchange *x)
{
	const struct resource *kind = x->route->kind;
	struct actor actor = exchange_actor(x);
	struct precondition pre;
	char id[37];

	if (path_uuid(x, 0, id, kind->noun) != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	request_precondition(x, &pre);
	if (resource_delete(x->app->pool, kind, &actor, id, &pre, &x->err) != CW_OK)
		return x->err.code;
	return reply_empty(x, 204);
}
