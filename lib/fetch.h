/*
 * fetch: one GET of a small document (a JWK Set) over HTTPS, bounded.
 *
 * No redirects are followed, the answer must be 200 and at most max_bytes
 * long, the whole exchange ends after timeout_ms, and HTTPS certificates are
 * checked against the system's trust store. Plain HTTP is spoken only when
 * the caller allows it (config.c allows it for loopback addresses alone).
 * Call fetch_global_init() once, before any thread starts.
 */
#ifndef CW_FETCH_H
#define CW_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

struct fetch_request {
	const char *url;
	int allow_http;
	size_t max_bytes;
	long timeout_ms;
	const atomic_int *cancel;   /* when it becomes non-zero, the transfer stops */
};

struct fetch_result {
	char *body;          /* owned, NUL-terminated; NULL on failure */
	size_t len;
	long max_age;        /* Cache-Control max-age in seconds; -1 when none (0 for no-cache, no-store) */
	char error[200];     /* why it failed, for the log */
};

/* 0 with result filled (free result->body), or -1 with result->error set. */
int fetch_get(const struct fetch_request *req, struct fetch_result *result);

/* The max-age of a Cache-Control header value, or -1 (no-cache and no-store
 * count as 0). Exposed for tests. */
long fetch_max_age(const char *cache_control);

int fetch_global_init(void);
void fetch_global_cleanup(void);

#endif
