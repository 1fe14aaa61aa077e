/* dates: strict calendar dates and RFC 3339 instants. */
#include "dates.h"

#include <stdint.h>
#include <string.h>

#include "check.h"

static int parses(const char *s)
{
	struct cw_date d;

	return date_parse(s, &d) == 0;
}

static int ts_parses(const char *s)
{
	int64_t us;

	return timestamp_parse(s, &us) == 0;
}

/* The instant s names, rendered in UTC ("(invalid)" when it does not parse). */
static const char *in_utc(const char *s, char out[28])
{
	int64_t us;

	if (timestamp_parse(s, &us) != 0)
		return "(invalid)";
	timestamp_format(us, out);
	return out;
}

static const char *added(const char *s, int months, char out[11])
{
	struct cw_date d, r;

	if (date_parse(s, &d) != 0)
		return "(invalid)";
	r = date_add_months(&d, months);
	date_format(&r, out);
	return out;
}

static void test_date_parse_accepts_real_dates(void)
{
	struct cw_date d = {0, 0, 0};

	CHECK(date_parse("2026-03-01", &d) == 0);
	CHECK(d.year == 2026 && d.month == 3 && d.day == 1);
	CHECK(parses("2026-12-31"));
	CHECK(parses("2026-04-30"));
	CHECK(parses("1900-01-01"));
	CHECK(parses("2100-12-31"));
}

static void test_date_parse_knows_leap_years(void)
{
	CHECK(parses("2024-02-29"));
	CHECK(parses("2000-02-29"));   /* divisible by 400 */
	CHECK(!parses("1900-02-29"));  /* divisible by 100 only */
	CHECK(!parses("2025-02-29"));
	CHECK(!parses("2100-02-29"));
}

static void test_date_parse_rejects_impossible_days(void)
{
	CHECK(!parses("2026-02-30"));
	CHECK(!parses("2026-04-31"));
	CHECK(!parses("2026-01-32"));
	CHECK(!parses("2026-01-00"));
	CHECK(!parses("2026-13-01"));
	CHECK(!parses("2026-00-10"));
}

static void test_date_parse_rejects_wrong_shapes(void)
{
	CHECK(!parses("2026-3-01"));
	CHECK(!parses("2026-03-1"));
	CHECK(!parses("26-03-01"));
	CHECK(!parses("02026-03-01"));
	CHECK(!parses("2026/03/01"));
	CHECK(!parses("2026-03-01 "));
	CHECK(!parses(" 2026-03-01"));
	CHECK(!parses("2026-03-01T00:00:00Z"));
	CHECK(!parses("2026-03-0a"));
	CHECK(!parses("+026-03-01"));
	CHECK(!parses(""));
	CHECK(!parses(NULL));
}

static void test_date_parse_rejects_years_outside_1900_to_2100(void)
{
	CHECK(!parses("1899-12-31"));
	CHECK(!parses("2101-01-01"));
	CHECK(!parses("0000-01-01"));
	CHECK(!parses("9999-12-31"));
}

static void test_date_format_and_compare(void)
{
	struct cw_date a = {2026, 3, 1}, b = {2026, 2, 28}, c = {2025, 12, 31};
	char out[11];

	date_format(&a, out);
	CHECK_STR(out, "2026-03-01");
	CHECK(date_cmp(&a, &a) == 0);
	CHECK(date_cmp(&b, &a) < 0);
	CHECK(date_cmp(&a, &b) > 0);
	CHECK(date_cmp(&c, &b) < 0);
}

static void test_date_add_months_clamps_to_the_last_day(void)
{
	char out[11];

	CHECK_STR(added("2026-08-31", 6, out), "2027-02-28");
	CHECK_STR(added("2027-08-31", 6, out), "2028-02-29");
	CHECK_STR(added("2026-01-31", 1, out), "2026-02-28");
	CHECK_STR(added("2026-03-31", 1, out), "2026-04-30");
	CHECK_STR(added("2026-01-15", 0, out), "2026-01-15");
}

static void test_date_add_months_rolls_over_december(void)
{
	char out[11];

	CHECK_STR(added("2026-12-15", 1, out), "2027-01-15");
	CHECK_STR(added("2026-11-30", 2, out), "2027-01-30");
	CHECK_STR(added("2026-07-04", 18, out), "2028-01-04");
	CHECK_STR(added("2026-01-31", 24, out), "2028-01-31");
	CHECK_STR(added("2027-01-31", -2, out), "2026-11-30");
}

