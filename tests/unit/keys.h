/*
 * keys: throw-away key pairs for the auth and config tests, made with
 * OpenSSL in memory. PEM texts are NUL-terminated and the caller frees them.
 */
#ifndef CW_TEST_KEYS_H
#define CW_TEST_KEYS_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

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

#endif
