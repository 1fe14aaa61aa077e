#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct line {
	char buf[1024];
	size_t len;
};

static void put_raw(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->len + n >= sizeof(l->buf) - 2)
		n = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Appends s as a JSON string, escaping quotes, backslashes and control bytes. */
static void put_string(struct line *l, const char *s)
{
	char esc[8];

	put_raw(l, "\"");
	for (; s && *s && l->len < sizeof(l->buf) - 16; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		put_raw(l, esc);
	}
	put_raw(l, "\"");
}

static void put_time(struct line *l)
{
	struct timeval tv;
	struct tm tm;
	char ts[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	put_raw(l, "{\"time\":\"");
	put_raw(l, ts);
	snprintf(ts, sizeof(ts), ".%03ldZ\"", (long)(tv.tv_usec / 1000));
	put_raw(l, ts);
}

static void emit(struct line *l)
{
	ssize_t rc;

	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	rc = write(STDOUT_FILENO, l->buf, l->len);
	(void)rc; /* nowhere to report a failed log write */
}

void log_request(const struct log_request_line *r)
{
	struct line l = {.len = 0};
	char num[64];

	put_time(&l);
	put_raw(&l, ",\"request_id\":");
	put_string(&l, r->request_id);
	put_raw(&l, ",\"method\":");
	put_string(&l, r->method);
	put_raw(&l, ",\"route\":");
	if (r->route)
		put_string(&l, r->route);
	else
		put_raw(&l, "null");
	snprintf(num, sizeof(num), ",\"status\":%d,\"duration_ms\":%.3f", r->status, r->duration_ms);
	put_raw(&l, num);
	put_raw(&l, ",\"sub\":");
	if (r->sub)
		put_string(&l, r->sub);
	else
		put_raw(&l, "null");
	emit(&l);
}

void log_event(const char *level, const char *fmt, ...)
{
	struct line l = {.len = 0};
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	put_time(&l);
	put_raw(&l, ",\"level\":");
	put_string(&l, level);
	put_raw(&l, ",\"message\":");
	put_string(&l, message);
	emit(&l);
}
