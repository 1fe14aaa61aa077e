#include "cors.h"

#include "request.h"

void cors_headers(const struct exchange *x, struct _u_response *resp, int preflight, const char *allow)
{
	const char *origin = request_header(x, "Origin");

	if (!config_cors_allows(x->app->config, origin))
		return;
	ulfius_add_header_to_response(resp, "Access-Control-Allow-Origin", origin);
	if (!preflight) {
		ulfius_add_header_to_response(resp, "Access-Control-Expose-Headers",
					      "ETag, Location, X-Request-Id, Idempotent-Replayed, Next-Cursor, "
					      "Content-Disposition, Retry-After");
		return;
	}
	ulfius_add_header_to_response(resp, "Access-Control-Allow-Methods", allow);
	ulfius_add_header_to_response(resp, "Access-Control-Allow-Headers",
				      "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id");
	ulfius_add_header_to_response(resp, "Access-Control-Max-Age", "600");
}
