/* config: settings from CASEWORK_* variables, or one line saying which one is wrong. */
#include "config.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "jwk.h"
#include "keys.h"

#define SECRET_32 "0123456789abcdef0123456789abcdef"

extern char **environ;

static char dir[256];   /* a private directory for key files and a fake TZDIR */

/* Unsets every CASEWORK_* variable, and TZDIR. */
static void clear_environment(void)
{
	for (;;) {
		char **e = environ;
		char var[128];

		while (*e && strncmp(*e, "CASEWORK_", 9) != 0)
			e++;
		if (*e == NULL)
			break;
		snprintf(var, sizeof(var), "%.*s", (int)strcspn(*e, "="), *e);
		unsetenv(var);
	}
	unsetenv("TZDIR");
}

/* Exactly these name/value pairs (NULL-terminated) as CASEWORK_* settings. */
static void environment(const char *name, ...) __attribute__((sentinel));

static void environment(const char *name, ...)
{
	va_list ap;

	clear_environment();
	va_start(ap, name);
	for (const char *n = name; n; n = va_arg(ap, const char *))
		setenv(n, va_arg(ap, const char *), 1);
	va_end(ap);
}

/* A file in dir with these bytes; returns its path (in a ring of 8 buffers). */
static const char *file_with(const char *name, const char *content)
{
	static char paths[8][512];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, 512, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	return path;
}

/* 1 when config_load accepts the environment; cfg is left loaded for the caller to release. */
static int loads(struct config *cfg)
{
	char why[256] = "";

	if (config_load(cfg, why, sizeof(why)) == 0)
		return 1;
	fprintf(stderr, "  refused: %s\n", why);
	return 0;
}

/* 1 when config_load refuses with one line that names variable, without the secret's
 * value, and leaves cfg released. */
static int refused_naming(const char *variable)
{
	struct config cfg;
	char why[256] = "";
	const char *secret = getenv("CASEWORK_JWT_SECRET");
	int rc = config_load(&cfg, why, sizeof(why));
	int ok = rc == -1 && why[0] != '\0' && strchr(why, '\n') == NULL && strstr(why, variable) != NULL &&
		 (secret == NULL || strlen(secret) < 8 || strstr(why, secret) == NULL) && cfg.jwt_key == NULL &&
		 cfg.bind == NULL && cfg.database_url == NULL && cfg.cors_origins == NULL;

	if (rc == 0)
		config_release(&cfg);
	if (!ok)
		fprintf(stderr, "  rc %d, reason \"%s\": want -1 and a line naming %s\n", rc, why, variable);
	return ok;
}

static void test_defaults(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET", SECRET_32, NULL);
	CHECK(loads(&cfg));
	CHECK_STR(cfg.database_url, "postgresql:///casework");
	CHECK_STR(cfg.bind, "127.0.0.1");
	CHECK(cfg.port == 8080);
	CHECK(cfg.pool_size >= 1 && cfg.pool_size <= 1000);
	CHECK(cfg.http_threads == 0);   /* a thread per connection */
	CHECK(cfg.report_concurrency == 2 && cfg.report_timeout == 120);
	CHECK(cfg.idle_timeout == 30);
	CHECK(cfg.jwt_alg == JWT_ALG_HS256);
	CHECK(cfg.jwt_key_len == 32 && cfg.jwt_key && memcmp(cfg.jwt_key, SECRET_32, 32) == 0);
	CHECK(cfg.jwt_issuer == NULL && cfg.jwt_audience == NULL);
	CHECK(cfg.max_body_bytes == 1048576);
	CHECK(cfg.cors_origins != NULL && cfg.cors_origins[0] == NULL);
	CHECK_STR(cfg.timezone, "UTC");
	config_release(&cfg);
	CHECK(cfg.jwt_key == NULL && cfg.database_url == NULL && cfg.cors_origins == NULL);
	config_release(&cfg);
	config_release(NULL);
}

