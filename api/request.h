/*
 * request: reading what the client sent, strictly.
 *
 * Query helpers validate each parameter with the same field rules as bodies
 * and add one field error per bad parameter to x->err, so a handler reads all
 * of them and then checks cw_has_field_errors() once.
 */
#ifndef CW_REQUEST_H
#define CW_REQUEST_H

#include <stdint.h>

#include "cursor.h"
#include "history.h"
#include "http.h"
#include "validate.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/* The caller as an actor for the audit trail. */
struct actor exchange_actor(const struct exchange *x);

/* A request header (case-insensitive name), or NULL. */
const char *request_header(const struct exchange *x, const char *name);

/* Parses the body as one JSON object into x->body: CW_TOO_LARGE,
 * CW_UNSUPPORTED_MEDIA or CW_BAD_REQUEST when it is not. */
enum cw_code request_parse_body(struct exchange *x);

/* Adds an error for every query parameter not in allowed (NULL-terminated),
 * for every allowed one given more than once ("a=1&a=2" is refused, not read
 * as "1,2"; names are compared decoded, so "a" and "%61" are the same), and
 * one, on "(no name)", when a parameter has no name ("&&", "=1"). */
void query_only(struct exchange *x, const char *const *allowed);

/* For paths that take no query parameters: CW_INVALID (with an error for each
 * one sent) or CW_OK. */
enum cw_code query_none(struct exchange *x);

/* A parameter's text, unchecked: 1 with *value set when it is given once as
 * UTF-8 text, 0 when absent; -1 with *value NULL when it cannot be read:
 * given more than once (query_only names that) or not UTF-8 (the error is
 * added here). */
int query_text(struct exchange *x, const char *name, const char **value);

/* The parameter's value when present and valid under spec; NULL otherwise
 * (an invalid value adds a field error). */
const char *query_value(struct exchange *x, const char *name, const struct field_spec *spec);

/* An RFC 3339 parameter normalised to UTC text in out; NULL when absent or invalid. */
const char *query_timestamp(struct exchange *x, const char *name, char out[28]);

/* A text to search for: min to max characters once the spaces around it
 * are cut, without control characters, copied into out (len bytes, at least
 * 4 * max + 1); NULL when absent or bad (with a field error). */
const char *query_search(struct exchange *x, const char *name, size_t min, size_t max, char *out, size_t len);

/* limit: LIST_LIMIT_DEFAULT when absent, 1..LIST_LIMIT_MAX. */
int query_limit(struct exchange *x);

/* cursor of the given kind: 1 when present and valid, 0 when absent, -1 (with a
 * field error) when not a cursor of this list. */
int query_cursor(struct exchange *x, enum cursor_kind kind, int64_t *key, char uuid[37]);

/* Where a keyset-paginated list starts and how much it holds: limit, cursor
 * (of the given kind, pointing at a key and id) and updated_since; window
 * points into the texts. */
struct list_position {
	struct page_window window;
	char after_key_text[28];
	char after_id_text[37];
	char updated_since_text[28];
};

/* Reads limit, cursor and updated_since into pos, adding field errors. */
void query_list_position(struct exchange *x, enum cursor_kind kind, struct list_position *pos);

/* The same without updated_since, for lists that do not take it. */
void query_page_position(struct exchange *x, enum cursor_kind kind, struct list_position *pos);

/* The same for a list ranked by a number from 0 to rank_max (a search's),
 * without updated_since: the cursor's key is a rank. */
void query_ranked_position(struct exchange *x, enum cursor_kind kind, int64_t rank_max, struct list_position *pos);

/* Where a page of the history of record id starts: limit, and a cursor of
 * kind that names that record (none on the first page), the only query
 * parameters a history takes. CW_INVALID, with a field error for each bad
 * one (a cursor of another list, or of another record's history), or CW_OK. */
enum cw_code query_history_page(struct exchange *x, enum cursor_kind kind, const char *id,
				struct history_position *pos);

/* Reads If-Match into p (absent, "*", or strong ETags holding versions). */
void request_precondition(const struct exchange *x, struct precondition *p);

/* The same from the header's text (NULL when absent): pure, for tests. */
void request_precondition_parse(const char *if_match, struct precondition *p);

#endif
