/* trace: W3C traceparent read by the specification's rules, or ignored. */
#include "trace.h"

#include "check.h"

#define T "4bf92f3577b34da6a3ce929d0e0e4736"
#define P "00f067aa0ba902b7"

static int valid(const char *h)
{
	struct trace_context t;

	return trace_parse(h, &t) == 0;
}

static void test_a_valid_traceparent_is_read(void)
{
	struct trace_context t;

	CHECK(trace_parse("00-" T "-" P "-01", &t) == 0);
	CHECK_STR(t.trace_id, T);
	CHECK_STR(t.parent_id, P);
	CHECK(t.flags == 1);
	CHECK(trace_parse("00-" T "-" P "-ff", &t) == 0 && t.flags == 0xff);
}

static void test_later_versions_are_read_by_their_first_55_characters(void)
{
	CHECK(valid("01-" T "-" P "-01"));
	CHECK(valid("cc-" T "-" P "-01-what-comes-later"));
	CHECK(!valid("cc-" T "-" P "-01what"));
	CHECK(!valid("00-" T "-" P "-01-what"));   /* version 00 is exactly 55 characters */
	CHECK(!valid("ff-" T "-" P "-01"));         /* ff is never a version */
}

static void test_broken_ones_are_refused(void)
{
	CHECK(!valid(NULL));
	CHECK(!valid(""));
	CHECK(!valid("00-4BF92F3577B34DA6A3CE929D0E0E4736-" P "-01"));
	CHECK(!valid("00-" T "-00F067AA0BA902B7-01"));
	CHECK(!valid("0A-" T "-" P "-01"));
	CHECK(!valid("00-00000000000000000000000000000000-" P "-01"));
	CHECK(!valid("00-" T "-0000000000000000-01"));
	CHECK(!valid("00-" T "-" P "-1"));
	CHECK(!valid("00-" T "-" P "-0x"));
	CHECK(!valid("00 " T "-" P "-01"));
	CHECK(!valid("00-" T "0-" P "-0"));
	CHECK(!valid(" 00-" T "-" P "-01"));
}

static void test_the_service_joins_as_a_span_of_its_own(void)
{
	struct trace_context t;
	char out[TRACEPARENT_LEN + 1];

	CHECK(trace_parse("00-" T "-" P "-03", &t) == 0);
	trace_join(&t, 0x0123456789abcdefu);
	trace_traceparent(&t, out);
	CHECK_STR(out, "00-" T "-0123456789abcdef-01");   /* only the sampled flag goes on */
	trace_join(&t, 0);
	CHECK_STR(t.span_id, "0000000000000001");          /* never all zero */
	CHECK(valid(out));
}

int main(void)
{
	RUN(test_a_valid_traceparent_is_read);
	RUN(test_later_versions_are_read_by_their_first_55_characters);
	RUN(test_broken_ones_are_refused);
	RUN(test_the_service_joins_as_a_span_of_its_own);
	return check_result();
}
