#include "request.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dates.h"
#include "hex.h"
#include "text.h"

struct actor exchange_actor(const struct exchange *x)
{
	return (struct actor){&x->principal, x->request_id, x->client_request_id};
}

const char *request_header(const struct exchange *x, const char *name)
{
	return u_map_get_case(x->req->map_header, name);
}

/* application/json, or for PATCH also application/merge-patch+json (RFC 7396);
 * parameters such as charset are allowed. */
static int is_json_media_type(const char *content_type, int is_patch)
{
	static const char *const accepted[] = {"application/json", "application/merge-patch+json"};
	size_t n, kinds = is_patch ? 2 : 1;

	if (content_type == NULL)
		return 0;
	while (*content_type == ' ')
		content_type++;
	n = strcspn(content_type, "; ");
	for (size_t i = 0; i < kinds; i++)
		if (n == strlen(accepted[i]) && strncasecmp(content_type, accepted[i], n) == 0)
			return 1;
	return 0;
}

enum cw_code request_parse_body(struct exchange *x)
{
	json_error_t jerr;
	size_t len = x->req->binary_body_length;

	int is_patch = strcmp(x->req->http_verb, "PATCH") == 0;

	if (!is_json_media_type(request_header(x, "Content-Type"), is_patch))
		return cw_fail(&x->err, CW_UNSUPPORTED_MEDIA, "Send the body as JSON with Content-Type: %s.",
			       is_patch ? "application/json or application/merge-patch+json" : "application/json");
	if (len == 0)
		return cw_fail(&x->err, CW_BAD_REQUEST, "The body is empty; send a JSON object.");
	x->body = json_loadb(x->req->binary_body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (x->body == NULL)
		return cw_fail(&x->err, CW_BAD_REQUEST, "The body is not valid JSON: %s (line %d, column %d).",
			       jerr.text, jerr.line, jerr.column);
	if (!json_is_object(x->body))
		return cw_fail(&x->err, CW_BAD_REQUEST, "The body must be a JSON object.");
	return CW_OK;
}

/* The byte that s[*i] stands for in a query name, decoded as libmicrohttpd
 * decodes it ('+' is a space, %XX a byte, a lone % itself); advances *i. */
static int decoded_byte(const char *s, size_t len, size_t *i)
{
	char c = s[*i];

	if (c == '%' && *i + 2 < len && hex_value(s[*i + 1]) >= 0 && hex_value(s[*i + 2]) >= 0) {
		int b = hex_value(s[*i + 1]) * 16 + hex_value(s[*i + 2]);

		*i += 3;
		return b;
	}
	*i += 1;
	return c == '+' ? ' ' : (unsigned char)c;
}

/* True when the raw, percent-encoded name s[0..len) decodes to name; a
 * decoded NUL ends the name, as it does for the server's own map. */
static int raw_name_is(const char *s, size_t len, const char *name)
{
	size_t i = 0;

	while (i < len) {
		int b = decoded_byte(s, len, &i);

		if (b == 0)
			break;
		if ((unsigned char)*name != b)
			return 0;
		name++;
	}
	return *name == '\0';
}

/* How often the raw query string names this parameter. map_url cannot tell:
 * it holds each decoded name once, with the values of repeats joined by
 * commas. The query is split as libmicrohttpd splits it: at '&', the name
 * ending at the first '='. */
static int query_name_count(const struct _u_request *req, const char *name)
{
	const char *q = req->http_url ? strchr(req->http_url, '?') : NULL;
	int count = 0;

	if (q == NULL)
		return 0;
	for (q++; *q != '\0'; q++) {
		size_t element = strcspn(q, "&"), name_len = strcspn(q, "=&");

		count += raw_name_is(q, name_len, name);
		q += element;
		if (*q == '\0')
			break;
	}
	return count;
}

void query_only(struct exchange *x, const char *const *allowed)
{
	const char **keys = u_map_enum_keys(x->req->map_url);

	/* A name that decodes to nothing ("&&", "=1", "%00=1") cannot go into the
	 * server's map, and filling the map stops there: the parameters after it
	 * never reach it. Refuse the query rather than read part of it. */
	if (query_name_count(x->req, "") > 0)
		cw_field_error(&x->err, "(no name)", "is a query parameter without a name, a stray '&' or '=', "
			       "which hides the parameters after it; remove it");

	for (size_t i = 0; keys && keys[i]; i++) {
		const char *const *a = allowed;

		while (*a && strcmp(*a, keys[i]) != 0)
			a++;
		if (*a == NULL)
			cw_field_error(&x->err, utf8_valid(keys[i]) ? keys[i] : "(not UTF-8)",
				       "is not a query parameter of this request");
		else if (query_name_count(x->req, keys[i]) > 1)
			cw_field_error(&x->err, keys[i], "is given more than once; give it once");
	}
}

/* limit and a cursor of kind whose key lies from least to most: 1 with
 * *key set when there is one. */
static int read_position(struct exchange *x, enum cursor_kind kind, int64_t least, int64_t most,
			 struct list_position *pos, int64_t *key)
{
	memset(pos, 0, sizeof(*pos));
	pos->window.limit = query_limit(x);
	if (query_cursor(x, kind, key, pos->after_id_text) != 1)
		return 0;
	if (*key < least || *key > most) {
		cw_field_error(&x->err, "cursor", "is not a cursor of this list; "
			       "pass next_cursor from the previous page unchanged");
		return 0;
	}
	pos->window.after_key = pos->after_key_text;
	pos->window.after_id = pos->after_id_text;
	return 1;
}

void query_page_position(struct exchange *x, enum cursor_kind kind, struct list_position *pos)
{
	int64_t after_us;

	if (read_position(x, kind, TIMESTAMP_MIN_US, TIMESTAMP_MAX_US, pos, &after_us))
		timestamp_format(after_us, pos->after_key_text);
}

void query_ranked_position(struct exchange *x, enum cursor_kind kind, int64_t rank_max, struct list_position *pos)
{
	int64_t rank;

	if (read_position(x, kind, 0, rank_max, pos, &rank))
		snprintf(pos->after_key_text, sizeof(pos->after_key_text), "%lld", (long long)rank);
}

enum cw_code query_history_page(struct exchange *x, enum cursor_kind kind, const char *id,
				struct history_position *pos)
{
	static const char *const allowed[] = {"limit", "cursor", NULL};
	const char *v;
	char record[37];