static void test_every_setting_is_read(void)
{
	struct config cfg;
	char tzdir[300], america[320];

	/* A zone database of one zone, so the test does not depend on tzdata. */
	snprintf(tzdir, sizeof(tzdir), "%s/zoneinfo", dir);
	snprintf(america, sizeof(america), "%s/America", tzdir);
	mkdir(tzdir, 0700);
	mkdir(america, 0700);
	file_with("zoneinfo/America/Chicago", "TZif");
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_DATABASE_URL", "postgresql://db/cw",
		    "CASEWORK_BIND", "::1", "CASEWORK_PORT", "65535", "CASEWORK_DB_POOL_SIZE", "1000",
		    "CASEWORK_HTTP_THREADS", "1024", "CASEWORK_IDLE_TIMEOUT_SECONDS", "3600",
		    "CASEWORK_REPORT_CONCURRENCY", "100", "CASEWORK_REPORT_TIMEOUT_SECONDS", "3600",
		    "CASEWORK_MAX_BODY_BYTES", "64", "CASEWORK_JWT_ISSUER", "https://idp.example.org",
		    "CASEWORK_JWT_AUDIENCE", "casework", "CASEWORK_TIMEZONE", "America/Chicago",
		    "CASEWORK_CORS_ORIGINS", "https://app.example.org, http://localhost:3000", NULL);
	setenv("TZDIR", tzdir, 1);
	CHECK(loads(&cfg));
	CHECK_STR(cfg.database_url, "postgresql://db/cw");
	CHECK_STR(cfg.bind, "::1");
	CHECK(cfg.port == 65535 && cfg.pool_size == 1000 && cfg.http_threads == 1024);
	CHECK(cfg.idle_timeout == 3600 && cfg.max_body_bytes == 64);
	CHECK(cfg.report_concurrency == 100 && cfg.report_timeout == 3600);
	CHECK_STR(cfg.jwt_issuer, "https://idp.example.org");
	CHECK_STR(cfg.jwt_audience, "casework");
	CHECK_STR(cfg.timezone, "America/Chicago");
	CHECK(cfg.cors_origins && cfg.cors_origins[0] && cfg.cors_origins[1] && !cfg.cors_origins[2]);
	config_release(&cfg);
}

static void test_empty_value_counts_as_unset(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_PORT", "", "CASEWORK_BIND", "", NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.port == 8080);
	CHECK_STR(cfg.bind, "127.0.0.1");
	config_release(&cfg);
}

