/* request: reading If-Match, bodies and query parameters strictly (a request
 * built in memory; no server). */
#include "request.h"

#include <stdlib.h>

#include "check.h"

struct fake {
	struct _u_request req;
	struct exchange x;
};

/* A request with method, an optional body and no headers or parameters yet. */
static void fake_init(struct fake *f, const char *method, const char *body)
{
	memset(f, 0, sizeof(*f));
	ulfius_init_request(&f->req);
	free(f->req.http_verb);
	f->req.http_verb = strdup(method);
	if (body) {
		f->req.binary_body = strdup(body);
		f->req.binary_body_length = strlen(body);
	}
	f->x.req = &f->req;
	f->x.err = (struct cw_error)CW_ERROR_INIT;
}

static void fake_release(struct fake *f)
{
	json_decref(f->x.body);
	cw_error_release(&f->x.err);
	ulfius_clean_request(&f->req);
}

static struct precondition if_match(const char *value)
{
	struct fake f;
	struct precondition p;

	fake_init(&f, "PATCH", NULL);
	if (value)
		u_map_put(f.req.map_header, "If-Match", value);
	request_precondition(&f.x, &p);
	fake_release(&f);
	return p;
}

static void test_if_match_absent_any_and_versions(void)
{
	struct precondition p = if_match(NULL);

	CHECK(!p.present);
	p = if_match("*");
	CHECK(p.present && p.any);
	p = if_match("\"3\"");
	CHECK(p.present && !p.any && p.count == 1 && p.versions[0] == 3);
	p = if_match("\"3\", \"5\",\"8\"");
	CHECK(p.count == 3 && p.versions[0] == 3 && p.versions[1] == 5 && p.versions[2] == 8);
	CHECK(precondition_holds(&p, 5) && !precondition_holds(&p, 4));
}

/* If-Match compares strongly: weak and foreign tags name no version. */
static void test_if_match_weak_or_foreign_tags_match_nothing(void)
{
	struct precondition p = if_match("W/\"3\"");

	CHECK(p.present && p.count == 0 && !precondition_holds(&p, 3));
	p = if_match("\"abc\"");
	CHECK(p.present && p.count == 0);
	p = if_match("\"3x\"");
	CHECK(p.present && p.count == 0);
	p = if_match("\"\"");
	CHECK(p.present && p.count == 0);
}

/* A header that does not parse as a list of entity-tags matches nothing, even
 * when it starts with a valid tag: "3", garbage must not act as "3". */
static void test_if_match_malformed_matches_nothing(void)
{
	struct precondition p = if_match("3");

	CHECK(p.present && !precondition_holds(&p, 3));
	p = if_match("\"3");
	CHECK(p.present && !precondition_holds(&p, 3));
	p = if_match("\"3\", garbage");
	CHECK(p.present && !precondition_holds(&p, 3));
	p = if_match("\"3\"x\"4\"");
	CHECK(p.present && !precondition_holds(&p, 3) && !precondition_holds(&p, 4));
}

static enum cw_code parse_body(const char *method, const char *content_type, const char *body)
{
	struct fake f;
	enum cw_code rc;

	fake_init(&f, method, body);
	if (content_type)
		u_map_put(f.req.map_header, "Content-Type", content_type);
	rc = request_parse_body(&f.x);
	if (rc == CW_OK && !json_is_object(f.x.body))
		rc = CW_INTERNAL;
	fake_release(&f);
	return rc;
}

/* A request body and what reading it answers. */
struct body_case {
	const char *method, *content_type, *body;
	enum cw_code want;
};

static void check_body_cases(const struct body_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum cw_code got = parse_body(cases[i].method, cases[i].content_type, cases[i].body);

		CHECK(got == cases[i].want);
		if (got != cases[i].want)
			fprintf(stderr, "  %s, %s, %s: answered %d, not %d\n", cases[i].method,
				cases[i].content_type ? cases[i].content_type : "no Content-Type", cases[i].body, got,
				cases[i].want);
	}
}

