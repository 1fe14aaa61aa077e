#include "auth.h"

#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "jwk.h"
#include "jwks.h"
#include "jws.h"
#include "log.h"
#include "metrics.h"
#include "tokencache.h"

#define MAX_TOKEN_BYTES 8192

struct auth {
	unsigned algs;                /* JWK_ALG_BIT of the accepted algorithms */
	unsigned char *secret;        /* the HMAC key; NULL with public keys */
	size_t secret_len;
	struct jwk_set *fixed_keys;   /* the one configured public key; NULL otherwise */
	struct jwks *jwks;            /* a JWK Set that may change; NULL otherwise */
	char *strings[5];             /* the copies claim_rules points into */
	struct role_mapping *role_map;
	size_t role_map_len;
	struct claim_rules rules;
	struct token_cache *cache;
};

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->secret) {
		explicit_bzero(a->secret, a->secret_len);
		free(a->secret);
	}
	jwk_set_release(a->fixed_keys);
	jwks_free(a->jwks);
	for (size_t i = 0; i < sizeof(a->strings) / sizeof(a->strings[0]); i++)
		free(a->strings[i]);
	for (size_t i = 0; i < a->role_map_len; i++)
		free(a->role_map[i].name);
	free(a->role_map);
	token_cache_free(a->cache);
	free(a);
}

/* A copy of s into the auth's strings (the i-th); 0, or -1 when out of memory. */
static int keep_string(struct auth *a, size_t i, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	a->strings[i] = strdup(s);
	*out = a->strings[i];
	return *out ? 0 : -1;
}

static int copy_rules(struct auth *a, const struct config *cfg)
{
	if (keep_string(a, 0, cfg->jwt_issuer, &a->rules.issuer) != 0 ||
	    keep_string(a, 1, cfg->jwt_audience, &a->rules.audience) != 0 ||
	    keep_string(a, 2, cfg->jwt_subject_claim, &a->rules.subject_claim) != 0 ||
	    keep_string(a, 3, cfg->jwt_unit_claim, &a->rules.unit_claim) != 0 ||
	    keep_string(a, 4, cfg->jwt_role_claim, &a->rules.role_claim) != 0)
		return -1;
	if (cfg->jwt_role_map == NULL)
		return 0;
	a->role_map = calloc(cfg->jwt_role_map_len, sizeof(*a->role_map));
	if (a->role_map == NULL)
		return -1;
	for (; a->role_map_len < cfg->jwt_role_map_len; a->role_map_len++) {
		struct role_mapping *m = &a->role_map[a->role_map_len];

		m->roles = cfg->jwt_role_map[a->role_map_len].roles;
		m->name = strdup(cfg->jwt_role_map[a->role_map_len].name);
		if (m->name == NULL)
			return -1;
	}
	a->rules.role_map = a->role_map;
	a->rules.role_map_len = a->role_map_len;
	return 0;
}

/* The configured PEM public key as a set of one key. */
static struct jwk_set *pem_key(const unsigned char *pem, size_t len, jwt_alg_t alg)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return key ? jwk_set_of_key(key, alg) : NULL;
}

static int load_keys(struct auth *a, const struct config *cfg, char *why, size_t why_len)
{
	if (cfg->jwks_file != NULL || cfg->jwks_url != NULL) {
		struct jwks_settings s = {cfg->jwks_file, cfg->jwks_url, cfg->jwks_allow_http, a->algs,
					  cfg->jwks_refresh_seconds, cfg->jwks_min_interval_seconds,
					  cfg->jwks_timeout_seconds};

		a->jwks = jwks_new(&s, why, why_len);
		return a->jwks ? 0 : -1;
	}
	if (cfg->jwt_alg == JWT_ALG_RS256 || cfg->jwt_alg == JWT_ALG_ES256) {
		a->fixed_keys = pem_key(cfg->jwt_key, cfg->jwt_key_len, cfg->jwt_alg);
		if (a->fixed_keys == NULL)
			snprintf(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE does not hold a PEM public key");
		return a->fixed_keys ? 0 : -1;
	}
	a->secret_len = cfg->jwt_key_len;
	a->secret = malloc(cfg->jwt_key_len + 1);
	if (a->secret == NULL) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	if (cfg->jwt_key_len)
		memcpy(a->secret, cfg->jwt_key, cfg->jwt_key_len);
	return 0;
}

struct auth *auth_new(const struct config *cfg, char *why, size_t why_len)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->cache = token_cache_new()) == NULL || copy_rules(a, cfg) != 0) {
		snprintf(why, why_len, "out of memory");
		auth_free(a);
		return NULL;
	}
	a->algs = cfg->jwt_algs ? cfg->jwt_algs : JWK_ALG_BIT(cfg->jwt_alg);
	if (load_keys(a, cfg, why, why_len) != 0) {
		auth_free(a);
		return NULL;
	}
	return a;
}

enum cw_code auth_ready(struct auth *a, struct cw_error *err)
{
	struct jwk_set *set;

	if (a->jwks == NULL)
		return CW_OK;
	set = jwks_current(a->jwks);
	jwk_set_release(set);
	if (set == NULL)
		return cw_fail(err, CW_UNAVAILABLE, "No key set has been loaded from CASEWORK_JWT_JWKS_URL yet.");
	return CW_OK;
}

