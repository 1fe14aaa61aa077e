#include "cursor.h"

#include "base64url.h"
#include "text.h"
#include "uuid.h"

#include <string.h>

#define RAW_LEN 25 /* kind, 8-byte key, 16-byte UUID */
#define KEY2_LEN 8 /* a history's second key, in the extra bytes */

static void put_int64(unsigned char *out, int64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
}

static int64_t get_int64(const unsigned char *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return (int64_t)v;
}

static void put_position(unsigned char *raw, enum cursor_kind kind, int64_t key, const char *uuid)
{
	raw[0] = (unsigned char)kind;
	put_int64(raw + 1, key);
	if (uuid == NULL || uuid_bytes(uuid, raw + 9) != 0)
		memset(raw + 9, 0, 16);
}

void cursor_encode(enum cursor_kind kind, int64_t key, const char *uuid, char out[CURSOR_TEXT_LEN + 1])
{
	unsigned char raw[RAW_LEN];

	put_position(raw, kind, key, uuid);
	base64url_encode(raw, RAW_LEN, out);
}

int cursor_decode(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37])
{
	unsigned char raw[RAW_LEN + 2];

	if (text == NULL || strlen(text) != CURSOR_TEXT_LEN ||
	    base64url_decode(text, CURSOR_TEXT_LEN, raw) != RAW_LEN || raw[0] != (unsigned char)kind)
		return -1;
	*key = get_int64(raw + 1);
	uuid_format(raw + 9, uuid);
	return 0;
}

void cursor_encode_extra(enum cursor_kind kind, int64_t key, const char *uuid, const void *extra, size_t n,
			 char out[CURSOR_LONG_TEXT_MAX + 1])
{
	unsigned char raw[RAW_LEN + CURSOR_EXTRA_MAX];

	if (n > CURSOR_EXTRA_MAX)
		n = CURSOR_EXTRA_MAX;
	put_position(raw, kind, key, uuid);
	if (n > 0)
		memcpy(raw + RAW_LEN, extra, n);
	base64url_encode(raw, RAW_LEN + n, out);
}

int cursor_decode_extra(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37],
			unsigned char extra[CURSOR_EXTRA_MAX], size_t *n)
{
	unsigned char raw[RAW_LEN + CURSOR_EXTRA_MAX + 2];
	size_t len = text ? strnlen(text, CURSOR_LONG_TEXT_MAX + 1) : 0;
	long got;

	if (len < CURSOR_TEXT_LEN || len > CURSOR_LONG_TEXT_MAX)
		return -1;
	got = base64url_decode(text, len, raw);
	if (got < RAW_LEN || got > RAW_LEN + CURSOR_EXTRA_MAX || raw[0] != (unsigned char)kind)
		return -1;
	*key = get_int64(raw + 1);
	uuid_format(raw + 9, uuid);
	*n = (size_t)got - RAW_LEN;
	memcpy(extra, raw + RAW_LEN, *n);
	return 0;
}

json_t *cursor_text_json(enum cursor_kind kind, int64_t key, const char *uuid, const char *extra)
{
	char text[CURSOR_LONG_TEXT_MAX + 1];

	cursor_encode_extra(kind, key, uuid, extra, strlen(extra), text);
	return json_string(text);
}

int cursor_decode_text(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37],
		       char extra[CURSOR_EXTRA_MAX + 1])
{
	unsigned char bytes[CURSOR_EXTRA_MAX];
	size_t n;

	if (cursor_decode_extra(text, kind, key, uuid, bytes, &n) != 0 || n == 0)
		return -1;
	memcpy(extra, bytes, n);
	extra[n] = '\0';
	return strlen(extra) == n && utf8_valid(extra) ? 0 : -1;
}

void cursor_encode_history(enum cursor_kind kind, int64_t key, int64_t key2, const char *uuid,
			   char out[CURSOR_HISTORY_TEXT_LEN + 1])
{
	unsigned char second[KEY2_LEN];
	char text[CURSOR_LONG_TEXT_MAX + 1];

	put_int64(second, key2);
	cursor_encode_extra(kind, key, uuid, second, sizeof(second), text);
	memcpy(out, text, CURSOR_HISTORY_TEXT_LEN + 1);
}

int cursor_decode_history(const char *text, enum cursor_kind kind, int64_t *key, int64_t *key2, char uuid[37])
{
	unsigned char extra[CURSOR_EXTRA_MAX];
	size_t n;

	if (cursor_decode_extra(text, kind, key, uuid, extra, &n) != 0 || n != KEY2_LEN)
		return -1;
	*key2 = get_int64(extra);
	return 0;
}
