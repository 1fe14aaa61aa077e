/*
 * auth: bearer token -> principal.
 *
 * Verifies a JWT with the one configured algorithm and key (libjwt checks the
 * signature only; every claim check is here): a token whose header names any
 * other algorithm is refused, exp is required and strict, nbf and iat allow
 * AUTH_LEEWAY_SECONDS of clock skew, iss and aud must match when configured,
 * sub is required, role is a string or an array whose known roles add up.
 *
 * Verified tokens are remembered in a bounded cache (a token is found only by
 * comparing all of it, in constant time); a hit re-checks the time claims.
 */
#ifndef CW_AUTH_H
#define CW_AUTH_H

#include "config.h"
#include "error.h"

#define AUTH_LEEWAY_SECONDS 60
#define PRINCIPAL_SUB_MAX 255
#define PRINCIPAL_UNIT_MAX 100

enum role {
	ROLE_CASEWORKER = 1u << 0,
	ROLE_SUPERVISOR = 1u << 1,
	ROLE_ADMINISTRATOR = 1u << 2,
	ROLE_AUDITOR = 1u << 3,
	ROLE_INTEGRATION = 1u << 4,
};

struct principal {
	char sub[PRINCIPAL_SUB_MAX + 1];
	char unit[PRINCIPAL_UNIT_MAX + 1];  /* "" when the token names none */
	unsigned roles;                     /* enum role bits */
};

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

/* Writes the role names as "a,b" into buf (NUL-terminated, truncated to len). */
void auth_roles_text(unsigned roles, char *buf, size_t len);

#endif
