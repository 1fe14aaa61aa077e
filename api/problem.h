/*
 * problem: the one place where an error becomes an HTTP answer.
 *
 * Maps each cw_code to its status and an RFC 9457 problem+json body with
 * type, title, status, detail, the request id, and the field errors.
 */
#ifndef CW_PROBLEM_H
#define CW_PROBLEM_H

#include "http.h"

/* The HTTP status for an error code. */
int problem_status(enum cw_code code);

/* Seconds a client should wait before asking again (Retry-After), or 0:
 * what the failure advises (err->retry_after), else a default for its code. */
int problem_retry_after(const struct cw_error *err);

/* Replaces x's answer with the problem for x->err. */
void problem_reply(struct exchange *x);

#endif
