#include "hearings.h"

#include <stdlib.h>

#include "cases.h"
#include "dates.h"
#include "participants.h"
#include "rules.h"

static const char *const hearing_types[] = {"removal", "adjudication", "disposition", "review", "permanency",
					    "tpr", "other", NULL};
static const char *const efforts[] = {"made", "not_made", "not_required", NULL};

const struct field_spec hearing_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_ENUM_FIELD("hearing_type", F_REQUIRED, hearing_types),
	RECORD_FIELD("held_on", FT_DATE, F_REQUIRED),
	RECORD_SIZED_FIELD("child_ids", FT_UUID_LIST, F_REQUIRED, HEARING_MAX_CHILDREN),
	RECORD_FIELD("contrary_to_welfare", FT_BOOL, F_NULLABLE),
	RECORD_ENUM_FIELD("reasonable_efforts", F_NULLABLE, efforts),
	RECORD_FIELD("abuse_neglect_found", FT_BOOL, F_NULLABLE),
	RECORD_SIZED_FIELD("outcome", FT_TEXT, F_NULLABLE, 20000),
	RECORD_FIELD("next_hearing_on", FT_DATE, F_NULLABLE),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"case_id", "hearing_type", "held_on", "child_ids",
					     "contrary_to_welfare", "reasonable_efforts", "abuse_neglect_found",
					     "outcome", "next_hearing_on", NULL};
static const char *const update_columns[] = {"hearing_type", "held_on", "child_ids", "contrary_to_welfare",
					     "reasonable_efforts", "abuse_neglect_found", "outcome",
					     "next_hearing_on", NULL};

/* What a court finds and decides at a hearing: known only once it is held. */
static const char *const findings[] = {"contrary_to_welfare", "reasonable_efforts", "abuse_neglect_found",
				       "outcome", NULL};

/* A hearing not yet held has no findings or outcome; the next hearing comes after it. */
static void check_dates(const json_t *hearing, struct cw_error *err)
{
	struct cw_date held, next, today = date_today();
	int found = 0;

	if (record_date(hearing, "held_on", &held) != 0)
		return;
	for (const char *const *f = findings; *f; f++)
		found |= json_object_get(hearing, *f) != NULL && !json_is_null(json_object_get(hearing, *f));
	if (found && date_cmp(&held, &today) > 0)
		cw_field_error(err, "held_on", "is in the future, but the hearing has findings or an outcome: "
			       "record them once it is held");
	if (record_date(hearing, "next_hearing_on", &next) == 0 && date_cmp(&next, &held) <= 0)
		cw_field_error(err, "next_hearing_on", "must come after held_on");
}

static const char *const child_role[] = {"child", NULL};

static enum cw_code check_hearing(struct record_change *ch, struct cw_error *err)
{
	const char *case_id;
	enum cw_code rc = resource_lock_parent(ch, &case_id, err);

	if (rc != CW_OK)
		return rc;
	record_sort_uuids(ch->after, "child_ids");
	check_dates(ch->after, err);
	if (ch->before == NULL || record_field_changed(ch->before, ch->after, "child_ids"))
		rc = participants_check_roles(ch->conn, case_id, json_object_get(ch->after, "child_ids"), child_role,
					      "child_ids", "a child", NULL, err);
	return rc;
}

const struct resource hearing_resource = {
	.noun = "hearing", .audit_type = "hearing", .fields = hearing_fields,
	/* Hearings and a child's episodes take turns under their case: both set entered_care_on. */
	.store = {"hearings", "hr", &case_resource, "case_id", NULL, CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_HEARINGS, (const char *const[]){"hearing_type", NULL}, NULL, NULL},
	.rules = {.check = check_hearing},
};

static const struct db_statement hearings_of_child = {
	"hearings_naming_child",
	"SELECT count(*) FROM hearing_children WHERE participant_id = $1::uuid", 1, 0};

enum cw_code hearings_naming(struct db_conn *conn, const char *id, long *count, struct cw_error *err)
{
	const char *params[1] = {id};
	PGresult *res = db_run(conn, &hearings_of_child, params, err);

	if (res == NULL)
		return err->code;
	*count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return CW_OK;
}
