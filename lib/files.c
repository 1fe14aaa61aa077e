#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

long file_read_small(const char *path, size_t max, unsigned char **out)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;
	int failed;

	if (f == NULL)
		return -1;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		errno = ENOMEM;
		return -1;
	}
	n = fread(buf, 1, max + 1, f);
	failed = ferror(f);
	fclose(f);
	if (failed || n > max) {
		free(buf);
		errno = failed ? EIO : EFBIG;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	return (long)n;
}
