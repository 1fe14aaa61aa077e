/*
 * log: one JSON object per line on stdout.
 *
 * Only operational facts go here: method, route template, status, duration,
 * the caller's sub, the request's id and the one its client gave it, and the
 * W3C trace it belongs to. Never names, notes, bodies or tokens.
 * Lines are whole: threads never mix them.
 *
 * While buffering is on (log_start_buffering), lines gather in one buffer that
 * is written when it fills, when an event is logged, and by a background
 * thread at least every LOG_FLUSH_MS, so a request costs no system call of its
 * own. Otherwise each line is written at once.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

struct log_request_line {
	const char *request_id;         /* the service's own */
	const char *client_request_id;  /* the client's X-Request-Id, or NULL */
	const char *method;
	const char *route;      /* template such as /v1/cases/{id}, never the raw path */
	int status;
	double duration_ms;
	const char *sub;        /* NULL when unauthenticated */
	const char *trace_id;   /* the W3C trace, or NULL when the request came without one */
	const char *span_id;    /* the request's span in it */
	const char *parent_id;  /* the caller's span */
};

#define LOG_FLUSH_MS 100

void log_request(const struct log_request_line *line);

/* Starts the background writer; 0 on success (else lines stay unbuffered). */
int log_start_buffering(void);

/* Writes what is buffered and stops the background writer. */
void log_stop_buffering(void);

/* A service event ("level": info|warn|error) with a plain message. */
void log_event(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
