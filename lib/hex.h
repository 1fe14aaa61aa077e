/* hex: the value of one hexadecimal digit. */
#ifndef CW_HEX_H
#define CW_HEX_H

/* 0 to 15 for 0-9, a-f and A-F; -1 for any other character. */
static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
