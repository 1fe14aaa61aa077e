#include "tokencache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096        /* power of two */
#define CACHE_STRIPES 64

struct cache_entry {
	char *token;     /* NULL when the slot is empty */
	size_t len;
	struct token_answer answer;
};

struct token_cache {
	atomic_uint_least64_t hits, misses;
	pthread_mutex_t stripes[CACHE_STRIPES];
	struct cache_entry slots[CACHE_SLOTS];
};

struct token_cache *token_cache_new(void)
{
	struct token_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->stripes[i], NULL);
	return c;
}

void token_cache_free(struct token_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		free(c->slots[i].token);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->stripes[i]);
	free(c);
}

/* The slot for a token: FNV-1a over the signature's last characters (the part
 * that differs between tokens). */
static size_t slot_of(const char *token, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t from = len > 32 ? len - 32 : 0;

	for (size_t i = from; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 0x100000001b3u;
	return (size_t)(h & (CACHE_SLOTS - 1));
}

static int holds(const struct cache_entry *e, const char *token, size_t len)
{
	return e->token != NULL && e->len == len && CRYPTO_memcmp(e->token, token, len) == 0;
}

/* The token's slot, its lock taken. */
static struct cache_entry *lock_slot(struct token_cache *c, const char *token, size_t len, pthread_mutex_t **lock)
{
	size_t slot = slot_of(token, len);

	*lock = &c->stripes[slot % CACHE_STRIPES];
	pthread_mutex_lock(*lock);
	return &c->slots[slot];
}

int token_cache_get(struct token_cache *c, const char *token, size_t len, struct token_answer *out)
{
	pthread_mutex_t *lock;
	struct cache_entry *e = lock_slot(c, token, len, &lock);
	int hit = holds(e, token, len);

	if (hit)
		*out = e->answer;
	pthread_mutex_unlock(lock);
	atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return hit;
}

void token_cache_put(struct token_cache *c, const char *token, size_t len, const struct token_answer *answer)
{
	pthread_mutex_t *lock;
	struct cache_entry *e;
	char *copy;

	if (len > TOKEN_CACHE_MAX_BYTES || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, token, len);
	e = lock_slot(c, token, len, &lock);
	free(e->token);
	e->token = copy;
	e->len = len;
	e->answer = *answer;
	pthread_mutex_unlock(lock);
}

void token_cache_confirm(struct token_cache *c, const char *token, size_t len, uint64_t generation)
{
	pthread_mutex_t *lock;
	struct cache_entry *e = lock_slot(c, token, len, &lock);

	if (holds(e, token, len) && e->answer.generation < generation)
		e->answer.generation = generation;
	pthread_mutex_unlock(lock);
}

void token_cache_forget(struct token_cache *c, const char *token, size_t len)
{
	pthread_mutex_t *lock;
	struct cache_entry *e = lock_slot(c, token, len, &lock);

	if (holds(e, token, len)) {
		free(e->token);
		e->token = NULL;
	}
	pthread_mutex_unlock(lock);
}

void token_cache_counts(struct token_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
	*misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
}