void auth_reload(struct auth *a)
{
	if (a->jwks != NULL)
		jwks_reload(a->jwks);
	else
		log_event("info", "SIGHUP: nothing to reload (the keys come from no JWK Set)");
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

/* The remembered answer for a token, as long as the key that verified it is
 * still in the key set: a key that leaves the set takes its tokens along. */
static int remembered(struct auth *a, const char *token, size_t len, struct token_answer *answer)
{
	uint64_t generation;
	struct jwk_set *set;
	int trusted;

	if (!token_cache_get(a->cache, token, len, answer))
		return 0;
	if (a->jwks == NULL || answer->key_id == 0)
		return 1;
	generation = jwks_generation(a->jwks);
	if (answer->generation == generation)
		return 1;
	set = jwks_current(a->jwks);
	trusted = jwk_set_has(set, answer->key_id);
	jwk_set_release(set);
	if (trusted)
		token_cache_confirm(a->cache, token, len, generation);
	else
		token_cache_forget(a->cache, token, len);
	return trusted;
}

static enum cw_code key_not_found(enum jwk_lookup why, struct cw_error *err)
{
	switch (why) {
	case JWK_OTHER_ALG:
		return unauthenticated(err, "The token's kid names a key of another algorithm.");
	case JWK_NEEDS_KID:
		return unauthenticated(err, "The token names no kid, and the key set holds several keys.");
	default:
		return unauthenticated(err, "The token's kid names no key of the identity provider.");
	}
}

/* Verifies with the public key the token's kid and alg select; a kid the
 * set lacks may be in a newer set, fetched at once (rate-limited). */
static enum cw_code verify_with_key(struct auth *a, const struct jws *jws, struct token_answer *answer,
				    struct cw_error *err)
{
	const char *kid = jws->has_kid ? jws->kid : NULL;
	/* Read before the set: a token is never marked as checked against a newer
	 * set than the one that verified it. */
	uint64_t generation = a->jwks ? jwks_generation(a->jwks) : 0;
	struct jwk_set *set = a->jwks ? jwks_current(a->jwks) : jwk_set_hold(a->fixed_keys);
	enum jwk_lookup why = JWK_UNKNOWN_KID;
	const struct jwk *key = set ? jwk_set_find(set, kid, jws->alg, &why) : NULL;
	enum cw_code rc = CW_OK;

	if (key == NULL && why == JWK_UNKNOWN_KID && a->jwks != NULL) {
		struct jwk_set *newer;

		generation = jwks_generation(a->jwks);
		newer = jwks_refresh_for_kid(a->jwks, set);
		jwk_set_release(set);
		set = newer;
		key = set ? jwk_set_find(set, kid, jws->alg, &why) : NULL;
	}
	if (set == NULL)
		rc = cw_fail(err, CW_UNAVAILABLE, "The identity provider's keys have not been loaded yet.");
	else if (key == NULL)
		rc = key_not_found(why, err);
	else if (!jws_verify_key(jws, key->key))
		rc = unauthenticated(err, "The token is malformed or its signature does not verify.");
	else if (a->jwks != NULL)
		*answer = (struct token_answer){.key_id = key->id, .generation = generation};
	jwk_set_release(set);
	return rc;
}

static enum cw_code verify_signature(struct auth *a, const struct jws *jws, struct token_answer *answer,
				     struct cw_error *err)
{
	memset(answer, 0, sizeof(*answer));
	if (!(a->algs & JWK_ALG_BIT(jws->alg)))
		return unauthenticated(err, "The token is not signed with the accepted algorithm.");
	if (a->secret == NULL)
		return verify_with_key(a, jws, answer, err);
	if (!jws_verify_hmac(jws, a->secret, a->secret_len))
		return unauthenticated(err, "The token is malformed or its signature does not verify.");
	return CW_OK;
}

enum cw_code auth_authenticate(struct auth *a, const char *authorization, struct principal *out,
			       struct cw_error *err)
{
	char buf[MAX_TOKEN_BYTES + 1];
	const char *token = bearer_token(authorization, buf, sizeof(buf));
	double now = now_seconds();
	struct token_answer answer;
	struct jws jws;
	json_t *claims;
	enum cw_code rc;
	size_t len;

	if (authorization == NULL)
		return unauthenticated(err, "A bearer token is required.");
	if (token == NULL)
		return unauthenticated(err, "The Authorization header must be 'Bearer <JWT>'.");
	len = strlen(token);
	if (remembered(a, token, len, &answer)) {
		*out = answer.principal;
		return claims_recheck(out, &answer.times, now, err);
	}
	if (jws_parse(token, &jws, err) != CW_OK || verify_signature(a, &jws, &answer, err) != CW_OK)
		return err->code;
	claims = jws_claims(&jws);
	if (claims == NULL)
		return unauthenticated(err, "The token's claims are not one JSON object without repeated names.");
	rc = claims_check(claims, &a->rules, now, out, &answer.times, err);
	json_decref(claims);
	answer.principal = *out;
	if (rc == CW_OK || rc == CW_FORBIDDEN)
		token_cache_put(a->cache, token, len, &answer);
	return rc;
}

void auth_metrics_write(struct auth *a, struct strbuf *out)
{
	uint64_t hits, misses;

	token_cache_counts(a->cache, &hits, &misses);
	metrics_family(out, "casework_token_cache_lookups_total", "counter",
		       "Bearer tokens looked up among those verified before: found (hit) or verified anew (miss).");
	metrics_sample(out, "casework_token_cache_lookups_total", &(struct metrics_label){"result", "hit"}, 1, hits);
	metrics_sample(out, "casework_token_cache_lookups_total", &(struct metrics_label){"result", "miss"}, 1, misses);
}
