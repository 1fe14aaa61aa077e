/*
 * server: the HTTP listener. It hands every request to dispatch.c, and works
 * around a leak of libmicrohttpd's for requests dropped before a handler.
 */
#ifndef CW_SERVER_H
#define CW_SERVER_H

#include "http.h"

/* Serves until SIGINT or SIGTERM, then finishes the requests in flight and
 * returns 0; returns -1 (after one line on stderr) when it cannot listen.
 * SIGHUP reloads the key set (auth_reload). The caller must have blocked
 * SIGINT, SIGTERM and SIGHUP in every thread. */
int server_run(struct app *app);

#endif
