/*
 * jwks: the key set in force, read from a file or fetched from a URL, and
 * replaced while the service runs.
 *
 * A file is read at start (an unusable one stops the start) and again on
 * jwks_reload() (SIGHUP). A URL is fetched by a thread of its own: at once,
 * then again when the set's Cache-Control max-age runs out (bounded below by
 * min_interval and above by refresh), and at once when a request asks because
 * a token names a kid the set lacks, at most once per min_interval. A fetch or
 * read that fails, or brings an unusable set, leaves the last good set in
 * force and is logged.
 *
 * Replacing a set never disturbs a request: each takes a reference to the
 * set in force when it starts (jwks_current) and keeps using it.
 */
#ifndef CW_JWKS_H
#define CW_JWKS_H

#include <stdint.h>

#include "jwk.h"

struct jwks_settings {
	const char *file;                  /* exactly one of file and url */
	const char *url;
	int allow_http;                    /* the URL is plain HTTP (to a loopback address) */
	unsigned algs;                     /* JWK_ALG_BIT of the accepted algorithms */
	unsigned refresh_seconds;          /* longest use of a fetched set */
	unsigned min_interval_seconds;     /* least time between two fetches */
	unsigned timeout_seconds;          /* one fetch, whole */
};

struct jwks;

/* Starts a key source (settings copied). From a file: read now; NULL with
 * one sentence in why when it cannot be read or holds no usable set. From a
 * URL: the fetching thread starts and fetches at once; NULL only when out of
 * resources. Free with jwks_free(), which stops the thread. */
struct jwks *jwks_new(const struct jwks_settings *settings, char *why, size_t why_len);
void jwks_free(struct jwks *jwks);

/* A reference to the set in force (release with jwk_set_release), or NULL
 * when none was ever loaded. */
struct jwk_set *jwks_current(struct jwks *jwks);

/* Grows by one each time another set comes into force. */
uint64_t jwks_generation(const struct jwks *jwks);

/* For a token naming a kid that seen (the set the request used) lacks: from
 * a URL, fetches at once and waits for that fetch (or the one in progress),
 * at most timeout_seconds. Less than min_interval after the last fetch it
 * does not wait, and the next fetch is brought forward to the end of that
 * interval. Returns a reference to the set then in force (maybe seen again),
 * or NULL. */
struct jwk_set *jwks_refresh_for_kid(struct jwks *jwks, const struct jwk_set *seen);

/* SIGHUP: reads the file again now, or has the URL fetched now. */
void jwks_reload(struct jwks *jwks);

#endif
