/*
 * base64url: RFC 4648 section 5 without padding, as in JWTs and cursors.
 */
#ifndef CW_BASE64URL_H
#define CW_BASE64URL_H

#include <stddef.h>

/* Characters needed to encode n bytes (without the NUL). */
#define BASE64URL_LEN(n) (((n) * 4 + 2) / 3)

/* Writes the encoding of data and a NUL into out (BASE64URL_LEN(n) + 1 bytes). */
void base64url_encode(const unsigned char *data, size_t n, char *out);

/* Decodes exactly len characters of text into out (room for len * 3 / 4 bytes).
 * Returns the number of bytes, or -1 for a character outside the alphabet, an
 * impossible length, or non-zero leftover bits (so each value has one text). */
long base64url_decode(const char *text, size_t len, unsigned char *out);

#endif