static void test_body_must_be_declared_json(void)
{
	static const struct body_case cases[] = {
		{"POST", "application/json", "{}", CW_OK},
		{"POST", "application/json; charset=utf-8", "{}", CW_OK},
		{"POST", "Application/JSON", "{}", CW_OK},
		{"POST", NULL, "{}", CW_UNSUPPORTED_MEDIA},
		{"POST", "text/plain", "{}", CW_UNSUPPORTED_MEDIA},
		{"POST", "application/jsonx", "{}", CW_UNSUPPORTED_MEDIA},
		{"POST", "application/json-patch+json", "{}", CW_UNSUPPORTED_MEDIA},
		/* merge-patch+json is a PATCH body only. */
		{"PATCH", "application/merge-patch+json", "{}", CW_OK},
		{"POST", "application/merge-patch+json", "{}", CW_UNSUPPORTED_MEDIA},
	};

	check_body_cases(cases, COUNT_OF(cases));
}

static void test_body_must_be_one_json_object(void)
{
	static const struct body_case cases[] = {
		{"POST", "application/json", "", CW_BAD_REQUEST},
		{"POST", "application/json", "[1]", CW_BAD_REQUEST},
		{"POST", "application/json", "\"text\"", CW_BAD_REQUEST},
		{"POST", "application/json", "{\"a\":1} {}", CW_BAD_REQUEST},
		{"POST", "application/json", "{\"a\":1,\"a\":2}", CW_BAD_REQUEST},
		{"POST", "application/json", "{\"a\":\"\\u0000\"}", CW_BAD_REQUEST},
		{"POST", "application/json", "{\"a\":\"\xff\"}", CW_BAD_REQUEST},
		{"POST", "application/json", " {\"a\":1}\n", CW_OK},
	};

	check_body_cases(cases, COUNT_OF(cases));
}

/* A GET with these query parameters (name, value pairs, NULL-terminated). */
static void fake_query(struct fake *f, const char *const *pairs)
{
	fake_init(f, "GET", NULL);
	for (; pairs[0]; pairs += 2)
		u_map_put(f->req.map_url, pairs[0], pairs[1]);
}

static int limit_of(const char *value, int *errors)
{
	const char *const pairs[] = {"limit", value, NULL};
	struct fake f;
	int limit;

	fake_query(&f, pairs);
	limit = query_limit(&f.x);
	*errors = f.x.err.fields ? (int)json_array_size(f.x.err.fields) : 0;
	fake_release(&f);
	return limit;
}

static void test_limit_is_1_to_500_with_a_default(void)
{
	static const char *const refused[] = {"0", "501", "-5", "5x", "", " 5", "99999999999999999999"};
	const char *const none[] = {NULL};
	struct fake f;
	int errors;

	fake_query(&f, none);
	CHECK(query_limit(&f.x) == LIST_LIMIT_DEFAULT && !cw_has_field_errors(&f.x.err));
	fake_release(&f);
	CHECK(limit_of("1", &errors) == 1 && errors == 0);
	CHECK(limit_of("500", &errors) == 500 && errors == 0);
	for (size_t i = 0; i < COUNT_OF(refused); i++) {
		CHECK(limit_of(refused[i], &errors) == LIST_LIMIT_DEFAULT && errors == 1);
		if (errors != 1)
			fprintf(stderr, "  limit=\"%s\" answered %d errors\n", refused[i], errors);
	}
}

static void test_cursor_parameter_must_be_of_this_list(void)
{
	char text[CURSOR_TEXT_LEN + 1], uuid[37];
	const char *const pairs[] = {"cursor", text, NULL};
	const char *const bad[] = {"cursor", "not-a-cursor", NULL};
	struct fake f;
	int64_t key = 0;

	cursor_encode(CURSOR_CASES, 42, "123e4567-e89b-12d3-a456-426614174000", text);
	fake_query(&f, pairs);
	CHECK(query_cursor(&f.x, CURSOR_CASES, &key, uuid) == 1 && key == 42);
	CHECK(query_cursor(&f.x, CURSOR_AUDIT, &key, uuid) == -1);
	CHECK(json_array_size(f.x.err.fields) == 1);
	fake_release(&f);
	fake_query(&f, bad);
	CHECK(query_cursor(&f.x, CURSOR_CASES, &key, uuid) == -1);
	fake_release(&f);
	fake_query(&f, bad + 2);
	CHECK(query_cursor(&f.x, CURSOR_CASES, &key, uuid) == 0);
	fake_release(&f);
}

