/*
 * idempotency: a POST retried with the same Idempotency-Key and request
 * replays the first answer and creates nothing.
 *
 * Keys belong to a caller (sub): within 24 hours, the same key with the same
 * request (method, path and body, by SHA-256) answers what the first request
 * answered; with another request it is CW_INVALID. The key is claimed and the
 * answer stored in the transaction that creates the record, so a key never
 * answers for a record that was not committed, and two requests with one key
 * at the same time create one record (the second waits for the first).
 */
#ifndef CW_IDEMPOTENCY_H
#define CW_IDEMPOTENCY_H

#include <stddef.h>

#include "db.h"
#include "record.h"

#define IDEMPOTENCY_KEY_MAX 200
#define IDEMPOTENCY_HOURS 24

struct idempotency {
	const char *key;          /* the Idempotency-Key header */
	char request_hash[65];    /* SHA-256 of method, path and body, in hex */
};

/* 0 when key is 1 to IDEMPOTENCY_KEY_MAX printable ASCII characters. */
int idempotency_key_valid(const char *key);

/* Fills i for key and this request; -1 when hashing fails. */
int idempotency_prepare(struct idempotency *i, const char *key, const char *method, const char *path,
			const void *body, size_t body_len);

/* First in the write transaction: claims (actor, key). *replayed is 1 with the
 * stored answer in *answer when the key already answered this request;
 * CW_INVALID when it answered another request. */
enum cw_code idempotency_claim(struct db_conn *conn, const char *actor, const struct idempotency *i,
			       int *replayed, struct record_text *answer, struct cw_error *err);

/* Last in the write transaction: stores the answer under the claimed key. */
enum cw_code idempotency_store(struct db_conn *conn, const char *actor, const struct idempotency *i,
			       const struct record_text *answer, struct cw_error *err);

#endif
