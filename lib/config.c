#include "config.h"

#include "error.h"
#include "files.h"
#include "jwk.h"
#include "jws.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEY_FILE_BYTES ((size_t)64 * 1024)
#define ROLE_MAP_MAX 200

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
		return cw_refuse(why, len, "%s must be a whole number from %lu to %lu", name, min, max);
	return 0;
}

/* Reads a whole small file; returns its length or -1 with errno set. Caller frees *out. */
static long read_small_file(const char *path, unsigned char **out)
{
	return file_read_small(path, MAX_KEY_FILE_BYTES, out);
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
		return cw_refuse(why, len, "set only one of CASEWORK_JWT_SECRET and CASEWORK_JWT_SECRET_FILE");
	if (setting("CASEWORK_JWT_PUBLIC_KEY_FILE") != NULL)
		return cw_refuse(why, len, "CASEWORK_JWT_PUBLIC_KEY_FILE is for RS256/ES256, but CASEWORK_JWT_ALG is %s",
				 jwt_alg_str(cfg->jwt_alg));
	if (inline_secret != NULL) {
		cfg->jwt_key_len = strlen(inline_secret);
		cfg->jwt_key = (unsigned char *)strdup(inline_secret);
	} else if (file != NULL) {
		long n = read_small_file(file, &cfg->jwt_key);

		if (n < 0)
			return cw_refuse(why, len, "CASEWORK_JWT_SECRET_FILE %s cannot be read: %s", file, strerror(errno));
		/* A trailing newline is an editor's, not part of the secret. */
		while (n > 0 && (cfg->jwt_key[n - 1] == '\n' || cfg->jwt_key[n - 1] == '\r'))
			cfg->jwt_key[--n] = '\0';
		cfg->jwt_key_len = (size_t)n;
	} else {
		return cw_refuse(why, len, "no JWT secret: set CASEWORK_JWT_SECRET or CASEWORK_JWT_SECRET_FILE");
	}
	if (cfg->jwt_key == NULL)
		return cw_refuse(why, len, "out of memory reading the JWT secret");
	/* A PEM key as an HMAC secret lets anyone who holds the (public) key sign tokens. */
	if (memmem(cfg->jwt_key, cfg->jwt_key_len, "-----BEGIN", 10) != NULL)
		return cw_refuse(why, len, "%s holds a PEM key, not an HMAC secret: use a random secret for %s, or "
				 "CASEWORK_JWT_ALG=RS256/ES256 with CASEWORK_JWT_PUBLIC_KEY_FILE",
				 inline_secret ? "CASEWORK_JWT_SECRET" : "CASEWORK_JWT_SECRET_FILE", jwt_alg_str(cfg->jwt_alg));
	if (cfg->jwt_key_len < need)
		return cw_refuse(why, len, "%s holds %zu bytes; %s needs a secret of at least %zu",
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
		rc = cw_refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE does not hold a PEM public key");
	} else if (alg == JWT_ALG_RS256 && EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		rc = cw_refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE is not an RSA key, as RS256 needs");
	} else if (alg == JWT_ALG_RS256 && (EVP_PKEY_bits(key) < JWK_RSA_MIN_BITS || EVP_PKEY_bits(key) > JWK_RSA_MAX_BITS)) {
		rc = cw_refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE holds an RSA key of %d bits; RS256 needs %d to %d",
			       EVP_PKEY_bits(key), JWK_RSA_MIN_BITS, JWK_RSA_MAX_BITS);
	} else if (alg == JWT_ALG_ES256 && (EVP_PKEY_base_id(key) != EVP_PKEY_EC || EVP_PKEY_bits(key) != 256)) {
		rc = cw_refuse(why, why_len, "CASEWORK_JWT_PUBLIC_KEY_FILE is not a P-256 EC key, as ES256 needs");
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
		return cw_refuse(why, len, "%s is set, but CASEWORK_JWT_ALG is %s, which uses "
				 "CASEWORK_JWT_PUBLIC_KEY_FILE: unset %s", secret_var, jwt_alg_str(cfg->jwt_alg), secret_var);
	if (file == NULL)
		return cw_refuse(why, len, "CASEWORK_JWT_ALG is %s: set CASEWORK_JWT_PUBLIC_KEY_FILE to its PEM public key",
				 jwt_alg_str(cfg->jwt_alg));
	n = read_small_file(file, &cfg->jwt_key);
	if (n <= 0)
		return cw_refuse(why, len, "CASEWORK_JWT_PUBLIC_KEY_FILE %s cannot be read: %s", file,
				 n == 0 ? "it is empty" : strerror(errno));
	cfg->jwt_key_len = (size_t)n;
	return public_key_fits(cfg->jwt_key, cfg->jwt_key_len, cfg->jwt_alg, why, len);
}

