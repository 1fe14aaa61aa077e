/*
 * cursor: the opaque position in a keyset-paginated list.
 *
 * A cursor carries the sort key of the last record on a page (a 64-bit number
 * such as created_at in microseconds, and the record's UUID as tie-breaker)
 * and the kind of list it belongs to, base64url-encoded. Clients must treat it
 * as opaque; anything that does not decode as a cursor of the same kind is
 * refused.
 */
#ifndef CW_CURSOR_H
#define CW_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CURSOR_TEXT_LEN 34   /* characters, without the NUL: base64url of 25 bytes */

enum cursor_kind {
	CURSOR_CASES = 1,
	CURSOR_AUDIT = 2,
	CURSOR_PARTICIPANTS = 3,
	CURSOR_PLANS = 4,
	CURSOR_GOALS = 5,
	CURSOR_PROGRESS = 6,
	CURSOR_REFERRALS = 7,
	CURSOR_VISITS = 8,              /* by created_at */
	CURSOR_VISITS_BY_TIME = 9,      /* by visited_at, earliest first */
	CURSOR_VISITS_BY_TIME_DESC = 10, /* by visited_at, latest first */
	CURSOR_CHANGES = 11,            /* the change feed's number */
	CURSOR_HISTORY = 12,            /* a record's field history (and a referral's statuses) */
	CURSOR_PERMANENCY_GOALS = 13,   /* a case's permanency goals */
	CURSOR_PLAN_REVIEWS = 14,       /* the plan-review report: due date, plan, case number */
	CURSOR_PLACEMENT_STABILITY = 15, /* the placement-stability report's children: child, case number */
	CURSOR_EPISODES = 16,
	CURSOR_PLACEMENTS = 17,
	CURSOR_HEARINGS = 20,
	CURSOR_FEDERAL_CLOCKS = 21,     /* the federal-clocks report: due date, child, case number */
	CURSOR_CASE_SEARCH = 30,        /* cases found by q: rank (descending), id */
	CURSOR_FAMILY_TIME = 40,        /* the family-time report's shortfalls: month, plan, child */
	CURSOR_MEETINGS = 41,
	CURSOR_FAMILY_TIME_PLANS = 42,
};

/* Writes the cursor and a NUL into out. uuid may be NULL (stored as zeros). */
void cursor_encode(enum cursor_kind kind, int64_t key, const char *uuid, char out[CURSOR_TEXT_LEN + 1]);

/* 0 with *key and uuid (canonical text) filled when text is a cursor of this kind. */
int cursor_decode(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37]);

/* A cursor may carry up to CURSOR_EXTRA_MAX bytes more after its uuid: the
 * text of a second sort key, or a second number. */
#define CURSOR_EXTRA_MAX 256
#define CURSOR_LONG_TEXT_MAX 375 /* characters, without the NUL: base64url of 25 + 256 bytes */

/* cursor_encode() with n (at most CURSOR_EXTRA_MAX) extra bytes after the uuid. */
void cursor_encode_extra(enum cursor_kind kind, int64_t key, const char *uuid, const void *extra, size_t n,
			 char out[CURSOR_LONG_TEXT_MAX + 1]);

/* cursor_decode() of a cursor with extra bytes (none, or up to
 * CURSOR_EXTRA_MAX): 0 with them copied into extra and their number in *n. */
int cursor_decode_extra(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37],
			unsigned char extra[CURSOR_EXTRA_MAX], size_t *n);

/* A cursor whose extra bytes are a text key, such as a case number: the
 * text (up to CURSOR_EXTRA_MAX bytes) as a JSON string. */
json_t *cursor_text_json(enum cursor_kind kind, int64_t key, const char *uuid, const char *extra);

/* cursor_decode_extra() of such a cursor: 0 with the text, NUL-terminated,
 * in extra when it is of this kind and its text is not empty, holds no NUL
 * and is valid UTF-8. */
int cursor_decode_text(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37],
		       char extra[CURSOR_EXTRA_MAX + 1]);

/* A cursor within one record's history: the record's uuid, the key of the
 * last entry shown, and a second key (0 when the history is one sequence). */
#define CURSOR_HISTORY_TEXT_LEN 44 /* characters: base64url of 25 + 8 bytes */

void cursor_encode_history(enum cursor_kind kind, int64_t key, int64_t key2, const char *uuid,
			   char out[CURSOR_HISTORY_TEXT_LEN + 1]);

/* 0 with *key, *key2 and uuid filled when text is a history cursor of this kind. */
int cursor_decode_history(const char *text, enum cursor_kind kind, int64_t *key, int64_t *key2, char uuid[37]);

#endif
