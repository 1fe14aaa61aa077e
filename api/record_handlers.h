/*
 * record_handlers: the handlers every kind of record shares, over
 * lib/resource.c.
 *
 * Each serves the kind its route names (struct route's kind). On a route
 * marked ROUTE_UNDER, the path's first {id} is the record the kind is under
 * (a list or a creation under a case, a plan or a goal; a progress note read
 * under its goal), and a malformed one is not found as that record.
 */
#ifndef CW_RECORD_HANDLERS_H
#define CW_RECORD_HANDLERS_H

#include "http.h"

/* GET <collection>, or <parent>/{id}/<collection>: a page of the records the
 * caller sees, by the kind's filters and orders. */
enum cw_code record_list(struct exchange *x);

/* GET <collection>/{id}: the record with its ETag. */
enum cw_code record_get(struct exchange *x);

/* POST <collection> or <parent>/{id}/<collection>: 201 with Location (where
 * record_get reads it) and ETag; with Idempotency-Key, a retry answers the
 * first answer again. */
enum cw_code record_create(struct exchange *x);

/* PATCH <collection>/{id}: a JSON merge patch, with If-Match. */
enum cw_code record_update(struct exchange *x);

/* DELETE <collection>/{id}: 204, with If-Match. */
enum cw_code record_delete(struct exchange *x);

/* GET <collection>/{id}/history: every value of each field, from the audit
 * trail (or the kind's own history). */
enum cw_code record_history(struct exchange *x);

#endif
