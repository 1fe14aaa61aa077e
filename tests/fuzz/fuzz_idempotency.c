/*
 * Idempotency-Key and the request fingerprint it is kept with
 * (lib/idempotency.c): a retry is recognised by the SHA-256 of its method,
 * path and body.
 *
 * Input: key, method and path, each ended by a newline, then the body.
 *
 * Promises checked: a key is accepted exactly when it is 1 to
 * IDEMPOTENCY_KEY_MAX printable ASCII characters; the fingerprint is the
 * SHA-256, in lower-case hex, of method, NUL, path, NUL and body; and the
 * NULs keep the parts apart, so moving a byte from one part into the next
 * changes it (two different requests never share a fingerprint by framing).
 */
#include "fuzz.h"

#include <openssl/sha.h>

#include "idempotency.h"

/* The next part of the input up to a newline, as a C string (caller frees). */
static char *next_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t len = nl ? (size_t)(nl - *data) : *size;
	char *line = fuzz_text(*data, len);

	*data += nl ? len + 1 : len;
	*size -= nl ? len + 1 : len;
	return line;
}

static int key_is_printable_ascii(const char *key)
{
	size_t n = strlen(key);

	if (n < 1 || n > IDEMPOTENCY_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return 0;
	return 1;
}

/* SHA-256 of method NUL path NUL body in hex, by OpenSSL's one-shot call. */
static void expected_hash(const char *method, const char *path, const uint8_t *body, size_t len, char out[65])
{
	size_t m = strlen(method) + 1, p = strlen(path) + 1;
	unsigned char *all = malloc(m + p + len + 1), digest[SHA256_DIGEST_LENGTH];

	FUZZ_CHECK(all != NULL);
	memcpy(all, method, m);
	memcpy(all + m, path, p);
	if (len > 0)
		memcpy(all + m + p, body, len);
	SHA256(all, m + p + len, digest);
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	free(all);
}

static void fingerprint(const char *key, const char *method, const char *path, const uint8_t *body, size_t len,
			char out[65])
{
	struct idempotency i;

	FUZZ_CHECK(idempotency_prepare(&i, key, method, path, body, len) == 0);
	FUZZ_CHECK(i.key == key);
	FUZZ_CHECK(strlen(i.request_hash) == 64);
	memcpy(out, i.request_hash, 65);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key = next_line(&data, &size), *method = next_line(&data, &size), *path = next_line(&data, &size);
	char got[65], want[65], moved[65];
	size_t plen = strlen(path);

	FUZZ_CHECK((idempotency_key_valid(key) == 0) == key_is_printable_ascii(key));
	fingerprint(key, method, path, data, size, got);
	expected_hash(method, path, data, size, want);
	FUZZ_CHECK(strcmp(got, want) == 0);
	if (plen > 0) {
		/* The path's last byte moved to the start of the body (size + 1 bytes). */
		uint8_t *body = (uint8_t *)fuzz_text(data, size);

		memmove(body + 1, body, size);
		body[0] = (uint8_t)path[plen - 1];
		path[plen - 1] = '\0';
		fingerprint(key, method, path, body, size + 1, moved);
		FUZZ_CHECK(strcmp(moved, got) != 0);
		free(body);
	}
	free(key);
	free(method);
	free(path);
	return 0;
}