static void test_date_to_days_counts_from_1970(void)
{
	struct cw_date epoch = {1970, 1, 1}, before = {1969, 12, 31}, y2k = {2000, 1, 1},
		       first = {1900, 1, 1}, last = {2100, 12, 31}, leap = {2024, 2, 29},
		       after_leap = {2024, 3, 1};

	CHECK(date_to_days(&epoch) == 0);
	CHECK(date_to_days(&before) == -1);
	CHECK(date_to_days(&y2k) == 10957);
	CHECK(date_to_days(&first) == -25567);
	CHECK(date_to_days(&last) == 47846);
	CHECK(date_to_days(&leap) == 19782);
	CHECK(date_to_days(&after_leap) == 19783);
}

static void test_date_from_days_inverts_date_to_days(void)
{
	struct cw_date d = {1900, 1, 1}, last = {2100, 12, 31}, back;
	char out[11];
	int mismatches = 0;

	back = date_from_days(0);
	date_format(&back, out);
	CHECK_STR(out, "1970-01-01");
	back = date_from_days(-1);
	date_format(&back, out);
	CHECK_STR(out, "1969-12-31");
	for (int64_t n = date_to_days(&d); n <= date_to_days(&last); n++) {
		back = date_from_days(n);
		mismatches += date_to_days(&back) != n || back.day < 1 || back.day > 31;
	}
	CHECK(mismatches == 0);
	back = date_from_days(date_to_days(&last));
	CHECK(date_cmp(&back, &last) == 0);
}

static void test_timestamp_parse_accepts_z_and_offsets(void)
{
	int64_t us = 0;

	CHECK(timestamp_parse("2026-01-31T23:30:00Z", &us) == 0);
	CHECK(us == 1769902200LL * 1000000);
	CHECK(timestamp_parse("2026-01-31T23:30:00z", &us) == 0);
	CHECK(us == 1769902200LL * 1000000);
	CHECK(timestamp_parse("2026-02-01T01:30:00+02:00", &us) == 0);
	CHECK(us == 1769902200LL * 1000000);
	CHECK(timestamp_parse("2026-01-31T18:00:00-05:30", &us) == 0);
	CHECK(us == 1769902200LL * 1000000);
	CHECK(ts_parses("2026-01-31t23:30:00Z"));
	CHECK(ts_parses("2026-01-31T23:30:00+00:00"));
	CHECK(ts_parses("2026-01-31T23:30:00-00:00"));
	CHECK(ts_parses("2026-01-31T23:30:00+23:59"));
}

static void test_timestamp_parse_keeps_fractions_to_microseconds(void)
{
	static const struct {
		const char *text;
		int64_t micros;
	} cases[] = {
		{"2026-01-01T00:00:00.1Z", 100000},
		{"2026-01-01T00:00:00.12Z", 120000},
		{"2026-01-01T00:00:00.123Z", 123000},
		{"2026-01-01T00:00:00.1234Z", 123400},
		{"2026-01-01T00:00:00.12345Z", 123450},
		{"2026-01-01T00:00:00.123456Z", 123456},
		{"2026-01-01T00:00:00.1234567Z", 123456},
		{"2026-01-01T00:00:00.12345678Z", 123456},
		{"2026-01-01T00:00:00.123456789Z", 123456},
	};
	int64_t base, us;

	CHECK(timestamp_parse("2026-01-01T00:00:00Z", &base) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(timestamp_parse(cases[i].text, &us) == 0);
		CHECK(us - base == cases[i].micros);
	}
	CHECK(timestamp_parse("2026-01-01T01:00:00.000001+01:00", &us) == 0);
	CHECK(us - base == 1);
	CHECK(!ts_parses("2026-01-01T00:00:00.1234567890Z"));  /* ten digits */
	CHECK(!ts_parses("2026-01-01T00:00:00.Z"));
	CHECK(!ts_parses("2026-01-01T00:00:00,5Z"));
}

static void test_timestamp_parse_rejects_impossible_times(void)
{
	CHECK(!ts_parses("2026-01-01T24:00:00Z"));
	CHECK(!ts_parses("2026-01-01T23:60:00Z"));
	CHECK(!ts_parses("2026-01-01T23:59:60Z"));  /* no leap seconds */
	CHECK(!ts_parses("2026-02-30T10:00:00Z"));
	CHECK(!ts_parses("2026-01-01T10:00:00+24:00"));
	CHECK(!ts_parses("2026-01-01T10:00:00+02:60"));
}

