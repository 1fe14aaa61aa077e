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

#include <stdint.h>

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
};

/* Writes the cursor and a NUL into out. uuid may be NULL (stored as zeros). */
void cursor_encode(enum cursor_kind kind, int64_t key, const char *uuid, char out[CURSOR_TEXT_LEN + 1]);

/* 0 with *key and uuid (canonical text) filled when text is a cursor of this kind. */
int cursor_decode(const char *text, enum cursor_kind kind, int64_t *key, char uuid[37]);

#endif
