#include "jws.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64url.h"

#define HEADER_MAX 2048   /* decoded bytes: far beyond any real header */
#define ES256_PART ((size_t)32)

static const struct {
	const char *name;
	jwt_alg_t alg;
} algorithms[] = {
	{"HS256", JWT_ALG_HS256},
	{"HS384", JWT_ALG_HS384},
	{"HS512", JWT_ALG_HS512},
	{"RS256", JWT_ALG_RS256},
	{"ES256", JWT_ALG_ES256},
};

const char *jws_alg_name(jwt_alg_t alg)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (algorithms[i].alg == alg)
			return algorithms[i].name;
	return "?";
}

jwt_alg_t jws_alg_of_name(const char *name)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strcmp(algorithms[i].name, name) == 0)
			return algorithms[i].alg;
	return JWT_ALG_NONE;
}

static enum cw_code unauthenticated(struct cw_error *err, const char *reason)
{
	return cw_fail(err, CW_UNAUTHENTICATED, "%s", reason);
}

/* RFC 7515 4.1.9 and RFC 9068 2.1: the media type, compared without regard to case. */
static int typ_is_accepted(const json_t *typ)
{
	const char *t;

	if (typ == NULL)
		return 1;
	if (!json_is_string(typ))
		return 0;
	t = json_string_value(typ);
	return strcasecmp(t, "JWT") == 0 || strcasecmp(t, "at+jwt") == 0 ||
	       strcasecmp(t, "application/at+jwt") == 0;
}

static enum cw_code read_header(const char *text, size_t len, struct jws *out, struct cw_error *err)
{
	unsigned char raw[HEADER_MAX];
	long n = len <= BASE64URL_LEN(sizeof(raw)) ? base64url_decode(text, len, raw) : -1;
	json_t *header = n > 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const json_t *alg = json_object_get(header, "alg");
	const json_t *kid = json_object_get(header, "kid");
	enum cw_code rc = CW_OK;

	if (!json_is_object(header))
		rc = unauthenticated(err, "The token's header is not one JSON object.");
	else if (!json_is_string(alg) || (out->alg = jws_alg_of_name(json_string_value(alg))) == JWT_ALG_NONE)
		rc = unauthenticated(err, "The token is not signed with an accepted algorithm.");
	else if (!typ_is_accepted(json_object_get(header, "typ")))
		rc = unauthenticated(err, "The token's typ is not JWT or at+jwt.");
	else if (json_object_get(header, "crit") != NULL)
		rc = unauthenticated(err, "The token's header names critical extensions this service does not know.");
	else if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) == 0 ||
				 json_string_length(kid) > JWS_KID_MAX))
		rc = unauthenticated(err, "The token's kid is not a usable key id.");
	if (rc == CW_OK && kid != NULL) {
		memcpy(out->kid, json_string_value(kid), json_string_length(kid) + 1);
		out->has_kid = 1;
	}
	json_decref(header);
	return rc;
}

enum cw_code jws_parse(const char *token, struct jws *out, struct cw_error *err)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	const char *sig;
	size_t sig_len;
	long n;

	memset(out, 0, sizeof(*out));
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return unauthenticated(err, "The token is not three dot-separated parts.");
	sig = dot2 + 1;
	sig_len = strlen(sig);
	if (read_header(token, (size_t)(dot1 - token), out, err) != CW_OK)
		return err->code;
	if (sig_len == 0 || sig_len > BASE64URL_LEN(sizeof(out->signature)) ||
	    (n = base64url_decode(sig, sig_len, out->signature)) <= 0)
		return unauthenticated(err, "The token's signature is missing or malformed.");
	out->signature_len = (size_t)n;
	out->signing_input = token;
	out->signing_input_len = (size_t)(dot2 - token);
	out->payload = dot1 + 1;
	out->payload_len = (size_t)(dot2 - dot1 - 1);
	return CW_OK;
}

static const EVP_MD *digest_of(jwt_alg_t alg)
{
	switch (alg) {
	case JWT_ALG_HS384: return EVP_sha384();
	case JWT_ALG_HS512: return EVP_sha512();
	default: return EVP_sha256();
	}
}

int jws_verify_hmac(const struct jws *jws, const unsigned char *key, size_t key_len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (jws->alg != JWT_ALG_HS256 && jws->alg != JWT_ALG_HS384 && jws->alg != JWT_ALG_HS512)
		return 0;
	if (key_len == 0 || key_len > (size_t)INT32_MAX ||
	    HMAC(digest_of(jws->alg), key, (int)key_len, (const unsigned char *)jws->signing_input,
		 jws->signing_input_len, mac, &mac_len) == NULL)
		return 0;
	return mac_len == jws->signature_len && CRYPTO_memcmp(mac, jws->signature, mac_len) == 0;
}

/* An ES256 signature (R || S, 32 bytes each) as the DER that OpenSSL verifies;
 * its length, or 0. */
static size_t es256_der(const unsigned char *raw, size_t raw_len, unsigned char *der, size_t der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)ES256_PART, NULL), *s = BN_bin2bn(raw + ES256_PART, (int)ES256_PART, NULL);
	unsigned char *p = der;
	int n = 0;

	if (raw_len == 2 * ES256_PART && sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s)) {
		r = s = NULL;  /* owned by sig now */
		if (i2d_ECDSA_SIG(sig, NULL) <= (int)der_len)
			n = i2d_ECDSA_SIG(sig, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n > 0 ? (size_t)n : 0;
}

int jws_verify_key(const struct jws *jws, EVP_PKEY *key)
{
	unsigned char der[2 * ES256_PART + 16];
	const unsigned char *sig = jws->signature;
	size_t sig_len = jws->signature_len;
	EVP_MD_CTX *ctx;
	int ok;

	if (jws->alg == JWT_ALG_RS256) {
		if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
			return 0;
	} else if (jws->alg == JWT_ALG_ES256) {
		if (EVP_PKEY_base_id(key) != EVP_PKEY_EC)
			return 0;
		sig_len = es256_der(jws->signature, jws->signature_len, der, sizeof(der));
		sig = der;
		if (sig_len == 0)
			return 0;
	} else {
		return 0;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)jws->signing_input,
			      jws->signing_input_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

json_t *jws_claims(const struct jws *jws)
{
	unsigned char *raw = malloc(jws->payload_len * 3 / 4 + 3);
	long n = raw ? base64url_decode(jws->payload, jws->payload_len, raw) : -1;
	json_t *claims = n >= 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;

	free(raw);
	if (!json_is_object(claims)) {
		json_decref(claims);
		return NULL;
	}
	return claims;
}