static int jwks_configured(void)
{
	return setting("CASEWORK_JWT_JWKS_FILE") != NULL || setting("CASEWORK_JWT_JWKS_URL") != NULL;
}

static unsigned bit_count(unsigned v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* CASEWORK_JWT_ALG: one algorithm; with a JWK Set, RS256 and ES256 may both be listed. */
static int load_algorithms(struct config *cfg, char *why, size_t len)
{
	const unsigned hmac = JWK_ALG_BIT(JWT_ALG_HS256) | JWK_ALG_BIT(JWT_ALG_HS384) | JWK_ALG_BIT(JWT_ALG_HS512);
	const char *list = setting("CASEWORK_JWT_ALG");
	char name[8];

	if (list == NULL)
		list = jwks_configured() ? "RS256" : "HS256";
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		jwt_alg_t alg = JWT_ALG_NONE;

		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			alg = jws_alg_of_name(name);
		}
		if (alg == JWT_ALG_NONE)
			goto bad;
		if (cfg->jwt_algs == 0)
			cfg->jwt_alg = alg;
		cfg->jwt_algs |= JWK_ALG_BIT(alg);
		p += n;
		if (*p == '\0')
			break;
	}
	if (cfg->jwt_algs == 0)
		goto bad;
	if (jwks_configured() && (cfg->jwt_algs & hmac))
		return cw_refuse(why, len, "CASEWORK_JWT_ALG is %s, but a JWK Set holds public keys: use RS256 and/or ES256",
				 list);
	if (bit_count(cfg->jwt_algs) > 1 && !jwks_configured())
		return cw_refuse(why, len, "CASEWORK_JWT_ALG lists several algorithms, which needs CASEWORK_JWT_JWKS_FILE "
				 "or CASEWORK_JWT_JWKS_URL");
	return 0;
bad:
	return cw_refuse(why, len, "CASEWORK_JWT_ALG must be one of HS256, HS384, HS512, RS256, ES256 "
			 "(with a JWK Set: RS256, ES256 or RS256,ES256)");
}

