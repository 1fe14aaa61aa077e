/*
 * rules: the rules across the fields of a whole record that several kinds
 * share (a date not in the future, one date not before another), each
 * adding a field error. Every single field is already valid (validate.h).
 */
#ifndef CW_RULES_H
#define CW_RULES_H

#include <jansson.h>

#include "error.h"

struct cw_date;

/* Reads a date member: 0, or -1 when it is absent or null. */
int record_date(const json_t *record, const char *field, struct cw_date *out);

/* An error on field when its date is after today. */
void rule_not_future(const json_t *record, const char *field, struct cw_error *err);

/* An error on later when both dates are set and later comes before earlier. */
void rule_not_before(const json_t *record, const char *later, const char *earlier, struct cw_error *err);

/* An error on field when exactly one of field and with is set (a reason goes
 * with its date, and only with it). */
void rule_set_together(const json_t *record, const char *field, const char *with, struct cw_error *err);

#endif