	memset(pos, 0, sizeof(*pos));
	query_only(x, allowed);
	pos->limit = query_limit(x);
	if (query_text(x, "cursor", &v) != 1)
		return cw_has_field_errors(&x->err) ? CW_INVALID : CW_OK;
	if (cursor_decode_history(v, kind, &pos->after, &pos->after_status, record) != 0 || pos->after < 0 ||
	    pos->after_status < 0) {
		cw_field_error(&x->err, "cursor", "is not a cursor of this history; "
			       "pass next_cursor from the previous page unchanged");
	} else if (strcmp(record, id) != 0) {
		cw_field_error(&x->err, "cursor", "is a cursor of another record's history; "
			       "pass next_cursor from this record's previous page unchanged");
	}
	return cw_has_field_errors(&x->err) ? CW_INVALID : CW_OK;
}

void query_list_position(struct exchange *x, enum cursor_kind kind, struct list_position *pos)
{
	query_page_position(x, kind, pos);
	pos->window.updated_since = query_timestamp(x, "updated_since", pos->updated_since_text);
}

enum cw_code query_none(struct exchange *x)
{
	static const char *const none[] = {NULL};

	query_only(x, none);
	return cw_has_field_errors(&x->err) ? CW_INVALID : CW_OK;
}

int query_text(struct exchange *x, const char *name, const char **value)
{
	*value = u_map_get(x->req->map_url, name);
	if (*value == NULL)
		return 0;
	if (query_name_count(x->req, name) > 1) {
		*value = NULL;
		return -1;
	}
	if (!utf8_valid(*value)) {
		cw_field_error(&x->err, name, "must be UTF-8 text");
		*value = NULL;
		return -1;
	}
	return 1;
}

/* The value when given once as UTF-8 text; NULL otherwise. */
static const char *raw_query(struct exchange *x, const char *name)
{
	const char *v;

	query_text(x, name, &v);
	return v;
}

const char *query_value(struct exchange *x, const char *name, const struct field_spec *spec)
{
	const char *v = raw_query(x, name);
	json_t *as_json;
	struct field_spec named;
	int bad;

	if (v == NULL)
		return NULL;
	named = *spec;
	named.name = name;
	as_json = json_string(v);
	bad = as_json == NULL || validate_value(as_json, &named, &x->err) != 0;
	json_decref(as_json);
	return bad ? NULL : v;
}

const char *query_timestamp(struct exchange *x, const char *name, char out[28])
{
	const char *v = raw_query(x, name);
	int64_t us;

	if (v == NULL)
		return NULL;
	if (timestamp_parse(v, &us) != 0) {
		cw_field_error(&x->err, name, "must be an RFC 3339 date-time with an offset, "
			       "such as 2026-03-01T00:00:00Z (write + as %%2B in a URL)");
		return NULL;
	}
	timestamp_format(us, out);
	return out;
}

const char *query_search(struct exchange *x, const char *name, size_t min, size_t max, char *out, size_t len)
{
	const char *v;
	size_t n, chars;

	if (query_text(x, name, &v) != 1)
		return NULL;
	while (*v == ' ')
		v++;
	n = strlen(v);
	while (n > 0 && v[n - 1] == ' ')
		n--;
	if (n < len) {
		memcpy(out, v, n);
		out[n] = '\0';
	}
	chars = n < len ? utf8_length(out) : max + 1;
	if (chars < min || chars > max || !text_is_clean(out, 0)) {
		cw_field_error(&x->err, name, "must be %zu to %zu characters without control characters", min, max);
		return NULL;
	}
	return out;
}

int query_limit(struct exchange *x)
{
	const char *v = raw_query(x, "limit");
	char *end;
	long n;

	if (v == NULL)
		return LIST_LIMIT_DEFAULT;
	n = isdigit((unsigned char)v[0]) ? strtol(v, &end, 10) : -1;
	if (n < 1 || n > LIST_LIMIT_MAX || *end != '\0' || strlen(v) > 3) {
		cw_field_error(&x->err, "limit", "must be a whole number from 1 to %d", LIST_LIMIT_MAX);
		return LIST_LIMIT_DEFAULT;
	}
	return (int)n;
}

int query_cursor(struct exchange *x, enum cursor_kind kind, int64_t *key, char uuid[37])
{
	const char *v = raw_query(x, "cursor");

	if (v == NULL)
		return 0;
	if (cursor_decode(v, kind, key, uuid) != 0) {
		cw_field_error(&x->err, "cursor", "is not a cursor of this list; "
			       "pass next_cursor from the previous page unchanged");
		return -1;
	}
	return 1;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Reads one entity-tag (RFC 9110 8.8.3) at *s. *version is its version when
 * it is a strong tag of this service's form, "<decimal without leading
 * zero>", and -1 otherwise (strong comparison is exact). -1 on bad syntax. */
static int read_etag(const char **s, long long *version)
{
	const char *p = *s, *open;
	int weak = 0, digits = 1;

	*version = -1;
	if (p[0] == 'W' && p[1] == '/') {
		weak = 1;
		p += 2;
	}
	if (*p != '"')
		return -1;
	open = ++p;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return -1;
		digits = digits && *p >= '0' && *p <= '9';
	}
	if (*p != '"')
		return -1;
	if (!weak && digits && p > open && p - open <= 18 && open[0] != '0')
		*version = strtoll(open, NULL, 10);
	*s = p + 1;
	return 0;
}

void request_precondition(const struct exchange *x, struct precondition *p)
{
	request_precondition_parse(request_header(x, "If-Match"), p);
}

/* If-Match = "*" / #entity-tag. A header that does not parse matches nothing. */
void request_precondition_parse(const char *s, struct precondition *p)
{
	memset(p, 0, sizeof(*p));
	if (s == NULL)
		return;
	p->present = 1;
	while (is_ows(*s))
		s++;
	if (s[0] == '*') {
		const char *rest = s + 1;

		while (is_ows(*rest))
			rest++;
		p->any = *rest == '\0';
		return;
	}
	for (;;) {
		long long v;

		while (is_ows(*s) || *s == ',')
			s++;
		if (*s == '\0')
			return;
		if (read_etag(&s, &v) != 0)
			break;
		if (v >= 0 && p->count < PRECONDITION_MAX_TAGS)
			p->versions[p->count++] = v;
		while (is_ows(*s))
			s++;
		if (*s != ',' && *s != '\0')
			break;
	}
	p->count = 0; /* malformed */
}
