/*
 * text: what a string of a request is, as text: UTF-8 that decodes, how many
 * characters it holds, whether it carries control characters.
 *
 * Pure functions of NUL-terminated strings: no allocation.
 */
#ifndef CW_TEXT_H
#define CW_TEXT_H

#include <stddef.h>

/* Number of Unicode code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);

/* 1 when s is valid UTF-8 (query parameters are not checked by the HTTP layer). */
int utf8_valid(const char *s);

/* 1 when s has no control characters, C0 or C1 (newline, carriage return and
 * tab allowed when multiline). */
int text_is_clean(const char *s, int multiline);

/* 1 when s holds only white space (or nothing). */
int text_is_blank(const char *s);

#endif
