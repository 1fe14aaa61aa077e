/*
 * trace: W3C Trace Context (https://www.w3.org/TR/trace-context/), the
 * traceparent header a caller sends to say which trace its request belongs to.
 *
 *   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *                version-trace id (32 hex)-the caller's span (16 hex)-flags
 *
 * A header that breaks the rules is ignored, as the specification asks: the
 * request goes on without a trace, never with an error. The service joins
 * the trace as a span of its own, which is what it names downstream (to
 * PostgreSQL, in application_name).
 */
#ifndef CW_TRACE_H
#define CW_TRACE_H

#include <stdint.h>

#define TRACEPARENT_LEN 55
#define TRACE_SAMPLED 1u     /* the flag saying the caller records the trace */

struct trace_context {
	char trace_id[33];      /* 32 lowercase hex digits, not all zero */
	char parent_id[17];     /* the caller's span: 16 lowercase hex digits, not all zero */
	char span_id[17];       /* this service's span, made by trace_join() */
	unsigned flags;         /* the caller's trace flags; bit 0: sampled */
};

/* 0 with out filled (but span_id) when header is a valid traceparent: of
 * version 00 and exactly 55 characters, or of a later version (not ff) whose
 * first 55 characters read as version 00 and which goes on only after a "-".
 * Hex digits must be lowercase; an all-zero trace id or parent id is invalid.
 * -1 otherwise, out untouched. */
int trace_parse(const char *header, struct trace_context *out);

/* Makes this service's span in t from 64 random bits (all-zero is made one). */
void trace_join(struct trace_context *t, uint64_t random_bits);

/* The traceparent naming this service's span (version 00, the caller's
 * sampled flag), for what the service calls: 55 characters and a NUL. */
void trace_traceparent(const struct trace_context *t, char out[TRACEPARENT_LEN + 1]);

#endif
