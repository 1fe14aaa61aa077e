/*
 * The If-Match header (api/request.c request_precondition_parse), which
 * guards every PATCH, PUT and DELETE against lost updates.
 *
 * Promises checked: a header is always present once given; "*" alone
 * matches anything and names no version; otherwise the versions are those
 * of strong tags of the service's form ("<positive decimal>"), each written
 * in the header as sent, at most PRECONDITION_MAX_TAGS of them; a weak tag
 * matches nothing; and the versions, written back as a header, read the same.
 */
#include "fuzz.h"

#include "request.h"

/* "v" appears in the header, quoted, and not as a weak tag. */
static int strong_tag_in(const char *header, long long v)
{
	char tag[32];
	int n = snprintf(tag, sizeof(tag), "\"%lld\"", v);

	for (const char *at = strstr(header, tag); at; at = strstr(at + 1, tag))
		if (at == header || at[-1] != '/' || at - header < 2 || at[-2] != 'W')
			return n > 0;
	return 0;
}

static void check_written_back(const struct precondition *p)
{
	char header[PRECONDITION_MAX_TAGS * 24 + 1] = "";
	size_t used = 0;
	struct precondition again;

	for (int i = 0; i < p->count; i++)
		used += (size_t)snprintf(header + used, sizeof(header) - used, "%s\"%lld\"", i ? ", " : "",
					 p->versions[i]);
	request_precondition_parse(header, &again);
	FUZZ_CHECK(again.present && !again.any && again.count == p->count);
	for (int i = 0; i < p->count; i++)
		FUZZ_CHECK(again.versions[i] == p->versions[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_text(data, size);
	struct precondition p;

	request_precondition_parse(header, &p);
	FUZZ_CHECK(p.present == 1);
	FUZZ_CHECK(p.count >= 0 && p.count <= PRECONDITION_MAX_TAGS);
	FUZZ_CHECK(!p.any || p.count == 0);
	if (p.any)
		FUZZ_CHECK(strchr(header, '*') != NULL);
	for (int i = 0; i < p.count; i++) {
		FUZZ_CHECK(p.versions[i] > 0);
		FUZZ_CHECK(strong_tag_in(header, p.versions[i]));
	}
	if (p.count > 0)
		check_written_back(&p);
	request_precondition_parse(NULL, &p);
	FUZZ_CHECK(!p.present && !p.any && p.count == 0);
	free(header);
	return 0;
}
