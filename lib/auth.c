#include "auth.h"

#include "base64url.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define MAX_TOKEN_BYTES 8192
#define CACHE_SLOTS 4096        /* power of two */
#define CACHE_STRIPES 64
#define CACHEABLE_TOKEN_BYTES 2048 /* longer ones are verified every time: memory stays bounded */

struct token_times {
	double exp;
	double nbf;  /* 0 when absent */
	double iat;  /* 0 when absent */
};

struct cache_entry {
	char *token;     /* NULL when the slot is empty */
	size_t len;
	struct token_times times;
	struct principal principal;
};

struct auth {
	jwt_alg_t alg;
	unsigned char *key;
	int key_len;
	char *issuer;
	char *audience;
	pthread_mutex_t stripes[CACHE_STRIPES];
	struct cache_entry slots[CACHE_SLOTS];
};

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

struct auth *auth_new(const struct config *cfg)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->alg = cfg->jwt_alg;
	a->key_len = (int)cfg->jwt_key_len;
	a->key = malloc(cfg->jwt_key_len + 1);
	a->issuer = cfg->jwt_issuer ? strdup(cfg->jwt_issuer) : NULL;
	a->audience = cfg->jwt_audience ? strdup(cfg->jwt_audience) : NULL;
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&a->stripes[i], NULL);
	if (a->key == NULL || (cfg->jwt_issuer && !a->issuer) || (cfg->jwt_audience && !a->audience)) {
		auth_free(a);
		return NULL;
	}
	memcpy(a->key, cfg->jwt_key, cfg->jwt_key_len);
	a->key[cfg->jwt_key_len] = '\0';
	return a;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->key) {
		explicit_bzero(a->key, (size_t)a->key_len);
		free(a->key);
	}
	for (int i = 0; i < CACHE_SLOTS; i++)
		free(a->slots[i].token);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&a->stripes[i]);
	free(a->issuer);
	free(a->audience);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

