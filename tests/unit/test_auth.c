/* auth: a bearer JWT -> a principal, with every claim checked here. */
#include "auth.h"

#include <jwt.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base64url.h"
#include "check.h"
#include "keys.h"

#define SECRET "casework-unit-test-secret-0123456789abcdef"
#define OTHER_SECRET "another-secret-of-enough-length-0123456789"
#define BASE "\"sub\":\"cw-1\",\"role\":\"caseworker\""

static long now(void)
{
	return (long)time(NULL);
}

/* A verifier for alg with key (issuer and audience checked when not NULL). */
static struct auth *verifier(jwt_alg_t alg, const char *key, const char *issuer, const char *audience)
{
	struct config cfg = {.jwt_alg = alg};
	char why[256];

	cfg.jwt_key = (unsigned char *)key;
	cfg.jwt_key_len = strlen(key);
	cfg.jwt_issuer = (char *)issuer;
	cfg.jwt_audience = (char *)audience;
	return auth_new(&cfg, why, sizeof(why));
}

/* A token of these claims signed with alg and key (caller frees); NULL on failure. */
static char *sign(jwt_alg_t alg, const char *key, const char *claims)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	if (jwt_new(&jwt) == 0 && jwt_add_grants_json(jwt, claims) == 0 &&
	    jwt_set_alg(jwt, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0) == 0)
		out = jwt_encode_str(jwt);
	if (out == NULL)
		fprintf(stderr, "  could not sign %s\n", claims);
	jwt_free(jwt);
	return out;
}

/* What auth answers for the header "Bearer <token>" (a NULL token answers CW_INTERNAL). */
static enum cw_code verdict_of_token(struct auth *a, const char *token, struct principal *p)
{
	struct cw_error err = CW_ERROR_INIT;
	struct principal ignored;
	char *header;
	enum cw_code rc = CW_INTERNAL;

	if (token == NULL || (header = malloc(strlen(token) + 8)) == NULL)
		return CW_INTERNAL;
	sprintf(header, "Bearer %s", token);
	rc = auth_authenticate(a, header, p ? p : &ignored, &err);
	if (rc == CW_OK && err.code != CW_OK)
		rc = CW_INTERNAL;
	free(header);
	cw_error_release(&err);
	return rc;
}

/* What auth answers for a token signed with alg and key, claims built printf-style. */
static enum cw_code verdict_signed(struct auth *a, struct principal *p, jwt_alg_t alg, const char *key,
				   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum cw_code verdict_signed(struct auth *a, struct principal *p, jwt_alg_t alg, const char *key,
				   const char *fmt, ...)
{
	char claims[16384];
	char *token;
	enum cw_code rc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(claims, sizeof(claims), fmt, ap);
	va_end(ap);
	token = sign(alg, key, claims);
	rc = verdict_of_token(a, token, p);
	free(token);
	return rc;
}

#define HS256(a, p, ...) verdict_signed(a, p, JWT_ALG_HS256, SECRET, __VA_ARGS__)

/* A token's claims but exp (which is five minutes ahead), and what a verifier answers for it. */
struct claims_case {
	const char *members;
	enum cw_code want;
};

/* Checks the verifier's answer to an HS256 token of each case, naming each that fails. */
static void check_claims_cases(struct auth *a, const struct claims_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum cw_code got = HS256(a, NULL, "{%s,\"exp\":%ld}", cases[i].members, now() + 300);

		CHECK(got == cases[i].want);
		if (got != cases[i].want)
			fprintf(stderr, "  claims {%s}: answered %d, not %d\n", cases[i].members, got, cases[i].want);
	}
}

#define CHECK_CLAIMS(a, cases) check_claims_cases(a, cases, COUNT_OF(cases))

static enum cw_code verdict_of_header(struct auth *a, const char *header)
{
	struct cw_error err = CW_ERROR_INIT;
	struct principal p;
	enum cw_code rc = auth_authenticate(a, header, &p, &err);

	cw_error_release(&err);
	return rc;
}

