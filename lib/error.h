/*
 * error: the one error value of the domain.
 *
 * Every fallible function in lib/ and api/ reports failure by filling a
 * struct cw_error and returning its code; exactly one function (api/problem.c)
 * turns it into an HTTP answer. Codes name what went wrong, not how HTTP says it.
 */
#ifndef CW_ERROR_H
#define CW_ERROR_H

#include <jansson.h>

enum cw_code {
	CW_OK = 0,
	CW_BAD_REQUEST,       /* the body is not JSON, or not an object */
	CW_UNAUTHENTICATED,   /* no usable bearer token */
	CW_FORBIDDEN,         /* the caller's role may not do this */
	CW_NOT_FOUND,         /* no such record, or not visible to the caller */
	CW_METHOD_NOT_ALLOWED,
	CW_CONFLICT,          /* unique key taken, or the state forbids the change */
	CW_PRECONDITION_FAILED, /* If-Match does not match */
	CW_TOO_LARGE,         /* body above the configured limit */
	CW_UNSUPPORTED_MEDIA, /* body is not declared as JSON */
	CW_INVALID,           /* well-formed input that breaks a rule (see fields) */
	CW_UNAVAILABLE,       /* the database cannot be reached or is overloaded */
	CW_BUSY,              /* as many requests of this kind as the service runs at once are running */
	CW_INTERNAL,          /* a bug or resource exhaustion: never the client's fault */
};

struct cw_error {
	enum cw_code code;
	char detail[256];      /* one sentence saying what to fix; no personal data */
	char constraint[64];   /* database constraint that failed, when one did */
	char sqlstate[6];      /* database error code, when the database failed */
	json_t *fields;        /* array of {"field","message"}; NULL until one is added */
	int field_errors;      /* how many were found (the array keeps the first ones) */
	int retry_after;       /* seconds to wait before asking again, when the failure knows; else 0 */
};

#define CW_MAX_FIELD_ERRORS 100
#define CW_FIELD_NAME_MAX 100

#define CW_ERROR_INIT { CW_OK, "", "", "", NULL, 0, 0 }

/* Set code and detail (printf-style). Keeps fields added earlier, and retry
 * advice (a rewording keeps it). Returns code. */
enum cw_code cw_fail(struct cw_error *err, enum cw_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append one field error; err->code becomes CW_INVALID. Returns CW_INVALID. */
enum cw_code cw_field_error(struct cw_error *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when at least one field error was recorded. */
int cw_has_field_errors(const struct cw_error *err);

/* Start-up work (settings, keys) says why it refused as text, not as a
 * cw_error: writes the reason (printf-style) into why, len bytes at most.
 * Returns -1. */
int cw_refuse(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Frees the field list and resets err to CW_OK, ready for reuse. Accepts NULL. */
void cw_error_release(struct cw_error *err);

#endif
