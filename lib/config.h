/*
 * config: the service's settings, read once from the environment.
 *
 * config_load() either fills every field with a usable value or fails with one
 * sentence naming the variable and what is wrong with it; it never falls back
 * silently for a secret. The struct owns its strings: release with config_release().
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <jwt.h>
#include <stddef.h>

#include "claims.h"

struct config {
	char *database_url;
	char *migrate_database_url; /* the schema owner's, for migrate; NULL: database_url */
	char *bind;                 /* numeric IPv4 or IPv6 address */
	unsigned port;
	unsigned pool_size;
	unsigned http_threads;      /* epoll workers; 0: one thread per connection */
	unsigned idle_timeout;      /* seconds before an idle connection is closed */
	unsigned report_concurrency; /* reports run at once, each on a connection of its own */
	unsigned report_timeout;    /* seconds a report's statement may run */
	jwt_alg_t jwt_alg;          /* the accepted algorithm (the first, when several) */
	unsigned jwt_algs;          /* JWK_ALG_BIT of every accepted one; 0: jwt_alg alone */
	unsigned char *jwt_key;     /* HMAC secret, or PEM public key text; NULL with a JWK Set */
	size_t jwt_key_len;
	char *jwt_issuer;           /* NULL when not checked */
	char *jwt_audience;         /* NULL when not checked */
	char *jwks_file;            /* a JWK Set on disk; NULL when not used */
	char *jwks_url;             /* a JWK Set to fetch; NULL when not used */
	int jwks_allow_http;        /* jwks_url is plain HTTP to a loopback address */
	unsigned jwks_refresh_seconds;
	unsigned jwks_min_interval_seconds;
	unsigned jwks_timeout_seconds;
	char *jwt_subject_claim;    /* dotted paths; NULL: sub, unit, role */
	char *jwt_unit_claim;
	char *jwt_role_claim;
	struct role_mapping *jwt_role_map;  /* names owned; NULL when there is no map */
	size_t jwt_role_map_len;
	size_t max_body_bytes;
	char **cors_origins;        /* NULL-terminated; empty when CORS is off */
	char *timezone;             /* IANA name: the agency's "today" */
	int disclose_sud;           /* auditors and integrations see substance use treatment referrals */
};

/* Reads CASEWORK_* variables. On failure returns -1 with a one-line reason in
 * why (never naming a secret's value) and leaves cfg released. */
int config_load(struct config *cfg, char *why, size_t why_len);

/* Reads only what `caseworkd migrate` needs (the database URLs). */
int config_load_database(struct config *cfg, char *why, size_t why_len);

/* Reads only what `caseworkd probe` needs (the listen address and port). */
int config_load_listener(struct config *cfg, char *why, size_t why_len);

/* Frees every string the struct owns; the secret is wiped first. Accepts NULL. */
void config_release(struct config *cfg);

/* True when origin is exactly one of the configured CORS origins. */
int config_cors_allows(const struct config *cfg, const char *origin);

#endif
