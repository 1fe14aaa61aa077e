/* health: liveness and readiness, without a token. */
#ifndef CW_HEALTH_H
#define CW_HEALTH_H

#include "http.h"

/* GET /healthz: 200 while the process serves. */
enum cw_code handle_healthz(struct exchange *x);

/* GET /readyz: 200 when tokens can be verified and the database answers at
 * this binary's schema version; 503 otherwise. */
enum cw_code handle_readyz(struct exchange *x);

#endif
