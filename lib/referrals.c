#include "referrals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cases.h"
#include "dates.h"
#include "goals.h"
#include "history.h"
#include "lifecycle.h"
#include "page.h"
#include "participants.h"
#include "rules.h"

#define SUD REFERRAL_PROTECTED_TYPE

const char *const referral_service_types[REFERRAL_SERVICE_TYPES + 1] = {
	SUD, "mental_health", "parenting", "domestic_violence", "housing", "employment", "education", "health",
	"family_preservation", "other", NULL};
const char *const referral_statuses[REFERRAL_STATUSES + 1] = {
	"referred", "accepted", "declined", "in_progress", "completed", "cancelled", NULL};

const struct field_spec referral_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_ENUM_FIELD("service_type", F_REQUIRED, referral_service_types),
	RECORD_SIZED_FIELD("provider", FT_STRING, F_REQUIRED, 200),
	RECORD_FIELD("participant_id", FT_UUID, F_NULLABLE),
	RECORD_FIELD("goal_id", FT_UUID, F_NULLABLE),
	RECORD_FIELD("referred_on", FT_DATE, 0),
	RECORD_ENUM_FIELD("status", 0, referral_statuses),
	RECORD_FIELD("status_changed_on", FT_DATE, 0),
	RECORD_SIZED_FIELD("outcome", FT_TEXT, F_NULLABLE, 2000),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"case_id", "service_type", "provider", "participant_id", "goal_id",
					     "referred_on", "status", "status_changed_on", "outcome", NULL};
static const char *const update_columns[] = {"service_type", "provider", "participant_id", "goal_id",
					     "referred_on", "status", "status_changed_on", "outcome", NULL};

/* For the statuses of the history: seen as the referral is (resource_sql.h);
 * substance use treatment only by its worker, its unit's supervisor, or
 * callers who see them all ($5). */
#define VISIBLE " JOIN cases c ON c.id = r.case_id" \
	" WHERE r.deleted_at IS NULL AND c.deleted_at IS NULL" \
	" AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)" \
	" AND cw_sees_sud(r.service_type = '" SUD "', c.assigned_worker, c.unit, $5, $2, $3)"

static const struct db_statement status_before = {
	"referral_status_before",
	"SELECT changed_on::text FROM service_referral_history WHERE referral_id = $1::uuid AND status <> $2"
	" ORDER BY id DESC LIMIT 1", 2, 0};

/* The statuses after $6, oldest first, $7 at most; the last column is the key. */
static const struct db_statement referral_history = {
	NULL,
	"SELECT h.status, h.changed_on, h.recorded_at, h.recorded_by, h.id"
	" FROM service_referral_history h JOIN service_referrals r ON r.id = h.referral_id" VISIBLE
	" AND r.id = $4 AND h.id > $6 ORDER BY h.id LIMIT $7",
	7, 1};

/* Every status with its date is kept (referrals_history); a move is dated
 * today unless the request gives the date. */
static const struct lifecycle referral_lifecycle = {
	.noun = "referral", .field = "status", .initial = "referred", .initial_rule = "a referral starts as referred",
	.moves = (const struct lifecycle_move[]){
		{"referred", "accepted", 0}, {"referred", "declined", 0}, {"referred", "cancelled", 0},
		{"accepted", "in_progress", 0}, {"accepted", "cancelled", 0},
		{"in_progress", "completed", 0}, {"in_progress", "cancelled", 0},
		{NULL, NULL, 0}},
	.stamps = (const struct lifecycle_stamp[]){{NULL, "status_changed_on"}, {NULL, NULL}},
};

/* A new referral is referred: the date rules read it so, whatever status
 * was sent (which is an error). */
static void defaults_on_create(struct record_change *ch, struct cw_error *err)
{
	const struct lifecycle_move *move;

	lifecycle_apply(&referral_lifecycle, NULL, ch->input, ch->after, &move, err);
	json_object_set_new(ch->after, "status", json_string("referred"));
	if (json_object_get(ch->after, "referred_on") == NULL)
		record_set_today(ch->after, "referred_on");
}

/* A move along the lifecycle; a date given for it is not before the move before. */
static enum cw_code check_move(struct record_change *ch, struct cw_error *err)
{
	const struct lifecycle_move *move;
	enum cw_code rc = lifecycle_apply(&referral_lifecycle, ch->before, ch->input, ch->after, &move, err);
	struct cw_date moved, previous;

