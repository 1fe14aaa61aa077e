#include "jwk.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "error.h"

#define P256_COORDINATE 32
#define RSA_EXPONENT_MAX 8   /* bytes */
#define KID_SHOWN 40

struct jwk_set {
	atomic_uint refs;
	int any_kid;         /* one configured key, whatever kid a token names */
	size_t count;
	struct jwk keys[];
};

static atomic_uint_fast64_t last_key_id;

/* The deepest nesting of objects and arrays, counted without parsing, so that
 * a deep document is refused before any parser recurses into it. */
static size_t nesting_depth(const char *text, size_t len)
{
	size_t depth = 0, deepest = 0;
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

static struct jwk_set *set_new(size_t count)
{
	struct jwk_set *set = calloc(1, sizeof(*set) + count * sizeof(struct jwk));

	if (set != NULL)
		atomic_init(&set->refs, 1);
	return set;
}

struct jwk_set *jwk_set_hold(struct jwk_set *set)
{
	if (set != NULL)
		atomic_fetch_add(&set->refs, 1);
	return set;
}

void jwk_set_release(struct jwk_set *set)
{
	if (set == NULL || atomic_fetch_sub(&set->refs, 1) != 1)
		return;
	for (size_t i = 0; i < set->count; i++)
		EVP_PKEY_free(set->keys[i].key);
	free(set);
}

struct jwk_set *jwk_set_of_key(EVP_PKEY *key, jwt_alg_t alg)
{
	struct jwk_set *set = set_new(1);

	if (set == NULL) {
		EVP_PKEY_free(key);
		return NULL;
	}
	set->any_kid = 1;
	set->count = 1;
	set->keys[0].id = atomic_fetch_add(&last_key_id, 1) + 1;
	set->keys[0].alg = alg;
	set->keys[0].key = key;
	return set;
}

/* A base64url member decoded into out (room for max bytes); its length, or -1. */
static long binary_member(const json_t *jwk, const char *name, unsigned char *out, size_t max)
{
	const json_t *v = json_object_get(jwk, name);
	size_t len = json_string_length(v);

	if (!json_is_string(v) || len == 0 || len > BASE64URL_LEN(max))
		return -1;
	return base64url_decode(json_string_value(v), len, out);
}

static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *key = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	/* The point must lie on the curve, the modulus and exponent be sane. */
	if (key != NULL && ((check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
			    EVP_PKEY_public_check(check) != 1)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *rsa_key(const json_t *jwk, const char *name, char *why, size_t why_len)
{
	unsigned char n[JWK_RSA_MAX_BITS / 8 + 1], e[RSA_EXPONENT_MAX];
	long n_len = binary_member(jwk, "n", n, sizeof(n)), e_len = binary_member(jwk, "e", e, sizeof(e));
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;
	int bits;

	if (n_len <= 0 || e_len <= 0) {
		cw_refuse(why, why_len, "key %s has no usable n and e", name);
		return NULL;
	}
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	bits = bn_n ? BN_num_bits(bn_n) : 0;
	if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BITS) {
		cw_refuse(why, why_len, "key %s is an RSA key of %d bits; from %d to %d are accepted", name, bits,
			  JWK_RSA_MIN_BITS, JWK_RSA_MAX_BITS);
	} else if (bn_e == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
		   !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
		   !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
		   (key = key_from_params("RSA", bld)) == NULL) {
		cw_refuse(why, why_len, "key %s is not a usable RSA public key", name);
	}
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return key;
}

static EVP_PKEY *p256_key(const json_t *jwk, const char *name, char *why, size_t why_len)
{
	unsigned char point[1 + 2 * P256_COORDINATE];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	point[0] = 0x04;  /* uncompressed: x then y */
	if (binary_member(jwk, "x", point + 1, P256_COORDINATE) != P256_COORDINATE ||
	    binary_member(jwk, "y", point + 1 + P256_COORDINATE, P256_COORDINATE) != P256_COORDINATE ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ||
	    (key = key_from_params("EC", bld)) == NULL)
		cw_refuse(why, why_len, "key %s is not a usable P-256 public key (x and y of 32 bytes, on the curve)", name);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static int holds_private_material(const json_t *jwk)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return 1;
	return 0;
}

static int names(const json_t *v, const char *want)
{
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static int lists(const json_t *array, const char *want)
{
	size_t i;
	const json_t *v;

	json_array_foreach(array, i, v)
		if (names(v, want))
			return 1;
	return 0;
}

/* The algorithm this service would verify with the key, or JWT_ALG_NONE when
 * it is not a signing key of an accepted algorithm. */
static jwt_alg_t usable_alg(const json_t *jwk, unsigned algs)
{
	const json_t *kty = json_object_get(jwk, "kty");
	const json_t *alg = json_object_get(jwk, "alg");
	const json_t *use = json_object_get(jwk, "use");
	const json_t *ops = json_object_get(jwk, "key_ops");
	jwt_alg_t candidate = JWT_ALG_NONE;

	if (names(kty, "RSA"))
		candidate = JWT_ALG_RS256;
	else if (names(kty, "EC") && names(json_object_get(jwk, "crv"), "P-256"))
		candidate = JWT_ALG_ES256;
	if (candidate == JWT_ALG_NONE || !(algs & JWK_ALG_BIT(candidate)) ||
	    (alg != NULL && !names(alg, jws_alg_name(candidate))) || (use != NULL && !names(use, "sig")) ||
	    (ops != NULL && !lists(ops, "verify")))
		return JWT_ALG_NONE;
	return candidate;
}

/* A kid as the log and the refusals show it: printable ASCII, at most
 * KID_SHOWN characters (the provider chose it). */
static void shown_kid(const char *kid, char *buf, size_t len)
{
	size_t n = 0;

	for (; *kid && n + 1 < len && n < KID_SHOWN; kid++) {
		char c = *kid;

		if (c < 0x20 || c >= 0x7f || c == '"')
			c = '?';
		buf[n++] = c;
	}
	buf[n] = '\0';
}

/* How the refusals name a key: by kid, or by its place. */
static void key_name(const json_t *jwk, size_t index, char *buf, size_t len)
{
	const json_t *kid = json_object_get(jwk, "kid");

	if (json_is_string(kid) && json_string_length(kid) > 0)
		shown_kid(json_string_value(kid), buf, len);
	else
		snprintf(buf, len, "#%zu", index + 1);
}

static uint64_t id_for(const struct jwk *key, const struct jwk_set *previous)
{
	for (size_t i = 0; previous && i < previous->count; i++) {
		const struct jwk *old = &previous->keys[i];

		if (old->alg == key->alg && strcmp(old->kid, key->kid) == 0 && EVP_PKEY_eq(old->key, key->key) == 1)
			return old->id;
	}
	return atomic_fetch_add(&last_key_id, 1) + 1;
}

/* Adds the key at index of the set's "keys" to set when it is usable. 0, or -1 with why. */
static int add_key(struct jwk_set *set, const json_t *jwk, size_t index, unsigned algs,
		   const struct jwk_set *previous, char *why, size_t why_len)
{
	const json_t *kid = json_object_get(jwk, "kid");
	struct jwk *key = &set->keys[set->count];
	char name[64];

	if (!json_is_object(jwk))
		return cw_refuse(why, why_len, "key #%zu is not a JSON object", index + 1);
	key_name(jwk, index, name, sizeof(name));
	if (holds_private_material(jwk))
		return cw_refuse(why, why_len, "key %s holds private or secret key material; publish public keys only", name);
	if (!json_is_string(json_object_get(jwk, "kty")))
		return cw_refuse(why, why_len, "key %s has no kty", name);
	if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) == 0 ||
			    json_string_length(kid) > JWS_KID_MAX))
		return cw_refuse(why, why_len, "key %s has a kid that is not a string of 1 to %d bytes", name, JWS_KID_MAX);
	key->alg = usable_alg(jwk, algs);
	if (key->alg == JWT_ALG_NONE)
		return 0;
	key->key = key->alg == JWT_ALG_RS256 ? rsa_key(jwk, name, why, why_len) : p256_key(jwk, name, why, why_len);
	if (key->key == NULL)
		return -1;
	if (kid != NULL)
		memcpy(key->kid, json_string_value(kid), json_string_length(kid) + 1);
	for (size_t i = 0; i < set->count; i++)
		if (set->keys[i].alg == key->alg && strcmp(set->keys[i].kid, key->kid) == 0) {
			EVP_PKEY_free(key->key);
			key->key = NULL;
			return cw_refuse(why, why_len, "two %s keys are named kid %s", jws_alg_name(key->alg),
					 key->kid[0] ? name : "(none)");
		}
	key->id = id_for(key, previous);
	set->count++;
	return 0;
}

