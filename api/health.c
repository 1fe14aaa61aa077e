/* health: liveness and readiness, without a token. */
#include <string.h>

#include "handlers.h"
#include "migrate.h"

enum cw_code handle_healthz(struct exchange *x)
{
	return reply_json(x, 200, strdup("{\"status\":\"ok\"}"));
}

/* Ready when the database answers and its schema is at this binary's version. */
enum cw_code handle_readyz(struct exchange *x)
{
	if (db_check_ready(x->app->pool, migrate_latest_version(), &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, strdup("{\"status\":\"ready\"}"));
}