/* host (n bytes, with any :port) is 127.0.0.0/8, [::1] or localhost. */
static int host_is_loopback(const char *host, size_t n)
{
	struct in_addr v4;
	char name[64];
	size_t h;

	if (host[0] == '[')
		return n >= 5 && strncmp(host, "[::1]", 5) == 0 && (n == 5 || host[5] == ':');
	h = strcspn(host, ":");
	if (h > n)
		h = n;
	if (h == 0 || h >= sizeof(name))
		return 0;
	memcpy(name, host, h);
	name[h] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return 1;
	return inet_pton(AF_INET, name, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

/* How long the scheme at the start of url is: "http://" (*http set) or
 * "https://", in any case; 0 for any other. */
static size_t web_scheme_length(const char *url, int *http)
{
	*http = strncasecmp(url, "http://", 7) == 0;
	if (*http)
		return 7;
	return strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
}

/* An https:// URL, or http:// to a loopback address (*http set), with a host
 * and no user name or password. */
static int jwks_url_is_acceptable(const char *url, int *http)
{
	const char *host;
	size_t n;

	if (strlen(url) > 2000)
		return 0;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	n = web_scheme_length(url, http);
	if (n == 0)
		return 0;
	host = url + n;
	n = strcspn(host, "/?#");
	if (n == 0 || memchr(host, '@', n) != NULL)
		return 0;
	return !*http || host_is_loopback(host, n);
}

static int load_jwks_url(struct config *cfg, const char *url, char *why, size_t len)
{
	unsigned long v = 0;

	if (!jwks_url_is_acceptable(url, &cfg->jwks_allow_http))
		return cw_refuse(why, len, "CASEWORK_JWT_JWKS_URL must be an https:// URL (http:// only to 127.0.0.1, [::1] "
				 "or localhost) with no user name or password");
	cfg->jwks_url = strdup(url);
	if (cfg->jwks_url == NULL)
		return cw_refuse(why, len, "out of memory");
	if (load_uint("CASEWORK_JWT_JWKS_REFRESH_SECONDS", 300, 1, 86400, &v, why, len) != 0)
		return -1;
	cfg->jwks_refresh_seconds = (unsigned)v;
	if (load_uint("CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS", v < 10 ? v : 10, 1, 3600, &v, why, len) != 0)
		return -1;
	cfg->jwks_min_interval_seconds = (unsigned)v;
	if (cfg->jwks_min_interval_seconds > cfg->jwks_refresh_seconds)
		return cw_refuse(why, len, "CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS (%u) must not be more than "
				 "CASEWORK_JWT_JWKS_REFRESH_SECONDS (%u)", cfg->jwks_min_interval_seconds,
				 cfg->jwks_refresh_seconds);
	if (load_uint("CASEWORK_JWT_JWKS_TIMEOUT_SECONDS", 5, 1, 60, &v, why, len) != 0)
		return -1;
	cfg->jwks_timeout_seconds = (unsigned)v;
	return 0;
}

/* CASEWORK_JWT_JWKS_FILE or CASEWORK_JWT_JWKS_URL, instead of a secret or a PEM key.
 * The set itself is read when the service starts (auth.c). */
static int load_jwks(struct config *cfg, char *why, size_t len)
{
	const char *file = setting("CASEWORK_JWT_JWKS_FILE");
	const char *url = setting("CASEWORK_JWT_JWKS_URL");
	const char *source = file ? "CASEWORK_JWT_JWKS_FILE" : "CASEWORK_JWT_JWKS_URL";
	static const char *const others[] = {"CASEWORK_JWT_SECRET", "CASEWORK_JWT_SECRET_FILE",
					     "CASEWORK_JWT_PUBLIC_KEY_FILE"};

	if (file != NULL && url != NULL)
		return cw_refuse(why, len, "set only one of CASEWORK_JWT_JWKS_FILE and CASEWORK_JWT_JWKS_URL");
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (setting(others[i]) != NULL)
			return cw_refuse(why, len, "%s is set, but the keys come from %s: unset %s", others[i], source,
					 others[i]);
	if (url != NULL)
		return load_jwks_url(cfg, url, why, len);
	cfg->jwks_file = strdup(file);
	return cfg->jwks_file ? 0 : cw_refuse(why, len, "out of memory");
}

static int load_claim_path(const char *name, char **out, char *why, size_t len)
{
	const char *v = setting(name);

	if (v == NULL)
		return 0;
	if (!claims_path_is_valid(v))
		return cw_refuse(why, len, "%s must be a claim name or a dotted path such as realm_access.roles "
				 "(at most %d names and %d bytes, no spaces)", name, CLAIM_PATH_SEGMENTS, CLAIM_PATH_MAX);
	*out = strdup(v);
	return *out ? 0 : cw_refuse(why, len, "out of memory");
}

static char *trimmed(char *s)
{
	char *end;

	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		*--end = '\0';
	return s;
}

/* One "name=role" of CASEWORK_JWT_ROLE_MAP into m; 0 or -1. */
static int parse_role_mapping(char *entry, struct role_mapping *m)
{
	char *eq = strrchr(entry, '='), *name;
	unsigned role;

	if (eq == NULL)
		return -1;
	*eq = '\0';
	name = trimmed(entry);
	role = claims_role_bit(trimmed(eq + 1));
	if (role == 0 || name[0] == '\0' || strlen(name) > PRINCIPAL_SUB_MAX)
		return -1;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	m->name = strdup(name);
	m->roles = role;
	return m->name ? 0 : -1;
}

/* CASEWORK_JWT_ROLE_MAP: "provider-name=role,..." (a name may grant several roles). */
static int load_role_map(struct config *cfg, char *why, size_t len)
{
	const char *list = setting("CASEWORK_JWT_ROLE_MAP");
	size_t count = 1;
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (list == NULL)
		return 0;
	for (const char *p = list; *p; p++)
		count += *p == ',';
	if (count > ROLE_MAP_MAX)
		return cw_refuse(why, len, "CASEWORK_JWT_ROLE_MAP has more than %d entries", ROLE_MAP_MAX);
	cfg->jwt_role_map = calloc(count, sizeof(*cfg->jwt_role_map));
	copy = strdup(list);
	if (cfg->jwt_role_map == NULL || copy == NULL) {
		free(copy);
		return cw_refuse(why, len, "out of memory");
	}
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		if (parse_role_mapping(tok, &cfg->jwt_role_map[cfg->jwt_role_map_len]) != 0)
			rc = cw_refuse(why, len, "CASEWORK_JWT_ROLE_MAP entry %zu must be name=role, the role one of "
				       "caseworker, supervisor, administrator, auditor, integration",
				       cfg->jwt_role_map_len + 1);
		else
			cfg->jwt_role_map_len++;
	}
	free(copy);
	if (rc == 0 && cfg->jwt_role_map_len == 0)
		rc = cw_refuse(why, len, "CASEWORK_JWT_ROLE_MAP names no role");
	return rc;
}

static int load_claim_mapping(struct config *cfg, char *why, size_t len)
{
	if (load_claim_path("CASEWORK_JWT_SUBJECT_CLAIM", &cfg->jwt_subject_claim, why, len) != 0 ||
	    load_claim_path("CASEWORK_JWT_UNIT_CLAIM", &cfg->jwt_unit_claim, why, len) != 0 ||
	    load_claim_path("CASEWORK_JWT_ROLE_CLAIM", &cfg->jwt_role_claim, why, len) != 0)
		return -1;
	return load_role_map(cfg, why, len);
}

static int load_jwt(struct config *cfg, char *why, size_t len)
{
	if (load_algorithms(cfg, why, len) != 0)
		return -1;
	cfg->jwt_issuer = copy_setting("CASEWORK_JWT_ISSUER", NULL);
	cfg->jwt_audience = copy_setting("CASEWORK_JWT_AUDIENCE", NULL);
	if (load_claim_mapping(cfg, why, len) != 0)
		return -1;
	if (jwks_configured())
		return load_jwks(cfg, why, len);
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
		return cw_refuse(why, len, "out of memory");
	if (inet_pton(AF_INET, cfg->bind, addr) != 1 && inet_pton(AF_INET6, cfg->bind, addr) != 1)
		return cw_refuse(why, len, "CASEWORK_BIND must be a numeric IPv4 or IPv6 address, such as 127.0.0.1 or ::");
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
	int http;

	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	n = web_scheme_length(o, &http);
	if (n == 0)
		return 0;
	host = o + n;
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
	if ((port == 443 && !http) || (port == 80 && http))
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
		return cfg->cors_origins ? 0 : cw_refuse(why, len, "out of memory");
	copy = strdup(list);
	if (copy == NULL)
		return cw_refuse(why, len, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		for (char *end = tok + strlen(tok); end > tok && end[-1] == ' '; )
			*--end = '\0';
		if (!normalise_origin(tok)) {
			free(copy);
			return cw_refuse(why, len, "CASEWORK_CORS_ORIGINS must list origins like https://app.example.org, "
					 "separated by commas");
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
		return cw_refuse(why, len, "out of memory");
	if (strcmp(cfg->timezone, "UTC") == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", cfg->timezone);
	if (cfg->timezone[0] == '/' || strstr(cfg->timezone, "..") != NULL ||
	    stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_zone_file(path))
		return cw_refuse(why, len, "CASEWORK_TIMEZONE must name a time zone such as America/Chicago (is tzdata installed?)");
	return 0;
}

/* Four connections a core: a connection that commits waits for the disk, and
 * one that reads for the network, with its core idle meanwhile; with two a
 * core, a 2-core machine left a quarter of its CPU unused under durable
 * writes (tests/perf/README.md, "Pool size"). At most 64: a database serves
 * its cores, not hundreds of connections. */
static unsigned default_pool_size(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores <= 0)
		return 8;
	return cores < 16 ? (unsigned)(4 * cores) : 64;
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
		return cw_refuse(why, len, "CASEWORK_REPORT_CONCURRENCY (%u) must be less than CASEWORK_HTTP_THREADS (%u), "
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
		return cw_refuse(why, len, "out of memory");
	if (setting("CASEWORK_MIGRATE_DATABASE_URL") != NULL &&
	    (cfg->migrate_database_url = copy_setting("CASEWORK_MIGRATE_DATABASE_URL", NULL)) == NULL)
		return cw_refuse(why, len, "out of memory");
	return 0;
}

int config_load_listener(struct config *cfg, char *why, size_t len)
{
	memset(cfg, 0, sizeof(*cfg));
	if (load_bind(cfg, why, len) == 0)
		return 0;
	config_release(cfg);
	return -1;
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
	free(cfg->migrate_database_url);
	free(cfg->bind);
	free(cfg->jwt_issuer);
	free(cfg->jwt_audience);
	free(cfg->jwks_file);
	free(cfg->jwks_url);
	free(cfg->jwt_subject_claim);
	free(cfg->jwt_unit_claim);
	free(cfg->jwt_role_claim);
	for (size_t i = 0; i < cfg->jwt_role_map_len; i++)
		free(cfg->jwt_role_map[i].name);
	free(cfg->jwt_role_map);
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