static void algs_text(unsigned algs, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", (algs & JWK_ALG_BIT(JWT_ALG_RS256)) ? "RS256" : "",
		 (algs & JWK_ALG_BIT(JWT_ALG_RS256)) && (algs & JWK_ALG_BIT(JWT_ALG_ES256)) ? " or " : "",
		 (algs & JWK_ALG_BIT(JWT_ALG_ES256)) ? "ES256" : "");
}

static int parse_keys(const json_t *doc, unsigned algs, const struct jwk_set *previous, struct jwk_set **out,
		      char *why, size_t why_len)
{
	const json_t *keys = json_object_get(doc, "keys");
	struct jwk_set *set;
	char accepted[32];
	size_t i;
	const json_t *jwk;

	if (!json_is_object(doc) || !json_is_array(keys))
		return cw_refuse(why, why_len, "it is not a JWK Set (an object with a \"keys\" array)");
	if (json_array_size(keys) > JWK_SET_MAX_KEYS)
		return cw_refuse(why, why_len, "it holds %zu keys; at most %d are accepted", json_array_size(keys),
				 JWK_SET_MAX_KEYS);
	set = set_new(json_array_size(keys));
	if (set == NULL)
		return cw_refuse(why, why_len, "out of memory");
	json_array_foreach(keys, i, jwk) {
		if (add_key(set, jwk, i, algs, previous, why, why_len) != 0) {
			jwk_set_release(set);
			return -1;
		}
	}
	if (set->count == 0) {
		jwk_set_release(set);
		algs_text(algs, accepted, sizeof(accepted));
		return cw_refuse(why, why_len, "it holds no signing key for %s", accepted);
	}
	*out = set;
	return 0;
}

