/*
 * jwk: a JSON Web Key Set (RFC 7517) -> the public keys tokens are verified with.
 *
 * jwk_set_parse() takes a set as an identity provider publishes it and keeps
 * the keys this service would use: kty RSA for RS256, kty EC on P-256 for
 * ES256, each only when that algorithm is accepted, its use is absent or
 * "sig", its alg absent or that algorithm and its key_ops absent or naming
 * "verify". Other keys (encryption keys, other curves and algorithms) are
 * skipped. The whole set is refused, with one sentence saying why, when it is
 * larger than JWK_SET_MAX_BYTES, nested deeper than JWK_SET_MAX_DEPTH, holds
 * more than JWK_SET_MAX_KEYS keys, is not JSON, holds any private or secret
 * key material (d, p, q, dp, dq, qi, oth, k), a usable RSA key under 2048 or
 * over 8192 bits, a malformed usable key, two usable keys of one algorithm
 * with the same kid, or no usable key at all.
 *
 * A set is immutable once made and shared by reference count, so that a
 * request can keep using the set it started with while a newer one replaces
 * it. A key keeps its id across reloads as long as its kid, algorithm and
 * public key stay the same; a cache can remember which key verified a token.
 */
#ifndef CW_JWK_H
#define CW_JWK_H

#include <jwt.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "jws.h"

#define JWK_SET_MAX_BYTES ((size_t)64 * 1024)
#define JWK_SET_MAX_DEPTH 8
#define JWK_SET_MAX_KEYS 64
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 8192

/* The bit of an algorithm in a set of accepted algorithms. */
#define JWK_ALG_BIT(alg) (1u << (unsigned)(alg))

struct jwk {
	uint64_t id;                 /* never 0 */
	jwt_alg_t alg;               /* the one algorithm it verifies: RS256 or ES256 */
	char kid[JWS_KID_MAX + 1];   /* "" when the key has none */
	EVP_PKEY *key;
};

struct jwk_set;

/* Parses text (len bytes) into a new set holding one reference, keeping the
 * keys for the algorithms in algs (JWK_ALG_BIT of RS256 and/or ES256). Keys
 * equal to one in previous (may be NULL) keep its id. Returns 0, or -1 with
 * one sentence in why and *out untouched. */
int jwk_set_parse(const char *text, size_t len, unsigned algs, const struct jwk_set *previous,
		  struct jwk_set **out, char *why, size_t why_len);

/* A set of one configured key (ownership of key taken, also on failure) that
 * verifies alg whatever kid a token names; NULL when out of memory. */
struct jwk_set *jwk_set_of_key(EVP_PKEY *key, jwt_alg_t alg);

/* Another reference to set; accepts NULL. */
struct jwk_set *jwk_set_hold(struct jwk_set *set);

/* Drops a reference; the last one frees the set. Accepts NULL. */
void jwk_set_release(struct jwk_set *set);

enum jwk_lookup {
	JWK_FOUND,
	JWK_UNKNOWN_KID,   /* no key of that kid: perhaps a newer set has it */
	JWK_OTHER_ALG,     /* the kid names a key of another algorithm */
	JWK_NEEDS_KID,     /* no kid, and the set has more than one key */
};

/* The key that verifies a token of alg naming kid (NULL: none): by kid, or,
 * without one, the set's only key. NULL with *why set when there is none.
 * The key lives as long as the caller's reference to set. */
const struct jwk *jwk_set_find(const struct jwk_set *set, const char *kid, jwt_alg_t alg,
			       enum jwk_lookup *why);

/* Whether the set still holds the key of this id. */
int jwk_set_has(const struct jwk_set *set, uint64_t id);

/* How many keys the set holds (0 for NULL), and the i-th of them. */
size_t jwk_set_count(const struct jwk_set *set);
const struct jwk *jwk_set_key(const struct jwk_set *set, size_t i);

/* "2 keys: a1 (RS256), b2 (ES256)" for the log (kids cut short and
 * limited to printable characters), NUL-terminated in buf. */
void jwk_set_describe(const struct jwk_set *set, char *buf, size_t len);

#endif
