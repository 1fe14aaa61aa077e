/* validate: field rules -> every field error of a body at once. */
#include "validate.h"

#include <stdlib.h>

#include "check.h"
#include "rules.h"
#include "text.h"

static const char *const colours[] = {"red", "green", NULL};

/* A small resource: one field of every type and flag. */
static const struct field_spec specs[] = {
	{"id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"name", FT_STRING, F_REQUIRED, 5, NULL, 0, 0},
	{"colour", FT_ENUM, F_REQUIRED, 0, colours, 0, 0},
	{"notes", FT_TEXT, F_NULLABLE, 20, NULL, 0, 0},
	{"born_on", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"seen_at", FT_TIMESTAMP, 0, 0, NULL, 0, 0},
	{"active", FT_BOOL, 0, 0, NULL, 0, 0},
	{"children", FT_INT, 0, 0, NULL, 0, 20},
	{"worker", FT_UUID, F_NULLABLE, 0, NULL, 0, 0},
	{"people", FT_UUID_LIST, 0, 3, NULL, 0, 0},
	{"shades", FT_ENUM_LIST, 0, 2, colours, 0, 0},
	{NULL, FT_STRING, 0, 0, NULL, 0, 0},
};

#define VALID_BODY "\"name\":\"Ana\",\"colour\":\"red\""

/* Validates the JSON object text; returns the number of field errors kept in err. */
static size_t errors_in(const char *json_text, enum validate_mode mode, struct cw_error *err)
{
	json_error_t jerr;
	json_t *body = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);

	cw_error_release(err);
	if (body == NULL) {
		fprintf(stderr, "bad test JSON %s: %s\n", json_text, jerr.text);
		return (size_t)-1;
	}
	validate_body(body, specs, mode, err);
	json_decref(body);
	return err->fields ? json_array_size(err->fields) : 0;
}

