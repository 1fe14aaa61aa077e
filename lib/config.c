#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEY_FILE_BYTES ((size_t)64 * 1024)

static int refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* getenv, treating an empty value as unset. */
static const char *setting(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static char *copy_setting(const char *name, const char *fallback)
{
	const char *v = setting(name);

	if (v == NULL)
		v = fallback;
	return v == NULL ? NULL : strdup(v);
}

/* Strict unsigned parse: digits only, within [min, max]. */
static int parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (text == NULL || !isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int load_uint(const char *name, unsigned long fallback, unsigned long min,
		     unsigned long max, unsigned long *out, char *why, size_t len)
{
	const char *v = setting(name);

	if (v == NULL) {
		*out = fallback;
		return 0;
	}
	if (parse_uint(v, min, max, out) != 0)
		return refuse(why, len, "%s must be a whole number from %lu to %lu", name, min, max);
	return 0;
}

/* Reads a whole small file; returns its length or -1 with errno set. Caller frees *out. */
static long read_small_file(const char *path, unsigned char **out)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (f == NULL)
		return -1;
	buf = malloc(MAX_KEY_FILE_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		errno = ENOMEM;
		return -1;
	}
	n = fread(buf, 1, MAX_KEY_FILE_BYTES + 1, f);
	int failed = ferror(f);

	fclose(f);
	if (failed || n > MAX_KEY_FILE_BYTES) {
		free(buf);
		errno = failed ? EIO : EFBIG;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	return (long)n;
}

static size_t minimum_hmac_bytes(jwt_alg_t alg)
{
	/* RFC 7518 3.2: the key must be at least as long as the hash output. */
	switch (alg) {
	case JWT_ALG_HS384: return 48;
	case JWT_ALG_HS512: return 64;
	default: return 32;
	}
}

static int load_hmac_secret(struct config *cfg, char *why, size_t len)
{
	const char *inline_secret = setting("CASEWORK_JWT_SECRET");
	const char *file = setting("CASEWORK_JWT_SECRET_FILE");
	size_t need = minimum_hmac_bytes(cfg->jwt_alg);

	if (inline_secret != NULL && file != NULL)
		return refuse(why, len, "set only one of CASEWORK_JWT_SECRET and CASEWORK_JWT_SECRET_FILE");
	if (setting("CASEWORK_JWT_PUBLIC_KEY_FILE") != NULL)
		return refuse(why, len, "CASEWORK_JWT_PUBLIC_KEY_FILE is for RS256/ES256, but CASEWORK_JWT_ALG is %s",
			      jwt_alg_str(cfg->jwt_alg));
	if (inline_secret != NULL) {
		cfg->jwt_key_len = strlen(inline_secret);
		cfg->jwt_key = (unsigned char *)strdup(inline_secret);
	} else if (file != NULL) {
		long n = read_small_file(file, &cfg->jwt_key);

		if (n < 0)
			return refuse(why, len, "CASEWORK_JWT_SECRET_FILE %s cannot be read: %s", file, strerror(errno));
		/* A trailing newline is an editor's, not part of the secret. */
		while (n > 0 && (cfg->jwt_key[n - 1] == '\n' || cfg->jwt_key[n - 1] == '\r'))
			cfg->jwt_key[--n] = '\0';
		cfg->jwt_key_len = (size_t)n;
	} else {
		return refuse(why, len, "no JWT secret: set CASEWORK_JWT_SECRET or CASEWORK_JWT_SECRET_FILE");
	}
	if (cfg->jwt_key == NULL)
		return refuse(why, len, "out of memory reading the JWT secret");
	if (cfg->jwt_key_len < need)
		return refuse(why, len, "%s holds %zu bytes; %s needs a secret of at least %zu",
			      inline_secret ? "CASEWORK_JWT_SECRET" : "CASEWORK_JWT_SECRET_FILE",
			      cfg->jwt_key_len, jwt_alg_str(cfg->jwt_alg), need);
	return 0;
}

/* Checks that pem holds a public key usable for alg. */
static int public_key_fits(const unsigned char *pem, size_t len, jwt_alg_t alg, char *why, size_t why_len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	int rc = 0;

	if (key == NULL) {
		rc = refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE does not hold a PEM public key");
	} else if (alg == JWT_ALG_RS256 && EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		rc = refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE is not an RSA key, as RS256 needs");
	} else if (alg == JWT_ALG_RS256 && EVP_PKEY_bits(key) < 2048) {
		rc = refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE holds an RSA key of %d bits; RS256 needs at least 2048",
			    EVP_PKEY_bits(key));
	} else if (alg == JWT_ALG_ES256 && (EVP_PKEY_base_id(key) != EVP_PKEY_EC || EVP_PKEY_bits(key) != 256)) {
		rc = refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE is not a P-256 EC key, as ES256 needs");
	}
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rc;
}

static int load_public_key(struct config *cfg, char *why, size_t len)
{
	const char *file = setting("CASEWORK_JWT_PUBLIC_KEY_FILE");
	long n;

	const char *secret_var = setting("CASEWORK_JWT_SECRET") ? "CASEWORK_JWT_SECRET"
			       : setting("CASEWORK_JWT_SECRET_FILE") ? "CASEWORK_JWT_SECRET_FILE" : NULL;

	if (secret_var != NULL)
		return refuse(why, len, "%s is set, but CASEWORK_JWT_ALG is %s, which uses "
			      "CASEWORK_JWT_PUBLIC_KEY_FILE: unset %s", secret_var, jwt_alg_str(cfg->jwt_alg), secret_var);
	if (file == NULL)
		return refuse(why, len, "CASEWORK_JWT_ALG is %s: set CASEWORK_JWT_PUBLIC_KEY_FILE to its PEM public key",
			      jwt_alg_str(cfg->jwt_alg));
	n = read_small_file(file, &cfg->jwt_key);
	if (n <= 0)
		return refuse(why, len, "CASEWORK_JWT_PUBLIC_KEY_FILE %s cannot be read: %s", file,
			      n == 0 ? "it is empty" : strerror(errno));
	cfg->jwt_key_len = (size_t)n;
	return public_key_fits(cfg->jwt_key, cfg->jwt_key_len, cfg->jwt_alg, why, len);
}

static int load_jwt(struct config *cfg, char *why, size_t len)
{
	const char *alg = setting("CASEWORK_JWT_ALG");

	if (alg == NULL)
		alg = "HS256";
	if (strcmp(alg, "HS256") == 0)
		cfg->jwt_alg = JWT_ALG_HS256;
	else if (strcmp(alg, "HS384") == 0)
		cfg->jwt_alg = JWT_ALG_HS384;
	else if (strcmp(alg, "HS512") == 0)
		cfg->jwt_alg = JWT_ALG_HS512;
	else if (strcmp(alg, "RS256") == 0)
		cfg->jwt_alg = JWT_ALG_RS256;
	else if (strcmp(alg, "ES256") == 0)
		cfg->jwt_alg = JWT_ALG_ES256;
	else
		return refuse(why, len, "CASEWORK_JWT_ALG must be one of HS256, HS384, HS512, RS256, ES256");

	cfg->jwt_issuer = copy_setting("CASEWORK_JWT_ISSUER", NULL);
	cfg->jwt_audience = copy_setting("CASEWORK_JWT_AUDIENCE", NULL);
	if (cfg->jwt_alg == JWT_ALG_RS256 || cfg->jwt_alg == JWT_ALG_ES256)
		return load_public_key(cfg, why, len);
	return load_hmac_secret(cfg, why, len);
}

static int load_bind(struct config *cfg, char *why, size_t len)
{
	unsigned char addr[sizeof(struct in6_addr)];
	unsigned long port = 0;

	cfg->bind = copy_setting("CASEWORK_BIND", "127.0.0.1");
	if (cfg->bind == NULL)
		return refuse(why, len, "out of memory");
	if (inet_pton(AF_INET, cfg->bind, addr) != 1 && inet_pton(AF_INET6, cfg->bind, addr) != 1)
		return refuse(why, len, "CASEWORK_BIND must be a numeric IPv4 or IPv6 address, such as 127.0.0.1 or ::");
	if (load_uint("CASEWORK_PORT", 8080, 1, 65535, &port, why, len) != 0)
		return -1;
	cfg->port = (unsigned)port;
	return 0;
}

/* Rewrites o in place to the form a browser sends in Origin (lower-case
 * scheme and host, no default port) and checks that it is one:
 * scheme://host[:port] with no path, query, fragment, user or wildcard. */
static int normalise_origin(char *o)
{
	char *host, *colon;
	size_t n;
	unsigned long port;

	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strncmp(o, "https://", 8) == 0)
		host = o + 8;
	else if (strncmp(o, "http://", 7) == 0)
		host = o + 7;
	else
		return 0;
	n = strcspn(host, ":");
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.')
			return 0;
	if (host[n] == '\0')
		return 1;
	colon = host + n;
	if (parse_uint(colon + 1, 1, 65535, &port) != 0)
		return 0;
	if ((port == 443 && host == o + 8) || (port == 80 && host == o + 7))
		*colon = '\0';
	return 1;
}

