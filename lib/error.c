#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum cw_code cw_fail(struct cw_error *err, enum cw_code code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return code;
}

int cw_refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* At most CW_FIELD_NAME_MAX bytes of name, cut between characters. */
static size_t name_length(const char *field)
{
	size_t n = strnlen(field, CW_FIELD_NAME_MAX);

	if (field[n] != '\0')
		while (n > 0 && ((unsigned char)field[n] & 0xC0) == 0x80)
			n--;
	return n;
}

enum cw_code cw_field_error(struct cw_error *err, const char *field, const char *fmt, ...)
{
	char message[256];
	json_t *entry;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	if (err->fields == NULL)
		err->fields = json_array();
	/* A hostile body must not make the answer huge: keep the first errors only.
	 * An entry that cannot be built (the name is not UTF-8) still counts. */
	if (err->fields != NULL && json_array_size(err->fields) < CW_MAX_FIELD_ERRORS) {
		entry = json_pack("{s:s%, s:s}", "field", field, name_length(field), "message", message);
		if (entry == NULL)
			entry = json_pack("{s:s, s:s}", "field", "(unreadable name)", "message", message);
		json_array_append_new(err->fields, entry);
	}
	err->field_errors++;
	err->code = CW_INVALID;
	if (err->detail[0] == '\0')
		snprintf(err->detail, sizeof(err->detail),
			"The request has invalid fields; see errors.");
	return CW_INVALID;
}

int cw_has_field_errors(const struct cw_error *err)
{
	return err->field_errors > 0;
}

void cw_error_release(struct cw_error *err)
{
	if (err == NULL)
		return;
	json_decref(err->fields);
	err->fields = NULL;
	err->field_errors = 0;
	err->code = CW_OK;
	err->detail[0] = '\0';
	err->constraint[0] = '\0';
	err->sqlstate[0] = '\0';
	err->retry_after = 0;
}