static void test_hs256_token_gives_the_principal(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	struct principal p;
	jwt_t *jwt = NULL;
	char *token = NULL;

	CHECK(HS256(a, &p, "{\"sub\":\"cw-1\",\"unit\":\"north\",\"role\":\"caseworker\",\"exp\":%ld}",
		    now() + 300) == CW_OK);
	CHECK_STR(p.sub, "cw-1");
	CHECK_STR(p.unit, "north");
	CHECK(p.roles == ROLE_CASEWORKER);

	/* The same token twice: the second answer (from the cache) is the same. */
	if (jwt_new(&jwt) == 0) {
		jwt_add_grant(jwt, "sub", "sup-1");
		jwt_add_grant(jwt, "unit", "south");
		jwt_add_grant(jwt, "role", "supervisor");
		jwt_add_grant_int(jwt, "exp", now() + 300);
		jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)SECRET, (int)strlen(SECRET));
		token = jwt_encode_str(jwt);
	}
	jwt_free(jwt);
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		CHECK(verdict_of_token(a, token, &p) == CW_OK);
		CHECK_STR(p.sub, "sup-1");
		CHECK_STR(p.unit, "south");
		CHECK(p.roles == ROLE_SUPERVISOR);
	}
	free(token);
	auth_free(a);
}

/* An HS256 verifier refuses every token not signed by HS256 with its secret. */
static void test_tokens_signed_otherwise_are_refused(void)
{
	static const struct {
		jwt_alg_t alg;
		const char *key;
	} signers[] = {
		{JWT_ALG_HS256, OTHER_SECRET},  /* the wrong secret */
		{JWT_ALG_NONE, NULL},           /* no signature at all */
		{JWT_ALG_HS512, SECRET},        /* the right secret by another algorithm */
		{JWT_ALG_HS384, SECRET},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	for (size_t i = 0; i < COUNT_OF(signers); i++) {
		enum cw_code got = verdict_signed(a, NULL, signers[i].alg, signers[i].key, "{" BASE ",\"exp\":%ld}",
						  now() + 300);

		CHECK(got == CW_UNAUTHENTICATED);
		if (got != CW_UNAUTHENTICATED)
			fprintf(stderr, "  signed by %s: answered %d\n", jwt_alg_str(signers[i].alg), got);
	}
	auth_free(a);
}

static void test_tampered_token_is_refused(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	char claims[128];
	char *token, *forged;

	snprintf(claims, sizeof(claims), "{" BASE ",\"exp\":%ld}", now() + 300);
	token = sign(JWT_ALG_HS256, SECRET, claims);
	if (token == NULL) {
		CHECK(!"token signed");
		auth_free(a);
		return;
	}
	CHECK(verdict_of_token(a, token, NULL) == CW_OK);
	/* A different character in the signature. */
	token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
	CHECK(verdict_of_token(a, token, NULL) == CW_UNAUTHENTICATED);
	/* Another payload under the first token's signature. */
	forged = sign(JWT_ALG_HS256, SECRET, "{\"sub\":\"admin\",\"role\":\"administrator\",\"exp\":9999999999}");
	if (forged) {
		char *dot = strrchr(forged, '.');

		snprintf(claims, sizeof(claims), "%s", strrchr(token, '.'));
		if (dot && strlen(claims) <= strlen(dot))
			strcpy(dot, claims);
		CHECK(verdict_of_token(a, forged, NULL) == CW_UNAUTHENTICATED);
	}
	free(token);
	free(forged);
	auth_free(a);
}

/* An HS256 token of exactly this header and payload text, for shapes libjwt
 * will not build (caller frees). */
static char *hand_signed(const char *header, const char *payload, const char *key)
{
	return jws_signed(header, payload, NULL, key);
}

static enum cw_code verdict_of_payload(struct auth *a, const char *header, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum cw_code verdict_of_payload(struct auth *a, const char *header, const char *fmt, ...)
{
	char payload[1024];
	char *token;
	enum cw_code rc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(payload, sizeof(payload), fmt, ap);
	va_end(ap);
	token = hand_signed(header, payload, SECRET);
	rc = verdict_of_token(a, token, NULL);
	free(token);
	return rc;
}

#define JWT_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A claim named twice means different things to different parsers: refuse it. */
static void test_repeated_claim_names_are_refused(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	long exp = now() + 300;

	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"exp\":%ld}", exp) == CW_OK);
	CHECK(verdict_of_payload(a, "{\"alg\":\"HS256\"}", "{" BASE ",\"exp\":%ld}", exp) == CW_OK);
	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"sub\":\"admin\",\"exp\":%ld}", exp) ==
	      CW_UNAUTHENTICATED);
	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"role\":\"administrator\",\"exp\":%ld}", exp) ==
	      CW_UNAUTHENTICATED);
	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"exp\":%ld,\"exp\":%ld}", exp, exp + 3600) ==
	      CW_UNAUTHENTICATED);
	auth_free(a);
}