static void test_no_jwt_secret_is_refused(void)
{
	clear_environment();
	CHECK(refused_naming("CASEWORK_JWT_SECRET"));
	environment("CASEWORK_JWT_SECRET", "", NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET"));
}

static void test_secret_shorter_than_the_hash_is_refused(void)
{
	static const struct {
		const char *alg;
		size_t need;
	} algs[] = {{"HS256", 32}, {"HS384", 48}, {"HS512", 64}};
	char secret[80];
	struct config cfg;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		memset(secret, 'k', algs[i].need - 1);
		secret[algs[i].need - 1] = '\0';
		environment("CASEWORK_JWT_ALG", algs[i].alg, "CASEWORK_JWT_SECRET", secret, NULL);
		CHECK(refused_naming("CASEWORK_JWT_SECRET"));
		secret[algs[i].need - 1] = 'k';
		secret[algs[i].need] = '\0';
		environment("CASEWORK_JWT_ALG", algs[i].alg, "CASEWORK_JWT_SECRET", secret, NULL);
		CHECK(loads(&cfg));
		config_release(&cfg);
	}
	environment("CASEWORK_JWT_SECRET_FILE", file_with("short", "too short\n"), NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET_FILE"));
}

static void test_both_secret_forms_are_refused(void)
{
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_SECRET_FILE",
		    file_with("secret", SECRET_32), NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET_FILE"));
}

static void test_secret_file_loses_its_trailing_newline(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET_FILE", file_with("secret-lf", SECRET_32 "\n"), NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_key_len == 32 && memcmp(cfg.jwt_key, SECRET_32, 32) == 0 && cfg.jwt_key[32] == '\0');
	config_release(&cfg);
	environment("CASEWORK_JWT_SECRET_FILE", file_with("secret-crlf", SECRET_32 "\r\n"), NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_key_len == 32 && memcmp(cfg.jwt_key, SECRET_32, 32) == 0);
	config_release(&cfg);
}

static void test_pem_key_as_hmac_secret_is_refused(void)
{
	EVP_PKEY *ec = key_p256(), *rsa = key_rsa(2048);
	char *public_pem = key_pem(ec, 0), *private_pem = key_pem(rsa, 1);
	struct config cfg;

	CHECK(public_pem != NULL && private_pem != NULL);
	environment("CASEWORK_JWT_SECRET", public_pem, NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET"));
	environment("CASEWORK_JWT_SECRET_FILE", file_with("public.pem", public_pem), NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET_FILE"));
	environment("CASEWORK_JWT_ALG", "HS512", "CASEWORK_JWT_SECRET_FILE", file_with("private.pem", private_pem),
		    NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET_FILE"));
	/* the marker anywhere in the secret, not only at its start */
	environment("CASEWORK_JWT_SECRET", SECRET_32 " -----BEGIN CERTIFICATE-----", NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET"));
	environment("CASEWORK_JWT_SECRET", SECRET_32 " -----BEGI", NULL);
	CHECK(loads(&cfg));
	config_release(&cfg);
	free(public_pem);
	free(private_pem);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void test_unreadable_secret_file_is_refused(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/does-not-exist", dir);
	environment("CASEWORK_JWT_SECRET_FILE", path, NULL);
	CHECK(refused_naming("CASEWORK_JWT_SECRET_FILE"));
}

static void test_bad_numbers_are_refused(void)
{
	static const struct {
		const char *variable, *value;
	} bad[] = {
		{"CASEWORK_PORT", "0"}, {"CASEWORK_PORT", "65536"}, {"CASEWORK_PORT", "80a"},
		{"CASEWORK_PORT", "-1"}, {"CASEWORK_PORT", " 80"}, {"CASEWORK_PORT", "+80"},
		{"CASEWORK_PORT", "99999999999999999999999"}, {"CASEWORK_PORT", "8080 "},
		{"CASEWORK_DB_POOL_SIZE", "0"}, {"CASEWORK_DB_POOL_SIZE", "1001"},
		{"CASEWORK_DB_POOL_SIZE", "ten"}, {"CASEWORK_HTTP_THREADS", "1025"},
		{"CASEWORK_IDLE_TIMEOUT_SECONDS", "0"}, {"CASEWORK_IDLE_TIMEOUT_SECONDS", "3601"},
		{"CASEWORK_MAX_BODY_BYTES", "63"}, {"CASEWORK_MAX_BODY_BYTES", "67108865"},
		{"CASEWORK_MAX_BODY_BYTES", "1e6"},
		{"CASEWORK_REPORT_CONCURRENCY", "0"}, {"CASEWORK_REPORT_CONCURRENCY", "101"},
		{"CASEWORK_REPORT_CONCURRENCY", "two"}, {"CASEWORK_REPORT_TIMEOUT_SECONDS", "0"},
		{"CASEWORK_REPORT_TIMEOUT_SECONDS", "3601"}, {"CASEWORK_REPORT_TIMEOUT_SECONDS", "2m"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, bad[i].variable, bad[i].value, NULL);
		CHECK(refused_naming(bad[i].variable));
	}
}

/* With an epoll pool, reports must leave at least one worker to everything else. */
static void test_reports_never_hold_every_epoll_worker(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_HTTP_THREADS", "2", NULL);
	CHECK(refused_naming("CASEWORK_REPORT_CONCURRENCY"));
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_HTTP_THREADS", "4",
		    "CASEWORK_REPORT_CONCURRENCY", "4", NULL);
	CHECK(refused_naming("CASEWORK_REPORT_CONCURRENCY"));
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_HTTP_THREADS", "4",
		    "CASEWORK_REPORT_CONCURRENCY", "3", NULL);
	CHECK(loads(&cfg));
	config_release(&cfg);
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_HTTP_THREADS", "0",
		    "CASEWORK_REPORT_CONCURRENCY", "100", NULL);
	CHECK(loads(&cfg));
	config_release(&cfg);
}

static void test_bad_bind_address_is_refused(void)
{
	static const char *const bad[] = {"localhost", "127.0.0.256", "127.0.0.1:8080", "::g", "0", " ::1"};
	struct config cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_BIND", bad[i], NULL);
		CHECK(refused_naming("CASEWORK_BIND"));
	}
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_BIND", "0.0.0.0", NULL);
	CHECK(loads(&cfg));
	config_release(&cfg);
}

static void test_bad_timezone_is_refused(void)
{
	static const char *const bad[] = {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/passwd",
					  "America", "Etc/../../../etc/passwd"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_TIMEZONE", bad[i], NULL);
		CHECK(refused_naming("CASEWORK_TIMEZONE"));
	}
}

static void test_bad_cors_origin_is_refused(void)
{
	static const char *const bad[] = {"*", "app.example.org", "ftp://app.example.org",
					  "https://app example.org", "https://app.example.org,*",
					  "https://*.example.org"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_CORS_ORIGINS", bad[i], NULL);
		CHECK(refused_naming("CASEWORK_CORS_ORIGINS"));
	}
}

/* A browser's Origin is scheme://host[:port] with no path, so an origin written
 * with a path or without a host can never match: refuse it rather than ignore it. */
static void test_cors_origin_with_path_or_without_host_is_refused(void)
{
	static const char *const bad[] = {"https://app.example.org/", "https://app.example.org/app",
					  "https://"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_CORS_ORIGINS", bad[i], NULL);
		CHECK(refused_naming("CASEWORK_CORS_ORIGINS"));
	}
}

/* Browsers send the origin's host in lower case and leave out the scheme's
 * default port: an origin configured otherwise must still match, or be refused
 * at start-up, never silently match nothing. */
static void test_configured_origin_matches_what_a_browser_sends(void)
{
	static const struct {
		const char *configured, *sent;
	} cases[] = {
		{"https://App.Example.org", "https://app.example.org"},
		{"https://app.example.org:443", "https://app.example.org"},
		{"http://localhost:80", "http://localhost"},
		{"https://app.example.org:99999", NULL},  /* no such port */
	};
	struct config cfg;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_CORS_ORIGINS", cases[i].configured, NULL);
		if (config_load(&cfg, why, sizeof(why)) != 0) {
			CHECK(strstr(why, "CASEWORK_CORS_ORIGINS") != NULL);
			continue;
		}
		if (!(cases[i].sent && config_cors_allows(&cfg, cases[i].sent))) {
			fprintf(stderr, "  %s is accepted but matches no Origin a browser sends\n",
				cases[i].configured);
			CHECK(!"origin accepted that never matches");
		}
		config_release(&cfg);
	}
}

static void test_cors_allows_exactly_the_listed_origins(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_CORS_ORIGINS",
		    " https://app.example.org ,http://localhost:3000", NULL);
	CHECK(loads(&cfg));
	CHECK(config_cors_allows(&cfg, "https://app.example.org"));
	CHECK(config_cors_allows(&cfg, "http://localhost:3000"));
	CHECK(!config_cors_allows(&cfg, "https://app.example.org/"));
	CHECK(!config_cors_allows(&cfg, "http://app.example.org"));
	CHECK(!config_cors_allows(&cfg, "https://app.example.org.evil.example"));
	CHECK(!config_cors_allows(&cfg, "https://APP.example.org"));
	CHECK(!config_cors_allows(&cfg, "http://localhost:3001"));
	CHECK(!config_cors_allows(&cfg, "null"));
	CHECK(!config_cors_allows(&cfg, ""));
	CHECK(!config_cors_allows(&cfg, NULL));
	config_release(&cfg);

	environment("CASEWORK_JWT_SECRET", SECRET_32, NULL);
	CHECK(loads(&cfg));
	CHECK(!config_cors_allows(&cfg, "https://app.example.org"));
	config_release(&cfg);
}

