/* jwk: a JWK Set as a provider publishes it -> the keys tokens are verified with. */
#include "jwk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "keys.h"

#define RS JWK_ALG_BIT(JWT_ALG_RS256)
#define ES JWK_ALG_BIT(JWT_ALG_ES256)

static EVP_PKEY *rsa_a, *rsa_b, *ec_a;
static char *rsa_a_jwk, *rsa_b_jwk, *ec_a_jwk;   /* members without braces */

/* Parses the set written printf-style; NULL when refused (the reason then in why). */
static struct jwk_set *parsed(unsigned algs, const struct jwk_set *previous, char *why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct jwk_set *parsed(unsigned algs, const struct jwk_set *previous, char *why, const char *fmt, ...)
{
	static char text[200000];
	struct jwk_set *set = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	why[0] = '\0';
	if (jwk_set_parse(text, strlen(text), algs, previous, &set, why, 300) != 0)
		return NULL;
	return set;
}

/* 1 when the set is refused with a reason containing word. */
static int refused(const char *word, unsigned algs, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refused(const char *word, unsigned algs, const char *fmt, ...)
{
	static char text[200000];
	struct jwk_set *set = NULL;
	char why[300] = "";
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rc = jwk_set_parse(text, strlen(text), algs, NULL, &set, why, sizeof(why));
	jwk_set_release(set);
	if (rc == 0 || strstr(why, word) == NULL) {
		fprintf(stderr, "  rc %d, reason \"%s\": want a refusal naming \"%s\"\n", rc, why, word);
		return 0;
	}
	return 1;
}

static int accepted_text(const char *fmt, const char *members)
{
	char why[300];
	struct jwk_set *set = parsed(RS, NULL, why, fmt, members);

	jwk_set_release(set);
	if (set == NULL)
		fprintf(stderr, "  refused: %s\n", why);
	return set != NULL;
}

static void test_rsa_and_ec_keys_are_found_by_kid_and_alg(void)
{
	char why[300];
	struct jwk_set *set = parsed(RS | ES, NULL, why, "{\"keys\":[{%s,\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\"},"
				     "{%s,\"kid\":\"e1\"},{%s,\"kid\":\"r2\"}]}", rsa_a_jwk, ec_a_jwk, rsa_b_jwk);
	enum jwk_lookup found;
	const struct jwk *key;

	CHECK(set != NULL && jwk_set_count(set) == 3);
	if (set == NULL)
		return;
	key = jwk_set_find(set, "r1", JWT_ALG_RS256, &found);
	CHECK(key != NULL && found == JWK_FOUND && EVP_PKEY_eq(key->key, rsa_a) == 1);
	key = jwk_set_find(set, "r2", JWT_ALG_RS256, &found);
	CHECK(key != NULL && EVP_PKEY_eq(key->key, rsa_b) == 1);
	key = jwk_set_find(set, "e1", JWT_ALG_ES256, &found);
	CHECK(key != NULL && EVP_PKEY_eq(key->key, ec_a) == 1);
	/* A kid naming a key of another type finds nothing. */
	CHECK(jwk_set_find(set, "e1", JWT_ALG_RS256, &found) == NULL && found == JWK_OTHER_ALG);
	CHECK(jwk_set_find(set, "r1", JWT_ALG_ES256, &found) == NULL && found == JWK_OTHER_ALG);
	CHECK(jwk_set_find(set, "r3", JWT_ALG_RS256, &found) == NULL && found == JWK_UNKNOWN_KID);
	/* Without a kid, only a set of one key will do. */
	CHECK(jwk_set_find(set, NULL, JWT_ALG_RS256, &found) == NULL && found == JWK_NEEDS_KID);
	jwk_set_release(set);
}

static void test_a_token_without_kid_needs_a_set_of_one_key(void)
{
	char why[300];
	struct jwk_set *one = parsed(RS, NULL, why, "{\"keys\":[{%s,\"kid\":\"r1\"},{%s,\"kid\":\"e1\"}]}", rsa_a_jwk,
				     ec_a_jwk);
	enum jwk_lookup found;

	/* The EC key is not usable when only RS256 is accepted: one key remains. */
	CHECK(one != NULL && jwk_set_count(one) == 1);
	if (one) {
		CHECK(jwk_set_find(one, NULL, JWT_ALG_RS256, &found) != NULL);
		CHECK(jwk_set_find(one, NULL, JWT_ALG_ES256, &found) == NULL && found == JWK_OTHER_ALG);
	}
	jwk_set_release(one);
}

static void test_keys_that_are_not_signing_keys_of_an_accepted_alg_are_skipped(void)
{
	char why[300];
	struct jwk_set *set = parsed(RS, NULL, why, "{\"keys\":["
				     "{%s,\"kid\":\"enc\",\"use\":\"enc\"},"
				     "{%s,\"kid\":\"rs384\",\"alg\":\"RS384\"},"
				     "{%s,\"kid\":\"oaep\",\"alg\":\"RSA-OAEP\"},"
				     "{%s,\"kid\":\"wrap\",\"key_ops\":[\"wrapKey\"]},"
				     "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
				     "{%s,\"kid\":\"ec-not-accepted\"},"
				     "{%s,\"kid\":\"ok\",\"key_ops\":[\"verify\"]}]}",
				     rsa_a_jwk, rsa_a_jwk, rsa_a_jwk, rsa_a_jwk, ec_a_jwk, rsa_b_jwk);
	enum jwk_lookup found;

	CHECK(set != NULL && jwk_set_count(set) == 1);
	if (set)
		CHECK(jwk_set_find(set, "ok", JWT_ALG_RS256, &found) != NULL);
	jwk_set_release(set);
	CHECK(refused("no signing key for RS256", RS, "{\"keys\":[{%s,\"use\":\"enc\"}]}", rsa_a_jwk));
	CHECK(refused("no signing key for ES256", ES, "{\"keys\":[{%s}]}", rsa_a_jwk));
	CHECK(refused("no signing key", RS | ES, "{\"keys\":[]}"));
}

static void test_weak_rsa_keys_are_refused(void)
{
	EVP_PKEY *k512 = key_rsa(512), *k1024 = key_rsa(1024);
	char *j512 = key_jwk_members(k512), *j1024 = key_jwk_members(k1024);

	CHECK(refused("512 bits", RS, "{\"keys\":[{%s,\"kid\":\"ok\"},{%s,\"kid\":\"weak\"}]}", rsa_a_jwk, j512));
	CHECK(refused("1024 bits", RS, "{\"keys\":[{%s}]}", j1024));
	free(j512);
	free(j1024);
	EVP_PKEY_free(k512);
	EVP_PKEY_free(k1024);
}

static void test_private_key_material_is_refused(void)
{
	static const char *const members[] = {"d", "p", "q", "dp", "dq", "qi"};

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		CHECK(refused("private", RS, "{\"keys\":[{%s,\"%s\":\"AQAB\"}]}", rsa_a_jwk, members[i]));
	CHECK(refused("private", RS | ES, "{\"keys\":[{%s,\"d\":\"AQAB\"}]}", ec_a_jwk));
	CHECK(refused("private", RS, "{\"keys\":[{%s},{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", rsa_a_jwk));
	/* Even in a key that would be skipped. */
	CHECK(refused("private", RS, "{\"keys\":[{%s},{%s,\"use\":\"enc\",\"d\":\"AQAB\"}]}", rsa_a_jwk, rsa_b_jwk));
}

static void test_huge_deep_or_malformed_sets_are_refused(void)
{
	char *big = malloc(JWK_SET_MAX_BYTES + 100), *deep = malloc(200);
	char *many = malloc(70 * 700);
	size_t used = 0;

	memset(big, ' ', JWK_SET_MAX_BYTES + 10);
	snprintf(big + JWK_SET_MAX_BYTES, 90, "{\"keys\":[{%.20s}]}", "\"kty\":\"RSA\"");
	CHECK(refused("larger than 65536 bytes", RS, "%s", big));
	snprintf(deep, 200, "{\"keys\":[{%s,\"x5c\":[[[[[[[[1]]]]]]]]}]}", "\"kty\":\"RSA\"");
	CHECK(refused("nested deeper than 8", RS, "%s", deep));
	/* Brackets inside strings are not nesting. */
	CHECK(accepted_text("{\"keys\":[{%s,\"kid\":\"[[[[[[[[[\\\"[[[\"}]}", rsa_a_jwk));
	used = (size_t)snprintf(many, 70 * 700, "{\"keys\":[");
	for (int i = 0; i < 65; i++)
		used += (size_t)snprintf(many + used, 70 * 700 - used, "%s{\"kty\":\"oct\",\"kid\":\"k%d\"}", i ? "," : "", i);
	snprintf(many + used, 70 * 700 - used, "]}");
	CHECK(refused("65 keys; at most 64", RS, "%s", many));
	CHECK(refused("not JSON", RS, "<html>maintenance</html>"));
	CHECK(refused("not JSON", RS, "{\"keys\":[{%s}]", rsa_a_jwk));
	CHECK(refused("not a JWK Set", RS, "[{%s}]", rsa_a_jwk));
	CHECK(refused("not a JWK Set", RS, "{\"keys\":{}}"));
	CHECK(refused("not a JSON object", RS, "{\"keys\":[{%s},7]}", rsa_a_jwk));
	CHECK(refused("no kty", RS, "{\"keys\":[{\"n\":\"AQAB\"}]}"));
	CHECK(refused("not JSON", RS, "{\"keys\":[{%s,\"kid\":\"a\",\"kid\":\"b\"}]}", rsa_a_jwk));
	free(big);
	free(deep);
	free(many);
}

static void test_malformed_usable_keys_are_refused(void)
{
	char kid[JWS_KID_MAX + 2];

	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	CHECK(refused("two RS256 keys are named kid r", RS, "{\"keys\":[{%s,\"kid\":\"r\"},{%s,\"kid\":\"r\"}]}",
		      rsa_a_jwk, rsa_b_jwk));
	CHECK(refused("two RS256 keys are named kid (none)", RS, "{\"keys\":[{%s},{%s}]}", rsa_a_jwk, rsa_b_jwk));
	CHECK(refused("kid that is not a string", RS, "{\"keys\":[{%s,\"kid\":\"%s\"}]}", rsa_a_jwk, kid));
	CHECK(refused("kid that is not a string", RS, "{\"keys\":[{%s,\"kid\":5}]}", rsa_a_jwk));
	CHECK(refused("no usable n and e", RS, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\"}]}"));
	CHECK(refused("no usable n and e", RS, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"a+b/\",\"e\":\"AQAB\"}]}"));
	CHECK(refused("P-256", ES, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\",\"y\":\"AQAB\"}]}"));
	/* 32-byte coordinates of a point that is not on the curve. */
	CHECK(refused("on the curve", ES, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
		      "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
		      "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}]}"));
}

/* A key that stays in the set keeps its id; a changed key under the same kid does not. */
static void test_keys_keep_their_id_across_reloads(void)
{
	char why[300];
	struct jwk_set *first = parsed(RS | ES, NULL, why, "{\"keys\":[{%s,\"kid\":\"r1\"},{%s,\"kid\":\"e1\"}]}",
				       rsa_a_jwk, ec_a_jwk);
	struct jwk_set *second = first ? parsed(RS | ES, first, why, "{\"keys\":[{%s,\"kid\":\"r2\"},{%s,\"kid\":\"r1\"}]}", rsa_b_jwk,
				rsa_a_jwk) : NULL;
	enum jwk_lookup found;

	CHECK(first != NULL && second != NULL);
	if (first && second) {
		uint64_t r1 = jwk_set_find(first, "r1", JWT_ALG_RS256, &found)->id;
		uint64_t e1 = jwk_set_find(first, "e1", JWT_ALG_ES256, &found)->id;
		uint64_t r2 = jwk_set_find(second, "r2", JWT_ALG_RS256, &found)->id;

		CHECK(jwk_set_find(second, "r1", JWT_ALG_RS256, &found)->id == r1);
		CHECK(r2 != r1 && r2 != e1 && r1 != 0);
		CHECK(jwk_set_has(second, r1) && !jwk_set_has(second, e1) && jwk_set_has(first, e1));
	}
	jwk_set_release(first);
	jwk_set_release(second);
}

static void test_a_set_lives_while_someone_holds_it(void)
{
	char why[300], text[300];
	struct jwk_set *set = parsed(RS, NULL, why, "{\"keys\":[{%s,\"kid\":\"r\\\"1\"}]}", rsa_a_jwk);
	struct jwk_set *held = jwk_set_hold(set);
	enum jwk_lookup found;

	jwk_set_release(set);
	CHECK(held != NULL && jwk_set_find(held, "r\"1", JWT_ALG_RS256, &found) != NULL);
	if (held) {
		jwk_set_describe(held, text, sizeof(text));
		CHECK_STR(text, "1 key: r?1 (RS256)");
	}
	jwk_set_release(held);
	jwk_set_release(NULL);
	CHECK(jwk_set_hold(NULL) == NULL);
}

int main(void)
{
	rsa_a = key_rsa(2048);
	rsa_b = key_rsa(2048);
	ec_a = key_p256();
	rsa_a_jwk = key_jwk_members(rsa_a);
	rsa_b_jwk = key_jwk_members(rsa_b);
	ec_a_jwk = key_jwk_members(ec_a);
	if (!rsa_a_jwk || !rsa_b_jwk || !ec_a_jwk) {
		fprintf(stderr, "cannot make the test keys\n");
		return 1;
	}
	RUN(test_rsa_and_ec_keys_are_found_by_kid_and_alg);
	RUN(test_a_token_without_kid_needs_a_set_of_one_key);
	RUN(test_keys_that_are_not_signing_keys_of_an_accepted_alg_are_skipped);
	RUN(test_weak_rsa_keys_are_refused);
	RUN(test_private_key_material_is_refused);
	RUN(test_huge_deep_or_malformed_sets_are_refused);
	RUN(test_malformed_usable_keys_are_refused);
	RUN(test_keys_keep_their_id_across_reloads);
	RUN(test_a_set_lives_while_someone_holds_it);
	free(rsa_a_jwk);
	free(rsa_b_jwk);
	free(ec_a_jwk);
	EVP_PKEY_free(rsa_a);
	EVP_PKEY_free(rsa_b);
	EVP_PKEY_free(ec_a);
	return check_result();
}
