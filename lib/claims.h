/*
 * claims: a token's claims, once its signature is verified -> principal.
 *
 * Pure: no keys, no clock, no globals. The caller passes the claims as one
 * parsed JSON object, the rules they must meet and the time to judge them by,
 * so the same claims, rules and time always give the same answer.
 *
 * exp is required and strict, nbf and iat allow CLAIMS_LEEWAY_SECONDS of clock
 * skew, iss and aud must match when the rules name them, the subject is
 * required, the roles are a string or an array whose known names add up, and a
 * supervisor must name a unit.
 *
 * Where the subject, the unit and the roles are read is the rules' choice
 * (an identity provider puts them where it puts them): each is a dotted path
 * into the claims ("realm_access.roles"), and a role map turns the provider's
 * role or group names into this service's five roles. With the defaults
 * (sub, unit, role, no map) a token must carry a role claim; with a role
 * claim configured, a token without it is a valid token with no role (403).
 */
#ifndef CW_CLAIMS_H
#define CW_CLAIMS_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

#define CLAIMS_LEEWAY_SECONDS 60
#define PRINCIPAL_SUB_MAX 255
#define PRINCIPAL_UNIT_MAX 100

enum role {
	ROLE_CASEWORKER = 1u << 0,
	ROLE_SUPERVISOR = 1u << 1,
	ROLE_ADMINISTRATOR = 1u << 2,
	ROLE_AUDITOR = 1u << 3,
	ROLE_INTEGRATION = 1u << 4,
};

struct principal {
	char sub[PRINCIPAL_SUB_MAX + 1];
	char unit[PRINCIPAL_UNIT_MAX + 1];  /* "" when the token names none */
	unsigned roles;                     /* enum role bits */
};

#define CLAIM_PATH_MAX 200          /* a dotted path, in bytes */
#define CLAIM_PATH_SEGMENTS 8

/* A name the identity provider uses, and the roles it grants here. */
struct role_mapping {
	char *name;
	unsigned roles;         /* enum role bits */
};

/* What the claims must meet and where to find them. Borrowed strings; a
 * zeroed struct accepts any issuer and audience and reads sub, unit and role. */
struct claim_rules {
	const char *issuer;          /* NULL: iss is not checked */
	const char *audience;        /* NULL: aud is not checked */
	const char *subject_claim;   /* dotted path; NULL: "sub" */
	const char *unit_claim;      /* dotted path; NULL: "unit" */
	const char *role_claim;      /* dotted path; NULL: "role", required */
	const struct role_mapping *role_map;  /* NULL: the five role names count as themselves */
	size_t role_map_len;
};

/* The time claims, kept beside a cached principal so that a later use of the
 * same token is judged against a later time. */
struct token_times {
	double exp;
	double nbf;  /* 0 when absent */
	double iat;  /* 0 when absent */
};

/* Checks claims (a JSON object) against rules at time now (seconds since the
 * epoch). Returns CW_OK with *out and *times filled; CW_FORBIDDEN with them
 * filled when every claim is usable but no role is one this service knows;
 * otherwise CW_UNAUTHENTICATED with a short reason in err (and *out, *times
 * unspecified). Never keeps a reference to claims. */
enum cw_code claims_check(const json_t *claims, const struct claim_rules *rules, double now,
			  struct principal *out, struct token_times *times, struct cw_error *err);

/* Judges a principal and times that claims_check gave earlier (CW_OK or
 * CW_FORBIDDEN) against a later now: the answer claims_check would give now. */
enum cw_code claims_recheck(const struct principal *p, const struct token_times *times, double now,
			    struct cw_error *err);

/* Whether path is a usable dotted path: 1 to CLAIM_PATH_SEGMENTS non-empty
 * names of printable ASCII without spaces, CLAIM_PATH_MAX bytes at most. */
int claims_path_is_valid(const char *path);

/* The role bit of one of the five role names (exact, case-sensitive); 0 for any other. */
unsigned claims_role_bit(const char *name);

/* Writes the role names as "a,b" into buf (NUL-terminated; only the whole
 * names that fit in len). */
void claims_roles_text(unsigned roles, char *buf, size_t len);

#endif