static void test_unknown_algorithm_is_refused(void)
{
	static const char *const bad[] = {"none", "hs256", "RS512", "ES384", "HS256 "};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_ALG", bad[i], NULL);
		CHECK(refused_naming("CASEWORK_JWT_ALG"));
	}
}

static void test_public_key_settings_are_refused_for_hmac(void)
{
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_PUBLIC_KEY_FILE",
		    file_with("unused.pem", "x"), NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
}

static void test_rs256_and_es256_need_a_fitting_public_key(void)
{
	EVP_PKEY *rsa = key_rsa(2048), *small = key_rsa(1024), *ec = key_p256();
	char *rsa_pub = key_pem(rsa, 0), *rsa_priv = key_pem(rsa, 1), *small_pub = key_pem(small, 0);
	char *ec_pub = key_pem(ec, 0);
	struct config cfg;

	CHECK(rsa_pub && rsa_priv && small_pub && ec_pub);
	if (!(rsa_pub && rsa_priv && small_pub && ec_pub))
		goto out;

	environment("CASEWORK_JWT_ALG", "RS256", NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_SECRET", SECRET_32,
		    "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("rsa.pem", rsa_pub), NULL);
	CHECK(refused_naming("CASEWORK_JWT_ALG"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("garbage.pem", "hello\n"),
		    NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("empty.pem", ""), NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("private.pem", rsa_priv),
		    NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("ec.pem", ec_pub), NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("small.pem", small_pub),
		    NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_ALG", "ES256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("rsa.pem", rsa_pub), NULL);
	CHECK(refused_naming("CASEWORK_JWT_PUBLIC_KEY_FILE"));

	environment("CASEWORK_JWT_ALG", "RS256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("rsa.pem", rsa_pub), NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_alg == JWT_ALG_RS256 && cfg.jwt_key_len == strlen(rsa_pub) &&
	      memcmp(cfg.jwt_key, rsa_pub, cfg.jwt_key_len) == 0);
	config_release(&cfg);
	environment("CASEWORK_JWT_ALG", "ES256", "CASEWORK_JWT_PUBLIC_KEY_FILE", file_with("ec.pem", ec_pub), NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_alg == JWT_ALG_ES256);
	config_release(&cfg);
out:
	free(rsa_pub);
	free(rsa_priv);
	free(small_pub);
	free(ec_pub);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
}

static void test_jwk_set_url_settings(void)
{
	static const char *const acceptable[] = {"https://idp.example.org/realms/state/protocol/openid-connect/certs",
						 "http://127.0.0.1:8080/jwks", "http://127.9.9.9/jwks", "http://[::1]:1/jwks",
						 "http://localhost/jwks", "HTTPS://login.example.org/common/discovery/v2.0/keys"};
	static const char *const unacceptable[] = {"http://idp.example.org/jwks", "http://127.0.0.1.example.org/jwks",
						   "http://128.0.0.1/jwks", "http://[::2]/jwks", "https://user:pw@idp/jwks",
						   "ftp://idp/jwks", "https://", "https:///jwks", "https://idp/a b", "idp/jwks"};
	struct config cfg;

	for (size_t i = 0; i < sizeof(acceptable) / sizeof(acceptable[0]); i++) {
		environment("CASEWORK_JWT_JWKS_URL", acceptable[i], NULL);
		CHECK(loads(&cfg));
		CHECK_STR(cfg.jwks_url, acceptable[i]);
		CHECK(cfg.jwks_allow_http == (strncmp(acceptable[i], "http:", 5) == 0));
		CHECK(cfg.jwt_alg == JWT_ALG_RS256 && cfg.jwt_algs == JWK_ALG_BIT(JWT_ALG_RS256));
		CHECK(cfg.jwks_refresh_seconds == 300 && cfg.jwks_min_interval_seconds == 10 &&
		      cfg.jwks_timeout_seconds == 5);
		CHECK(cfg.jwt_key == NULL && cfg.jwks_file == NULL);
		config_release(&cfg);
	}
	for (size_t i = 0; i < sizeof(unacceptable) / sizeof(unacceptable[0]); i++) {
		environment("CASEWORK_JWT_JWKS_URL", unacceptable[i], NULL);
		CHECK(refused_naming("CASEWORK_JWT_JWKS_URL"));
	}
	environment("CASEWORK_JWT_JWKS_URL", acceptable[0], "CASEWORK_JWT_JWKS_REFRESH_SECONDS", "5", NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwks_refresh_seconds == 5 && cfg.jwks_min_interval_seconds == 5);
	config_release(&cfg);
	environment("CASEWORK_JWT_JWKS_URL", acceptable[0], "CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS", "400", NULL);
	CHECK(refused_naming("CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS"));
	environment("CASEWORK_JWT_JWKS_URL", acceptable[0], "CASEWORK_JWT_JWKS_TIMEOUT_SECONDS", "0", NULL);
	CHECK(refused_naming("CASEWORK_JWT_JWKS_TIMEOUT_SECONDS"));
}

static void test_a_jwk_set_comes_alone_and_with_public_key_algorithms(void)
{
	const char *url = "https://idp.example.org/jwks";
	struct config cfg;

	environment("CASEWORK_JWT_JWKS_FILE", "/nonexistent/jwks.json", NULL);
	CHECK(loads(&cfg));  /* the file is read when the service starts */
	CHECK_STR(cfg.jwks_file, "/nonexistent/jwks.json");
	config_release(&cfg);
	environment("CASEWORK_JWT_JWKS_FILE", "/x", "CASEWORK_JWT_JWKS_URL", url, NULL);
	CHECK(refused_naming("CASEWORK_JWT_JWKS_FILE and CASEWORK_JWT_JWKS_URL"));
	environment("CASEWORK_JWT_JWKS_URL", url, "CASEWORK_JWT_SECRET", SECRET_32, NULL);
	CHECK(refused_naming("unset CASEWORK_JWT_SECRET"));
	environment("CASEWORK_JWT_JWKS_FILE", "/x", "CASEWORK_JWT_PUBLIC_KEY_FILE", "/y", NULL);
	CHECK(refused_naming("unset CASEWORK_JWT_PUBLIC_KEY_FILE"));
	environment("CASEWORK_JWT_JWKS_URL", url, "CASEWORK_JWT_ALG", "RS256,ES256", NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_algs == (JWK_ALG_BIT(JWT_ALG_RS256) | JWK_ALG_BIT(JWT_ALG_ES256)));
	config_release(&cfg);
	environment("CASEWORK_JWT_JWKS_URL", url, "CASEWORK_JWT_ALG", "ES256", NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_alg == JWT_ALG_ES256 && cfg.jwt_algs == JWK_ALG_BIT(JWT_ALG_ES256));
	config_release(&cfg);
	static const char *const bad_lists[] = {"HS256", "RS256,HS256", "RS256,", ",RS256", "RS256, ES256", "RS384"};
	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		environment("CASEWORK_JWT_JWKS_URL", url, "CASEWORK_JWT_ALG", bad_lists[i], NULL);
		CHECK(refused_naming("CASEWORK_JWT_ALG"));
	}
	/* Several algorithms need a JWK Set: one PEM key is of one kind. */
	environment("CASEWORK_JWT_PUBLIC_KEY_FILE", "/y", "CASEWORK_JWT_ALG", "RS256,ES256", NULL);
	CHECK(refused_naming("CASEWORK_JWT_JWKS_FILE or CASEWORK_JWT_JWKS_URL"));
	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_ALG", "HS256,HS512", NULL);
	CHECK(refused_naming("CASEWORK_JWT_ALG"));
}

static void test_claim_mapping_settings(void)
{
	struct config cfg;

	environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_ROLE_CLAIM", "realm_access.roles",
		    "CASEWORK_JWT_UNIT_CLAIM", "org.unit", "CASEWORK_JWT_SUBJECT_CLAIM", "preferred_username",
		    "CASEWORK_JWT_ROLE_MAP", "cw-supervisors=supervisor, state-sync = integration,Agency Staff=caseworker",
		    NULL);
	CHECK(loads(&cfg));
	CHECK_STR(cfg.jwt_role_claim, "realm_access.roles");
	CHECK_STR(cfg.jwt_unit_claim, "org.unit");
	CHECK_STR(cfg.jwt_subject_claim, "preferred_username");
	CHECK(cfg.jwt_role_map_len == 3);
	if (cfg.jwt_role_map_len == 3) {
		CHECK_STR(cfg.jwt_role_map[0].name, "cw-supervisors");
		CHECK(cfg.jwt_role_map[0].roles == ROLE_SUPERVISOR);
		CHECK_STR(cfg.jwt_role_map[1].name, "state-sync");
		CHECK(cfg.jwt_role_map[1].roles == ROLE_INTEGRATION);
		CHECK_STR(cfg.jwt_role_map[2].name, "Agency Staff");
	}
	config_release(&cfg);
	environment("CASEWORK_JWT_SECRET", SECRET_32, NULL);
	CHECK(loads(&cfg));
	CHECK(cfg.jwt_role_claim == NULL && cfg.jwt_unit_claim == NULL && cfg.jwt_subject_claim == NULL &&
	      cfg.jwt_role_map == NULL);
	config_release(&cfg);
	static const char *const bad_maps[] = {"x=janitor", "x", "=caseworker", "a=caseworker,b=Supervisor", ","};
	for (size_t i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_ROLE_MAP", bad_maps[i], NULL);
		CHECK(refused_naming("CASEWORK_JWT_ROLE_MAP"));
	}
	static const char *const bad_paths[] = {"a..b", "a b", ".a", "a.", "a.b.c.d.e.f.g.h.i"};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		environment("CASEWORK_JWT_SECRET", SECRET_32, "CASEWORK_JWT_UNIT_CLAIM", bad_paths[i], NULL);
		CHECK(refused_naming("CASEWORK_JWT_UNIT_CLAIM"));
	}
}

