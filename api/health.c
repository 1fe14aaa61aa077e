/* health: liveness and readiness, without a token. */
#include <string.h>

#include "handlers.h"
#include "migrate.h"

enum cw_code handle_healthz(struct exchange *x)
{
	return reply_json(x, 200, strdup("{\"status\":\"ok\"}"));
}

/* Ready when tokens can be verified (a key set is loaded, when one is
 * fetched), the database answers and its schema is at this binary's version. */
enum cw_code handle_readyz(struct exchange *x)
{
	if (auth_ready(x->app->auth, &x->err) != CW_OK)
		return x->err.code;
	if (db_check_ready(x->app->pool, migrate_latest_version(), &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, strdup("{\"status\":\"ready\"}"));
}
