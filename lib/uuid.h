/*
 * uuid: the text form of UUIDs (8-4-4-4-12 hexadecimal digits) and their bytes.
 */
#ifndef CW_UUID_H
#define CW_UUID_H

#define UUID_TEXT_LEN 36

/* 0 and the canonical lower-case form in out when s is a UUID; -1 otherwise. */
int uuid_parse(const char *s, char out[UUID_TEXT_LEN + 1]);

/* Writes the 16 bytes as canonical text and a NUL. */
void uuid_format(const unsigned char bytes[16], char out[UUID_TEXT_LEN + 1]);

/* The bytes of a UUID in text form (as uuid_parse accepts); -1 when it is not one. */
int uuid_bytes(const char *s, unsigned char out[16]);

#endif
