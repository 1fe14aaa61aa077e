/*
 * lifecycle: a kind's status machine, written as a table.
 *
 * A kind with a lifecycle names its moves (from, to, and what a move does
 * beyond a write: approving a plan, say), the status a new record starts in,
 * and the dates stamped on entering a status. lifecycle_apply() holds a
 * create or a change to them; the kind's hook then applies its own rules
 * (who may make a move that does more than write, what a status fixes).
 */
#ifndef CW_LIFECYCLE_H
#define CW_LIFECYCLE_H

#include <jansson.h>

#include "error.h"

struct lifecycle_move {
	const char *from;
	const char *to;
	unsigned actions;        /* enum access_action: what the move does besides writing; 0 for nothing */
};

struct lifecycle_stamp {
	const char *status;      /* entering it; NULL: entering any status */
	const char *field;       /* a date: today, unless the request gives one */
};

struct lifecycle {
	const char *noun;                       /* for messages: "A goal that is ..." */
	const char *field;                      /* the status field */
	const char *initial;                    /* the status every record starts in */
	const char *initial_rule;               /* the field error for another status sent on create */
	const struct lifecycle_move *moves;     /* from NULL-terminated; a status no move leaves is final */
	const struct lifecycle_stamp *stamps;   /* field NULL-terminated; NULL for none */
};

/* Whether no move leaves status. */
int lifecycle_is_final(const struct lifecycle *lc, const char *status);

/* Holds a record to its lifecycle. On create (before NULL): a status sent
 * must be the initial one (a field error otherwise), and none sent is the
 * initial one. On a change: a new status must be a move from the old one
 * (CW_CONFLICT naming the moves there are, or saying the status is final),
 * and entering it stamps its dates unless input gives them. *move is the
 * move made, NULL when the status stays. */
enum cw_code lifecycle_apply(const struct lifecycle *lc, const json_t *before, const json_t *input, json_t *after,
			     const struct lifecycle_move **move, struct cw_error *err);

#endif