static int load_cors(struct config *cfg, char *why, size_t len)
{
	const char *list = setting("CASEWORK_CORS_ORIGINS");
	size_t count = 0, i = 0;
	char *copy, *tok, *save = NULL;

	if (list != NULL)
		for (const char *p = list; *p; p++)
			count += (*p == ',');
	cfg->cors_origins = calloc(list ? count + 2 : 1, sizeof(char *));
	if (cfg->cors_origins == NULL || list == NULL)
		return cfg->cors_origins ? 0 : refuse(why, len, "out of memory");
	copy = strdup(list);
	if (copy == NULL)
		return refuse(why, len, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		for (char *end = tok + strlen(tok); end > tok && end[-1] == ' '; )
			*--end = '\0';
		if (!normalise_origin(tok)) {
			free(copy);
			return refuse(why, len, "CASEWORK_CORS_ORIGINS must list origins like https://app.example.org, separated by commas");
		}
		cfg->cors_origins[i++] = strdup(tok);
	}
	free(copy);
	return 0;
}

/* A compiled zone starts with "TZif"; other files in the zone directory
 * (zone.tab, tzdata.zi) would make glibc fall back to UTC silently. */
static int is_zone_file(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	int ok = f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;

	if (f)
		fclose(f);
	return ok;
}

