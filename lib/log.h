/*
 * log: one JSON object per line on stdout.
 *
 * Only operational facts go here: method, route template, status, duration,
 * the caller's sub, the request id. Never names, notes, bodies or tokens.
 * Each line is written with one write(2), so lines from threads never mix.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

struct log_request_line {
	const char *request_id;
	const char *method;
	const char *route;      /* template such as /v1/cases/{id}, never the raw path */
	int status;
	double duration_ms;
	const char *sub;        /* NULL when unauthenticated */
};

void log_request(const struct log_request_line *line);

/* A service event ("level": info|warn|error) with a plain message. */
void log_event(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
