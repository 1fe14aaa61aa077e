/*
 * request_id: the id each request is known by, in its answer (X-Request-Id),
 * the log and the audit trail; and the W3C trace it is a span of, when the
 * caller sent a traceparent.
 */
#ifndef CW_REQUEST_ID_H
#define CW_REQUEST_ID_H

#include "http.h"

/* Gives x its own id, a random (version 4) UUID, and keeps the client's
 * X-Request-Id beside it when it is safe to log (1 to REQUEST_ID_MAX
 * characters of [A-Za-z0-9._:-]). The client's id never stands for the
 * request: a client cannot make its change look like another request. */
void request_id_assign(struct exchange *x);

/* When the request carries a valid traceparent (lib/trace.h), makes x a
 * span of that trace (x->traced); an invalid one is ignored. */
void request_trace_assign(struct exchange *x);

#endif
