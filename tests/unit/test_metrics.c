/* metrics: the text exposition format, written as Prometheus reads it. */
#include "metrics.h"

#include <stdlib.h>

#include "check.h"

static void test_a_family_has_help_and_type_then_its_samples(void)
{
	struct strbuf out = STRBUF_INIT;

	metrics_family(&out, "x_total", "counter", "Things \\ counted,\nby kind.");
	metrics_sample(&out, "x_total", (struct metrics_label[]){{"kind", "a"}, {"route", "/v1/{id}"}}, 2, 18446744073709551615u);
	metrics_sample(&out, "x_total", NULL, 0, 0);
	CHECK_STR(out.buf, "# HELP x_total Things \\\\ counted,\\nby kind.\n"
			   "# TYPE x_total counter\n"
			   "x_total{kind=\"a\",route=\"/v1/{id}\"} 18446744073709551615\n"
			   "x_total 0\n");
	strbuf_release(&out);
}

static void test_label_values_are_escaped(void)
{
	struct strbuf out = STRBUF_INIT;

	metrics_sample(&out, "y", &(struct metrics_label){"v", "a\"b\\c\nd"}, 1, 1);
	CHECK_STR(out.buf, "y{v=\"a\\\"b\\\\c\\nd\"} 1\n");
	strbuf_release(&out);
}

static void test_histogram_buckets_are_cumulative_and_end_with_inf(void)
{
	static struct metrics_histogram h;
	struct strbuf out = STRBUF_INIT;

	metrics_histogram_observe(&h, 0.0005);
	metrics_histogram_observe(&h, 0.001);   /* a bound belongs to its own bucket (le: less or equal) */
	metrics_histogram_observe(&h, 0.2);
	metrics_histogram_observe(&h, 1000);
	metrics_histogram_observe(&h, -1);      /* counts as 0 */
	CHECK(metrics_histogram_count(&h) == 5);
	metrics_histogram_write(&out, "d", &(struct metrics_label){"r", "x"}, 1, &h);
	CHECK(strstr(out.buf, "d_bucket{r=\"x\",le=\"0.001\"} 3\n") != NULL);
	CHECK(strstr(out.buf, "d_bucket{r=\"x\",le=\"0.1\"} 3\n") != NULL);
	CHECK(strstr(out.buf, "d_bucket{r=\"x\",le=\"0.25\"} 4\n") != NULL);
	CHECK(strstr(out.buf, "d_bucket{r=\"x\",le=\"60\"} 4\n") != NULL);
	CHECK(strstr(out.buf, "d_bucket{r=\"x\",le=\"+Inf\"} 5\n") != NULL);
	CHECK(strstr(out.buf, "d_sum{r=\"x\"} 1000.201500\n") != NULL);
	CHECK(strstr(out.buf, "d_count{r=\"x\"} 5\n") != NULL);
	strbuf_release(&out);
}

int main(void)
{
	RUN(test_a_family_has_help_and_type_then_its_samples);
	RUN(test_label_values_are_escaped);
	RUN(test_histogram_buckets_are_cumulative_and_end_with_inf);
	return check_result();
}
