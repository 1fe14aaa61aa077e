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

enum cw_code cw_field_error(struct cw_error *err, const char *field, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	if (err->fields == NULL)
		err->fields = json_array();
	/* A hostile body must not make the answer huge: keep the first errors only,
	 * and at most CW_FIELD_NAME_MAX bytes of each name. */
	if (err->fields != NULL && json_array_size(err->fields) < CW_MAX_FIELD_ERRORS)
		json_array_append_new(err->fields,
			json_pack("{s:s%, s:s}", "field", field, strnlen(field, CW_FIELD_NAME_MAX),
				  "message", message));
	err->code = CW_INVALID;
	if (err->detail[0] == '\0')
		snprintf(err->detail, sizeof(err->detail),
			"The request has invalid fields; see errors.");
	return CW_INVALID;
}

int cw_has_field_errors(const struct cw_error *err)
{
	return err->fields != NULL && json_array_size(err->fields) > 0;
}

void cw_error_release(struct cw_error *err)
{
	if (err == NULL)
		return;
	json_decref(err->fields);
	err->fields = NULL;
	err->code = CW_OK;
	err->detail[0] = '\0';
	err->constraint[0] = '\0';
	err->sqlstate[0] = '\0';
}
