#include "dates.h"

#include <string.h>
#include <time.h>

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_date_prefix(const char *s, struct cw_date *d)
{
	if (digits(s, 4, &d->year) || s[4] != '-' || digits(s + 5, 2, &d->month) ||
	    s[7] != '-' || digits(s + 8, 2, &d->day))
		return -1;
	if (d->year < DATE_MIN_YEAR || d->year > DATE_MAX_YEAR || d->month < 1 || d->month > 12 ||
	    d->day < 1 || d->day > days_in_month(d->year, d->month))
		return -1;
	return 0;
}

int date_parse(const char *s, struct cw_date *out)
{
	struct cw_date d;

	if (s == NULL || strlen(s) != 10 || parse_date_prefix(s, &d) != 0)
		return -1;
	*out = d;
	return 0;
}

/* Writes v as exactly n decimal digits (v is in range by construction). */
static char *put_digits(char *o, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + n;
}

void date_format(const struct cw_date *d, char out[11])
{
	char *o = put_digits(out, (unsigned)d->year % 10000u, 4);

	*o++ = '-';
	o = put_digits(o, (unsigned)d->month % 100u, 2);
	*o++ = '-';
	o = put_digits(o, (unsigned)d->day % 100u, 2);
	*o = '\0';
}

int date_cmp(const struct cw_date *a, const struct cw_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	return a->day == b->day ? 0 : (a->day < b->day ? -1 : 1);
}

struct cw_date date_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return (struct cw_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

struct cw_date date_add_months(const struct cw_date *d, int months)
{
	int index = d->year * 12 + (d->month - 1) + months;
	struct cw_date r = {index / 12, index % 12 + 1, d->day};
	int last = days_in_month(r.year, r.month);

	if (r.day > last)
		r.day = last;
	return r;
}

/* Howard Hinnant's days_from_civil. */
int64_t date_to_days(const struct cw_date *d)
{
	int64_t y = d->year - (d->month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d->month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d->day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

struct cw_date date_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);

	return (struct cw_date){(int)year, (int)month, (int)day};
}

/* Parses ".d{1,9}" at *p; leaves *p after it and microseconds in *us. */
static int parse_fraction(const char **p, int64_t *us)
{
	const char *s = *p;
	int n = 0;
	int64_t v = 0;

	*us = 0;
	if (*s != '.')
		return 0;
	for (s++; *s >= '0' && *s <= '9'; s++, n++) {
		if (n >= 9)
			return -1;
		if (n < 6)
			v = v * 10 + (*s - '0');
	}
	if (n == 0)
		return -1;
	for (int i = n; i < 6; i++)
		v *= 10;
	*us = v;
	*p = s;
	return 0;
}

static int parse_offset(const char *s, int *offset_minutes)
{
	int hh, mm;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*offset_minutes = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &hh) || s[3] != ':' ||
	    digits(s + 4, 2, &mm) || s[6] != '\0' || hh > 23 || mm > 59)
		return -1;
	*offset_minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

int timestamp_parse(const char *s, int64_t *out_us)
{
	struct cw_date d;
	int hh, mi, ss, offset;
	int64_t frac;
	const char *p;

	if (s == NULL || strlen(s) < 20 || parse_date_prefix(s, &d) != 0)
		return -1;
	if ((s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &hh) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &ss))
		return -1;
	if (hh > 23 || mi > 59 || ss > 59)
		return -1;
	p = s + 19;
	if (parse_fraction(&p, &frac) != 0 || parse_offset(p, &offset) != 0)
		return -1;
	*out_us = ((date_to_days(&d) * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 + ss) - (int64_t)offset * 60)
		  * 1000000 + frac;
	return 0;
}

void timestamp_format(int64_t us, char out[28])
{
	/* Floor division without negating: any int64_t is safe. */
	int64_t secs = us / 1000000, micros = us % 1000000;
	int64_t days, rem;

	if (micros < 0) {
		micros += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	struct cw_date d = date_from_days(days);
	char *o;

	date_format(&d, out);
	o = out + 10;
	*o++ = 'T';
	o = put_digits(o, (unsigned)(rem / 3600), 2);
	*o++ = ':';
	o = put_digits(o, (unsigned)(rem / 60 % 60), 2);
	*o++ = ':';
	o = put_digits(o, (unsigned)(rem % 60), 2);
	*o++ = '.';
	o = put_digits(o, (unsigned)micros, 6);
	*o++ = 'Z';
	*o = '\0';
}