/* q: spaces around it cut, 2 to 100 characters (not bytes), no control characters. */
static void test_a_search_text_is_trimmed_and_bounded(void)
{
	char long_q[202], out[4 * 100 + 1];
	const char *const pairs[] = {"good", "  Núñez ", "short", " é ", "control", "ab\x01", "long", long_q,
				     "wide", "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑ", NULL};
	struct fake f;

	memset(long_q, 'x', 101);
	long_q[101] = '\0';
	fake_query(&f, pairs);
	CHECK_STR(query_search(&f.x, "good", 2, 100, out, sizeof(out)), "Núñez");
	CHECK_STR(query_search(&f.x, "wide", 2, 100, out, sizeof(out)),
		  "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑ");
	CHECK(query_search(&f.x, "absent", 2, 100, out, sizeof(out)) == NULL && !cw_has_field_errors(&f.x.err));
	CHECK(query_search(&f.x, "short", 2, 100, out, sizeof(out)) == NULL);
	CHECK(query_search(&f.x, "control", 2, 100, out, sizeof(out)) == NULL);
	CHECK(query_search(&f.x, "long", 2, 100, out, sizeof(out)) == NULL);
	CHECK(json_array_size(f.x.err.fields) == 3);
	fake_release(&f);
}

static void test_timestamp_parameter_is_normalised_to_utc(void)
{
	const char *const pairs[] = {"since", "2026-01-31T23:30:00-02:00", "bad", "2026-01-31", NULL};
	struct fake f;
	char out[28];

	fake_query(&f, pairs);
	CHECK_STR(query_timestamp(&f.x, "since", out), "2026-02-01T01:30:00.000000Z");
	CHECK(query_timestamp(&f.x, "bad", out) == NULL);
	CHECK(query_timestamp(&f.x, "absent", out) == NULL);
	CHECK(json_array_size(f.x.err.fields) == 1);
	fake_release(&f);
}

static void test_unknown_and_non_utf8_parameters_are_errors(void)
{
	static const char *const allowed[] = {"status", "limit", NULL};
	static const char *const statuses[] = {"open", "closed", NULL};
	static const struct field_spec status = {"status", FT_ENUM, 0, 0, statuses, 0, 0};
	const char *const pairs[] = {"status", "open", "limit", "5", "colour", "red", "sort", "x", NULL};
	const char *const bad_status[] = {"status", "pending", NULL};
	struct fake f;

	fake_query(&f, pairs);
	query_only(&f.x, allowed);
	CHECK(json_array_size(f.x.err.fields) == 2);
	CHECK_STR(query_value(&f.x, "status", &status), "open");
	fake_release(&f);
	fake_query(&f, bad_status);
	CHECK(query_value(&f.x, "status", &status) == NULL);
	CHECK(json_array_size(f.x.err.fields) == 1);
	fake_release(&f);
	fake_query(&f, (const char *const[]){"status", "\xc3(", NULL});
	CHECK(query_value(&f.x, "status", &status) == NULL && cw_has_field_errors(&f.x.err));
	fake_release(&f);
	fake_query(&f, (const char *const[]){"id", "1", NULL});
	CHECK(query_none(&f.x) == CW_INVALID);
	fake_release(&f);
	fake_query(&f, (const char *const[]){NULL});
	CHECK(query_none(&f.x) == CW_OK);
	fake_release(&f);
}

/* A GET of url whose map holds the decoded names the server would give it. */
static void fake_url(struct fake *f, const char *url, const char *const *pairs)
{
	fake_query(f, pairs);
	f->req.http_url = strdup(url);
}

/* A query (the URL and the decoded pairs the server would give for it) and how
 * many errors reading it with only these parameters allowed names. */
struct query_case {
	const char *url;
	const char *const *pairs;
	int errors;
};

static int query_errors(const char *url, const char *const *pairs, const char *const *allowed);

static void check_query_cases(const struct query_case *cases, size_t n, const char *const *allowed)
{
	for (size_t i = 0; i < n; i++) {
		int got = query_errors(cases[i].url, cases[i].pairs, allowed);

		CHECK(got == cases[i].errors);
		if (got != cases[i].errors)
			fprintf(stderr, "  %s: %d errors, not %d\n", cases[i].url, got, cases[i].errors);
	}
}

static int query_errors(const char *url, const char *const *pairs, const char *const *allowed)
{
	struct fake f;
	int errors;

	fake_url(&f, url, pairs);
	query_only(&f.x, allowed);
	errors = f.x.err.field_errors;
	fake_release(&f);
	return errors;
}

