/*
 * jws: a compact JWS (RFC 7515) taken apart, and its signature checked.
 *
 * jws_parse() reads the protected header strictly: one JSON object without
 * repeated names; alg one of HS256, HS384, HS512, RS256, ES256 (never none);
 * typ absent, or JWT, at+jwt or application/at+jwt (RFC 9068) in any case;
 * kid, when present, a string of 1 to JWS_KID_MAX bytes; no crit, since this
 * service understands no extension. Every other member (jku, x5u, jwk, x5c
 * ...) is ignored: a key is never taken from the token itself.
 *
 * The signature is checked against a key the caller chose for the header's
 * alg and kid; the claims are decoded only when the caller asks.
 */
#ifndef CW_JWS_H
#define CW_JWS_H

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <stddef.h>

#include "error.h"

#define JWS_KID_MAX 256
#define JWS_SIGNATURE_MAX 1024   /* RS256 by an RSA key of 8192 bits */

struct jws {
	jwt_alg_t alg;
	char kid[JWS_KID_MAX + 1];   /* "" when the header names none */
	int has_kid;
	const char *signing_input;   /* "header.payload", pointing into the token */
	size_t signing_input_len;
	const char *payload;         /* the claims' base64url text, in the token */
	size_t payload_len;
	unsigned char signature[JWS_SIGNATURE_MAX];
	size_t signature_len;
};

/* Takes token apart into *out (which points into token: keep token alive).
 * CW_OK, or CW_UNAUTHENTICATED with a short reason in err. */
enum cw_code jws_parse(const char *token, struct jws *out, struct cw_error *err);

/* 1 when the signature is the HMAC of the header's alg (HS256/384/512) over
 * the signing input with key; 0 otherwise (any other alg included). */
int jws_verify_hmac(const struct jws *jws, const unsigned char *key, size_t key_len);

/* 1 when the signature verifies with key by the header's alg: RS256 (RSA
 * PKCS#1 v1.5, SHA-256) with an RSA key, ES256 (ECDSA P-256, SHA-256, as
 * R || S) with an EC key; 0 otherwise. key is only read: it may be shared by
 * threads. */
int jws_verify_key(const struct jws *jws, EVP_PKEY *key);

/* The claims as one JSON object, parsed strictly (repeated names refused:
 * a token that means different things to different parsers is not
 * accepted). NULL when they are not. The caller decrefs. */
json_t *jws_claims(const struct jws *jws);

/* The name of an algorithm this module knows ("RS256"), or "?" */
const char *jws_alg_name(jwt_alg_t alg);

/* The algorithm named exactly so among the five, or JWT_ALG_NONE. */
jwt_alg_t jws_alg_of_name(const char *name);

#endif
