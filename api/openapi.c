/* openapi: GET /openapi.yaml and /openapi.json, the contract, without a token. */
#include "openapi.h"

#include <string.h>

#include "reply.h"

enum cw_code get_openapi_yaml(struct exchange *x)
{
	return reply_text(x, 200, "application/yaml", strdup(openapi_yaml));
}

enum cw_code get_openapi_json(struct exchange *x)
{
	return reply_json(x, 200, strdup(openapi_json));
}