void auth_roles_text(unsigned roles, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(known_roles) / sizeof(known_roles[0]); i++) {
		if (!(roles & known_roles[i].role))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", known_roles[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

static double now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static enum cw_code unauthenticated(struct cw_error *err, const char *reason)
{
	return cw_fail(err, CW_UNAUTHENTICATED, "%s", reason);
}

static enum cw_code check_times(const struct token_times *t, struct cw_error *err)
{
	double now = now_seconds();

	if (now >= t->exp)
		return unauthenticated(err, "The token has expired.");
	if (t->nbf != 0 && now + AUTH_LEEWAY_SECONDS < t->nbf)
		return unauthenticated(err, "The token is not valid yet.");
	if (t->iat != 0 && t->iat > now + AUTH_LEEWAY_SECONDS)
		return unauthenticated(err, "The token is issued in the future.");
	return CW_OK;
}

/* "Bearer <token>" -> token, or NULL. The token is returned in buf. */
static const char *bearer_token(const char *header, char *buf, size_t len)
{
	size_t n = 0, dots = 0;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	for (; header[n] && header[n] != ' '; n++) {
		char c = header[n];

		if (n + 1 >= len)
			return NULL;
		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_'))
			return NULL;
		buf[n] = c;
	}
	for (size_t i = n; header[i]; i++)
		if (header[i] != ' ')
			return NULL;
	buf[n] = '\0';
	return n > 0 && dots == 2 ? buf : NULL;
}

/* The slot for a token: FNV-1a over the signature's last characters (the part
 * that differs between tokens). Tokens choose their slot, so a crafted one can
 * only evict another from the cache, never be mistaken for it. */
static size_t slot_of(const char *token, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t from = len > 32 ? len - 32 : 0;

	for (size_t i = from; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 0x100000001b3u;
	return (size_t)(h & (CACHE_SLOTS - 1));
}

static int cache_get(struct auth *a, const char *token, size_t len, struct principal *out,
		     struct token_times *times)
{
	size_t slot = slot_of(token, len);
	pthread_mutex_t *lock = &a->stripes[slot % CACHE_STRIPES];
	struct cache_entry *e = &a->slots[slot];
	int hit;

	pthread_mutex_lock(lock);
	hit = e->token != NULL && e->len == len && CRYPTO_memcmp(e->token, token, len) == 0;
	if (hit) {
		*out = e->principal;
		*times = e->times;
	}
	pthread_mutex_unlock(lock);
	return hit;
}

static void cache_put(struct auth *a, const char *token, size_t len, const struct principal *p,
		      const struct token_times *times)
{
	size_t slot = slot_of(token, len);
	pthread_mutex_t *lock = &a->stripes[slot % CACHE_STRIPES];
	struct cache_entry *e = &a->slots[slot];
	char *copy;

	if (len > CACHEABLE_TOKEN_BYTES || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, token, len);
	pthread_mutex_lock(lock);
	free(e->token);
	e->token = copy;
	e->len = len;
	e->principal = *p;
	e->times = *times;
	pthread_mutex_unlock(lock);
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

static enum cw_code check_issuer_audience(const struct auth *a, const json_t *claims, struct cw_error *err)
{
	const json_t *iss = json_object_get(claims, "iss");

	if (a->issuer && !(json_is_string(iss) && strcmp(json_string_value(iss), a->issuer) == 0))
		return unauthenticated(err, "The token's issuer is not accepted.");
	if (a->audience && !audience_matches(json_object_get(claims, "aud"), a->audience))
		return unauthenticated(err, "The token's audience is not accepted.");
	return CW_OK;
}

static unsigned role_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(known_roles) / sizeof(known_roles[0]); i++)
		if (strcmp(known_roles[i].name, name) == 0)
			return known_roles[i].role;
	return 0;
}

/* Known roles add up; unknown ones add nothing. -1 when the claim is malformed. */
static int read_roles(const json_t *role, unsigned *roles)
{
	size_t i;
	const json_t *v;

	*roles = 0;
	if (json_is_string(role)) {
		*roles = role_bit(json_string_value(role));
		return 0;
	}
	if (!json_is_array(role) || json_array_size(role) == 0)
		return -1;
	json_array_foreach(role, i, v) {
		if (!json_is_string(v))
			return -1;
		*roles |= role_bit(json_string_value(v));
	}
	return 0;
}

static enum cw_code read_principal(const json_t *claims, struct principal *p, struct cw_error *err)
{
	const json_t *sub = json_object_get(claims, "sub");
	const json_t *unit = json_object_get(claims, "unit");

	memset(p, 0, sizeof(*p));
	if (!json_is_string(sub) || !is_clean_text(json_string_value(sub), PRINCIPAL_SUB_MAX))
		return unauthenticated(err, "The token has no usable sub claim.");
	memcpy(p->sub, json_string_value(sub), strlen(json_string_value(sub)) + 1);
	if (unit != NULL && !json_is_null(unit)) {
		if (!json_is_string(unit) || !is_clean_text(json_string_value(unit), PRINCIPAL_UNIT_MAX))
			return unauthenticated(err, "The token's unit claim is not usable.");
		memcpy(p->unit, json_string_value(unit), strlen(json_string_value(unit)) + 1);
	}
	if (json_object_get(claims, "role") == NULL || read_roles(json_object_get(claims, "role"), &p->roles) != 0)
		return unauthenticated(err, "The token has no usable role claim.");
	if ((p->roles & ROLE_SUPERVISOR) && p->unit[0] == '\0')
		return unauthenticated(err, "A supervisor's token must name a unit.");
	return CW_OK;
}

/* The token's own payload, parsed strictly: libjwt keeps the last of
 * duplicate claims, and RFC 7519 lets us refuse them instead (a token that
 * means different things to different parsers is not accepted). */
static json_t *payload_claims(const char *token)
{
	const char *start = strchr(token, '.') + 1;
	size_t len = (size_t)(strchr(start, '.') - start);
	unsigned char *raw = malloc(len * 3 / 4 + 3);
	long n = raw ? base64url_decode(start, len, raw) : -1;
	json_t *claims = n >= 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;

	free(raw);
	return claims;
}

/* Signature and algorithm; then the claims as JSON (caller decrefs). */
static json_t *verified_claims(struct auth *a, const char *token, struct cw_error *err)
{
	jwt_t *jwt = NULL;
	json_t *claims = NULL;

	if (jwt_decode(&jwt, token, a->key, a->key_len) != 0 || jwt == NULL) {
		unauthenticated(err, "The token is malformed or its signature does not verify.");
		goto out;
	}
	/* libjwt takes the algorithm from the token; only the configured one counts. */
	if (jwt_get_alg(jwt) != a->alg) {
		unauthenticated(err, "The token is not signed with the accepted algorithm.");
		goto out;
	}
	claims = payload_claims(token);
	if (!json_is_object(claims)) {
		json_decref(claims);
		claims = NULL;
		unauthenticated(err, "The token's claims are not one JSON object without repeated names.");
	}
out:
	jwt_free(jwt);
	return claims;
}

static enum cw_code verify(struct auth *a, const char *token, struct principal *out,
			   struct token_times *times, struct cw_error *err)
{
	json_t *claims = verified_claims(a, token, err);
	enum cw_code rc;

	if (claims == NULL)
		return err->code;
	rc = read_times(claims, times, err);
	if (rc == CW_OK)
		rc = check_issuer_audience(a, claims, err);
	if (rc == CW_OK)
		rc = read_principal(claims, out, err);
	json_decref(claims);
	return rc;
}

enum cw_code auth_authenticate(struct auth *a, const char *authorization, struct principal *out,
			       struct cw_error *err)
{
	char buf[MAX_TOKEN_BYTES + 1];
	const char *token = bearer_token(authorization, buf, sizeof(buf));
	struct token_times times = {0, 0, 0};
	enum cw_code rc;
	size_t len;

	if (authorization == NULL)
		return unauthenticated(err, "A bearer token is required.");
	if (token == NULL)
		return unauthenticated(err, "The Authorization header must be 'Bearer <JWT>'.");
	len = strlen(token);
	if (!cache_get(a, token, len, out, &times)) {
		rc = verify(a, token, out, &times, err);
		if (rc != CW_OK)
			return rc;
		rc = check_times(&times, err);
		if (rc != CW_OK)
			return rc;
		cache_put(a, token, len, out, &times);
	} else if ((rc = check_times(&times, err)) != CW_OK) {
		return rc;
	}
	if (out->roles == 0)
		return cw_fail(err, CW_FORBIDDEN, "The token's role is not one this service knows.");
	return CW_OK;
}
