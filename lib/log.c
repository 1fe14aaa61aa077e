#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Request lines are made on every request: they are built by hand, without
 * stdio, then handed to the sink. */

struct line {
	char buf[1024];
	size_t len;
};

#define LINE_ROOM(l) (sizeof((l)->buf) - 2 - (l)->len) /* keeps room for "}\n" */

static void put_bytes(struct line *l, const char *s, size_t n)
{
	if (n > LINE_ROOM(l))
		n = LINE_ROOM(l);
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

#define PUT_LITERAL(l, s) put_bytes((l), (s), sizeof(s) - 1)

static void put_uint(struct line *l, unsigned long v, int min_digits)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < min_digits);
	while (n > 0 && LINE_ROOM(l) > 0)
		l->buf[l->len++] = digits[--n];
}

/* s as a JSON string: quotes, backslashes and control bytes escaped. */
static void put_string(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	PUT_LITERAL(l, "\"");
	for (; *s && LINE_ROOM(l) > 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			l->buf[l->len++] = '\\';
			l->buf[l->len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			put_bytes(l, "\\u00", 4);
			l->buf[l->len++] = hex[c >> 4];
			l->buf[l->len++] = hex[c & 15];
		} else {
			l->buf[l->len++] = (char)c;
		}
	}
	PUT_LITERAL(l, "\"");
}

static void put_string_or_null(struct line *l, const char *s)
{
	if (s)
		put_string(l, s);
	else
		PUT_LITERAL(l, "null");
}

/* ,"name":"value" or ,"name":null */
#define PUT_TEXT_MEMBER(l, name, s)               \
	do {                                      \
		PUT_LITERAL(l, ",\"" name "\":"); \
		put_string_or_null(l, s);         \
	} while (0)

/* {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void put_time(struct line *l)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	PUT_LITERAL(l, "{\"time\":\"");
	put_uint(l, (unsigned long)tm.tm_year + 1900, 4);
	PUT_LITERAL(l, "-");
	put_uint(l, (unsigned long)tm.tm_mon + 1, 2);
	PUT_LITERAL(l, "-");
	put_uint(l, (unsigned long)tm.tm_mday, 2);
	PUT_LITERAL(l, "T");
	put_uint(l, (unsigned long)tm.tm_hour, 2);
	PUT_LITERAL(l, ":");
	put_uint(l, (unsigned long)tm.tm_min, 2);
	PUT_LITERAL(l, ":");
	put_uint(l, (unsigned long)tm.tm_sec, 2);
	PUT_LITERAL(l, ".");
	put_uint(l, (unsigned long)tv.tv_usec / 1000, 3);
	PUT_LITERAL(l, "Z\"");
}

#define SINK_BYTES ((size_t)64 * 1024)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t writer;
	int buffering;
	int stopping;
	size_t len;
	char buf[SINK_BYTES];
} sink = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report a failed log write */
		p += w;
		n -= (size_t)w;
	}
}

/* Caller holds sink.lock. */
static void flush_sink(void)
{
	write_all(sink.buf, sink.len);
	sink.len = 0;
}

static void emit(struct line *l, int urgent)
{
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	pthread_mutex_lock(&sink.lock);
	if (!sink.buffering) {
		write_all(l->buf, l->len);
	} else {
		if (sink.len + l->len > SINK_BYTES)
			flush_sink();
		memcpy(sink.buf + sink.len, l->buf, l->len);
		sink.len += l->len;
		if (urgent)
			flush_sink();
	}
	pthread_mutex_unlock(&sink.lock);
}

static void *sink_writer(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&sink.lock);
	while (!sink.stopping) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += LOG_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sink.wake, &sink.lock, &until);
		flush_sink();
	}
	pthread_mutex_unlock(&sink.lock);
	return NULL;
}

int log_start_buffering(void)
{
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sink.wake, &attr);
	pthread_condattr_destroy(&attr);
	sink.stopping = 0;
	rc = pthread_create(&sink.writer, NULL, sink_writer, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&sink.wake);
		return -1;
	}
	pthread_mutex_lock(&sink.lock);
	sink.buffering = 1;
	pthread_mutex_unlock(&sink.lock);
	return 0;
}

void log_stop_buffering(void)
{
	pthread_mutex_lock(&sink.lock);
	if (!sink.buffering) {
		pthread_mutex_unlock(&sink.lock);
		return;
	}
	sink.stopping = 1;
	pthread_cond_signal(&sink.wake);
	pthread_mutex_unlock(&sink.lock);
	pthread_join(sink.writer, NULL);
	pthread_mutex_lock(&sink.lock);
	flush_sink();
	sink.buffering = 0;
	pthread_mutex_unlock(&sink.lock);
	pthread_cond_destroy(&sink.wake);
}

void log_request(const struct log_request_line *r)
{
	struct line l = {.len = 0};
	unsigned long micros = r->duration_ms > 0 ? (unsigned long)(r->duration_ms * 1000.0) : 0;

	put_time(&l);
	PUT_TEXT_MEMBER(&l, "request_id", r->request_id);
	PUT_TEXT_MEMBER(&l, "client_request_id", r->client_request_id);
	PUT_TEXT_MEMBER(&l, "method", r->method);
	PUT_TEXT_MEMBER(&l, "route", r->route);
	PUT_LITERAL(&l, ",\"status\":");
	put_uint(&l, (unsigned long)(r->status > 0 ? r->status : 0), 1);
	PUT_LITERAL(&l, ",\"duration_ms\":");
	put_uint(&l, micros / 1000, 1);
	PUT_LITERAL(&l, ".");
	put_uint(&l, micros % 1000, 3);
	PUT_TEXT_MEMBER(&l, "sub", r->sub);
	PUT_TEXT_MEMBER(&l, "trace_id", r->trace_id);
	PUT_TEXT_MEMBER(&l, "span_id", r->span_id);
	PUT_TEXT_MEMBER(&l, "parent_id", r->parent_id);
	emit(&l, 0);
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
	PUT_LITERAL(&l, ",\"level\":");
	put_string(&l, level);
	PUT_LITERAL(&l, ",\"message\":");
	put_string(&l, message);
	emit(&l, 1);
}
