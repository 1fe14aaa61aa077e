/*
 * The Accept header (api/accept.c), which chooses CSV or JSON for reports
 * and lists.
 *
 * Promises checked: any header gives an answer without reading past it;
 * the answer is a truth value; JSON is the default, so a header that asks
 * for no CSV at all never answers CSV, and one that starts with
 * application/json (weight 1, the highest) never does either.
 */
#include "fuzz.h"

#include <strings.h>

#include "accept.h"

static int mentions_csv(const char *s)
{
	for (; *s; s++)
		if (strncasecmp(s, "csv", 3) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_text(data, size);
	size_t len = strlen(header);
	char *json_first = malloc(len + sizeof("application/json,"));
	int csv = accept_prefers_csv(header);

	FUZZ_CHECK(csv == 0 || csv == 1);
	if (!mentions_csv(header))
		FUZZ_CHECK(csv == 0);
	FUZZ_CHECK(json_first != NULL);
	memcpy(json_first, "application/json,", sizeof("application/json,") - 1);
	memcpy(json_first + sizeof("application/json,") - 1, header, len + 1);
	FUZZ_CHECK(accept_prefers_csv(json_first) == 0);
	free(json_first);
	free(header);
	return 0;
}
