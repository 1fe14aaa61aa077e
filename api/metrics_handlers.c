#include "metrics_handlers.h"

#include "changes.h"
#include "metrics.h"
#include "reply.h"
#include "traffic.h"

static void write_process(struct strbuf *out, const struct app *app)
{
	metrics_family(out, "casework_build_info", "gauge", "Always 1; the labels say which build is running.");
	metrics_sample(out, "casework_build_info",
		       (struct metrics_label[]){{"version", CASEWORK_VERSION},
						{"http_model", app->config->http_threads ? "epoll_pool" : "thread_per_connection"}},
		       2, 1);
	metrics_family(out, "casework_start_time_seconds", "gauge", "When the service started, in seconds since 1970.");
	metrics_sample(out, "casework_start_time_seconds", NULL, 0, (uint64_t)app->started);
}

enum cw_code get_metrics(struct exchange *x)
{
	struct db_pool *const pools[] = {x->app->pool, x->app->report_pool};
	struct strbuf out = STRBUF_INIT;

	write_process(&out, x->app);
	traffic_write(&out);
	db_metrics_write(&out, pools, sizeof(pools) / sizeof(pools[0]));
	auth_metrics_write(x->app->auth, &out);
	changes_metrics_write(&out);
	return reply_text(x, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_detach(&out));
}
