/*
 * records: the handlers every kind of record shares, over lib/resource.c.
 *
 * Each takes the kind; the resource's own file (participant_handlers.c ...)
 * names its routes' handlers.
 */
#ifndef CW_RECORDS_H
#define CW_RECORDS_H

#include "http.h"
#include "resource.h"

/* GET <collection>, or GET <parent>/{id}/<collection> when nested: a page of
 * the records the caller sees, by the kind's filters and orders. */
enum cw_code record_list_handler(struct exchange *x, const struct resource *kind, int nested);

/* GET <collection>/{id}: the record with its ETag. */
enum cw_code record_get_handler(struct exchange *x, const struct resource *kind);

/* POST <parent>/{id}/<collection>: 201 with Location <location_prefix><new id>.
 * parent_noun names the path's record in the 404 for a malformed id. */
enum cw_code record_create_handler(struct exchange *x, const struct resource *kind, const char *parent_noun,
				   const char *location_prefix);

/* PATCH <collection>/{id}: a JSON merge patch, with If-Match. */
enum cw_code record_patch_handler(struct exchange *x, const struct resource *kind);

/* GET <collection>/{id}/history: every value of each field, from the audit trail. */
enum cw_code record_history_handler(struct exchange *x, const struct resource *kind);

/* DELETE <collection>/{id}: 204, with If-Match. */
enum cw_code record_delete_handler(struct exchange *x, const struct resource *kind);

#endif
