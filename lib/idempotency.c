#include "idempotency.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new key, or an expired one taken over; nothing when a live one exists
 * (after waiting for a transaction that is writing it). */
static const struct db_statement claim_key = {
	"idempotency_claim",
	"INSERT INTO idempotency_keys AS k (actor, key, request_hash) VALUES ($1, $2, $3)"
	" ON CONFLICT (actor, key) DO UPDATE"
	"   SET request_hash = EXCLUDED.request_hash, record_id = NULL, version = NULL, body = NULL,"
	"       created_at = now()"
	" WHERE k.created_at < now() - interval '24 hours'"
	" RETURNING 1", 3, 0};
static const struct db_statement stored_answer = {
	"idempotency_stored",
	"SELECT request_hash, record_id::text, version, body FROM idempotency_keys WHERE actor = $1 AND key = $2",
	2, 0};
static const struct db_statement store_answer = {
	"idempotency_store",
	"UPDATE idempotency_keys SET record_id = $3, version = $4, body = $5 WHERE actor = $1 AND key = $2", 5, 0};
/* Each claim clears a few expired keys: the table stays small without a job. */
static const struct db_statement clear_expired = {
	"idempotency_clear",
	"DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys"
	" WHERE created_at < now() - interval '24 hours' LIMIT 20))", 0, 0};

int idempotency_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return -1;
	return 0;
}

int idempotency_prepare(struct idempotency *i, const char *key, const char *method, const char *path,
			const void *body, size_t body_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, method, strlen(method) + 1) && EVP_DigestUpdate(ctx, path, strlen(path) + 1) &&
		 EVP_DigestUpdate(ctx, body ? body : "", body_len) && EVP_DigestFinal_ex(ctx, digest, &n);

	EVP_MD_CTX_free(ctx);
	if (!ok || n != 32)
		return -1;
	i->key = key;
	for (size_t b = 0; b < n; b++) {
		i->request_hash[2 * b] = hex[digest[b] >> 4];
		i->request_hash[2 * b + 1] = hex[digest[b] & 15];
	}
	i->request_hash[64] = '\0';
	return 0;
}

enum cw_code idempotency_claim(struct db_conn *conn, const char *actor, const struct idempotency *i,
			       int *replayed, struct record_text *answer, struct cw_error *err)
{
	const char *params[3] = {actor, i->key, i->request_hash};
	PGresult *res = db_run(conn, &claim_key, params, err);
	enum cw_code rc = CW_OK;
	int claimed;

	*replayed = 0;
	if (res == NULL)
		return err->code;
	claimed = PQntuples(res) == 1;
	PQclear(res);
	if (claimed) {
		res = db_run(conn, &clear_expired, NULL, err);
		PQclear(res);
		return res ? CW_OK : err->code;
	}
	res = db_run(conn, &stored_answer, params, err);
	if (res == NULL)
		return err->code;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1)) {
		rc = cw_fail(err, CW_INTERNAL, "The answer stored for this Idempotency-Key is missing.");
	} else if (strcmp(PQgetvalue(res, 0, 0), i->request_hash) != 0) {
		cw_field_error(err, "Idempotency-Key", "was used for another request in the last %d hours; "
			       "use a new key for a new request", IDEMPOTENCY_HOURS);
		rc = CW_INVALID;
	} else {
		snprintf(answer->id, sizeof(answer->id), "%s", PQgetvalue(res, 0, 1));
		answer->version = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		answer->json = strdup(PQgetvalue(res, 0, 3));
		*replayed = 1;
		if (answer->json == NULL)
			rc = cw_fail(err, CW_INTERNAL, "Out of memory.");
	}
	PQclear(res);
	return rc;
}

enum cw_code idempotency_store(struct db_conn *conn, const char *actor, const struct idempotency *i,
			       const struct record_text *answer, struct cw_error *err)
{
	char version[24];
	const char *params[5] = {actor, i->key, answer->id, version, answer->json};
	PGresult *res;

	snprintf(version, sizeof(version), "%lld", answer->version);
	res = db_run(conn, &store_answer, params, err);
	PQclear(res);
	return res ? CW_OK : err->code;
}
