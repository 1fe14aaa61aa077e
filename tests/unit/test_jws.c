/* jws: a compact JWS taken apart strictly, and its signature checked. */
#include "jws.h"

#include <stdlib.h>

#include "check.h"
#include "keys.h"

#define SECRET "jws-unit-test-secret-0123456789abcdef"
#define CLAIMS "{\"sub\":\"x\"}"

/* What jws_parse answers for a token of this header, signed with SECRET by HS256. */
static enum cw_code parse_header(const char *header, struct jws *out)
{
	struct cw_error err = CW_ERROR_INIT;
	char *token = jws_signed(header, CLAIMS, NULL, SECRET);
	enum cw_code rc = token ? jws_parse(token, out, &err) : CW_INTERNAL;

	free(token);
	cw_error_release(&err);
	return rc;
}

static void test_typ_may_be_jwt_or_at_jwt_in_any_case(void)
{
	static const char *const accepted[] = {"JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt"};
	static const char *const refused[] = {"dpop+jwt", "JWS", "", "at+jwt "};
	char header[128];
	struct jws jws;

	CHECK(parse_header("{\"alg\":\"HS256\"}", &jws) == CW_OK);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"%s\"}", accepted[i]);
		CHECK(parse_header(header, &jws) == CW_OK);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"%s\"}", refused[i]);
		CHECK(parse_header(header, &jws) == CW_UNAUTHENTICATED);
	}
	CHECK(parse_header("{\"alg\":\"HS256\",\"typ\":1}", &jws) == CW_UNAUTHENTICATED);
}