static void test_timestamp_parse_rejects_wrong_shapes(void)
{
	CHECK(!ts_parses("2026-01-01T10:00:00"));     /* the offset is mandatory */
	CHECK(!ts_parses("2026-01-01 10:00:00Z"));    /* RFC 3339 allows it; we do not */
	CHECK(!ts_parses("2026-01-01T10:00Z"));
	CHECK(!ts_parses("2026-01-01T10:00:00+0200"));
	CHECK(!ts_parses("2026-01-01T10:00:00+02"));
	CHECK(!ts_parses("2026-01-01T10:00:00ZZ"));
	CHECK(!ts_parses("2026-01-01T10:00:00Z "));
	CHECK(!ts_parses("2026-01-01T1:00:00Z"));
	CHECK(!ts_parses("2026-01-01"));
	CHECK(!ts_parses(""));
	CHECK(!ts_parses(NULL));
}

static void test_timestamp_format_renders_utc(void)
{
	char out[28];

	CHECK_STR(in_utc("2026-01-31T23:30:00-02:00", out), "2026-02-01T01:30:00.000000Z");
	CHECK_STR(in_utc("2026-03-01T00:30:00+02:00", out), "2026-02-28T22:30:00.000000Z");
	CHECK_STR(in_utc("2024-03-01T00:30:00+02:00", out), "2024-02-29T22:30:00.000000Z");
	CHECK_STR(in_utc("2026-12-31T23:59:59.999999-00:01", out), "2027-01-01T00:00:59.999999Z");
	CHECK_STR(in_utc("1970-01-01T00:00:00Z", out), "1970-01-01T00:00:00.000000Z");
}

static void test_timestamp_format_round_trips(void)
{
	static const char *const texts[] = {
		"2026-03-01T14:30:00.000000Z", "2024-02-29T23:59:59.999999Z",
		"1900-01-01T00:00:00.000000Z", "2100-12-31T23:59:59.999999Z",
		"1969-12-31T23:59:59.999999Z", "2000-02-29T12:00:00.000001Z",
	};
	char out[28];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		CHECK_STR(in_utc(texts[i], out), texts[i]);
}

static void test_instants_before_1970_are_negative_and_exact(void)
{
	int64_t us = 0;
	char out[28];

	CHECK(timestamp_parse("1969-07-20T20:17:40Z", &us) == 0);
	CHECK(us == -14182940LL * 1000000);
	CHECK(timestamp_parse("1969-12-31T23:59:59.5Z", &us) == 0);
	CHECK(us == -500000);
	timestamp_format(-1, out);
	CHECK_STR(out, "1969-12-31T23:59:59.999999Z");
	timestamp_format(-1000000, out);
	CHECK_STR(out, "1969-12-31T23:59:59.000000Z");
	timestamp_format(-86400LL * 1000000, out);
	CHECK_STR(out, "1969-12-31T00:00:00.000000Z");
	CHECK_STR(in_utc("1900-01-01T00:30:00+01:00", out), "1899-12-31T23:30:00.000000Z");
}

static void test_timestamp_format_takes_any_64_bit_value(void)
{
	char out[28];

	/* Forged cursors carry such keys: formatting must stay defined (no negation). */
	timestamp_format(INT64_MIN, out);
	CHECK(strlen(out) == 27);
	timestamp_format(INT64_MAX, out);
	CHECK(strlen(out) == 27);
	timestamp_format(INT64_MIN + 999999, out);
	CHECK(strlen(out) == 27);
	timestamp_format(-1, out);
	CHECK_STR(out, "1969-12-31T23:59:59.999999Z");
	timestamp_format(-86400000001LL, out);
	CHECK_STR(out, "1969-12-30T23:59:59.999999Z");
}

int main(void)
{
	RUN(test_date_parse_accepts_real_dates);
	RUN(test_date_parse_knows_leap_years);
	RUN(test_date_parse_rejects_impossible_days);
	RUN(test_date_parse_rejects_wrong_shapes);
	RUN(test_date_parse_rejects_years_outside_1900_to_2100);
	RUN(test_date_format_and_compare);
	RUN(test_date_add_months_clamps_to_the_last_day);
	RUN(test_date_add_months_rolls_over_december);
	RUN(test_date_to_days_counts_from_1970);
	RUN(test_date_from_days_inverts_date_to_days);
	RUN(test_timestamp_parse_accepts_z_and_offsets);
	RUN(test_timestamp_parse_keeps_fractions_to_microseconds);
	RUN(test_timestamp_parse_rejects_impossible_times);
	RUN(test_timestamp_parse_rejects_wrong_shapes);
	RUN(test_timestamp_format_renders_utc);
	RUN(test_timestamp_format_round_trips);
	RUN(test_instants_before_1970_are_negative_and_exact);
	RUN(test_timestamp_format_takes_any_64_bit_value);
	return check_result();
}
