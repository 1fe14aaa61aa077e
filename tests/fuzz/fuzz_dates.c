/*
 * Dates and timestamps as clients write them (lib/dates.c): in bodies
 * (FT_DATE, FT_TIMESTAMP fields) and in query parameters.
 *
 * Promises checked: a date that parses is written back exactly as sent
 * (each date has one text) and survives the day count both ways; adding
 * months lands on a real day; a timestamp that parses is within the API's
 * range and formats to text that parses to the same instant; every instant
 * of that range formats and parses back.
 */
#include "fuzz.h"

#include "dates.h"

static int same_date(const struct cw_date *a, const struct cw_date *b)
{
	return date_cmp(a, b) == 0;
}

/* A real calendar day: the day count maps it to itself. */
static int is_real_day(const struct cw_date *d)
{
	struct cw_date back = date_from_days(date_to_days(d));

	return same_date(&back, d);
}

static void check_date(const char *text, const struct cw_date *d, int months)
{
	char written[11];
	struct cw_date later = date_add_months(d, months), next = date_from_days(date_to_days(d) + 1);

	date_format(d, written);
	FUZZ_CHECK(strcmp(written, text) == 0);
	FUZZ_CHECK(d->year >= DATE_MIN_YEAR && d->year <= DATE_MAX_YEAR);
	FUZZ_CHECK(is_real_day(d));
	FUZZ_CHECK(date_cmp(&next, d) > 0);
	FUZZ_CHECK(is_real_day(&later));
	FUZZ_CHECK(date_cmp(&later, d) >= 0);
	FUZZ_CHECK(later.day <= d->day);
}

/* The instants whose UTC text is an API timestamp: 1900-01-01T00:00:00Z to
 * 2100-12-31T23:59:59.999999Z. (Offsets reach a day beyond them.) */
static int64_t first_utc_us(void)
{
	struct cw_date d = {DATE_MIN_YEAR, 1, 1};

	return date_to_days(&d) * 86400 * 1000000;
}

static int64_t last_utc_us(void)
{
	struct cw_date d = {DATE_MAX_YEAR + 1, 1, 1};

	return date_to_days(&d) * 86400 * 1000000 - 1;
}

/* An instant whose UTC text is an API timestamp: that text parses to it. */
static void check_instant(int64_t us)
{
	char text[28];
	int64_t back = 0;

	timestamp_format(us, text);
	FUZZ_CHECK(strlen(text) == 27);
	FUZZ_CHECK(timestamp_parse(text, &back) == 0);
	FUZZ_CHECK(back == us);
}

static void check_timestamp(const char *text, int64_t us)
{
	char day[11];
	struct cw_date d;

	FUZZ_CHECK(us >= TIMESTAMP_MIN_US && us <= TIMESTAMP_MAX_US);
	memcpy(day, text, 10);
	day[10] = '\0';
	FUZZ_CHECK(date_parse(day, &d) == 0);
	if (us >= first_utc_us() && us <= last_utc_us())
		check_instant(us);
}

static int64_t int64_from(const uint8_t *data, size_t size)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8 && i < size; i++)
		v = (v << 8) | data[i];
	return (int64_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), any[28];
	struct cw_date d;
	int64_t us, raw = int64_from(data, size);
	uint64_t span = (uint64_t)(last_utc_us() - first_utc_us());

	if (date_parse(text, &d) == 0)
		check_date(text, &d, (int)((uint64_t)raw % 1201));
	if (timestamp_parse(text, &us) == 0)
		check_timestamp(text, us);
	/* Any 64-bit value formats without harm; those in range round trip. */
	timestamp_format(raw, any);
	check_instant(first_utc_us() + (int64_t)((uint64_t)raw % (span + 1)));
	free(text);
	return 0;
}