/* The server joins repeats as "a,b"; the raw query tells them apart, with
 * names compared as decoded. */
static void test_a_repeated_parameter_is_an_error(void)
{
	static const char *const allowed[] = {"unit", "limit", "a b", NULL};
	const char *const joined[] = {"unit", "a,b", NULL};
	const char *const once[] = {"unit", "a", "limit", "5", NULL};
	const char *const spaced[] = {"a b", "1,2", NULL};
	const struct query_case cases[] = {
		{"/v1/cases?unit=a&unit=b", joined, 1},
		{"/v1/cases?unit=a&%75nit=b", joined, 1},
		{"/v1/cases?unit=a&%75%6E%69%74=b", joined, 1},
		{"/v1/cases?unit=a&unit%00x=b", joined, 1},
		{"/v1/cases?unit&unit", joined, 1},
		{"/v1/cases?a+b=1&a%20b=2", spaced, 1},
		{"/v1/cases?unit=a,b", joined, 0},
		{"/v1/cases?unit=a&limit=5", once, 0},
		{"/v1/cases?unit=a&units=b&uni=c&limit=5", once, 0},
		{"/v1/cases?unit=a&%75nit2=b&limit=5&", once, 0},
		{"/v1/cases?unit=a=b&limit=5", once, 0},
	};
	struct fake f;
	const char *v = "";

	check_query_cases(cases, COUNT_OF(cases), allowed);
	fake_url(&f, "/v1/cases?unit=a&unit=b", joined);
	query_only(&f.x, allowed);
	CHECK_STR(json_string_value(json_object_get(json_array_get(f.x.err.fields, 0), "field")), "unit");
	CHECK_STR(json_string_value(json_object_get(json_array_get(f.x.err.fields, 0), "message")),
		  "is given more than once; give it once");
	/* Read after query_only, a repeated parameter is neither a value nor a second error. */
	CHECK(query_text(&f.x, "unit", &v) == -1 && v == NULL);
	CHECK(query_text(&f.x, "limit", &v) == 0 && v == NULL);
	CHECK(f.x.err.field_errors == 1);
	fake_release(&f);
	/* Not a parameter at all: named once, as unknown. */
	CHECK(query_errors("/v1/cases?colour=a&colour=b", (const char *const[]){"colour", "a,b", NULL},
			   allowed) == 1);
}

/* The server's map cannot hold a parameter without a name, and stops filling
 * there: the parameters after it never arrive. Found by fuzz_query. */
static void test_a_parameter_without_a_name_is_an_error(void)
{
	static const char *const allowed[] = {"limit", "unit", NULL};
	const char *const none[] = {NULL};
	const char *const unit[] = {"unit", "a", NULL};
	const struct query_case cases[] = {
		{"/v1/cases?&limit=0", none, 1},
		{"/v1/cases?=1&limit=0", none, 1},
		{"/v1/cases?%00=1&limit=0", none, 1},
		{"/v1/cases?unit=a&&limit=0", unit, 1},
		{"/v1/cases?unit=a&&", unit, 1},
		/* A trailing '&' ends the query; it names nothing. */
		{"/v1/cases?unit=a&", unit, 0},
		{"/v1/cases?", none, 0},
	};
	struct fake f;

	check_query_cases(cases, COUNT_OF(cases), allowed);
	fake_url(&f, "/v1/cases?&limit=0", none);
	query_only(&f.x, allowed);
	CHECK_STR(json_string_value(json_object_get(json_array_get(f.x.err.fields, 0), "field")), "(no name)");
	fake_release(&f);
}

int main(void)
{
	RUN(test_if_match_absent_any_and_versions);
	RUN(test_if_match_weak_or_foreign_tags_match_nothing);
	RUN(test_if_match_malformed_matches_nothing);
	RUN(test_body_must_be_declared_json);
	RUN(test_body_must_be_one_json_object);
	RUN(test_limit_is_1_to_500_with_a_default);
	RUN(test_cursor_parameter_must_be_of_this_list);
	RUN(test_a_search_text_is_trimmed_and_bounded);
	RUN(test_timestamp_parameter_is_normalised_to_utc);
	RUN(test_unknown_and_non_utf8_parameters_are_errors);
	RUN(test_a_repeated_parameter_is_an_error);
	RUN(test_a_parameter_without_a_name_is_an_error);
	return check_result();
}