static void test_alg_must_be_one_of_the_five(void)
{
	struct jws jws;

	CHECK(parse_header("{\"alg\":\"RS256\"}", &jws) == CW_OK);
	CHECK(jws.alg == JWT_ALG_RS256);
	CHECK(parse_header("{\"alg\":\"ES256\"}", &jws) == CW_OK);
	CHECK(jws.alg == JWT_ALG_ES256);
	CHECK(parse_header("{\"alg\":\"none\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"RS384\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"PS256\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"hs256\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"typ\":\"JWT\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"HS256\",\"alg\":\"none\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("[\"HS256\"]", &jws) == CW_UNAUTHENTICATED);
}

static void test_kid_is_a_short_string_and_crit_is_refused(void)
{
	char header[600], kid[JWS_KID_MAX + 2];
	struct jws jws;

	CHECK(parse_header("{\"alg\":\"RS256\",\"kid\":\"k-1\"}", &jws) == CW_OK);
	CHECK(jws.has_kid);
	CHECK_STR(jws.kid, "k-1");
	CHECK(parse_header("{\"alg\":\"RS256\"}", &jws) == CW_OK);
	CHECK(!jws.has_kid);
	CHECK(parse_header("{\"alg\":\"RS256\",\"kid\":\"\"}", &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"RS256\",\"kid\":7}", &jws) == CW_UNAUTHENTICATED);
	memset(kid, 'k', sizeof(kid) - 2);
	kid[JWS_KID_MAX] = '\0';
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	CHECK(parse_header(header, &jws) == CW_OK);
	kid[JWS_KID_MAX] = 'k';
	kid[JWS_KID_MAX + 1] = '\0';
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	CHECK(parse_header(header, &jws) == CW_UNAUTHENTICATED);
	CHECK(parse_header("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", &jws) == CW_UNAUTHENTICATED);
}

/* A key named in the token itself is never used: the members are ignored. */
static void test_jku_x5u_and_jwk_members_are_ignored(void)
{
	struct jws jws;

	CHECK(parse_header("{\"alg\":\"RS256\",\"kid\":\"a\",\"jku\":\"https://evil.example/jwks\","
			   "\"x5u\":\"https://evil.example/cert\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
			   "\"x5c\":[\"MIIB\"]}", &jws) == CW_OK);
	CHECK_STR(jws.kid, "a");
}

static void test_shape_of_the_token(void)
{
	struct cw_error err = CW_ERROR_INIT;
	struct jws jws;
	char *token = jws_signed("{\"alg\":\"HS256\"}", CLAIMS, NULL, SECRET);
	char bad[1024];

	CHECK(token != NULL && jws_parse(token, &jws, &err) == CW_OK);
	CHECK(jws.signature_len == 32);
	snprintf(bad, sizeof(bad), "%.*s", (int)(strrchr(token, '.') - token + 1), token);
	CHECK(jws_parse(bad, &jws, &err) == CW_UNAUTHENTICATED);                  /* no signature */
	snprintf(bad, sizeof(bad), "%s.x", token);
	CHECK(jws_parse(bad, &jws, &err) == CW_UNAUTHENTICATED);                  /* four parts */
	snprintf(bad, sizeof(bad), "%s", strchr(token, '.') + 1);
	CHECK(jws_parse(bad, &jws, &err) == CW_UNAUTHENTICATED);                  /* two parts */
	snprintf(bad, sizeof(bad), "%s=", token);
	CHECK(jws_parse(bad, &jws, &err) == CW_UNAUTHENTICATED);                  /* padding */
	free(token);
	cw_error_release(&err);
}

static int verifies_hmac(const char *token, const char *secret)
{
	struct cw_error err = CW_ERROR_INIT;
	struct jws jws;
	int ok = token && jws_parse(token, &jws, &err) == CW_OK &&
		 jws_verify_hmac(&jws, (const unsigned char *)secret, strlen(secret));

	cw_error_release(&err);
	return ok;
}

static int verifies_with(const char *token, EVP_PKEY *key)
{
	struct cw_error err = CW_ERROR_INIT;
	struct jws jws;
	int ok = token && jws_parse(token, &jws, &err) == CW_OK && jws_verify_key(&jws, key);

	cw_error_release(&err);
	return ok;
}

static void test_hmac_signature(void)
{
	char *token = jws_signed("{\"alg\":\"HS256\"}", CLAIMS, NULL, SECRET);
	char *forged = jws_signed("{\"alg\":\"HS256\"}", "{\"sub\":\"y\"}", NULL, SECRET "!");

	CHECK(verifies_hmac(token, SECRET));
	CHECK(!verifies_hmac(token, SECRET "!"));
	CHECK(!verifies_hmac(token, ""));
	CHECK(!verifies_hmac(forged, SECRET));
	free(token);
	free(forged);
}

static void test_rs256_and_es256_signatures(void)
{
	EVP_PKEY *rsa = key_rsa(2048), *other_rsa = key_rsa(2048), *ec = key_p256(), *other_ec = key_p256();
	char *rs = jws_signed("{\"alg\":\"RS256\"}", CLAIMS, rsa, NULL);
	char *es = jws_signed("{\"alg\":\"ES256\"}", CLAIMS, ec, NULL);
	char *lying = jws_signed("{\"alg\":\"ES256\"}", CLAIMS, rsa, NULL);  /* says ES256, signed by RSA */
	char *hs = jws_signed("{\"alg\":\"HS256\"}", CLAIMS, NULL, SECRET);

	CHECK(verifies_with(rs, rsa));
	CHECK(!verifies_with(rs, other_rsa));
	CHECK(!verifies_with(rs, ec));
	CHECK(verifies_with(es, ec));
	CHECK(!verifies_with(es, other_ec));
	CHECK(!verifies_with(es, rsa));
	CHECK(!verifies_with(lying, rsa));
	CHECK(!verifies_with(hs, rsa));
	free(rs);
	free(es);
	free(lying);
	free(hs);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(other_rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other_ec);
}

/* ES256 is R || S of 32 bytes each: DER, or any other length, is refused. */
static void test_es256_signature_must_be_64_bytes(void)
{
	EVP_PKEY *ec = key_p256();
	char *token = jws_signed("{\"alg\":\"ES256\"}", CLAIMS, ec, NULL);
	struct cw_error err = CW_ERROR_INIT;
	struct jws jws;

	CHECK(token != NULL && jws_parse(token, &jws, &err) == CW_OK && jws.signature_len == 64);
	if (token != NULL && jws.signature_len == 64) {
		CHECK(jws_verify_key(&jws, ec));
		jws.signature_len = 63;
		CHECK(!jws_verify_key(&jws, ec));
		jws.signature_len = 65;
		CHECK(!jws_verify_key(&jws, ec));
	}
	free(token);
	EVP_PKEY_free(ec);
	cw_error_release(&err);
}

static void test_claims_are_one_object_without_repeated_names(void)
{
	struct cw_error err = CW_ERROR_INIT;
	static const char *const payloads[] = {"{\"a\":1}", "{\"a\":1,\"a\":2}", "[1]", "{\"a\":1} x", ""};
	static const int objects[] = {1, 0, 0, 0, 0};

	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token = jws_signed("{\"alg\":\"HS256\"}", payloads[i], NULL, SECRET);
		struct jws jws;
		json_t *claims = NULL;

		if (token && jws_parse(token, &jws, &err) == CW_OK)
			claims = jws_claims(&jws);
		CHECK((claims != NULL) == objects[i]);
		json_decref(claims);
		free(token);
	}
	cw_error_release(&err);
}

int main(void)
{
	RUN(test_typ_may_be_jwt_or_at_jwt_in_any_case);
	RUN(test_alg_must_be_one_of_the_five);
	RUN(test_kid_is_a_short_string_and_crit_is_refused);
	RUN(test_jku_x5u_and_jwk_members_are_ignored);
	RUN(test_shape_of_the_token);
	RUN(test_hmac_signature);
	RUN(test_rs256_and_es256_signatures);
	RUN(test_es256_signature_must_be_64_bytes);
	RUN(test_claims_are_one_object_without_repeated_names);
	return check_result();
}