static void test_claims_that_are_not_one_object_are_refused(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	CHECK(verdict_of_payload(a, JWT_HEADER, "[%d]", 1) == CW_UNAUTHENTICATED);
	CHECK(verdict_of_payload(a, JWT_HEADER, "\"%s\"", "text") == CW_UNAUTHENTICATED);
	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"exp\":%ld} {}", now() + 300) == CW_UNAUTHENTICATED);
	CHECK(verdict_of_payload(a, JWT_HEADER, "{" BASE ",\"exp\":%ld", now() + 300) == CW_UNAUTHENTICATED);
	auth_free(a);
}

/* With no key libjwt checks no signature at all, so a verifier must never run without one. */
static void test_verifier_without_a_key_accepts_nothing(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, "", NULL, NULL);

	if (a != NULL)
		CHECK(verdict_signed(a, NULL, JWT_ALG_HS256, OTHER_SECRET, "{" BASE ",\"exp\":%ld}",
				     now() + 300) == CW_UNAUTHENTICATED);
	auth_free(a);
}

static void test_rs256_verifier_accepts_rs256_and_refuses_algorithm_confusion(void)
{
	EVP_PKEY *key = key_rsa(2048), *other = key_rsa(2048);
	char *private_pem = key_pem(key, 1), *public_pem = key_pem(key, 0), *other_pem = key_pem(other, 1);
	struct auth *a = public_pem ? verifier(JWT_ALG_RS256, public_pem, NULL, NULL) : NULL;
	struct principal p;

	CHECK(a != NULL && private_pem != NULL && other_pem != NULL);
	if (a && private_pem && other_pem) {
		CHECK(verdict_signed(a, &p, JWT_ALG_RS256, private_pem, "{" BASE ",\"exp\":%ld}", now() + 300) ==
		      CW_OK);
		CHECK_STR(p.sub, "cw-1");
		/* An HS256 token whose HMAC key is the public PEM text libjwt would accept. */
		CHECK(verdict_signed(a, NULL, JWT_ALG_HS256, public_pem, "{" BASE ",\"exp\":%ld}", now() + 300) ==
		      CW_UNAUTHENTICATED);
		CHECK(verdict_signed(a, NULL, JWT_ALG_RS256, other_pem, "{" BASE ",\"exp\":%ld}", now() + 300) ==
		      CW_UNAUTHENTICATED);
		CHECK(verdict_signed(a, NULL, JWT_ALG_NONE, NULL, "{" BASE ",\"exp\":%ld}", now() + 300) ==
		      CW_UNAUTHENTICATED);
		/* libjwt does not check exp, even for RS256. */
		CHECK(verdict_signed(a, NULL, JWT_ALG_RS256, private_pem, "{" BASE ",\"exp\":%ld}", now() - 10) ==
		      CW_UNAUTHENTICATED);
	}
	auth_free(a);
	free(private_pem);
	free(public_pem);
	free(other_pem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_exp_is_required_strict_and_numeric(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	CHECK(HS256(a, NULL, "{" BASE "}") == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld}", now() - 1) == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld}", now() - 30) == CW_UNAUTHENTICATED);  /* no leeway */
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":\"%ld\"}", now() + 300) == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":null}") == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":true}") == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld.5}", now() + 300) == CW_OK);
	auth_free(a);
}

