/*
 * Query parameters (api/request.c): the helpers every list and report uses
 * to read limit, cursor, updated_since and filters.
 *
 * Input: the query string as sent after "?". The target decodes it into
 * the request's map as libmicrohttpd 0.9.75 and ulfius 2.7 do (split at "&",
 * the name ending at the first "=", "+" a space, %XX a byte, a lone "%"
 * itself, a decoded NUL ending the text, repeats joined with commas, and
 * nothing more after a parameter without a name, which the map refuses),
 * independently of the raw reading that request.c does to tell repeats apart.
 *
 * Promises checked: no parameter is lost silently: a query with a nameless
 * parameter, which hides those after it, is refused; a parameter given twice
 * is refused, by name, and never read (request.c's count of raw names agrees
 * with the map); one given once as UTF-8 is read as decoded; limit is always
 * 1 to LIST_LIMIT_MAX and is the number sent when that is a plain number in
 * range; a cursor that is read writes back to the same text; an
 * updated_since that is read is an RFC 3339 timestamp, returned in UTC.
 */
#include "fuzz.h"

#include "dates.h"
#include "hex.h"
#include "request.h"
#include "text.h"

static const char *const allowed[] = {"limit", "cursor", "updated_since", "status", NULL};
static const char *const statuses[] = {"open", "closed", NULL};
static const struct field_spec status_spec = {"status", FT_ENUM, 0, 0, statuses, 0, 0};

#define MAX_NAMES 64

struct decoded {
	char *names[MAX_NAMES];
	int counts[MAX_NAMES];
	int n;
	int overflow;    /* more names than MAX_NAMES: not checked */
	int stopped;     /* a nameless parameter ended the map */
};

/* s[0..len) decoded as libmicrohttpd 0.9.75 decodes it (caller frees). */
static char *decode(const char *s, size_t len)
{
	char *out = fuzz_text((const uint8_t *)s, len), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			*o++ = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void put_argument(struct _u_map *map, struct decoded *d, char *name, char *value)
{
	const char *old = u_map_get(map, name);
	int k;

	for (k = 0; k < d->n && strcmp(d->names[k], name) != 0; k++)
		;
	if (k == MAX_NAMES)
		d->overflow = 1;
	else if (k == d->n) {
		d->names[k] = strdup(name);
		FUZZ_CHECK(d->names[k] != NULL);
		d->n++;
	}
	if (k < MAX_NAMES)
		d->counts[k]++;
	if (old == NULL) {
		u_map_put(map, name, value);
	} else {
		char *joined = malloc(strlen(old) + strlen(value) + 2);

		FUZZ_CHECK(joined != NULL);
		sprintf(joined, "%s,%s", old, value);
		u_map_put(map, name, joined);
		free(joined);
	}
	free(name);
	free(value);
}

static void fill_map(struct _u_map *map, const char *query, struct decoded *d)
{
	while (*query) {
		size_t element = strcspn(query, "&"), name_len = strcspn(query, "=&");
		const char *value = query + name_len + (name_len < element);

		char *name = decode(query, name_len);

		if (name[0] == '\0') {
			/* u_map_put() refuses it, and ulfius stops filling the map. */
			d->stopped = 1;
			free(name);
			return;
		}
		put_argument(map, d, name, decode(value, (size_t)(query + element - value)));
		query += element;
		if (*query == '&')
			query++;
	}
}

static int count_of(const struct decoded *d, const char *name)
{
	for (int k = 0; k < d->n; k++)
		if (strcmp(d->names[k], name) == 0)
			return d->counts[k];
	return 0;
}

static int has_error_for(const struct cw_error *err, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach(err->fields, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return 1;
	return 0;
}

static void check_text(struct exchange *x, const struct decoded *d, const char *name)
{
	const char *value = NULL, *in_map = u_map_get(x->req->map_url, name);
	int rc = query_text(x, name, &value), count = count_of(d, name);

	if (count == 0) {
		FUZZ_CHECK(rc == 0 && value == NULL);
	} else if (count > 1) {
		FUZZ_CHECK(rc == -1 && value == NULL);
		FUZZ_CHECK(has_error_for(&x->err, name));
	} else {
		FUZZ_CHECK(rc == (utf8_valid(in_map) ? 1 : -1));
		FUZZ_CHECK(rc != 1 || strcmp(value, in_map) == 0);
	}
}

/* 1..500 written plainly: the limit it names. */
static int plain_limit(const char *v)
{
	int n = 0;

	if (v == NULL || v[0] < '1' || v[0] > '9' || strlen(v) > 3)
		return 0;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		n = n * 10 + (*v - '0');
	}
	return n <= LIST_LIMIT_MAX ? n : 0;
}

static void check_helpers(struct exchange *x, const struct decoded *d)
{
	const char *limit_text = u_map_get(x->req->map_url, "limit"), *cursor_text = u_map_get(x->req->map_url, "cursor");
	int limit = query_limit(x), cursor;
	int64_t key;
	char uuid[37], written[CURSOR_TEXT_LEN + 1], since[28];
	struct list_position pos;

	FUZZ_CHECK(limit >= 1 && limit <= LIST_LIMIT_MAX);
	if (count_of(d, "limit") == 1 && plain_limit(limit_text))
		FUZZ_CHECK(limit == plain_limit(limit_text));
	cursor = query_cursor(x, CURSOR_CASES, &key, uuid);
	FUZZ_CHECK(cursor == (count_of(d, "cursor") == 0 ? 0 : cursor));
	if (cursor == 1) {
		cursor_encode(CURSOR_CASES, key, uuid, written);
		FUZZ_CHECK(strcmp(written, cursor_text) == 0);
	}
	if (query_timestamp(x, "updated_since", since) != NULL) {
		int64_t us;

		FUZZ_CHECK(timestamp_parse(u_map_get(x->req->map_url, "updated_since"), &us) == 0);
		FUZZ_CHECK(strlen(since) == 27 && since[26] == 'Z');
	}
	query_value(x, "status", &status_spec);
	query_list_position(x, CURSOR_CASES, &pos);
	FUZZ_CHECK(pos.window.limit >= 1 && pos.window.limit <= LIST_LIMIT_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query = fuzz_text(data, size);
	struct _u_request req;
	struct exchange x;
	struct decoded d = {.n = 0};

	memset(&x, 0, sizeof(x));
	ulfius_init_request(&req);
	free(req.http_url);
	req.http_url = malloc(size + 8);
	FUZZ_CHECK(req.http_url != NULL);
	sprintf(req.http_url, "/v1/x?%s", query);
	fill_map(req.map_url, query, &d);
	x.req = &req;
	x.err = (struct cw_error)CW_ERROR_INIT;

	query_only(&x, allowed);
	if (d.stopped)
		FUZZ_CHECK(has_error_for(&x.err, "(no name)"));
	else if (!d.overflow) {
		for (int k = 0; k < d.n; k++)
			if (d.counts[k] > 1 && utf8_valid(d.names[k]) && strlen(d.names[k]) <= CW_FIELD_NAME_MAX)
				FUZZ_CHECK(has_error_for(&x.err, d.names[k]));
		for (const char *const *a = allowed; *a; a++)
			check_text(&x, &d, *a);
		check_helpers(&x, &d);
	}

	cw_error_release(&x.err);
	ulfius_clean_request(&req);
	for (int k = 0; k < d.n; k++)
		free(d.names[k]);
	free(query);
	return 0;
}
