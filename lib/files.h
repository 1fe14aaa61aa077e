/*
 * files: a whole small file read into memory, bounded.
 */
#ifndef CW_FILES_H
#define CW_FILES_H

#include <stddef.h>

/* Reads the file at path, at most max bytes, into a new buffer with a NUL
 * after the content. Returns its length with *out set (the caller frees), or
 * -1 with errno set (EFBIG when the file holds more than max bytes). */
long file_read_small(const char *path, size_t max, unsigned char **out);

#endif
