#include "base64url.h"

#include <stdint.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A character's place in the alphabet; -1 for any other (NUL included). */
static int value_of(char c)
{
	const char *at = c != '\0' ? strchr(alphabet, c) : NULL;

	return at ? (int)(at - alphabet) : -1;
}

void base64url_encode(const unsigned char *data, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		size_t chars = n - i >= 3 ? 4 : n - i + 1;

		if (i + 1 < n)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < n)
			v |= data[i + 2];
		for (size_t c = 0; c < chars; c++)
			out[o++] = alphabet[(v >> (18 - 6 * c)) & 63];
	}
	out[o] = '\0';
}

long base64url_decode(const char *text, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	long n = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = value_of(text[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc == 0 ? n : -1;
}