static void test_load_database_reads_only_the_url(void)
{
	struct config cfg;
	char why[256];

	environment("CASEWORK_DATABASE_URL", "postgresql://db/x", NULL);
	CHECK(config_load_database(&cfg, why, sizeof(why)) == 0);
	CHECK_STR(cfg.database_url, "postgresql://db/x");
	CHECK(cfg.migrate_database_url == NULL);
	config_release(&cfg);
}

static void test_migrate_url_is_the_owners_and_optional(void)
{
	struct config cfg;
	char why[256];

	environment("CASEWORK_DATABASE_URL", "postgresql://service@db/x",
		    "CASEWORK_MIGRATE_DATABASE_URL", "postgresql://owner@db/x", NULL);
	CHECK(config_load_database(&cfg, why, sizeof(why)) == 0);
	CHECK_STR(cfg.database_url, "postgresql://service@db/x");
	CHECK_STR(cfg.migrate_database_url, "postgresql://owner@db/x");
	config_release(&cfg);
	environment("CASEWORK_MIGRATE_DATABASE_URL", "", NULL);
	CHECK(config_load_database(&cfg, why, sizeof(why)) == 0);
	CHECK(cfg.migrate_database_url == NULL);
	config_release(&cfg);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/casework-config-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_defaults);
	RUN(test_every_setting_is_read);
	RUN(test_empty_value_counts_as_unset);
	RUN(test_no_jwt_secret_is_refused);
	RUN(test_secret_shorter_than_the_hash_is_refused);
	RUN(test_both_secret_forms_are_refused);
	RUN(test_secret_file_loses_its_trailing_newline);
	RUN(test_pem_key_as_hmac_secret_is_refused);
	RUN(test_unreadable_secret_file_is_refused);
	RUN(test_bad_numbers_are_refused);
	RUN(test_reports_never_hold_every_epoll_worker);
	RUN(test_bad_bind_address_is_refused);
	RUN(test_bad_timezone_is_refused);
	RUN(test_bad_cors_origin_is_refused);
	RUN(test_cors_origin_with_path_or_without_host_is_refused);
	RUN(test_configured_origin_matches_what_a_browser_sends);
	RUN(test_cors_allows_exactly_the_listed_origins);
	RUN(test_unknown_algorithm_is_refused);
	RUN(test_public_key_settings_are_refused_for_hmac);
	RUN(test_rs256_and_es256_need_a_fitting_public_key);
	RUN(test_jwk_set_url_settings);
	RUN(test_a_jwk_set_comes_alone_and_with_public_key_algorithms);
	RUN(test_claim_mapping_settings);
	RUN(test_load_database_reads_only_the_url);
	RUN(test_migrate_url_is_the_owners_and_optional);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return check_result();
}