/* The message recorded for field, or NULL when it has none. */
static const char *message_for(const struct cw_error *err, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach(err->fields, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return json_string_value(json_object_get(e, "message"));
	return NULL;
}

/* 1 when the only error of create body {VALID_BODY, member} is about field. */
static int only_error_is(const char *member, const char *field)
{
	char text[512];
	struct cw_error err = CW_ERROR_INIT;
	int ok;

	snprintf(text, sizeof(text), "{" VALID_BODY ",%s}", member);
	ok = errors_in(text, VALIDATE_CREATE, &err) == 1 && message_for(&err, field) != NULL;
	if (!ok)
		fprintf(stderr, "  body %s: expected exactly one error, for %s\n", text, field);
	cw_error_release(&err);
	return ok;
}

static int accepted(const char *member)
{
	char text[512];
	struct cw_error err = CW_ERROR_INIT;
	int ok;

	snprintf(text, sizeof(text), "{" VALID_BODY ",%s}", member);
	ok = errors_in(text, VALIDATE_CREATE, &err) == 0 && err.code == CW_OK;
	if (!ok)
		fprintf(stderr, "  body %s: expected no error\n", text);
	cw_error_release(&err);
	return ok;
}

static void test_uuid_parse_gives_canonical_lower_case(void)
{
	char out[37];

	CHECK(uuid_parse("123e4567-e89b-12d3-a456-426614174000", out) == 0);
	CHECK_STR(out, "123e4567-e89b-12d3-a456-426614174000");
	CHECK(uuid_parse("123E4567-E89B-12D3-A456-42661417400F", out) == 0);
	CHECK_STR(out, "123e4567-e89b-12d3-a456-42661417400f");
}

static void test_uuid_parse_rejects_other_shapes(void)
{
	char out[37];

	CHECK(uuid_parse("123e4567e89b12d3a456426614174000", out) != 0);
	CHECK(uuid_parse("123e4567-e89b-12d3-a456-42661417400", out) != 0);
	CHECK(uuid_parse("123e4567-e89b-12d3-a456-4266141740000", out) != 0);
	CHECK(uuid_parse("123e456-7e89b-12d3-a456-426614174000", out) != 0);
	CHECK(uuid_parse("123e4567-e89b1-2d3-a456-426614174000", out) != 0);
	CHECK(uuid_parse("123e4567+e89b-12d3-a456-426614174000", out) != 0);
	CHECK(uuid_parse("123e4567-e89b-12d3-a456-42661417400g", out) != 0);
	CHECK(uuid_parse("{23e4567-e89b-12d3-a456-42661417400}", out) != 0);
	CHECK(uuid_parse(" 23e4567-e89b-12d3-a456-426614174000", out) != 0);
	CHECK(uuid_parse("", out) != 0);
	CHECK(uuid_parse(NULL, out) != 0);
}

static void test_utf8_valid_accepts_every_plane(void)
{
	CHECK(utf8_valid(""));
	CHECK(utf8_valid("plain ASCII"));
	CHECK(utf8_valid("h\xc3\xa9llo"));                 /* é */
	CHECK(utf8_valid("\xc2\x80"));                     /* U+0080, smallest 2-byte */
	CHECK(utf8_valid("\xe6\x97\xa5\xe6\x9c\xac"));     /* 日本 */
	CHECK(utf8_valid("\xed\x9f\xbf"));                 /* U+D7FF, just below surrogates */
	CHECK(utf8_valid("\xee\x80\x80"));                 /* U+E000, just above */
	CHECK(utf8_valid("\xf0\x9f\x98\x80"));             /* U+1F600 */
	CHECK(utf8_valid("\xf4\x8f\xbf\xbf"));             /* U+10FFFF, the last code point */
}

static void test_utf8_valid_rejects_overlong_encodings(void)
{
	CHECK(!utf8_valid("\xc0\xaf"));          /* '/' in two bytes */
	CHECK(!utf8_valid("\xc1\xbf"));
	CHECK(!utf8_valid("\xe0\x80\xaf"));      /* '/' in three */
	CHECK(!utf8_valid("\xe0\x9f\xbf"));      /* U+07FF in three */
	CHECK(!utf8_valid("\xf0\x80\x80\xaf"));  /* '/' in four */
	CHECK(!utf8_valid("\xf0\x8f\xbf\xbf"));  /* U+FFFF in four */
}

static void test_utf8_valid_rejects_surrogates_and_beyond_unicode(void)
{
	CHECK(!utf8_valid("\xed\xa0\x80"));      /* U+D800 */
	CHECK(!utf8_valid("\xed\xbf\xbf"));      /* U+DFFF */
	CHECK(!utf8_valid("\xf4\x90\x80\x80"));  /* U+110000 */
	CHECK(!utf8_valid("\xf7\xbf\xbf\xbf"));
	CHECK(!utf8_valid("\xf8\x88\x80\x80\x80"));
	CHECK(!utf8_valid("\xfe"));
	CHECK(!utf8_valid("\xff"));
}

static void test_utf8_valid_rejects_truncated_and_stray_bytes(void)
{
	CHECK(!utf8_valid("\xc3"));
	CHECK(!utf8_valid("ab\xe2\x82"));
	CHECK(!utf8_valid("\xe2\x82z"));
	CHECK(!utf8_valid("\xf0\x9f\x98"));
	CHECK(!utf8_valid("\x80"));
	CHECK(!utf8_valid("a\xbf" "b"));
}

static void test_utf8_length_counts_code_points(void)
{
	CHECK(utf8_length("") == 0);
	CHECK(utf8_length("hello") == 5);
	CHECK(utf8_length("h\xc3\xa9llo") == 5);
	CHECK(utf8_length("\xe6\x97\xa5\xe6\x9c\xac") == 2);
	CHECK(utf8_length("\xf0\x9f\x98\x80!") == 2);
}

static void test_text_is_clean_rejects_control_characters(void)
{
	CHECK(text_is_clean("one line", 0));
	CHECK(text_is_clean("caf\xc3\xa9", 0));
	CHECK(!text_is_clean("two\nlines", 0));
	CHECK(!text_is_clean("tab\there", 0));
	CHECK(!text_is_clean("bell\a", 0));
	CHECK(!text_is_clean("del\x7f", 0));
	CHECK(!text_is_clean("esc\x1b[31m", 0));
	CHECK(text_is_clean("two\nlines\r\nand\ta tab", 1));
	CHECK(!text_is_clean("bell\a", 1));
	CHECK(!text_is_clean("del\x7f", 1));
}

/* U+0080..U+009F are control characters too (Unicode category Cc); U+0085 is
 * NEXT LINE, which breaks a "one line" string in many viewers. */
static void test_text_is_clean_rejects_c1_control_characters(void)
{
	CHECK(!text_is_clean("next\xc2\x85line", 0));
	CHECK(!text_is_clean("csi\xc2\x9b" "31m", 0));
	CHECK(!text_is_clean("next\xc2\x85line", 1));
	CHECK(text_is_clean("nbsp\xc2\xa0ok", 0));  /* U+00A0 is not a control */
}

static void test_valid_bodies_have_no_errors(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(errors_in("{" VALID_BODY "}", VALIDATE_CREATE, &err) == 0);
	CHECK(err.code == CW_OK && !cw_has_field_errors(&err));
	CHECK(errors_in("{\"name\":\"Ana\",\"colour\":\"green\",\"notes\":\"line one\\nline two\","
			"\"born_on\":\"2024-02-29\",\"seen_at\":\"2026-03-01T14:30:00-05:00\","
			"\"active\":false,\"children\":0,"
			"\"worker\":\"123E4567-E89B-12D3-A456-426614174000\"}",
			VALIDATE_CREATE, &err) == 0);
	CHECK(errors_in("{}", VALIDATE_PATCH, &err) == 0);
	CHECK(errors_in("{\"notes\":null,\"born_on\":null,\"worker\":null}", VALIDATE_PATCH, &err) == 0);
	cw_error_release(&err);
}

static void test_unknown_field_is_refused(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(only_error_is("\"nickname\":\"x\"", "nickname"));
	CHECK(errors_in("{\"Name\":\"Ana\"}", VALIDATE_PATCH, &err) == 1);
	CHECK_STR(message_for(&err, "Name"), "is not a known field");
	CHECK(err.code == CW_INVALID);
	cw_error_release(&err);
}

static void test_read_only_field_is_refused_even_when_valid(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(errors_in("{\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}", VALIDATE_PATCH, &err) == 1);
	CHECK_STR(message_for(&err, "id"), "is read-only");
	CHECK(errors_in("{\"id\":null}", VALIDATE_PATCH, &err) == 1);
	cw_error_release(&err);
}

static void test_required_fields_are_missing_only_on_create(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(errors_in("{}", VALIDATE_CREATE, &err) == 2);
	CHECK_STR(message_for(&err, "name"), "is required");
	CHECK_STR(message_for(&err, "colour"), "is required");
	CHECK(errors_in("{\"notes\":\"x\"}", VALIDATE_PATCH, &err) == 0);
	cw_error_release(&err);
}

static void test_null_is_refused_where_not_nullable(void)
{
	struct cw_error err = CW_ERROR_INIT;

	/* A required field sent as null counts once, not also as missing. */
	CHECK(errors_in("{\"name\":null,\"colour\":\"red\"}", VALIDATE_CREATE, &err) == 1);
	CHECK(message_for(&err, "name") != NULL);
	CHECK(errors_in("{\"name\":null}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"active\":null}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"children\":null}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"notes\":null}", VALIDATE_PATCH, &err) == 0);
	cw_error_release(&err);
}

static void test_wrong_types_are_refused(void)
{
	CHECK(only_error_is("\"notes\":5", "notes"));
	CHECK(only_error_is("\"notes\":[\"x\"]", "notes"));
	CHECK(only_error_is("\"active\":\"true\"", "active"));
	CHECK(only_error_is("\"active\":1", "active"));
	CHECK(only_error_is("\"children\":\"3\"", "children"));
	CHECK(only_error_is("\"children\":true", "children"));
	CHECK(only_error_is("\"born_on\":20260101", "born_on"));
	CHECK(only_error_is("\"seen_at\":1767225600", "seen_at"));
	CHECK(only_error_is("\"worker\":{}", "worker"));
}

static void test_enum_accepts_only_its_members(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(errors_in("{\"colour\":\"blue\"}", VALIDATE_PATCH, &err) == 1);
	CHECK_STR(message_for(&err, "colour"), "must be one of: red, green");
	CHECK(errors_in("{\"colour\":\"Red\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"colour\":\"red \"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"colour\":1}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"colour\":\"green\"}", VALIDATE_PATCH, &err) == 0);
	cw_error_release(&err);
}

static void test_int_is_a_whole_number_in_range(void)
{
	CHECK(accepted("\"children\":0"));
	CHECK(accepted("\"children\":20"));
	CHECK(only_error_is("\"children\":-1", "children"));
	CHECK(only_error_is("\"children\":21", "children"));
	CHECK(only_error_is("\"children\":9999999999", "children"));
	CHECK(only_error_is("\"children\":1.0", "children"));  /* a real is not an int */
	CHECK(only_error_is("\"children\":2.5", "children"));
	CHECK(only_error_is("\"children\":1e1", "children"));
}

static void test_string_max_len_counts_characters_not_bytes(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(accepted("\"notes\":\"ok\""));
	CHECK(errors_in("{\"name\":\"Annabel\"}", VALIDATE_PATCH, &err) == 1);
	CHECK_STR(message_for(&err, "name"), "must be at most 5 characters");
	/* 5 characters, 10 bytes: within max_len 5; 6 characters are not. */
	CHECK(errors_in("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", VALIDATE_PATCH, &err) == 0);
	CHECK(errors_in("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", VALIDATE_PATCH, &err) == 1);
	cw_error_release(&err);
	CHECK(accepted("\"notes\":\"12345678901234567890\""));
	CHECK(only_error_is("\"notes\":\"123456789012345678901\"", "notes"));
}

static void test_blank_and_unclean_text_is_refused(void)
{
	struct cw_error err = CW_ERROR_INIT;

	CHECK(errors_in("{\"name\":\"\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"name\":\"   \"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"notes\":\" \\n\\t\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"name\":\"a\\tb\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"name\":\"a\\nb\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"notes\":\"a\\u0007b\"}", VALIDATE_PATCH, &err) == 1);
	CHECK(errors_in("{\"notes\":\"a\\nb\\tc\"}", VALIDATE_PATCH, &err) == 0);
	cw_error_release(&err);
}

static void test_dates_timestamps_and_uuids_are_checked(void)
{
	CHECK(only_error_is("\"born_on\":\"2026-02-30\"", "born_on"));
	CHECK(only_error_is("\"born_on\":\"2026-2-3\"", "born_on"));
	CHECK(only_error_is("\"seen_at\":\"2026-03-01T14:30:00\"", "seen_at"));
	CHECK(only_error_is("\"worker\":\"not-a-uuid\"", "worker"));
	CHECK(accepted("\"born_on\":\"2000-02-29\""));
	CHECK(accepted("\"seen_at\":\"2026-03-01T14:30:00.5Z\""));
}

static void test_every_error_of_a_body_is_reported_at_once(void)
{
	struct cw_error err = CW_ERROR_INIT;

	/* Six bad members, and colour (required) missing: seven errors. */
	CHECK(errors_in("{\"id\":\"x\",\"name\":\"much too long\",\"nickname\":1,\"children\":1.0,"
			"\"active\":\"yes\",\"born_on\":\"2025-02-29\",\"notes\":\"fine\"}",
			VALIDATE_CREATE, &err) == 7);
	CHECK(err.code == CW_INVALID);
	CHECK(message_for(&err, "id") != NULL);
	CHECK(message_for(&err, "name") != NULL);
	CHECK(message_for(&err, "nickname") != NULL);
	CHECK(message_for(&err, "children") != NULL);
	CHECK(message_for(&err, "active") != NULL);
	CHECK(message_for(&err, "born_on") != NULL);
	CHECK(message_for(&err, "colour") != NULL);
	CHECK(message_for(&err, "notes") == NULL);
	cw_error_release(&err);
}

static void test_error_list_is_capped(void)
{
	struct cw_error err = CW_ERROR_INIT;
	json_t *body = json_object();
	char key[32];

	for (int i = 0; i < CW_MAX_FIELD_ERRORS + 50; i++) {
		snprintf(key, sizeof(key), "unknown_%d", i);
		json_object_set_new(body, key, json_true());
	}
	validate_body(body, specs, VALIDATE_CREATE, &err);
	CHECK(err.code == CW_INVALID);
	CHECK(json_array_size(err.fields) == CW_MAX_FIELD_ERRORS);
	json_decref(body);
	cw_error_release(&err);
}

static void test_long_field_names_are_truncated(void)
{
	struct cw_error err = CW_ERROR_INIT;
	json_t *body = json_object();
	char key[CW_FIELD_NAME_MAX + 51];
	const char *field;

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	json_object_set_new(body, key, json_true());
	validate_body(body, specs, VALIDATE_PATCH, &err);
	CHECK(json_array_size(err.fields) == 1);
	field = json_string_value(json_object_get(json_array_get(err.fields, 0), "field"));
	CHECK(field != NULL && strlen(field) == CW_FIELD_NAME_MAX);
	CHECK(field != NULL && strncmp(field, key, CW_FIELD_NAME_MAX) == 0);
	json_decref(body);
	cw_error_release(&err);
}

/* Truncating a name inside a multi-byte character must not lose the error:
 * otherwise a body whose only fault is such an unknown member passes. */
static void test_truncated_field_name_keeps_its_error(void)
{
	struct cw_error err = CW_ERROR_INIT;
	json_t *body = json_object();
	char key[CW_FIELD_NAME_MAX + 20];
	const char *field;

	memset(key, 'k', CW_FIELD_NAME_MAX - 1);
	strcpy(key + CW_FIELD_NAME_MAX - 1, "\xc3\xa9tail");  /* é spans bytes 100 and 101 */
	json_object_set_new(body, key, json_true());
	validate_body(body, specs, VALIDATE_PATCH, &err);
	CHECK(err.code == CW_INVALID);
	CHECK(cw_has_field_errors(&err));
	CHECK(json_array_size(err.fields) == 1);
	field = json_string_value(json_object_get(json_array_get(err.fields, 0), "field"));
	CHECK(field != NULL && strlen(field) <= CW_FIELD_NAME_MAX && utf8_valid(field));
	json_decref(body);
	cw_error_release(&err);
}

static void test_uuid_lists_hold_one_to_max_distinct_uuids(void)
{
	CHECK(only_error_is("\"people\":[]", "people"));
	CHECK(only_error_is("\"people\":\"123e4567-e89b-12d3-a456-426614174000\"", "people"));
	CHECK(only_error_is("\"people\":[\"x\"]", "people"));
	CHECK(only_error_is("\"people\":[1]", "people"));
	CHECK(only_error_is("\"people\":[\"123e4567-e89b-12d3-a456-426614174000\","
			    "\"123E4567-E89B-12D3-A456-426614174000\"]", "people"));   /* the same, twice */
	CHECK(only_error_is("\"people\":[\"00000000-0000-4000-8000-000000000001\","
			    "\"00000000-0000-4000-8000-000000000002\",\"00000000-0000-4000-8000-000000000003\","
			    "\"00000000-0000-4000-8000-000000000004\"]", "people"));   /* above max_len */
	CHECK(only_error_is("\"people\":[\"00000000-0000-4000-8000-000000000001\","
			    "\"00000000-0000-4000-8000-000000000002\"],\"children\":99", "children"));   /* a good list */
}

static void test_enum_lists_hold_one_to_max_distinct_members(void)
{
	CHECK(only_error_is("\"shades\":[]", "shades"));
	CHECK(only_error_is("\"shades\":\"red\"", "shades"));
	CHECK(only_error_is("\"shades\":[\"blue\"]", "shades"));
	CHECK(only_error_is("\"shades\":[null]", "shades"));
	CHECK(only_error_is("\"shades\":[\"red\",\"red\"]", "shades"));
	CHECK(only_error_is("\"shades\":[\"red\",\"green\",\"red\"]", "shades"));   /* above max_len */
	CHECK(accepted("\"shades\":[\"green\",\"red\"]"));
}

/* A reason goes with its date, and only with it. */
static void test_fields_set_together(void)
{
	struct cw_error err = CW_ERROR_INIT;
	json_t *r = json_pack("{s:s, s:n}", "ended_on", "2026-03-10", "reason");

	rule_set_together(r, "reason", "ended_on", &err);
	CHECK(err.field_errors == 1);
	CHECK_STR(message_for(&err, "reason"), "is required with ended_on");
	cw_error_release(&err);
	json_object_set_new(r, "reason", json_string("moved"));
	json_object_del(r, "ended_on");
	rule_set_together(r, "reason", "ended_on", &err);
	CHECK_STR(message_for(&err, "reason"), "is set only with ended_on (send null to clear it)");
	cw_error_release(&err);
	json_object_set_new(r, "ended_on", json_string("2026-03-10"));
	rule_set_together(r, "reason", "ended_on", &err);
	rule_set_together(r, "missing", "absent", &err);
	CHECK(err.field_errors == 0);
	json_decref(r);
	cw_error_release(&err);
}

static void test_date_rules_across_fields(void)
{
	struct cw_error err = CW_ERROR_INIT;
	json_t *r = json_pack("{s:s, s:s, s:s}", "opened", "2026-03-10", "closed", "2026-03-09", "later", "2999-01-01");

	rule_not_before(r, "closed", "opened", &err);
	rule_not_before(r, "opened", "closed", &err);        /* in order: no error */
	rule_not_before(r, "closed", "missing", &err);       /* an absent date: no error */
	rule_not_future(r, "opened", &err);
	CHECK(err.field_errors == 1);
	CHECK_STR(message_for(&err, "closed"), "cannot be before opened");
	json_object_set_new(r, "later", json_string("2099-12-31"));
	rule_not_future(r, "later", &err);
	CHECK(err.field_errors == 2);
	CHECK_STR(message_for(&err, "later"), "cannot be in the future");
	json_decref(r);
	cw_error_release(&err);
}

static void test_field_spec_find(void)
{
	CHECK(field_spec_find(specs, "children") == &specs[7]);
	CHECK(field_spec_find(specs, "child") == NULL);
	CHECK(field_spec_find(specs, "") == NULL);
}

int main(void)
{
	RUN(test_uuid_parse_gives_canonical_lower_case);
	RUN(test_uuid_parse_rejects_other_shapes);
	RUN(test_utf8_valid_accepts_every_plane);
	RUN(test_utf8_valid_rejects_overlong_encodings);
	RUN(test_utf8_valid_rejects_surrogates_and_beyond_unicode);
	RUN(test_utf8_valid_rejects_truncated_and_stray_bytes);
	RUN(test_utf8_length_counts_code_points);
	RUN(test_text_is_clean_rejects_control_characters);
	RUN(test_text_is_clean_rejects_c1_control_characters);
	RUN(test_valid_bodies_have_no_errors);
	RUN(test_unknown_field_is_refused);
	RUN(test_read_only_field_is_refused_even_when_valid);
	RUN(test_required_fields_are_missing_only_on_create);
	RUN(test_null_is_refused_where_not_nullable);
	RUN(test_wrong_types_are_refused);
	RUN(test_enum_accepts_only_its_members);
	RUN(test_int_is_a_whole_number_in_range);
	RUN(test_string_max_len_counts_characters_not_bytes);
	RUN(test_blank_and_unclean_text_is_refused);
	RUN(test_dates_timestamps_and_uuids_are_checked);
	RUN(test_every_error_of_a_body_is_reported_at_once);
	RUN(test_error_list_is_capped);
	RUN(test_long_field_names_are_truncated);
	RUN(test_truncated_field_name_keeps_its_error);
	RUN(test_uuid_lists_hold_one_to_max_distinct_uuids);
	RUN(test_enum_lists_hold_one_to_max_distinct_members);
	RUN(test_fields_set_together);
	RUN(test_date_rules_across_fields);
	RUN(test_field_spec_find);
	return check_result();
}
