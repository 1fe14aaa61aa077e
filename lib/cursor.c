#include "cursor.h"

#include "base64url.h"

#include <stdio.h>
#include <string.h>

#define RAW_LEN 25 /* kind, 8-byte key, 16-byte UUID */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void uuid_to_bytes(const char *uuid, unsigned char out[16])
{
	int n = 0;

	memset(out, 0, 16);
	for (const char *p = uuid; p && *p && n < 32; p++) {
		int v = hex_value(*p);

		if (v < 0)
			continue;
		out[n / 2] = (unsigned char)(out[n / 2] | (n % 2 ? v : v << 4));
		n++;
	}
}

static void bytes_to_uuid(const unsigned char b[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void cursor_encode(enum cursor_kind kind, int64_t key, const char *uuid, char out[CURSOR_TEXT_LEN + 1])
{
	unsigned char raw[RAW_LEN];
	uint64_t k = (uint64_t)key;

	raw[0] = (unsigned char)kind;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(k >> (56 - 8 * i));
	uuid_to_bytes(uuid, raw + 9);
	base64url_encode(raw, RAW_LEN, out);
}

int cursor_decode(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37])
{
	unsigned char raw[RAW_LEN + 2];
	uint64_t k = 0;

	if (text == NULL || strlen(text) != CURSOR_TEXT_LEN ||
	    base64url_decode(text, CURSOR_TEXT_LEN, raw) != RAW_LEN || raw[0] != (unsigned char)kind)
		return -1;
	for (int i = 0; i < 8; i++)
		k = (k << 8) | raw[1 + i];
	*key = (int64_t)k;
	bytes_to_uuid(raw + 9, uuid);
	return 0;
}
