#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct transfer {
	const struct fetch_request *req;
	char *body;
	size_t len;
	int too_large;
	long max_age;
};

int fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

long fetch_max_age(const char *value)
{
	long max_age = -1;
	const char *p = value;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ",");
		if ((n == 8 && strncasecmp(p, "no-cache", 8) == 0) || (n == 8 && strncasecmp(p, "no-store", 8) == 0))
			return 0;
		if (n > 8 && strncasecmp(p, "max-age=", 8) == 0 && isdigit((unsigned char)p[8])) {
			char *end;
			long v = strtol(p + 8, &end, 10);

			if (end == p + n || *end == ' ' || *end == '\t' || *end == ',')
				max_age = v < 0 ? 0 : v;
		}
		p += n;
	}
	return max_age;
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t n = size * count;
	char *grown;

	if (t->len + n > t->req->max_bytes) {
		t->too_large = 1;
		return 0;  /* stops the transfer */
	}
	grown = realloc(t->body, t->len + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + t->len, data, n);
	t->body = grown;
	t->len += n;
	t->body[t->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t n = size * count;
	char line[512];

	if (n > 14 && n < sizeof(line) && strncasecmp(data, "cache-control:", 14) == 0) {
		memcpy(line, data + 14, n - 14);
		line[n - 14] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		t->max_age = fetch_max_age(line);
	}
	return n;
}

static int on_progress(void *user, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total, curl_off_t ul_now)
{
	const struct transfer *t = user;

	(void)dl_total;
	(void)dl_now;
	(void)ul_total;
	(void)ul_now;
	return t->req->cancel && atomic_load(t->req->cancel) ? 1 : 0;
}

static void set_options(CURL *curl, struct transfer *t, struct curl_slist *headers)
{
	const struct fetch_request *req = t->req;
	const char *protocols = req->allow_http ? "http,https" : "https";

	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "caseworkd/" CASEWORK_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

int fetch_get(const struct fetch_request *req, struct fetch_result *result)
{
	struct transfer t = {req, NULL, 0, 0, -1};
	struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
	CURL *curl = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	long status = 0;

	memset(result, 0, sizeof(*result));
	result->max_age = -1;
	if (curl != NULL && headers != NULL) {
		set_options(curl, &t, headers);
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(result->error, sizeof(result->error), "the answer is larger than %zu bytes", req->max_bytes);
	else if (rc != CURLE_OK)
		snprintf(result->error, sizeof(result->error), "%s", curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(result->error, sizeof(result->error), "the answer has status %ld, not 200", status);
	else if (t.body == NULL)
		snprintf(result->error, sizeof(result->error), "the answer is empty");
	if (result->error[0]) {
		free(t.body);
		return -1;
	}
	result->body = t.body;
	result->len = t.len;
	result->max_age = t.max_age;
	return 0;
}