static void test_nbf_and_iat_allow_sixty_seconds_of_skew(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	long t = now();

	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"nbf\":%ld}", t + 300, t - 600) == CW_OK);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"nbf\":%ld}", t + 300, t + 30) == CW_OK);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"nbf\":%ld}", t + 300, t + 120) == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"iat\":%ld}", t + 300, t - 600) == CW_OK);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"iat\":%ld}", t + 300, t + 30) == CW_OK);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"iat\":%ld}", t + 300, t + 120) == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"nbf\":\"%ld\"}", t + 300, t) == CW_UNAUTHENTICATED);
	CHECK(HS256(a, NULL, "{" BASE ",\"exp\":%ld,\"iat\":\"%ld\"}", t + 300, t) == CW_UNAUTHENTICATED);
	auth_free(a);
}

static void test_issuer_and_audience_must_match_when_configured(void)
{
	static const struct claims_case configured[] = {
		{BASE ",\"iss\":\"https://idp.example.org\",\"aud\":\"casework\"", CW_OK},
		{BASE ",\"iss\":\"https://idp.example.org\",\"aud\":[\"other\",\"casework\"]", CW_OK},
		{BASE ",\"aud\":\"casework\"", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://evil.example.org\",\"aud\":\"casework\"", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://idp.example.org/\",\"aud\":\"casework\"", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://idp.example.org\"", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://idp.example.org\",\"aud\":\"other\"", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://idp.example.org\",\"aud\":[\"other\"]", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":\"https://idp.example.org\",\"aud\":[]", CW_UNAUTHENTICATED},
		{BASE ",\"iss\":[\"https://idp.example.org\"],\"aud\":\"casework\"", CW_UNAUTHENTICATED},
	};
	/* Not configured: any issuer and audience. */
	static const struct claims_case open_cases[] = {
		{BASE ",\"iss\":\"anyone\",\"aud\":\"anything\"", CW_OK},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, "https://idp.example.org", "casework");
	struct auth *open = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	CHECK_CLAIMS(a, configured);
	CHECK_CLAIMS(open, open_cases);
	auth_free(a);
	auth_free(open);
}

static void test_sub_must_be_clean_text_of_1_to_255_bytes(void)
{
	static const struct claims_case refused[] = {
		{"\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"\",\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":null,\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":42,\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"cw\\n1\",\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"cw\\u001b1\",\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"cw\\u007f1\",\"role\":\"caseworker\"", CW_UNAUTHENTICATED},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	long exp = now() + 300;
	char longest[PRINCIPAL_SUB_MAX + 2];
	struct principal p;

	memset(longest, 's', sizeof(longest) - 1);
	longest[PRINCIPAL_SUB_MAX] = '\0';
	CHECK(HS256(a, &p, "{\"sub\":\"%s\",\"role\":\"caseworker\",\"exp\":%ld}", longest, exp) == CW_OK);
	CHECK(strlen(p.sub) == PRINCIPAL_SUB_MAX);
	longest[PRINCIPAL_SUB_MAX] = 's';
	longest[PRINCIPAL_SUB_MAX + 1] = '\0';
	CHECK(HS256(a, NULL, "{\"sub\":\"%s\",\"role\":\"caseworker\",\"exp\":%ld}", longest, exp) ==
	      CW_UNAUTHENTICATED);
	CHECK_CLAIMS(a, refused);
	auth_free(a);
}

static void test_roles_add_up_and_unknown_ones_add_nothing(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	long exp = now() + 300;
	struct principal p;
	char text[64];

	CHECK(HS256(a, &p, "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%ld}", exp) == CW_OK);
	CHECK(p.roles == ROLE_AUDITOR);
	CHECK(HS256(a, &p, "{\"sub\":\"x\",\"role\":[\"caseworker\",\"auditor\"],\"exp\":%ld}", exp) == CW_OK);
	CHECK(p.roles == (ROLE_CASEWORKER | ROLE_AUDITOR));
	claims_roles_text(p.roles, text, sizeof(text));
	CHECK_STR(text, "caseworker,auditor");
	CHECK(HS256(a, &p, "{\"sub\":\"x\",\"role\":[\"janitor\",\"integration\"],\"exp\":%ld}", exp) == CW_OK);
	CHECK(p.roles == ROLE_INTEGRATION);
	CHECK(HS256(a, &p, "{\"sub\":\"x\",\"role\":[\"administrator\"],\"exp\":%ld}", exp) == CW_OK);
	CHECK(p.roles == ROLE_ADMINISTRATOR);
	auth_free(a);
}

static void test_token_with_only_unknown_roles_is_forbidden(void)
{
	static const struct claims_case cases[] = {
		{"\"sub\":\"x\",\"role\":\"janitor\"", CW_FORBIDDEN},
		{"\"sub\":\"x\",\"role\":[\"janitor\",\"Caseworker\"]", CW_FORBIDDEN},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	CHECK_CLAIMS(a, cases);
	auth_free(a);
}

static void test_malformed_role_claim_is_refused(void)
{
	static const struct claims_case cases[] = {
		{"\"sub\":\"x\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":[]", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":5", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":null", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":{\"caseworker\":true}", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":[\"caseworker\",1]", CW_UNAUTHENTICATED},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);

	CHECK_CLAIMS(a, cases);
	auth_free(a);
}

static void test_supervisor_token_must_name_a_unit(void)
{
	static const struct claims_case refused[] = {
		{"\"sub\":\"x\",\"role\":\"supervisor\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":\"supervisor\",\"unit\":null", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":\"supervisor\",\"unit\":\"\"", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":[\"supervisor\",\"caseworker\"]", CW_UNAUTHENTICATED},
		{"\"sub\":\"x\",\"role\":\"caseworker\",\"unit\":7", CW_UNAUTHENTICATED},
	};
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	long exp = now() + 300;
	char unit[PRINCIPAL_UNIT_MAX + 2];
	struct principal p;

	CHECK_CLAIMS(a, refused);
	CHECK(HS256(a, &p, "{\"sub\":\"x\",\"role\":\"supervisor\",\"unit\":\"north\",\"exp\":%ld}", exp) ==
	      CW_OK);
	CHECK_STR(p.unit, "north");
	memset(unit, 'u', sizeof(unit) - 1);
	unit[sizeof(unit) - 1] = '\0';
	CHECK(HS256(a, NULL, "{\"sub\":\"x\",\"role\":\"supervisor\",\"unit\":\"%s\",\"exp\":%ld}", unit, exp) ==
	      CW_UNAUTHENTICATED);
	auth_free(a);
}

static void test_bearer_header_parsing(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	char claims[128], header[1024];
	char *token;

	snprintf(claims, sizeof(claims), "{" BASE ",\"exp\":%ld}", now() + 300);
	token = sign(JWT_ALG_HS256, SECRET, claims);
	if (token == NULL || strlen(token) > 900) {
		CHECK(!"token signed");
		free(token);
		auth_free(a);
		return;
	}
#define HEADER(fmt) (snprintf(header, sizeof(header), fmt, token), verdict_of_header(a, header))
	CHECK(HEADER("Bearer %s") == CW_OK);
	CHECK(HEADER("bearer %s") == CW_OK);
	CHECK(HEADER("BEARER %s") == CW_OK);
	CHECK(HEADER("Bearer    %s") == CW_OK);
	CHECK(HEADER("Bearer %s  ") == CW_OK);
	CHECK(HEADER("Bearer%s") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer\t%s") == CW_UNAUTHENTICATED);
	CHECK(HEADER(" Bearer %s") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Basic %s") == CW_UNAUTHENTICATED);
	CHECK(HEADER("%s") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer %s extra") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer %s=") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer +%s") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer %s.x") == CW_UNAUTHENTICATED);
	CHECK(HEADER("Bearer %s\n") == CW_UNAUTHENTICATED);
#undef HEADER
	CHECK(verdict_of_header(a, "Bearer ") == CW_UNAUTHENTICATED);
	CHECK(verdict_of_header(a, "Bearer") == CW_UNAUTHENTICATED);
	CHECK(verdict_of_header(a, "") == CW_UNAUTHENTICATED);
	CHECK(verdict_of_header(a, "Bearer a.b.c") == CW_UNAUTHENTICATED);
	CHECK(verdict_of_header(a, NULL) == CW_UNAUTHENTICATED);
	free(token);
	auth_free(a);
}

/* A token of exactly 8192 bytes is read; one byte more is refused before any work. */
static void test_token_longer_than_8192_bytes_is_refused(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	char *pad = malloc(8192), claims[9000];
	char *fits = NULL, *too_long = NULL;

	for (size_t n = 5900; pad && n < 6300 && !too_long; n++) {
		char *token;

		memset(pad, 'p', n);
		pad[n] = '\0';
		snprintf(claims, sizeof(claims), "{" BASE ",\"exp\":%ld,\"pad\":\"%s\"}", now() + 300, pad);
		token = sign(JWT_ALG_HS256, SECRET, claims);
		if (token && strlen(token) <= 8192) {
			free(fits);
			fits = token;
		} else {
			too_long = token;
		}
	}
	CHECK(fits != NULL && too_long != NULL);
	if (fits && too_long) {
		CHECK(strlen(fits) > 8180 && strlen(too_long) > 8192);
		CHECK(verdict_of_token(a, fits, NULL) == CW_OK);
		CHECK(verdict_of_token(a, too_long, NULL) == CW_UNAUTHENTICATED);
	}
	free(pad);
	free(fits);
	free(too_long);
	auth_free(a);
}

/* The cache must not keep a token alive past its exp. */
static void test_cached_token_is_rechecked_for_expiry(void)
{
	struct auth *a = verifier(JWT_ALG_HS256, SECRET, NULL, NULL);
	char claims[128];
	char *token;

	snprintf(claims, sizeof(claims), "{" BASE ",\"exp\":%ld}", now() + 2);
	token = sign(JWT_ALG_HS256, SECRET, claims);
	CHECK(verdict_of_token(a, token, NULL) == CW_OK);
	sleep(3);
	CHECK(verdict_of_token(a, token, NULL) == CW_UNAUTHENTICATED);
	free(token);
	auth_free(a);
}

int main(void)
{
	RUN(test_hs256_token_gives_the_principal);
	RUN(test_tokens_signed_otherwise_are_refused);
	RUN(test_tampered_token_is_refused);
	RUN(test_repeated_claim_names_are_refused);
	RUN(test_claims_that_are_not_one_object_are_refused);
	RUN(test_verifier_without_a_key_accepts_nothing);
	RUN(test_rs256_verifier_accepts_rs256_and_refuses_algorithm_confusion);
	RUN(test_exp_is_required_strict_and_numeric);
	RUN(test_nbf_and_iat_allow_sixty_seconds_of_skew);
	RUN(test_issuer_and_audience_must_match_when_configured);
	RUN(test_sub_must_be_clean_text_of_1_to_255_bytes);
	RUN(test_roles_add_up_and_unknown_ones_add_nothing);
	RUN(test_token_with_only_unknown_roles_is_forbidden);
	RUN(test_malformed_role_claim_is_refused);
	RUN(test_supervisor_token_must_name_a_unit);
	RUN(test_bearer_header_parsing);
	RUN(test_token_longer_than_8192_bytes_is_refused);
	RUN(test_cached_token_is_rechecked_for_expiry);
	return check_result();
}
