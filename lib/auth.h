/*
 * auth: bearer token -> principal.
 *
 * Verifies a JWT's signature with the one configured algorithm and key (a
 * token whose header names any other algorithm is refused), then hands its
 * claims to claims_check() (claims.h), which decides everything else.
 *
 * Verified tokens are remembered in a bounded cache (a token is found only by
 * comparing all of it, in constant time); a hit re-checks the time claims.
 */
#ifndef CW_AUTH_H
#define CW_AUTH_H

#include "claims.h"
#include "config.h"
#include "error.h"

struct auth;

/* A verifier for cfg's algorithm and key (copied: cfg may be released after).
 * NULL on allocation failure. Free with auth_free(). */
struct auth *auth_new(const struct config *cfg);
void auth_free(struct auth *auth);

/* Checks an Authorization header value ("Bearer <jwt>"). On success fills
 * *out and returns CW_OK; otherwise CW_UNAUTHENTICATED (bad or missing token)
 * or CW_FORBIDDEN (valid token whose roles this service does not know), with
 * a short reason in err. */
enum cw_code auth_authenticate(struct auth *auth, const char *authorization,
			       struct principal *out, struct cw_error *err);

#endif
