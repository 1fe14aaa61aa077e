/*
 * Cursors as clients send them back (lib/cursor.c, the cursor query
 * parameter of every list).
 *
 * Promises checked: text decodes as a cursor of at most one kind, and then
 * it is exactly the text the service writes for that position (a cursor has
 * one text, so no two texts name one position); every position encodes to
 * text that decodes to it.
 */
#include "fuzz.h"

#include "cursor.h"
#include "uuid.h"

/* The kind byte takes any value; the enum names those in use. */
#define KIND_VALUES 256

static void check_decoded(const char *text)
{
	int kinds = 0;

	for (int kind = 0; kind < KIND_VALUES; kind++) {
		char uuid[37], written[CURSOR_TEXT_LEN + 1];
		int64_t key;

		if (cursor_decode(text, (enum cursor_kind)kind, &key, uuid) != 0)
			continue;
		kinds++;
		cursor_encode((enum cursor_kind)kind, key, uuid, written);
		FUZZ_CHECK(strcmp(written, text) == 0);
	}
	FUZZ_CHECK(kinds <= 1);
}

/* 25 bytes: a kind, a key and a UUID's bytes. */
static void check_encoded(const uint8_t *data)
{
	enum cursor_kind kind = (enum cursor_kind)data[0];
	uint64_t k = 0;
	int64_t key, back_key = 0;
	char uuid[37], back_uuid[37], text[CURSOR_TEXT_LEN + 1];

	for (int i = 1; i <= 8; i++)
		k = (k << 8) | data[i];
	key = (int64_t)k;
	uuid_format(data + 9, uuid);
	cursor_encode(kind, key, uuid, text);
	FUZZ_CHECK(strlen(text) == CURSOR_TEXT_LEN);
	FUZZ_CHECK(cursor_decode(text, kind, &back_key, back_uuid) == 0);
	FUZZ_CHECK(back_key == key);
	FUZZ_CHECK(strcmp(back_uuid, uuid) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);

	check_decoded(text);
	if (size >= 25)
		check_encoded(data);
	free(text);
	return 0;
}
