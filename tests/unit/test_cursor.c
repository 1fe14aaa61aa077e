/* cursor: an opaque, strictly decoded keyset position. */
#include "cursor.h"

#include <stdint.h>

#include "check.h"

#define UUID_A "123e4567-e89b-12d3-a456-426614174000"
#define UUID_ZERO "00000000-0000-0000-0000-000000000000"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes and decodes; 1 when the same key and uuid (as canonical text) come back. */
static int round_trips(enum cursor_kind kind, int64_t key, const char *uuid, const char *canonical)
{
	char text[CURSOR_TEXT_LEN + 1], back[37] = "";
	int64_t k = 0;

	cursor_encode(kind, key, uuid, text);
	if (strlen(text) != CURSOR_TEXT_LEN || strspn(text, alphabet) != CURSOR_TEXT_LEN)
		return 0;
	return cursor_decode(text, kind, &k, back) == 0 && k == key && strcmp(back, canonical) == 0;
}

static void test_cursor_round_trips_keys_and_uuids(void)
{
	CHECK(round_trips(CURSOR_CASES, 0, UUID_A, UUID_A));
	CHECK(round_trips(CURSOR_CASES, 1, UUID_A, UUID_A));
	CHECK(round_trips(CURSOR_CASES, -1, UUID_A, UUID_A));
	CHECK(round_trips(CURSOR_CASES, 1772375400123456LL, UUID_A, UUID_A));
	CHECK(round_trips(CURSOR_CASES, -2208988800000000LL, UUID_A, UUID_A));  /* 1900 */
	CHECK(round_trips(CURSOR_AUDIT, INT64_MAX, "ffffffff-ffff-ffff-ffff-ffffffffffff",
			  "ffffffff-ffff-ffff-ffff-ffffffffffff"));
	CHECK(round_trips(CURSOR_AUDIT, INT64_MIN, UUID_A, UUID_A));
}

static void test_cursor_uuid_is_canonical_and_null_is_zero(void)
{
	CHECK(round_trips(CURSOR_CASES, 42, "123E4567-E89B-12D3-A456-426614174000", UUID_A));
	CHECK(round_trips(CURSOR_CASES, 42, NULL, UUID_ZERO));
	CHECK(round_trips(CURSOR_AUDIT, 7, NULL, UUID_ZERO));
}

static void test_cursor_of_another_list_is_refused(void)
{
	char text[CURSOR_TEXT_LEN + 1], uuid[37];
	int64_t key;

	cursor_encode(CURSOR_CASES, 5, UUID_A, text);
	CHECK(cursor_decode(text, CURSOR_AUDIT, &key, uuid) != 0);
	cursor_encode(CURSOR_AUDIT, 5, NULL, text);
	CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
}

static void test_cursor_of_wrong_length_is_refused(void)
{
	char text[CURSOR_TEXT_LEN + 2], uuid[37];
	int64_t key;

	cursor_encode(CURSOR_CASES, 5, UUID_A, text);
	text[CURSOR_TEXT_LEN] = 'A';
	text[CURSOR_TEXT_LEN + 1] = '\0';
	CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
	text[CURSOR_TEXT_LEN - 1] = '\0';
	CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
	CHECK(cursor_decode("", CURSOR_CASES, &key, uuid) != 0);
	CHECK(cursor_decode(NULL, CURSOR_CASES, &key, uuid) != 0);
}

static void test_cursor_with_characters_outside_base64url_is_refused(void)
{
	static const char bad[] = {'+', '/', '=', ' ', '.', '%', '\x7f', '\xc3'};
	char text[CURSOR_TEXT_LEN + 1], uuid[37];
	int64_t key;

	for (size_t i = 0; i < sizeof(bad); i++) {
		cursor_encode(CURSOR_CASES, 5, UUID_A, text);
		text[10] = bad[i];
		CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
	}
}

/* 34 characters carry 204 bits for 200 bits of data: the last 4 must be zero,
 * so that no two texts name the same position. */
static void test_cursor_with_nonzero_padding_bits_is_refused(void)
{
	char text[CURSOR_TEXT_LEN + 1], uuid[37];
	int64_t key;

	for (int bit = 0; bit < 4; bit++) {
		cursor_encode(CURSOR_CASES, 5, UUID_A, text);
		size_t index = (size_t)(strchr(alphabet, text[CURSOR_TEXT_LEN - 1]) - alphabet);

		text[CURSOR_TEXT_LEN - 1] = alphabet[index ^ (1u << bit)];
		CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
	}
}

/* Every one-character change is refused or names another position; none crashes. */
static void test_cursor_one_character_change_never_decodes_to_the_same_position(void)
{
	char text[CURSOR_TEXT_LEN + 1], changed[CURSOR_TEXT_LEN + 1], uuid[37];
	int64_t key;
	int same = 0;

	cursor_encode(CURSOR_CASES, 1772375400123456LL, UUID_A, text);
	for (size_t i = 0; i < CURSOR_TEXT_LEN; i++) {
		for (size_t c = 0; c < sizeof(alphabet) - 1; c++) {
			if (alphabet[c] == text[i])
				continue;
			memcpy(changed, text, sizeof(text));
			changed[i] = alphabet[c];
			if (cursor_decode(changed, CURSOR_CASES, &key, uuid) == 0 &&
			    key == 1772375400123456LL && strcmp(uuid, UUID_A) == 0)
				same++;
		}
	}
	CHECK(same == 0);
}

