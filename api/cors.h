/*
 * cors: browser front ends calling from the configured origins.
 *
 * An allowed Origin gets Access-Control-Allow-Origin on every answer, with
 * the answer headers a client reads exposed; a preflight (OPTIONS) gets the
 * methods and headers it may use. Any other origin gets no CORS headers.
 * (Vary: Origin is the server's, with the rest of Vary.)
 */
#ifndef CW_CORS_H
#define CW_CORS_H

#include "http.h"

/* Adds the CORS headers this answer needs, if the request's origin is allowed.
 * allow lists the path's methods, for preflights. */
void cors_headers(const struct exchange *x, struct _u_response *resp, int preflight, const char *allow);

#endif
