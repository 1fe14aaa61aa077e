#include "rules.h"

#include "dates.h"

int record_date(const json_t *record, const char *field, struct cw_date *out)
{
	const char *text = json_string_value(json_object_get(record, field));

	return text != NULL && date_parse(text, out) == 0 ? 0 : -1;
}

void rule_not_future(const json_t *record, const char *field, struct cw_error *err)
{
	struct cw_date d, today = date_today();

	if (record_date(record, field, &d) == 0 && date_cmp(&d, &today) > 0)
		cw_field_error(err, field, "cannot be in the future");
}

void rule_not_before(const json_t *record, const char *later, const char *earlier, struct cw_error *err)
{
	struct cw_date a, b;

	if (record_date(record, later, &a) == 0 && record_date(record, earlier, &b) == 0 && date_cmp(&a, &b) < 0)
		cw_field_error(err, later, "cannot be before %s", earlier);
}

void rule_set_together(const json_t *record, const char *field, const char *with, struct cw_error *err)
{
	const json_t *f = json_object_get(record, field), *w = json_object_get(record, with);
	int has_field = f != NULL && !json_is_null(f), has_with = w != NULL && !json_is_null(w);

	if (has_with && !has_field)
		cw_field_error(err, field, "is required with %s", with);
	else if (has_field && !has_with)
		cw_field_error(err, field, "is set only with %s (send null to clear it)", with);
}