int jwk_set_parse(const char *text, size_t len, unsigned algs, const struct jwk_set *previous,
		  struct jwk_set **out, char *why, size_t why_len)
{
	json_error_t error;
	json_t *doc;
	int rc;

	if (len > JWK_SET_MAX_BYTES)
		return cw_refuse(why, why_len, "it is larger than %zu bytes", JWK_SET_MAX_BYTES);
	if (nesting_depth(text, len) > JWK_SET_MAX_DEPTH)
		return cw_refuse(why, why_len, "it is nested deeper than %d levels", JWK_SET_MAX_DEPTH);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
	if (doc == NULL)
		return cw_refuse(why, why_len, "it is not JSON (%s)", error.text);
	rc = parse_keys(doc, algs, previous, out, why, why_len);
	json_decref(doc);
	return rc;
}

const struct jwk *jwk_set_find(const struct jwk_set *set, const char *kid, jwt_alg_t alg,
			       enum jwk_lookup *why)
{
	int kid_known = 0;

	if (set->any_kid || kid == NULL) {
		if (set->count != 1 && !set->any_kid)
			*why = JWK_NEEDS_KID;
		else if (set->keys[0].alg != alg)
			*why = JWK_OTHER_ALG;
		else
			return (*why = JWK_FOUND, &set->keys[0]);
		return NULL;
	}
	for (size_t i = 0; i < set->count; i++) {
		if (strcmp(set->keys[i].kid, kid) != 0)
			continue;
		if (set->keys[i].alg == alg)
			return (*why = JWK_FOUND, &set->keys[i]);
		kid_known = 1;
	}
	*why = kid_known ? JWK_OTHER_ALG : JWK_UNKNOWN_KID;
	return NULL;
}

int jwk_set_has(const struct jwk_set *set, uint64_t id)
{
	for (size_t i = 0; set && i < set->count; i++)
		if (set->keys[i].id == id)
			return 1;
	return 0;
}

size_t jwk_set_count(const struct jwk_set *set)
{
	return set ? set->count : 0;
}

const struct jwk *jwk_set_key(const struct jwk_set *set, size_t i)
{
	return &set->keys[i];
}

void jwk_set_describe(const struct jwk_set *set, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%zu key%s", set->count, set->count == 1 ? "" : "s");
	size_t used = n > 0 ? (size_t)n : 0;

	for (size_t i = 0; i < set->count && used + 1 < len; i++) {
		char kid[KID_SHOWN + 1];

		shown_kid(set->keys[i].kid, kid, sizeof(kid));
		n = snprintf(buf + used, len - used, "%s%s (%s)", i ? ", " : ": ", kid[0] ? kid : "no kid",
			     jws_alg_name(set->keys[i].alg));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}
