#include "health.h"

#include <string.h>

#include "migrate.h"
#include "reply.h"

enum cw_code handle_healthz(struct exchange *x)
{
	return reply_json(x, 200, strdup("{\"status\":\"ok\"}"));
}

/* Ready when tokens can be verified (a key set is loaded, when one is
 * fetched), the database answers and its schema is at this binary's version.
 * Whatever keeps the database from saying so (a refused permission, say) is
 * "not ready" (503), never a fault of this request (500). */
enum cw_code handle_readyz(struct exchange *x)
{
	if (auth_ready(x->app->auth, &x->err) != CW_OK)
		return x->err.code;
	if (db_check_ready(x->app->pool, migrate_latest_version(), &x->err) == CW_INTERNAL)
		return cw_fail(&x->err, CW_UNAVAILABLE, "The database did not say which schema version it has "
			       "(SQLSTATE %s); see the service's log.", x->err.sqlstate[0] ? x->err.sqlstate : "none");
	if (x->err.code != CW_OK)
		return x->err.code;
	return reply_json(x, 200, strdup("{\"status\":\"ready\"}"));
}