static int load_timezone(struct config *cfg, char *why, size_t len)
{
	char path[512];
	struct stat st;
	const char *dir = getenv("TZDIR");

	cfg->timezone = copy_setting("CASEWORK_TIMEZONE", "UTC");
	if (cfg->timezone == NULL)
		return refuse(why, len, "out of memory");
	if (strcmp(cfg->timezone, "UTC") == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", cfg->timezone);
	if (cfg->timezone[0] == '/' || strstr(cfg->timezone, "..") != NULL ||
	    stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_zone_file(path))
		return refuse(why, len, "CASEWORK_TIMEZONE must name a time zone such as America/Chicago (is tzdata installed?)");
	return 0;
}

static unsigned default_pool_size(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores > 0 && cores < 64 ? (unsigned)(2 * cores) : 4;
}

/* Reports run on connections of their own, never more at once than
 * CASEWORK_REPORT_CONCURRENCY, and with an epoll pool fewer than its workers:
 * reports never take every worker. */
static int load_reports(struct config *cfg, char *why, size_t len)
{
	unsigned long v = 0;

	if (load_uint("CASEWORK_REPORT_CONCURRENCY", 2, 1, 100, &v, why, len) != 0)
		return -1;
	cfg->report_concurrency = (unsigned)v;
	if (cfg->http_threads > 0 && cfg->report_concurrency >= cfg->http_threads)
		return refuse(why, len, "CASEWORK_REPORT_CONCURRENCY (%u) must be less than CASEWORK_HTTP_THREADS (%u), "
			      "or reports could hold every epoll worker", cfg->report_concurrency, cfg->http_threads);
	if (load_uint("CASEWORK_REPORT_TIMEOUT_SECONDS", 120, 1, 3600, &v, why, len) != 0)
		return -1;
	cfg->report_timeout = (unsigned)v;
	return 0;
}

int config_load_database(struct config *cfg, char *why, size_t len)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->database_url = copy_setting("CASEWORK_DATABASE_URL", "postgresql:///casework");
	if (cfg->database_url == NULL)
		return refuse(why, len, "out of memory");
	return 0;
}

int config_load(struct config *cfg, char *why, size_t len)
{
	unsigned long v = 0;

	if (config_load_database(cfg, why, len) != 0)
		goto fail;
	if (load_bind(cfg, why, len) != 0 || load_jwt(cfg, why, len) != 0 ||
	    load_cors(cfg, why, len) != 0 || load_timezone(cfg, why, len) != 0)
		goto fail;
	if (load_uint("CASEWORK_DB_POOL_SIZE", default_pool_size(), 1, 1000, &v, why, len) != 0)
		goto fail;
	cfg->pool_size = (unsigned)v;
	/* A thread per connection by default: a handler blocks its thread while
	 * the database works, and an epoll worker serves many connections, so one
	 * slow request (a report) would stall every connection its worker holds. */
	if (load_uint("CASEWORK_HTTP_THREADS", 0, 0, 1024, &v, why, len) != 0)
		goto fail;
	cfg->http_threads = (unsigned)v;
	if (load_reports(cfg, why, len) != 0)
		goto fail;
	if (load_uint("CASEWORK_DISCLOSE_SUD", 0, 0, 1, &v, why, len) != 0)
		goto fail;
	cfg->disclose_sud = (int)v;
	if (load_uint("CASEWORK_IDLE_TIMEOUT_SECONDS", 30, 1, 3600, &v, why, len) != 0)
		goto fail;
	cfg->idle_timeout = (unsigned)v;
	if (load_uint("CASEWORK_MAX_BODY_BYTES", 1048576, 64, 64UL * 1024 * 1024, &v, why, len) != 0)
		goto fail;
	cfg->max_body_bytes = v;
	return 0;
fail:
	config_release(cfg);
	return -1;
}

void config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->jwt_key != NULL) {
		explicit_bzero(cfg->jwt_key, cfg->jwt_key_len);
		free(cfg->jwt_key);
	}
	for (size_t i = 0; cfg->cors_origins && cfg->cors_origins[i]; i++)
		free(cfg->cors_origins[i]);
	free(cfg->cors_origins);
	free(cfg->database_url);
	free(cfg->bind);
	free(cfg->jwt_issuer);
	free(cfg->jwt_audience);
	free(cfg->timezone);
	memset(cfg, 0, sizeof(*cfg));
}

int config_cors_allows(const struct config *cfg, const char *origin)
{
	if (origin == NULL || cfg->cors_origins == NULL)
		return 0;
	for (size_t i = 0; cfg->cors_origins[i]; i++)
		if (strcmp(cfg->cors_origins[i], origin) == 0)
			return 1;
	return 0;
}
