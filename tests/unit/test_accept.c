/* accept: CSV only when the Accept header weighs text/csv above JSON. */
#include "accept.h"

#include "check.h"

static int csv(const char *accept)
{
	return accept_prefers_csv(accept);
}

static void test_text_csv_alone_or_first_is_csv(void)
{
	CHECK(csv("text/csv"));
	CHECK(csv("text/csv, application/json;q=0.5"));
	CHECK(csv("text/csv;q=0.001"));
	CHECK(csv("application/json;q=0.999, text/csv"));
	CHECK(csv("application/*;q=0.5, */*;q=0.1, text/csv"));
	CHECK(csv("text/csv;q=0.5, text/html"));
}

static void test_type_is_case_insensitive_and_parameters_are_ignored(void)
{
	CHECK(csv("TEXT/CSV; charset=utf-8"));
	CHECK(csv("Text/Csv;header=present;q=1"));
	CHECK(csv("text/csv ; charset=\"utf-8\" ; Q=0.7, application/json;q=0.6"));
	CHECK(csv("text/csv;x=\"a, b; c\", application/json;q=0.5"));
	CHECK(csv("text/csv;x=\"a \\\" b\";q=1, application/json;q=0.5"));
	CHECK(csv("text/csv;;q=1;"));
	CHECK(csv(" ,text/csv,, "));
}

static void test_json_wins_ties_and_is_the_default(void)
{
	CHECK(!csv(NULL));
	CHECK(!csv(""));
	CHECK(!csv("*/*"));
	CHECK(!csv("application/json"));
	CHECK(!csv("application/json, text/csv"));
	CHECK(!csv("text/csv, application/json"));
	CHECK(!csv("text/csv;q=0.5, */*;q=0.5"));
	CHECK(!csv("text/csv;q=0.5, application/*;q=0.8"));
	CHECK(!csv("application/json, text/csv;q=0.1"));
	CHECK(!csv("text/*"));
	CHECK(!csv("text/html, text/plain"));
}

static void test_a_weight_of_zero_refuses_csv(void)
{
	CHECK(!csv("text/csv;q=0, application/json"));
	CHECK(!csv("text/csv;q=0"));
	CHECK(!csv("text/csv;q=0.000"));
	CHECK(!csv("text/csv;q=0."));
}

static void test_only_text_csv_itself_is_csv(void)
{
	CHECK(!csv("text/csvx"));
	CHECK(!csv("text/csv2"));
	CHECK(!csv("application/text/csv"));
	CHECK(!csv("text/csv-schema"));
	CHECK(!csv("xtext/csv"));
	CHECK(!csv("application/json;profile=text/csv"));
	CHECK(!csv("application/json;x=\"text/csv\""));
}

/* A malformed weight makes its range count for nothing, never for q=1. */
static void test_a_malformed_range_is_ignored(void)
{
	static const char *const bad_weights[] = {"q=", "q=abc", "q=1.5", "q=2", "q=-1", "q=0.0001", "q=1.001",
						  "q=.5", "q=0,5", "q=\"0.5\"", "q=0.5;q=0.5", "q = 0.5", "q=0.5x",
						  NULL};

	for (const char *const *w = bad_weights; *w; w++) {
		char header[64];

		snprintf(header, sizeof(header), "text/csv;%s", *w);
		CHECK(!csv(header));
		snprintf(header, sizeof(header), "text/csv;q=0.5, application/json;%s", *w);
		CHECK(csv(header));
	}
	CHECK(!csv("text/csv;charset"));
	CHECK(!csv("text/csv;charset=\"utf-8"));
	CHECK(!csv("text/csv;x=\"a\x01\""));
	CHECK(!csv("text/ csv"));
	CHECK(!csv("text /csv"));
	CHECK(!csv("*/csv"));
	CHECK(!csv("text/csv junk"));
	/* An unterminated quoted string runs to the end: nothing after it counts. */
	CHECK(!csv("application/json;x=\"unterminated, text/csv"));
	CHECK(!csv("text/csv;x=\"unterminated, text/csv"));
	CHECK(csv("text/csv;q=0.5, application/json;x=\"a\"b, */*;q=x"));
	CHECK(csv("text/csv;q=0.5, /json, application/, */json, text/csv;q=bad"));
}

int main(void)
{
	RUN(test_text_csv_alone_or_first_is_csv);
	RUN(test_type_is_case_insensitive_and_parameters_are_ignored);
	RUN(test_json_wins_ties_and_is_the_default);
	RUN(test_a_weight_of_zero_refuses_csv);
	RUN(test_only_text_csv_itself_is_csv);
	RUN(test_a_malformed_range_is_ignored);
	return check_result();
}
