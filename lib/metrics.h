/*
 * metrics: counters and histograms that many threads update without a lock,
 * and the Prometheus text exposition format (version 0.0.4) they are read in.
 *
 * Every thread serves a connection of its own, so an update is one relaxed
 * atomic add: nothing waits, and a scrape reads each number as it stands (a
 * histogram's _count is written as the sum of its buckets, so the two always
 * agree within one scrape). Label values come from bounded sets only (route
 * templates, status codes, SQLSTATE classes, pool names): the number of
 * series never grows with what clients send.
 *
 * A family (one metric name) is written as its # HELP and # TYPE lines, then
 * all of its samples, before the next family starts.
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* The upper bounds, in seconds, of every histogram's buckets (+Inf comes after). */
#define METRICS_BUCKETS 15
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

struct metrics_histogram {
	atomic_uint_least64_t counts[METRICS_BUCKETS + 1]; /* per bucket, not cumulative; the last is +Inf */
	atomic_uint_least64_t sum_us;                      /* microseconds observed in all */
};

struct metrics_label {
	const char *name;
	const char *value;
};

/* Adds one observation of seconds (negative counts as 0). */
void metrics_histogram_observe(struct metrics_histogram *h, double seconds);

/* How many observations h holds. */
uint64_t metrics_histogram_count(const struct metrics_histogram *h);

/* Starts a family: "# HELP name help" and "# TYPE name type" (counter, gauge,
 * histogram). */
void metrics_family(struct strbuf *out, const char *name, const char *type, const char *help);

/* One sample line: name{labels} value. Label values are escaped as the format
 * asks (backslash, double quote, line feed). */
void metrics_sample(struct strbuf *out, const char *name, const struct metrics_label *labels, size_t nlabels,
		    uint64_t value);

/* The same with a real value (a gauge in seconds, say). */
void metrics_sample_real(struct strbuf *out, const char *name, const struct metrics_label *labels,
			 size_t nlabels, double value);

/* A histogram's samples: name_bucket{labels,le="..."} (cumulative, ending with
 * le="+Inf"), name_sum (seconds) and name_count. */
void metrics_histogram_write(struct strbuf *out, const char *name, const struct metrics_label *labels,
			     size_t nlabels, const struct metrics_histogram *h);

#endif
