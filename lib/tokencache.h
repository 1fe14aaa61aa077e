/*
 * tokencache: verified tokens and what they were found to mean, bounded.
 *
 * A fixed number of slots, each guarded by one of a few locks. A token is
 * found only by comparing all of it, in constant time; it chooses its slot,
 * so a crafted token can only evict another from the cache, never be taken
 * for it. Tokens longer than TOKEN_CACHE_MAX_BYTES are not kept: memory
 * stays bounded. The cache judges nothing: its user re-checks the times and
 * that the key which verified the token is still trusted.
 */
#ifndef CW_TOKENCACHE_H
#define CW_TOKENCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "claims.h"

#define TOKEN_CACHE_MAX_BYTES 2048

struct token_answer {
	struct principal principal;
	struct token_times times;
	uint64_t key_id;        /* the key that verified it; 0 for a key that never leaves */
	uint64_t generation;    /* the key set's generation when the key was last known to be in it */
};

struct token_cache;

/* NULL when out of memory. Free with token_cache_free(). */
struct token_cache *token_cache_new(void);
void token_cache_free(struct token_cache *cache);

/* 1 with *out filled when the token (len bytes) is remembered; 0 otherwise. */
int token_cache_get(struct token_cache *cache, const char *token, size_t len, struct token_answer *out);

/* Remembers the answer for the token (copied), evicting whatever held its slot. */
void token_cache_put(struct token_cache *cache, const char *token, size_t len, const struct token_answer *answer);

/* Records that the token's key was found in the set of this generation (when
 * the token is still remembered). */
void token_cache_confirm(struct token_cache *cache, const char *token, size_t len, uint64_t generation);

/* Forgets the token, if it is remembered. */
void token_cache_forget(struct token_cache *cache, const char *token, size_t len);

/* How many token_cache_get() calls found their token (hits) and did not (misses). */
void token_cache_counts(struct token_cache *cache, uint64_t *hits, uint64_t *misses);

#endif
