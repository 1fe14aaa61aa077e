/*
 * A token's claims once its signature is verified (lib/claims.c
 * claims_check): what decides who the caller is.
 *
 * Input: a byte of rules (bit 0: an issuer is required, bit 1: an audience
 * is, bit 2: the claims are read as a provider shapes them: the subject from
 * preferred_username, the unit from org.unit, the roles from
 * realm_access.roles through a role map), then the payload as the token
 * carries it: JSON, read as auth.c reads it (one object, no repeated names).
 * Each payload is judged at a fixed time and just before its exp.
 *
 * Promises checked: the answer is 200-worthy (CW_OK), 403 (CW_FORBIDDEN:
 * usable claims, no known role) or 401 (CW_UNAUTHENTICATED), the same every
 * time; an accepted token has an exp after now, the configured issuer and
 * audience, the sub it carries (1 to PRINCIPAL_SUB_MAX bytes, no control
 * characters), the unit it carries or none, exactly the known roles it
 * names (or that the role map grants for the names it carries), and a unit
 * when one of them is supervisor; the cache's re-check
 * agrees with the full check now and refuses the token once exp has passed.
 */
#include "fuzz.h"

#include <math.h>

#include "claims.h"

#define ISSUER "https://idp.agency.example.gov"
#define AUDIENCE "casework-api"
#define FIXED_NOW 1767225600.0   /* 2026-01-01T00:00:00Z */

static const char *const role_names[] = {"caseworker", "supervisor", "administrator", "auditor", "integration"};
static const unsigned role_bits[] = {ROLE_CASEWORKER, ROLE_SUPERVISOR, ROLE_ADMINISTRATOR, ROLE_AUDITOR,
				     ROLE_INTEGRATION};

/* The provider's names: one grants two roles, and one of ours means another role there. */
static struct role_mapping provider_roles[] = {
	{"cw-workers", ROLE_CASEWORKER}, {"cw-supervisors", ROLE_SUPERVISOR}, {"state-sync", ROLE_INTEGRATION},
	{"cw-leads", ROLE_SUPERVISOR}, {"cw-leads", ROLE_CASEWORKER}, {"caseworker", ROLE_AUDITOR},
};

static unsigned bit_of(const json_t *name, const struct claim_rules *rules)
{
	unsigned roles = 0;

	if (!json_is_string(name))
		return 0;
	if (rules->role_map != NULL) {
		for (size_t i = 0; i < rules->role_map_len; i++)
			if (strcmp(json_string_value(name), rules->role_map[i].name) == 0)
				roles |= rules->role_map[i].roles;
		return roles;
	}
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(json_string_value(name), role_names[i]) == 0)
			return role_bits[i];
	return 0;
}

/* The known roles the role claim names: a string or an array of them. */
static unsigned named_roles(const json_t *role, const struct claim_rules *rules)
{
	unsigned roles = bit_of(role, rules);
	size_t i;
	const json_t *v;

	json_array_foreach(role, i, v)
		roles |= bit_of(v, rules);
	return roles;
}

/* The claim at a dotted path (default: a claim of that name), read step by step. */
static const json_t *claim(const json_t *claims, const char *path, const char *fallback)
{
	const json_t *v = claims;
	char name[64];

	for (path = path ? path : fallback; v != NULL && *path;) {
		size_t n = strcspn(path, ".");

		snprintf(name, sizeof(name), "%.*s", (int)n, path);
		v = json_object_get(v, name);
		path += n + (path[n] == '.');
	}
	return v;
}

static int is_string_equal(const json_t *v, const char *want)
{
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static int audience_named(const json_t *aud)
{
	size_t i;
	const json_t *v;

	if (is_string_equal(aud, AUDIENCE))
		return 1;
	json_array_foreach(aud, i, v)
		if (is_string_equal(v, AUDIENCE))
			return 1;
	return 0;
}

static void check_accepted(const json_t *claims, const struct claim_rules *rules, double now,
			   enum cw_code rc, const struct principal *p, const struct token_times *t)
{
	const json_t *unit = claim(claims, rules->unit_claim, "unit");
	struct cw_error err = CW_ERROR_INIT;
	size_t sub_len = strnlen(p->sub, sizeof(p->sub));

	FUZZ_CHECK(json_is_number(json_object_get(claims, "exp")) && t->exp > now);
	FUZZ_CHECK(!rules->issuer || is_string_equal(json_object_get(claims, "iss"), rules->issuer));
	FUZZ_CHECK(!rules->audience || audience_named(json_object_get(claims, "aud")));
	FUZZ_CHECK(sub_len >= 1 && sub_len <= PRINCIPAL_SUB_MAX);
	FUZZ_CHECK(is_string_equal(claim(claims, rules->subject_claim, "sub"), p->sub));
	for (size_t i = 0; i < sub_len; i++)
		FUZZ_CHECK((unsigned char)p->sub[i] >= 0x20 && p->sub[i] != 0x7f);
	FUZZ_CHECK(strnlen(p->unit, sizeof(p->unit)) <= PRINCIPAL_UNIT_MAX);
	FUZZ_CHECK(unit == NULL || json_is_null(unit) ? p->unit[0] == '\0' : is_string_equal(unit, p->unit));
	FUZZ_CHECK(p->roles == named_roles(claim(claims, rules->role_claim, "role"), rules));
	FUZZ_CHECK((rc == CW_OK) == (p->roles != 0));
	FUZZ_CHECK(!(p->roles & ROLE_SUPERVISOR) || p->unit[0] != '\0');
	FUZZ_CHECK(claims_recheck(p, t, now, &err) == rc);
	FUZZ_CHECK(isnan(t->exp) || claims_recheck(p, t, t->exp, &err) == CW_UNAUTHENTICATED);
	cw_error_release(&err);
}

static void judge(const json_t *claims, const struct claim_rules *rules, double now)
{
	struct principal p, again;
	struct token_times t, t_again;
	struct cw_error err = CW_ERROR_INIT;
	enum cw_code rc = claims_check(claims, rules, now, &p, &t, &err);

	FUZZ_CHECK(rc == CW_OK || rc == CW_FORBIDDEN || rc == CW_UNAUTHENTICATED);
	FUZZ_CHECK(rc == CW_OK ? err.code == CW_OK : err.code == rc && err.detail[0] != '\0');
	cw_error_release(&err);
	FUZZ_CHECK(claims_check(claims, rules, now, &again, &t_again, &err) == rc);
	cw_error_release(&err);
	if (rc != CW_UNAUTHENTICATED)
		check_accepted(claims, rules, now, rc, &p, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim_rules rules = {.issuer = NULL};
	json_t *claims, *exp;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		rules.issuer = ISSUER;
	if (data[0] & 2)
		rules.audience = AUDIENCE;
	if (data[0] & 4) {
		rules.subject_claim = "preferred_username";
		rules.unit_claim = "org.unit";
		rules.role_claim = "realm_access.roles";
		rules.role_map = provider_roles;
		rules.role_map_len = sizeof(provider_roles) / sizeof(provider_roles[0]);
	}
	claims = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (claims == NULL)
		return 0;
	judge(claims, &rules, FIXED_NOW);
	exp = json_object_get(claims, "exp");
	if (json_is_number(exp))
		judge(claims, &rules, json_number_value(exp) - 1);
	json_decref(claims);
	return 0;
}
