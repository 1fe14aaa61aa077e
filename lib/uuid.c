#include "uuid.h"

#include <string.h>

#include "hex.h"

static const char hex[] = "0123456789abcdef";

static int is_dash_position(int i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

int uuid_bytes(const char *s, unsigned char out[16])
{
	int n = 0;

	if (s == NULL || strlen(s) != UUID_TEXT_LEN)
		return -1;
	for (int i = 0; i < UUID_TEXT_LEN; i++) {
		int v;

		if (is_dash_position(i)) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		v = hex_value(s[i]);
		if (v < 0)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] = (unsigned char)(out[n / 2] | v);
		n++;
	}
	return 0;
}

void uuid_format(const unsigned char bytes[16], char out[UUID_TEXT_LEN + 1])
{
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[bytes[i] >> 4];
		*o++ = hex[bytes[i] & 15];
	}
	*o = '\0';
}

int uuid_parse(const char *s, char out[UUID_TEXT_LEN + 1])
{
	unsigned char bytes[16];

	if (uuid_bytes(s, bytes) != 0)
		return -1;
	uuid_format(bytes, out);
	return 0;
}
