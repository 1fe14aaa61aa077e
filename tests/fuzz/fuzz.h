/*
 * fuzz: what every libFuzzer target of casework shares.
 *
 * A target is one function, LLVMFuzzerTestOneInput(), that feeds the bytes
 * libFuzzer made up to one reader of client input and checks what it
 * promises. A broken promise is reported with FUZZ_CHECK, which aborts, so
 * libFuzzer keeps the input as a crash; the sanitizers report the rest.
 */
#ifndef CW_FUZZ_H
#define CW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                                   \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* The input as a C string (caller frees), as a header or a JSON member holds
 * it: it ends at the first NUL byte. Aborts when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = size < SIZE_MAX ? malloc(size + 1) : NULL;

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
