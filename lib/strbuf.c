#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static int grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *p;

	if (sb->failed)
		return -1;
	if (want <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 1024;  /* one record fits at once */
	while (cap < want)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (p == NULL) {
		sb->failed = 1;
		return -1;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	if (grow(sb, n) != 0)
		return;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (sb->buf == NULL || len > sb->len)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

char *strbuf_detach(struct strbuf *sb)
{
	char *s = sb->failed ? NULL : sb->buf;

	if (sb->failed)
		free(sb->buf);
	else if (s == NULL)
		s = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->failed = 0;
	return s;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->failed = 0;
}
