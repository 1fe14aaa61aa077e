/*
 * keys: throw-away key pairs for the auth, config, JWS and JWK tests, made
 * with OpenSSL in memory; their public halves as PEM or as JWK members; and
 * compact JWS tokens signed with them. Returned texts are NUL-terminated and
 * the caller frees them.
 */
#ifndef CW_TEST_KEYS_H
#define CW_TEST_KEYS_H

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"

static inline EVP_PKEY *key_rsa(size_t bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
}

static inline EVP_PKEY *key_p256(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The public (SubjectPublicKeyInfo) or private (PKCS#8) key as PEM text; NULL on failure. */
static inline char *key_pem(EVP_PKEY *key, int private_key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (private_key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
			: PEM_write_bio_PUBKEY(bio, key)) {
		n = BIO_get_mem_data(bio, &data);
		out = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

/* The public key's JWK members without braces: "kty":"RSA","n":..,"e":..
 * or "kty":"EC","crv":"P-256","x":..,"y":.. ; NULL on failure. */
static inline char *key_jwk_members(EVP_PKEY *key)
{
	char *out = malloc(4096);
	char a[1500], b[100];
	unsigned char buf[1100];
	size_t len = 0;

	if (out == NULL)
		return NULL;
	if (EVP_PKEY_base_id(key) == EVP_PKEY_RSA) {
		BIGNUM *n = NULL, *e = NULL;
		int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) &&
			 EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) && BN_num_bytes(n) <= (int)sizeof(buf);

		if (ok) {
			base64url_encode(buf, (size_t)BN_bn2bin(n, buf), a);
			base64url_encode(buf, (size_t)BN_bn2bin(e, buf), b);
			snprintf(out, 4096, "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", a, b);
		}
		BN_free(n);
		BN_free(e);
		if (ok)
			return out;
	} else if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) &&
		   len == 65) {
		base64url_encode(buf + 1, 32, a);
		base64url_encode(buf + 33, 32, b);
		snprintf(out, 4096, "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", a, b);
		return out;
	}
	free(out);
	return NULL;
}

/* A compact JWS of these header and payload texts: signed with key by RS256
 * or ES256 (as R || S), or with the NUL-terminated secret (an unsigned char
 * text) by HS256 when key is NULL. NULL on failure. */
static inline char *jws_signed(const char *header, const char *payload, EVP_PKEY *key, const char *secret)
{
	size_t hl = strlen(header), pl = strlen(payload);
	char *out = malloc(BASE64URL_LEN(hl) + BASE64URL_LEN(pl) + BASE64URL_LEN(1024) + 3);
	unsigned char sig[1024], raw[64];
	size_t sig_len = sizeof(sig), used;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (out == NULL || ctx == NULL)
		goto done;
	base64url_encode((const unsigned char *)header, hl, out);
	used = strlen(out);
	out[used++] = '.';
	base64url_encode((const unsigned char *)payload, pl, out + used);
	used = strlen(out);
	if (key == NULL) {
		unsigned int n = 0;

		ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out, used, sig, &n) != NULL;
		sig_len = n;
	} else {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		     EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)out, used) == 1;
	}
	if (ok && key != NULL && EVP_PKEY_base_id(key) == EVP_PKEY_EC) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);

		ok = es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32 &&
		     BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32;
		ECDSA_SIG_free(es);
		memcpy(sig, raw, sizeof(raw));
		sig_len = sizeof(raw);
	}
	out[used++] = '.';
	base64url_encode(sig, sig_len, out + used);
done:
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

#endif
