#include "trace.h"

#include <stdio.h>
#include <string.h>

#include "hex.h"

/* n lowercase hex digits at s, not all of them 0: 1; otherwise 0. */
static int lower_hex(const char *s, size_t n, int zero_allowed)
{
	int nonzero = 0;

	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero || zero_allowed;
}

int trace_parse(const char *h, struct trace_context *out)
{
	size_t len;

	if (h == NULL)
		return -1;
	len = strlen(h);
	if (len < TRACEPARENT_LEN || !lower_hex(h, 2, 1) || strncmp(h, "ff", 2) == 0)
		return -1;
	if (strncmp(h, "00", 2) == 0 ? len != TRACEPARENT_LEN : len > TRACEPARENT_LEN && h[TRACEPARENT_LEN] != '-')
		return -1;
	if (h[2] != '-' || h[35] != '-' || h[52] != '-' || !lower_hex(h + 3, 32, 0) || !lower_hex(h + 36, 16, 0) ||
	    !lower_hex(h + 53, 2, 1))
		return -1;
	memcpy(out->trace_id, h + 3, 32);
	out->trace_id[32] = '\0';
	memcpy(out->parent_id, h + 36, 16);
	out->parent_id[16] = '\0';
	out->span_id[0] = '\0';
	out->flags = (unsigned)(hex_value(h[53]) * 16 + hex_value(h[54]));
	return 0;
}

void trace_join(struct trace_context *t, uint64_t random_bits)
{
	snprintf(t->span_id, sizeof(t->span_id), "%016llx", (unsigned long long)(random_bits ? random_bits : 1));
}

void trace_traceparent(const struct trace_context *t, char out[TRACEPARENT_LEN + 1])
{
	snprintf(out, TRACEPARENT_LEN + 1, "00-%s-%s-%02x", t->trace_id, t->span_id, t->flags & TRACE_SAMPLED);
}
