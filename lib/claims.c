#include "claims.h"

#include <string.h>

static const struct {
	const char *name;
	enum role role;
} known_roles[] = {
	{"caseworker", ROLE_CASEWORKER},
	{"supervisor", ROLE_SUPERVISOR},
	{"administrator", ROLE_ADMINISTRATOR},
	{"auditor", ROLE_AUDITOR},
	{"integration", ROLE_INTEGRATION},
};

unsigned claims_role_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(known_roles) / sizeof(known_roles[0]); i++)
		if (strcmp(known_roles[i].name, name) == 0)
			return known_roles[i].role;
	return 0;
}

void claims_roles_text(unsigned roles, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(known_roles) / sizeof(known_roles[0]); i++) {
		if (!(roles & known_roles[i].role))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", known_roles[i].name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';  /* whole names only */
			return;
		}
		used += (size_t)n;
	}
}

static enum cw_code unauthenticated(struct cw_error *err, const char *reason)
{
	return cw_fail(err, CW_UNAUTHENTICATED, "%s", reason);
}

static enum cw_code check_times(const struct token_times *t, double now, struct cw_error *err)
{
	if (now >= t->exp)
		return unauthenticated(err, "The token has expired.");
	if (t->nbf != 0 && now + CLAIMS_LEEWAY_SECONDS < t->nbf)
		return unauthenticated(err, "The token is not valid yet.");
	if (t->iat != 0 && t->iat > now + CLAIMS_LEEWAY_SECONDS)
		return unauthenticated(err, "The token is issued in the future.");
	return CW_OK;
}

enum cw_code claims_recheck(const struct principal *p, const struct token_times *times, double now,
			    struct cw_error *err)
{
	enum cw_code rc = check_times(times, now, err);

	if (rc == CW_OK && p->roles == 0)
		rc = cw_fail(err, CW_FORBIDDEN, "The token's role is not one this service knows.");
	return rc;
}

static int is_clean_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A NumericDate claim; 0 and *out unchanged when absent, -1 when not a number. */
static int numeric_claim(const json_t *claims, const char *name, double *out)
{
	const json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static enum cw_code read_times(const json_t *claims, struct token_times *t, struct cw_error *err)
{
	memset(t, 0, sizeof(*t));
	if (json_object_get(claims, "exp") == NULL)
		return unauthenticated(err, "The token has no exp claim.");
	if (numeric_claim(claims, "exp", &t->exp) || numeric_claim(claims, "nbf", &t->nbf) ||
	    numeric_claim(claims, "iat", &t->iat))
		return unauthenticated(err, "The token's exp, nbf or iat is not a number.");
	return CW_OK;
}

static int audience_matches(const json_t *aud, const char *want)
{
	size_t i;
	const json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (json_is_array(aud))
		json_array_foreach(aud, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
				return 1;
	return 0;
}

static enum cw_code check_issuer_audience(const struct claim_rules *rules, const json_t *claims,
					  struct cw_error *err)
{
	const json_t *iss = json_object_get(claims, "iss");

	if (rules->issuer && !(json_is_string(iss) && strcmp(json_string_value(iss), rules->issuer) == 0))
		return unauthenticated(err, "The token's issuer is not accepted.");
	if (rules->audience && !audience_matches(json_object_get(claims, "aud"), rules->audience))
		return unauthenticated(err, "The token's audience is not accepted.");
	return CW_OK;
}

int claims_path_is_valid(const char *path)
{
	size_t segments = 1, len = strlen(path);

	if (len == 0 || len > CLAIM_PATH_MAX || path[0] == '.' || path[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (path[i] <= ' ' || path[i] > '~')
			return 0;
		if (path[i] == '.' && (path[i + 1] == '.' || ++segments > CLAIM_PATH_SEGMENTS))
			return 0;
	}
	return 1;
}

/* The value at a dotted path, or NULL when any step is missing or not an object. */
static const json_t *claim_at(const json_t *claims, const char *path)
{
	const json_t *v = claims;

	while (v != NULL && *path) {
		size_t n = strcspn(path, ".");

		v = json_is_object(v) ? json_object_getn(v, path, n) : NULL;
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

/* The roles one name grants: through the map when there is one, else by itself. */
static unsigned roles_of_name(const struct claim_rules *rules, const char *name)
{
	unsigned roles = 0;

	if (rules->role_map == NULL)
		return claims_role_bit(name);
	for (size_t i = 0; i < rules->role_map_len; i++)
		if (strcmp(rules->role_map[i].name, name) == 0)
			roles |= rules->role_map[i].roles;
	return roles;
}

/* Known names add up; unknown ones add nothing. -1 when the claim is
 * malformed: neither a string nor an array of strings (an absent claim, or an
 * empty array, is malformed only where the default role claim is required). */
static int read_roles(const struct claim_rules *rules, const json_t *role, unsigned *roles)
{
	int required = rules->role_claim == NULL;
	size_t i;
	const json_t *v;

	*roles = 0;
	if (role == NULL)
		return required ? -1 : 0;
	if (json_is_string(role)) {
		*roles = roles_of_name(rules, json_string_value(role));
		return 0;
	}
	if (!json_is_array(role) || (required && json_array_size(role) == 0))
		return -1;
	json_array_foreach(role, i, v) {
		if (!json_is_string(v))
			return -1;
		*roles |= roles_of_name(rules, json_string_value(v));
	}
	return 0;
}

static const char *or_default(const char *path, const char *fallback)
{
	return path ? path : fallback;
}

static enum cw_code read_principal(const struct claim_rules *rules, const json_t *claims, struct principal *p,
				   struct cw_error *err)
{
	const json_t *sub = claim_at(claims, or_default(rules->subject_claim, "sub"));
	const json_t *unit = claim_at(claims, or_default(rules->unit_claim, "unit"));
	const json_t *role = claim_at(claims, or_default(rules->role_claim, "role"));

	memset(p, 0, sizeof(*p));
	if (!json_is_string(sub) || !is_clean_text(json_string_value(sub), PRINCIPAL_SUB_MAX))
		return unauthenticated(err, "The token has no usable subject claim.");
	memcpy(p->sub, json_string_value(sub), strlen(json_string_value(sub)) + 1);
	if (unit != NULL && !json_is_null(unit)) {
		if (!json_is_string(unit) || !is_clean_text(json_string_value(unit), PRINCIPAL_UNIT_MAX))
			return unauthenticated(err, "The token's unit claim is not usable.");
		memcpy(p->unit, json_string_value(unit), strlen(json_string_value(unit)) + 1);
	}
	if (read_roles(rules, role, &p->roles) != 0)
		return unauthenticated(err, "The token has no usable role claim.");
	if ((p->roles & ROLE_SUPERVISOR) && p->unit[0] == '\0')
		return unauthenticated(err, "A supervisor's token must name a unit.");
	return CW_OK;
}

enum cw_code claims_check(const json_t *claims, const struct claim_rules *rules, double now,
			  struct principal *out, struct token_times *times, struct cw_error *err)
{
	enum cw_code rc;

	if (!json_is_object(claims))
		return unauthenticated(err, "The token's claims are not one JSON object.");
	rc = read_times(claims, times, err);
	if (rc == CW_OK)
		rc = check_issuer_audience(rules, claims, err);
	if (rc == CW_OK)
		rc = read_principal(rules, claims, out, err);
	if (rc == CW_OK)
		rc = claims_recheck(out, times, now, err);
	return rc;
}
