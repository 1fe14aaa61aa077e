#include "lifecycle.h"

#include <string.h>

#include "record.h"

static const struct lifecycle_move *find_move(const struct lifecycle *lc, const char *from, const char *to)
{
	for (const struct lifecycle_move *m = lc->moves; m->from; m++)
		if (strcmp(m->from, from) == 0 && strcmp(m->to, to) == 0)
			return m;
	return NULL;
}

int lifecycle_is_final(const struct lifecycle *lc, const char *status)
{
	for (const struct lifecycle_move *m = lc->moves; m->from; m++)
		if (strcmp(m->from, status) == 0)
			return 0;
	return 1;
}

/* "A goal that is in_progress can become achieved, not_achieved, discontinued only." */
static enum cw_code refuse(const struct lifecycle *lc, const char *from, struct cw_error *err)
{
	char next[256] = "";
	size_t used = 0;

	for (const struct lifecycle_move *m = lc->moves; m->from && used < sizeof(next); m++)
		if (strcmp(m->from, from) == 0)
			used += (size_t)snprintf(next + used, sizeof(next) - used, "%s%s", used ? ", " : "", m->to);
	return cw_fail(err, CW_CONFLICT, "A %s that is %s can become %s%s.", lc->noun, from, used ? next : "nothing",
		       used ? " only" : ": it is final");
}

static void stamp(const struct lifecycle *lc, const char *to, const json_t *input, json_t *after)
{
	for (const struct lifecycle_stamp *s = lc->stamps; s && s->field; s++) {
		const json_t *given = json_object_get(input, s->field);

		if ((s->status == NULL || strcmp(s->status, to) == 0) && (given == NULL || json_is_null(given)))
			record_set_today(after, s->field);
	}
}

enum cw_code lifecycle_apply(const struct lifecycle *lc, const json_t *before, const json_t *input, json_t *after,
			     const struct lifecycle_move **move, struct cw_error *err)
{
	const char *from = before ? record_text_member(before, lc->field) : NULL;
	const char *sent = record_text_member(input, lc->field);
	const char *to;

	*move = NULL;
	if (before == NULL) {
		if (json_object_get(input, lc->field) == NULL)
			json_object_set_new(after, lc->field, json_string(lc->initial));
		else if (sent == NULL || strcmp(sent, lc->initial) != 0)
			cw_field_error(err, lc->field, "%s", lc->initial_rule);
		return CW_OK;
	}
	to = record_text_member(after, lc->field);
	if (strcmp(from, to) == 0)
		return CW_OK;
	*move = find_move(lc, from, to);
	if (*move == NULL)
		return refuse(lc, from, err);
	stamp(lc, to, input, after);
	return CW_OK;
}
