#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* From a millisecond (a read served from memory) to the longest a request may
 * wait for a database connection and run a statement. */
const double metrics_bucket_bounds[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

void metrics_histogram_observe(struct metrics_histogram *h, double seconds)
{
	size_t i = 0;

	if (!(seconds > 0))
		seconds = 0;
	while (i < METRICS_BUCKETS && seconds > metrics_bucket_bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint_least64_t)(seconds * 1e6 + 0.5), memory_order_relaxed);
}

uint64_t metrics_histogram_count(const struct metrics_histogram *h)
{
	uint64_t n = 0;

	for (size_t i = 0; i <= METRICS_BUCKETS; i++)
		n += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
	return n;
}

/* Text as the format escapes it: backslash and line feed, and in a label
 * value (quoted) the double quote too; # HELP text leaves that one as it is. */
static void add_escaped(struct strbuf *out, const char *s, int quoted)
{
	for (; *s; s++) {
		if (*s == '"' && quoted)
			strbuf_addstr(out, "\\\"");
		else if (*s == '\\')
			strbuf_addstr(out, "\\\\");
		else if (*s == '\n')
			strbuf_addstr(out, "\\n");
		else
			strbuf_addch(out, *s);
	}
}

void metrics_family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_addstr(out, "# HELP ");
	strbuf_addstr(out, name);
	strbuf_addch(out, ' ');
	add_escaped(out, help, 0);
	strbuf_addstr(out, "\n# TYPE ");
	strbuf_addstr(out, name);
	strbuf_addch(out, ' ');
	strbuf_addstr(out, type);
	strbuf_addch(out, '\n');
}

/* name{a="x",b="y",extra="v"} : extra (NULL when none) comes last. */
static void add_series(struct strbuf *out, const char *name, const char *suffix, const struct metrics_label *labels,
		       size_t nlabels, const struct metrics_label *extra)
{
	strbuf_addstr(out, name);
	strbuf_addstr(out, suffix);
	if (nlabels == 0 && extra == NULL)
		return;
	strbuf_addch(out, '{');
	for (size_t i = 0; i < nlabels + (extra != NULL); i++) {
		const struct metrics_label *l = i < nlabels ? &labels[i] : extra;

		if (i > 0)
			strbuf_addch(out, ',');
		strbuf_addstr(out, l->name);
		strbuf_addstr(out, "=\"");
		add_escaped(out, l->value, 1);
		strbuf_addch(out, '"');
	}
	strbuf_addch(out, '}');
}

static void add_u64_line(struct strbuf *out, uint64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), " %llu\n", (unsigned long long)value);
	strbuf_addstr(out, text);
}

void metrics_sample(struct strbuf *out, const char *name, const struct metrics_label *labels, size_t nlabels,
		    uint64_t value)
{
	add_series(out, name, "", labels, nlabels, NULL);
	add_u64_line(out, value);
}

void metrics_sample_real(struct strbuf *out, const char *name, const struct metrics_label *labels,
			 size_t nlabels, double value)
{
	char text[40];

	add_series(out, name, "", labels, nlabels, NULL);
	if (isnan(value))
		snprintf(text, sizeof(text), " NaN\n");
	else if (isinf(value))
		snprintf(text, sizeof(text), " %cInf\n", value > 0 ? '+' : '-');
	else
		snprintf(text, sizeof(text), " %.17g\n", value);
	strbuf_addstr(out, text);
}

void metrics_histogram_write(struct strbuf *out, const char *name, const struct metrics_label *labels,
			     size_t nlabels, const struct metrics_histogram *h)
{
	uint64_t cumulative = 0;
	char le[48];

	for (size_t i = 0; i <= METRICS_BUCKETS; i++) {
		cumulative += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
		if (i < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "%g", metrics_bucket_bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		add_series(out, name, "_bucket", labels, nlabels, &(struct metrics_label){"le", le});
		add_u64_line(out, cumulative);
	}
	add_series(out, name, "_sum", labels, nlabels, NULL);
	snprintf(le, sizeof(le), " %.6f\n", (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
	strbuf_addstr(out, le);
	add_series(out, name, "_count", labels, nlabels, NULL);
	add_u64_line(out, cumulative);
}
