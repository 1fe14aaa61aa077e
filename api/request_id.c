#include "request_id.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "request.h"
#include "uuid.h"

static int request_id_is_clean(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (n >= REQUEST_ID_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return n > 0;
}

/* 128 random bits per call from a per-thread xorshift128+ generator seeded
 * from the kernel once: request ids must be unique, not secret. */
static void random_128(unsigned char out[16])
{
	static __thread uint64_t state[2];

	if (state[0] == 0 && state[1] == 0) {
		if (getrandom(state, sizeof(state), 0) != (ssize_t)sizeof(state) || (state[0] | state[1]) == 0) {
			state[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&state;
			state[1] = 0x9e3779b97f4a7c15u;
		}
	}
	for (int half = 0; half < 2; half++) {
		uint64_t s1 = state[0];
		const uint64_t s0 = state[1];
		uint64_t v;

		state[0] = s0;
		s1 ^= s1 << 23;
		state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
		v = state[1] + s0;
		memcpy(out + (size_t)half * 8, &v, 8);
	}
}

void request_id_assign(struct exchange *x)
{
	const char *given = request_header(x, "X-Request-Id");
	unsigned char b[16];

	if (given && request_id_is_clean(given))
		snprintf(x->client_request_id, sizeof(x->client_request_id), "%s", given);
	random_128(b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, x->request_id);
}

void request_trace_assign(struct exchange *x)
{
	unsigned char b[16];
	uint64_t span;

	x->traced = trace_parse(request_header(x, "traceparent"), &x->trace) == 0;
	if (!x->traced)
		return;
	random_128(b);
	memcpy(&span, b, sizeof(span));
	trace_join(&x->trace, span);
}
