/*
 * path: the parameters of a request's path ({id}, {number}), read strictly.
 *
 * A parameter that cannot name a record names none: each reader answers
 * CW_NOT_FOUND for it, exactly as for a record that does not exist.
 */
#ifndef CW_PATH_H
#define CW_PATH_H

#include <stddef.h>

#include "http.h"

/* Path parameter index as a canonical UUID in out; CW_NOT_FOUND ("No <what>
 * with this id.") otherwise. */
enum cw_code path_uuid(struct exchange *x, int index, char out[37], const char *what);

/* The path parameter percent-decoded into out (len bytes): CW_NOT_FOUND when it
 * does not decode to UTF-8 text of at most max_chars characters without
 * control characters. */
enum cw_code path_text(struct exchange *x, int index, char *out, size_t len, size_t max_chars,
		       const char *what);

#endif
