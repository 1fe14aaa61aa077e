#include "path.h"

#include "hex.h"
#include "text.h"
#include "uuid.h"
#include "validate.h"

enum cw_code path_uuid(struct exchange *x, int index, char out[37], const char *what)
{
	if (uuid_parse(x->params[index], out) != 0)
		return cw_fail(&x->err, CW_NOT_FOUND, "No %s with this id.", what);
	return CW_OK;
}

enum cw_code path_text(struct exchange *x, int index, char *out, size_t len, size_t max_chars,
		       const char *what)
{
	const char *in = x->params[index];
	size_t n = 0;

	for (; *in; in++) {
		int hi, lo;
		char c = *in;

		if (c == '%') {
			hi = hex_value(in[1]);
			lo = hi < 0 ? -1 : hex_value(in[2]);
			if (lo < 0)
				goto bad;
			c = (char)(hi * 16 + lo);
			in += 2;
		}
		if (c == '\0' || n + 1 >= len)
			goto bad;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0 || !utf8_valid(out) || !text_is_clean(out, 0) || utf8_length(out) > max_chars)
		goto bad;
	return CW_OK;
bad:
	return cw_fail(&x->err, CW_NOT_FOUND, "No %s with this number.", what);
}
