/* record: preconditions, merge patches and libpq parameters. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (j == NULL)
		fprintf(stderr, "bad test JSON: %s\n", text);
	return j;
}

static void test_precondition_absent_or_any_always_holds(void)
{
	struct precondition absent = {0}, any = {.present = 1, .any = 1};

	CHECK(precondition_holds(&absent, 1));
	CHECK(precondition_holds(&absent, 99));
	CHECK(precondition_holds(&any, 1));
	CHECK(precondition_holds(&any, 99));
}

static void test_precondition_list_holds_only_for_listed_versions(void)
{
	struct precondition list = {.present = 1, .count = 2, .versions = {3, 5}};
	struct precondition none_readable = {.present = 1, .count = 0};

	CHECK(precondition_holds(&list, 3));
	CHECK(precondition_holds(&list, 5));
	CHECK(!precondition_holds(&list, 4));
	CHECK(!precondition_holds(&list, 0));
	/* If-Match present but naming no version (weak or malformed tags) matches nothing. */
	CHECK(!precondition_holds(&none_readable, 1));
}

static void test_merge_sets_members_and_keeps_null_as_cleared(void)
{
	json_t *current = parse("{\"a\":1,\"b\":\"x\",\"c\":true,\"n\":{\"k\":1}}");
	json_t *patch = parse("{\"b\":null,\"d\":\"new\",\"c\":false}");
	json_t *want = parse("{\"a\":1,\"b\":null,\"c\":false,\"d\":\"new\",\"n\":{\"k\":1}}");
	json_t *merged = record_merge(current, patch);

	CHECK(merged != NULL && json_equal(merged, want));
	CHECK(merged != NULL && json_is_null(json_object_get(merged, "b")));
	json_decref(merged);
	json_decref(current);
	json_decref(patch);
	json_decref(want);
}

static void test_merge_leaves_the_original_untouched(void)
{
	json_t *current = parse("{\"a\":1,\"b\":\"x\",\"n\":{\"k\":1}}");
	json_t *copy = json_deep_copy(current);
	json_t *patch = parse("{\"a\":2,\"b\":null}");
	json_t *merged = record_merge(current, patch);

	CHECK(json_equal(current, copy));
	/* The result is a copy: changing it changes nothing in the original. */
	json_object_set_new(merged, "a", json_integer(3));
	json_object_set_new(json_object_get(merged, "n"), "k", json_integer(2));
	CHECK(json_equal(current, copy));
	json_decref(merged);
	json_decref(current);
	json_decref(copy);
	json_decref(patch);
}

static void test_merge_of_empty_patch_is_an_equal_copy(void)
{
	json_t *current = parse("{\"a\":1}");
	json_t *patch = json_object();
	json_t *merged = record_merge(current, patch);

	CHECK(merged != NULL && merged != current && json_equal(merged, current));
	json_decref(merged);
	json_decref(current);
	json_decref(patch);
}

static void test_field_changed_treats_absent_as_null(void)
{
	json_t *a = parse("{\"x\":null,\"s\":\"v\",\"i\":1,\"o\":{\"k\":[1,2]}}");
	json_t *b = parse("{\"s\":\"v\",\"i\":2,\"o\":{\"k\":[1,2]},\"y\":\"new\"}");

	CHECK(!record_field_changed(a, b, "x"));        /* null -> absent */
	CHECK(!record_field_changed(b, a, "x"));        /* absent -> null */
	CHECK(!record_field_changed(a, b, "missing"));  /* absent -> absent */
	CHECK(!record_field_changed(a, b, "s"));
	CHECK(!record_field_changed(a, b, "o"));        /* equal by value */
	CHECK(record_field_changed(a, b, "i"));
	CHECK(record_field_changed(a, b, "y"));         /* absent -> value */
	CHECK(record_field_changed(b, a, "y"));         /* value -> absent */
	json_decref(a);
	json_decref(b);
}

static void test_field_changed_from_value_to_null(void)
{
	json_t *a = parse("{\"x\":\"v\"}");
	json_t *b = parse("{\"x\":null}");

	CHECK(record_field_changed(a, b, "x"));
	CHECK(record_field_changed(b, a, "x"));
	json_decref(a);
	json_decref(b);
}

static void test_param_gives_text_for_strings_bools_and_ints(void)
{
	json_t *obj = parse("{\"s\":\"text\",\"t\":true,\"f\":false,\"i\":42,\"neg\":-7,"
			    "\"big\":9223372036854775807,\"z\":null}");
	char buf[32];

	CHECK(record_param(obj, "s", buf, sizeof(buf)) == json_string_value(json_object_get(obj, "s")));
	CHECK_STR(record_param(obj, "t", buf, sizeof(buf)), "true");
	CHECK_STR(record_param(obj, "f", buf, sizeof(buf)), "false");
	CHECK_STR(record_param(obj, "i", buf, sizeof(buf)), "42");
	CHECK_STR(record_param(obj, "neg", buf, sizeof(buf)), "-7");
	CHECK_STR(record_param(obj, "big", buf, sizeof(buf)), "9223372036854775807");
	CHECK(record_param(obj, "z", buf, sizeof(buf)) == NULL);
	CHECK(record_param(obj, "absent", buf, sizeof(buf)) == NULL);
	json_decref(obj);
}

/* A number must never become SQL NULL (which would clear the column). */
static void test_param_writes_a_real_number_as_text(void)
{
	json_t *obj = parse("{\"r\":2.5}");
	char buf[32];
	const char *v = record_param(obj, "r", buf, sizeof(buf));

	CHECK(v != NULL);
	CHECK(v != NULL && strtod(v, NULL) == 2.5);
	json_decref(obj);
}

int main(void)
{
	RUN(test_precondition_absent_or_any_always_holds);
	RUN(test_precondition_list_holds_only_for_listed_versions);
	RUN(test_merge_sets_members_and_keeps_null_as_cleared);
	RUN(test_merge_leaves_the_original_untouched);
	RUN(test_merge_of_empty_patch_is_an_equal_copy);
	RUN(test_field_changed_treats_absent_as_null);
	RUN(test_field_changed_from_value_to_null);
	RUN(test_param_gives_text_for_strings_bools_and_ints);
	RUN(test_param_writes_a_real_number_as_text);
	return check_result();
}
