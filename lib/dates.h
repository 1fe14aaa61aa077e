/*
 * dates: calendar dates and instants, parsed strictly.
 *
 * A date is a real calendar day between DATE_MIN_YEAR and DATE_MAX_YEAR written
 * YYYY-MM-DD. An instant is an RFC 3339 timestamp with a mandatory offset, kept
 * as microseconds since the Unix epoch. "Today" is the day in the process's time
 * zone (TZ, set from CASEWORK_TIMEZONE at start).
 */
#ifndef CW_DATES_H
#define CW_DATES_H

#include <stdint.h>

#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2100

struct cw_date {
	int year, month, day;
};

/* 0 and *out set when s is exactly a real YYYY-MM-DD in range; -1 otherwise. */
int date_parse(const char *s, struct cw_date *out);

/* Writes YYYY-MM-DD and a NUL into out (11 bytes). */
void date_format(const struct cw_date *d, char out[11]);

/* Negative, zero or positive as a is before, equal to or after b. */
int date_cmp(const struct cw_date *a, const struct cw_date *b);

/* Today's date in the process's time zone. */
struct cw_date date_today(void);

/* The same day n months later, clamped to the month's last day (Aug 31 + 6 -> Feb 28/29). */
struct cw_date date_add_months(const struct cw_date *d, int months);

/* Days since 1970-01-01 (negative before). */
int64_t date_to_days(const struct cw_date *d);

/* The date that many days after 1970-01-01. */
struct cw_date date_from_days(int64_t days);

/* 0 and *out_us set when s is an RFC 3339 date-time with Z or a numeric offset,
 * fractions up to nanoseconds (kept to microseconds); -1 otherwise. */
int timestamp_parse(const char *s, int64_t *out_us);

/* The instants a timestamp of this API can be (DATE_MIN_YEAR-01-01 to the
 * end of DATE_MAX_YEAR, with any offset), in microseconds since 1970. */
#define TIMESTAMP_MIN_US ((int64_t)-2209075200 * 1000000)   /* 1899-12-31T00:00:00Z */
#define TIMESTAMP_MAX_US ((int64_t)4133980800 * 1000000 + 86400LL * 1000000)

/* Writes the instant as YYYY-MM-DDTHH:MM:SS.ffffffZ and a NUL (28 bytes). */
void timestamp_format(int64_t us, char out[28]);

#endif
