/*
 * routes: the table of every path and method the service answers.
 *
 * Path templates use {name} for one segment. route_match() finds the route for
 * a method and a raw path, and tells a path that exists under other methods
 * (405) from one that does not (404). The routes of a kind of record name its
 * descriptor (lib/resource.h) and the handler every kind shares
 * (record_handlers.c); other endpoints have handlers of their own.
 */
#ifndef CW_ROUTES_H
#define CW_ROUTES_H

#include "http.h"

#define ROUTE_PUBLIC     1u   /* no token needed */
#define ROUTE_BODY       2u   /* takes a JSON object body */
#define ROUTE_NEGOTIATED 4u   /* the answer's media type follows Accept (Vary: Accept) */
#define ROUTE_UNDER      8u   /* the path's first {id} is the record the kind is under */

struct resource;

struct route {
	const char *method;
	const char *path;
	handler_fn handler;
	unsigned flags;
	unsigned actions;              /* what the request does (enum access_action): authorised before
					  anything else of it is read; 0 for reads */
	const struct resource *kind;   /* the kind of record the route serves (a record handler's, and the
					  noun of a refusal); NULL for others */
};

enum route_outcome { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD };

/* Matches method and path (no query string). On ROUTE_FOUND sets *found and
 * copies the {param} segments into params. On ROUTE_NO_METHOD writes the
 * allowed methods ("GET, POST") into allow. HEAD matches GET routes. */
enum route_outcome route_match(const char *method, const char *path, const struct route **found,
			       char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1], char *allow, size_t allow_len);

#define ROUTE_LOCATION_MAX 128

/* Where a new record of kind is read (its GET route), up to the record's own
 * id: "/v1/visits/", or "/v1/goals/<parent_id>/progress/" for a kind read
 * under its parent. 0, or -1 when no route reads the kind. */
int route_location_prefix(const struct resource *kind, const char *parent_id, char *out, size_t len);

/* The first route whose template matches path, whatever its method; NULL
 * when none does. */
const struct route *route_for_path(const char *path);

/* How many routes the table holds; route_at(i) is the i-th (0 <= i < route_count()). */
size_t route_count(void);
const struct route *route_at(size_t i);

/* The number of the first route with r's path template: the same for every
 * method of a path, below route_count(). */
size_t route_template_slot(const struct route *r);

/* The methods a path answers ("GET, HEAD, PATCH, DELETE, OPTIONS"), for OPTIONS
 * and 405; returns the number of routes on the path, 0 when none. */
int route_methods(const char *path, char *allow, size_t allow_len);

#endif