static void test_extra_bytes_round_trip_up_to_the_most(void)
{
	unsigned char extra[CURSOR_EXTRA_MAX], back[CURSOR_EXTRA_MAX];
	char text[CURSOR_LONG_TEXT_MAX + 1], uuid[37];
	int64_t key = 0;
	size_t n = 99;

	for (size_t i = 0; i < sizeof(extra); i++)
		extra[i] = (unsigned char)(i * 7);
	cursor_encode_extra(CURSOR_PLAN_REVIEWS, 20000, UUID_A, extra, sizeof(extra), text);
	CHECK(strlen(text) == CURSOR_LONG_TEXT_MAX);
	CHECK(cursor_decode_extra(text, CURSOR_PLAN_REVIEWS, &key, uuid, back, &n) == 0);
	CHECK(key == 20000 && n == sizeof(extra) && memcmp(extra, back, n) == 0);
	CHECK_STR(uuid, UUID_A);
	cursor_encode_extra(CURSOR_PLAN_REVIEWS, 7, UUID_A, "CW-1", 4, text);
	CHECK(cursor_decode_extra(text, CURSOR_PLAN_REVIEWS, &key, uuid, back, &n) == 0);
	CHECK(key == 7 && n == 4 && memcmp(back, "CW-1", 4) == 0);
	/* a plain cursor is one with no extra bytes; a long one is no plain cursor */
	cursor_encode(CURSOR_PLAN_REVIEWS, 8, UUID_A, text);
	CHECK(cursor_decode_extra(text, CURSOR_PLAN_REVIEWS, &key, uuid, back, &n) == 0 && n == 0 && key == 8);
	cursor_encode_extra(CURSOR_CASES, 7, UUID_A, "x", 1, text);
	CHECK(cursor_decode(text, CURSOR_CASES, &key, uuid) != 0);
}

static void test_extra_cursors_of_another_list_or_too_long_are_refused(void)
{
	unsigned char back[CURSOR_EXTRA_MAX];
	char text[CURSOR_LONG_TEXT_MAX + 8], uuid[37];
	int64_t key;
	size_t n;

	cursor_encode_extra(CURSOR_PLAN_REVIEWS, 7, UUID_A, "CW-1", 4, text);
	CHECK(cursor_decode_extra(text, CURSOR_HISTORY, &key, uuid, back, &n) != 0);
	memset(text, 'A', CURSOR_LONG_TEXT_MAX + 4);        /* 376 characters: one too many */
	text[CURSOR_LONG_TEXT_MAX + 1] = '\0';
	CHECK(cursor_decode_extra(text, CURSOR_CASES, &key, uuid, back, &n) != 0);
	CHECK(cursor_decode_extra("AAAA", CURSOR_CASES, &key, uuid, back, &n) != 0);
	CHECK(cursor_decode_extra(NULL, CURSOR_CASES, &key, uuid, back, &n) != 0);
}

static void test_history_cursor_carries_two_keys_and_the_record(void)
{
	char text[CURSOR_HISTORY_TEXT_LEN + 1], uuid[37];
	int64_t key = 0, key2 = 0;

	cursor_encode_history(CURSOR_HISTORY, 123456789, 42, UUID_A, text);
	CHECK(strlen(text) == CURSOR_HISTORY_TEXT_LEN);
	CHECK(cursor_decode_history(text, CURSOR_HISTORY, &key, &key2, uuid) == 0);
	CHECK(key == 123456789 && key2 == 42);
	CHECK_STR(uuid, UUID_A);
	CHECK(cursor_decode_history(text, CURSOR_PERMANENCY_GOALS, &key, &key2, uuid) != 0);
	CHECK(cursor_decode(text, CURSOR_HISTORY, &key, uuid) != 0);
	cursor_encode(CURSOR_HISTORY, 5, UUID_A, text);       /* no second key */
	CHECK(cursor_decode_history(text, CURSOR_HISTORY, &key, &key2, uuid) != 0);
}

int main(void)
{
	RUN(test_cursor_round_trips_keys_and_uuids);
	RUN(test_cursor_uuid_is_canonical_and_null_is_zero);
	RUN(test_cursor_of_another_list_is_refused);
	RUN(test_cursor_of_wrong_length_is_refused);
	RUN(test_cursor_with_characters_outside_base64url_is_refused);
	RUN(test_cursor_with_nonzero_padding_bits_is_refused);
	RUN(test_cursor_one_character_change_never_decodes_to_the_same_position);
	RUN(test_extra_bytes_round_trip_up_to_the_most);
	RUN(test_extra_cursors_of_another_list_or_too_long_are_refused);
	RUN(test_history_cursor_carries_two_keys_and_the_record);
	return check_result();
}
