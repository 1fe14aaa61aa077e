/*
 * auth: bearer token -> principal.
 *
 * Verifies a JWT's signature (jws.h) by an accepted algorithm with the
 * configured key: an HMAC secret, one PEM public key, or the key of a JWK Set
 * (jwks.h) that the token's kid and alg select; a token whose header names
 * any other algorithm is refused, and no key is ever taken from the token.
 * Then claims_check() (claims.h) decides everything else.
 *
 * Verified tokens are remembered (tokencache.h); a hit re-checks the time
 * claims, and that the key which verified the token is still in the set.
 */
#ifndef CW_AUTH_H
#define CW_AUTH_H

#include "claims.h"
#include "config.h"
#include "error.h"
#include "strbuf.h"

struct auth;

/* A verifier for cfg's algorithms, keys and claim rules (copied: cfg may be
 * released after). A JWK Set file is read now, a JWK Set URL fetched from
 * now on by a thread of its own. NULL, with one sentence in why, when the
 * keys are unusable or memory runs out. Free with auth_free(). */
struct auth *auth_new(const struct config *cfg, char *why, size_t why_len);
void auth_free(struct auth *auth);

/* CW_OK when tokens can be verified; CW_UNAVAILABLE while no key set has
 * been loaded from the JWK Set URL yet. */
enum cw_code auth_ready(struct auth *auth, struct cw_error *err);

/* On SIGHUP: reads the JWK Set file again, or has the URL fetched now. */
void auth_reload(struct auth *auth);

/* Checks an Authorization header value ("Bearer <jwt>"). On success fills
 * *out and returns CW_OK; otherwise CW_UNAUTHENTICATED (bad or missing token),
 * CW_FORBIDDEN (valid token whose roles this service does not know) or
 * CW_UNAVAILABLE (no key set loaded yet), with a short reason in err. May
 * wait up to the fetch timeout for a key set when the token's kid is new. */
enum cw_code auth_authenticate(struct auth *auth, const char *authorization,
			       struct principal *out, struct cw_error *err);

/* Writes the metrics of token checking (lib/metrics.h): lookups of verified
 * tokens remembered, found or not. */
void auth_metrics_write(struct auth *auth, struct strbuf *out);

#endif