	if (rc == CW_OK && move && json_object_get(ch->input, "status_changed_on") != NULL &&
	    record_date(ch->after, "status_changed_on", &moved) == 0 &&
	    record_date(ch->before, "status_changed_on", &previous) == 0 && date_cmp(&moved, &previous) < 0)
		cw_field_error(err, "status_changed_on", "cannot be before the previous status change (%s)",
			       record_text_member(ch->before, "status_changed_on"));
	return rc;
}

/* The date the referral took the status before its current one, from its
 * history (statuses never repeat); 0 when found. */
static int previous_status_date(struct record_change *ch, struct cw_date *out, char text[11],
				struct cw_error *err)
{
	const char *params[2] = {record_text_member(ch->before, "id"), record_text_member(ch->before, "status")};
	PGresult *res = db_run(ch->conn, &status_before, params, err);
	int found = res && PQntuples(res) == 1 && date_parse(PQgetvalue(res, 0, 0), out) == 0;

	if (found)
		snprintf(text, 11, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return found ? 0 : -1;
}

/* referred_on and status_changed_on: while referred, the status's date is the
 * referral's; neither is in the future; a move or a correction never dates a
 * status before the one it followed. Errors name the field the client sent. */
static void check_dates(struct record_change *ch, struct cw_error *err)
{
	const char *status = record_text_member(ch->after, "status");
	int sent_date = json_object_get(ch->input, "status_changed_on") != NULL;
	int moved = ch->before && record_field_changed(ch->before, ch->after, "status");
	struct cw_date changed, referred, previous;
	char previous_text[11];

	rule_not_future(ch->after, "referred_on", err);
	if (strcmp(status, "referred") == 0) {
		if (sent_date && strcmp(record_text_member(ch->after, "status_changed_on"),
					record_text_member(ch->after, "referred_on")) != 0)
			cw_field_error(err, "status_changed_on", "equals referred_on while the referral is referred");
		json_object_set(ch->after, "status_changed_on", json_object_get(ch->after, "referred_on"));
		return;
	}
	if (sent_date || moved)
		rule_not_future(ch->after, "status_changed_on", err);
	if (record_date(ch->after, "status_changed_on", &changed) == 0 &&
	    record_date(ch->after, "referred_on", &referred) == 0 && date_cmp(&changed, &referred) < 0) {
		if (json_object_get(ch->input, "referred_on") && !sent_date)
			cw_field_error(err, "referred_on", "cannot be after the latest status change (%s)",
				       record_text_member(ch->after, "status_changed_on"));
		else
			cw_field_error(err, "status_changed_on", "cannot be before referred_on");
	}
	if (ch->before && !moved && sent_date && record_field_changed(ch->before, ch->after, "status_changed_on") &&
	    record_date(ch->after, "status_changed_on", &changed) == 0 &&
	    previous_status_date(ch, &previous, previous_text, err) == 0 && date_cmp(&changed, &previous) < 0)
		cw_field_error(err, "status_changed_on", "cannot be before the status it followed (%s)",
			       previous_text);
}

/* References to the case's participant and goal, when set or changed. */
static enum cw_code check_references(struct record_change *ch, const char *case_id, struct cw_error *err)
{
	const char *participant = record_text_member(ch->after, "participant_id");
	const char *goal = record_text_member(ch->after, "goal_id");
	enum cw_code rc = CW_OK;

	if (participant && (!ch->before || record_field_changed(ch->before, ch->after, "participant_id")))
		rc = participants_check_in_case(ch->conn, participant, case_id, "participant_id", err);
	if (rc == CW_OK && goal && (!ch->before || record_field_changed(ch->before, ch->after, "goal_id")))
		rc = goals_check_in_case(ch->conn, goal, case_id, "goal_id", err);
	return rc;
}

static int is_protected(const json_t *referral)
{
	return referral && strcmp(record_text_member(referral, "service_type"), SUD) == 0;
}

/* A write that touches a protected referral (before or after it) is done by
 * one role that sees it as it was and as it becomes. */
static int may_write_protected(const struct record_change *ch, const json_t *the_case)
{
	const char *worker = record_text_member(the_case, "assigned_worker");
	const char *unit = record_text_member(the_case, "unit");
	const struct access_target before = {worker, unit, is_protected(ch->before)};
	const struct access_target after = {worker, unit, is_protected(ch->after)};

	if (!before.protected_record && !after.protected_record)
		return 1;
	return access_allows(ch->actor->principal, ch->actions, ch->before ? &before : NULL, &after);
}

static enum cw_code check_referral(struct record_change *ch, struct cw_error *err)
{
	const char *case_id = resource_parent_id(ch);
	json_t *the_case;
	enum cw_code rc = resource_open_parent(ch, 0, &the_case, err);

