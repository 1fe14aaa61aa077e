/*
 * strbuf: a growable byte string, always NUL-terminated.
 *
 * strbuf_init() allocates nothing; the first append does. Appends never fail
 * silently: on allocation failure the buffer is marked failed, further
 * appends do nothing, and strbuf_detach() returns NULL.
 */
#ifndef CW_STRBUF_H
#define CW_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

#define STRBUF_INIT { NULL, 0, 0, 0 }

void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);

/* JSON is written a character at a time: the common case stays inline. */
static inline void strbuf_addch(struct strbuf *sb, char c)
{
	if (sb->len + 1 < sb->cap) {
		sb->buf[sb->len++] = c;
		sb->buf[sb->len] = '\0';
	} else {
		strbuf_add(sb, &c, 1);
	}
}

/* Cuts the string back to len bytes (len <= sb->len): takes back what was
 * appended since. */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* The string (caller frees), or NULL after a failed allocation. Leaves sb empty. */
char *strbuf_detach(struct strbuf *sb);

/* Frees the contents. */
void strbuf_release(struct strbuf *sb);

#endif
