#include "cursor.h"

#include "base64url.h"
#include "uuid.h"

#include <string.h>

#define RAW_LEN 25 /* kind, 8-byte key, 16-byte UUID */

void cursor_encode(enum cursor_kind kind, int64_t key, const char *uuid, char out[CURSOR_TEXT_LEN + 1])
{
	unsigned char raw[RAW_LEN];
	uint64_t k = (uint64_t)key;

	raw[0] = (unsigned char)kind;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(k >> (56 - 8 * i));
	if (uuid == NULL || uuid_bytes(uuid, raw + 9) != 0)
		memset(raw + 9, 0, 16);
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
	uuid_format(raw + 9, uuid);
	return 0;
}