	if (rc != CW_OK)
		return rc;
	if (ch->before == NULL)
		defaults_on_create(ch, err);
	else
		rc = check_move(ch, err);
	if (rc == CW_OK && !may_write_protected(ch, the_case))
		rc = cw_fail(err, CW_FORBIDDEN, "Substance use treatment referrals are protected (42 CFR Part 2): "
			     "only the case's worker, its unit's supervisor and administrators write them.");
	if (rc == CW_OK) {
		check_dates(ch, err);
		rc = check_references(ch, case_id, err);
	}
	json_decref(the_case);
	return rc;
}

static enum cw_code referrals_history(struct db_pool *pool, const struct principal *p, const char *id,
				      const struct history_position *pos, char **page, struct cw_error *err);

/* Substance use treatment referrals are protected: cw_sees_sud() decides who
 * sees them. Their history is their statuses beside their fields'. */
const struct resource referral_resource = {
	.noun = "service referral", .audit_type = "service_referral", .fields = referral_fields,
	.store = {"service_referrals", "r", &case_resource, "case_id", "r.service_type = '" SUD "'", CASE_LOCK_SHARED},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_REFERRALS, (const char *const[]){"service_type", "status", NULL}, NULL, NULL},
	.rules = {.check = check_referral, .history = referrals_history},
};

/* A page {"items": the referral's statuses, with their dates, "fields": every
 * value of each field, "next_cursor"}, each part oldest first and paged on
 * its own, both by one cursor (lib/history.h). */
static enum cw_code referrals_history(struct db_pool *pool, const struct principal *p, const char *id,
				      const struct history_position *pos, char **page, struct cw_error *err)
{
	static const struct page_keys keys = {CURSOR_HISTORY, "id", NULL, NULL, 1, 5};
	struct access_scope s = access_scope_of(p);
	char after[24], cursor[CURSOR_HISTORY_TEXT_LEN + 1];
	const char *params[7] = {s.see_all, s.worker, s.unit, id, s.sud_all, after, NULL /* LIMIT: paging sets it */};
	struct db_conn *conn = db_acquire(pool, err);
	struct strbuf sb = STRBUF_INIT;
	struct page_bound statuses, changes;
	struct page_position last_status = {pos->after_status, ""};
	int64_t last_change = pos->after;
	json_t *referral = NULL;
	enum cw_code rc;
	int more;

	*page = NULL;
	if (conn == NULL)
		return err->code;
	snprintf(after, sizeof(after), "%lld", (long long)pos->after_status);
	page_bound_init(&statuses, pos->limit, PAGE_BYTES_MAX);
	page_bound_init(&changes, pos->limit, PAGE_BYTES_MAX);
	strbuf_addstr(&sb, "{\"items\":[");
	rc = resource_load(conn, &referral_resource, p, id, &referral, err);
	if (rc == CW_OK)
		rc = page_rows(conn, &referral_history, params, &keys, &statuses, &sb, &last_status, err);
	strbuf_addstr(&sb, "],");
	if (rc == CW_OK)
		rc = history_fields(conn, &referral_resource, p, id, pos->after, &changes, &sb, &last_change, err);
	db_release(pool, conn);
	json_decref(referral);
	if (rc != CW_OK) {
		strbuf_release(&sb);
		return rc;
	}
	more = statuses.more || changes.more;
	if (more)
		cursor_encode_history(CURSOR_HISTORY, last_change, last_status.key, id, cursor);
	strbuf_addch(&sb, ',');
	page_close(&sb, more ? cursor : NULL);
	*page = strbuf_detach(&sb);
	return *page ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}
