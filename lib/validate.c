#include "validate.h"

#include <string.h>

#include "dates.h"
#include "text.h"
#include "uuid.h"

const struct field_spec *field_spec_find(const struct field_spec *specs, const char *name)
{
	for (; specs->name; specs++)
		if (strcmp(specs->name, name) == 0)
			return specs;
	return NULL;
}

static int check_text(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	const char *s;

	if (!json_is_string(value))
		return cw_field_error(err, spec->name, "must be a string"), -1;
	s = json_string_value(value);
	if (text_is_blank(s))
		return cw_field_error(err, spec->name, "must not be blank%s",
				      spec->flags & F_NULLABLE ? " (send null to clear it)" : ""), -1;
	if (!text_is_clean(s, spec->type == FT_TEXT))
		return cw_field_error(err, spec->name, "must not contain control characters"), -1;
	if (utf8_length(s) > spec->max_len)
		return cw_field_error(err, spec->name, "must be at most %zu characters", spec->max_len), -1;
	return 0;
}

static int check_enum(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	char allowed[200] = "";
	size_t used = 0;

	if (json_is_string(value))
		for (const char *const *v = spec->values; *v; v++)
			if (strcmp(*v, json_string_value(value)) == 0)
				return 0;
	for (const char *const *v = spec->values; *v && used < sizeof(allowed); v++)
		used += (size_t)snprintf(allowed + used, sizeof(allowed) - used, "%s%s",
					 v == spec->values ? "" : ", ", *v);
	cw_field_error(err, spec->name, "must be one of: %s", allowed);
	return -1;
}

static int check_uuid_list(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	size_t i, j, n = json_array_size(value);
	char a[37], b[37];

	if (!json_is_array(value) || n < 1 || n > spec->max_len)
		return cw_field_error(err, spec->name, "must be an array of 1 to %zu UUIDs", spec->max_len), -1;
	for (i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(value, i)) ||
		    uuid_parse(json_string_value(json_array_get(value, i)), a) != 0)
			return cw_field_error(err, spec->name, "item %zu is not a UUID", i), -1;
		for (j = 0; j < i; j++) {
			uuid_parse(json_string_value(json_array_get(value, j)), b);
			if (strcmp(a, b) == 0)
				return cw_field_error(err, spec->name, "names %s twice", a), -1;
		}
	}
	return 0;
}

static int check_enum_list(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	size_t i, j, n = json_array_size(value);
	struct field_spec item = *spec;

	if (!json_is_array(value) || n < 1 || n > spec->max_len)
		return cw_field_error(err, spec->name, "must be an array of 1 to %zu codes", spec->max_len), -1;
	item.type = FT_ENUM;
	for (i = 0; i < n; i++) {
		if (check_enum(json_array_get(value, i), &item, err) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(value, i), json_array_get(value, j)))
				return cw_field_error(err, spec->name, "names %s twice",
						      json_string_value(json_array_get(value, i))), -1;
	}
	return 0;
}

/* Each item an object of exactly spec->values' members, each a string as FT_STRING would take. */
static int check_object_list(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	size_t i, n = json_array_size(value);
	const json_t *item;

	if (!json_is_array(value) || (long long)n > spec->max)
		return cw_field_error(err, spec->name, "must be an array of at most %lld objects", spec->max), -1;
	json_array_foreach(value, i, item) {
		size_t members = 0;

		for (const char *const *m = spec->values; *m; m++, members++) {
			const char *s = json_string_value(json_object_get(item, *m));

			if (s == NULL || text_is_blank(s) || !text_is_clean(s, 0) || utf8_length(s) > spec->max_len)
				return cw_field_error(err, spec->name, "item %zu: %s must be a non-blank line of at most "
						      "%zu characters", i, *m, spec->max_len), -1;
		}
		if (json_object_size(item) != members)
			return cw_field_error(err, spec->name, "item %zu has members other than those allowed", i), -1;
	}
	return 0;
}

int validate_value(const json_t *value, const struct field_spec *spec, struct cw_error *err)
{
	struct cw_date d;
	int64_t us;
	char uuid[37];

	switch (spec->type) {
	case FT_STRING:
	case FT_TEXT:
		return check_text(value, spec, err);
	case FT_ENUM:
		return check_enum(value, spec, err);
	case FT_DATE:
		if (json_is_string(value) && date_parse(json_string_value(value), &d) == 0)
			return 0;
		cw_field_error(err, spec->name, "must be a real calendar date written YYYY-MM-DD, "
			       "between %d and %d", DATE_MIN_YEAR, DATE_MAX_YEAR);
		return -1;
	case FT_TIMESTAMP:
		if (json_is_string(value) && timestamp_parse(json_string_value(value), &us) == 0)
			return 0;
		cw_field_error(err, spec->name, "must be an RFC 3339 date-time with an offset, "
			       "such as 2026-03-01T14:30:00-05:00");
		return -1;
	case FT_BOOL:
		if (json_is_boolean(value))
			return 0;
		cw_field_error(err, spec->name, "must be true or false");
		return -1;
	case FT_INT:
		if (json_is_integer(value) && json_integer_value(value) >= spec->min &&
		    json_integer_value(value) <= spec->max)
			return 0;
		cw_field_error(err, spec->name, "must be a whole number from %lld to %lld", spec->min, spec->max);
		return -1;
	case FT_UUID:
		if (json_is_string(value) && uuid_parse(json_string_value(value), uuid) == 0)
			return 0;
		cw_field_error(err, spec->name, "must be a UUID");
		return -1;
	case FT_UUID_LIST:
		return check_uuid_list(value, spec, err);
	case FT_ENUM_LIST:
		return check_enum_list(value, spec, err);
	case FT_OBJECT_LIST:
		return check_object_list(value, spec, err);
	}
	return -1;
}

void validate_body(const json_t *body, const struct field_spec *specs, enum validate_mode mode,
		   struct cw_error *err)
{
	const char *name;
	const json_t *value;

	json_object_foreach((json_t *)body, name, value) {
		const struct field_spec *spec = field_spec_find(specs, name);

		if (spec == NULL)
			cw_field_error(err, name, "is not a known field");
		else if (spec->flags & F_READ_ONLY)
			cw_field_error(err, name, "is read-only");
		else if (json_is_null(value) && !(spec->flags & F_NULLABLE))
			cw_field_error(err, name, (spec->flags & F_REQUIRED) ? "is required and cannot be null"
									     : "cannot be null");
		else if (!json_is_null(value))
			validate_value(value, spec, err);
	}
	if (mode != VALIDATE_CREATE)
		return;
	for (const struct field_spec *s = specs; s->name; s++)
		if ((s->flags & F_REQUIRED) && json_object_get(body, s->name) == NULL)
			cw_field_error(err, s->name, "is required");
}
