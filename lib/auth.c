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
	struct claim_rules rules;     /* points into the strings above */
	pthread_mutex_t stripes[CACHE_STRIPES];
	struct cache_entry slots[CACHE_SLOTS];
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
	a->rules.issuer = a->issuer;
	a->rules.audience = a->audience;
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

enum cw_code auth_authenticate(struct auth *a, const char *authorization, struct principal *out,
			       struct cw_error *err)
{
	char buf[MAX_TOKEN_BYTES + 1];
	const char *token = bearer_token(authorization, buf, sizeof(buf));
	struct token_times times = {0, 0, 0};
	double now = now_seconds();
	json_t *claims;
	enum cw_code rc;
	size_t len;

	if (authorization == NULL)
		return unauthenticated(err, "A bearer token is required.");
	if (token == NULL)
		return unauthenticated(err, "The Authorization header must be 'Bearer <JWT>'.");
	len = strlen(token);
	if (cache_get(a, token, len, out, &times))
		return claims_recheck(out, &times, now, err);
	claims = verified_claims(a, token, err);
	if (claims == NULL)
		return err->code;
	rc = claims_check(claims, &a->rules, now, out, &times, err);
	json_decref(claims);
	if (rc == CW_OK || rc == CW_FORBIDDEN)
		cache_put(a, token, len, out, &times);
	return rc;
}
