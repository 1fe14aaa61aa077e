/* resource_sql: every kind's statements, written from its descriptor. */
#include "resource_sql.h"

#include "cases.h"
#include "check.h"
#include "goals.h"
#include "kinds.h"
#include "placements.h"
#include "referrals.h"
#include "visits.h"

/* Counts the distinct $n of text; 0 when they are not 1..n with none missing. */
static int params_used(const char *sql)
{
	int seen[64] = {0}, most = 0;

	for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$')) {
		int n = atoi(p + 1);

		if (n < 1 || n >= 64)
			return 0;
		seen[n] = 1;
		most = n > most ? n : most;
	}
	for (int i = 1; i <= most; i++)
		if (!seen[i])
			return 0;
	return most;
}

static void test_every_kind_has_its_statements(void)
{
	for (const struct resource *const *k = record_kinds; *k; k++) {
		const struct resource_sql *sql = resource_sql(*k);

		CHECK(sql != NULL);
		if (sql == NULL)
			continue;
		CHECK(sql == resource_sql(*k));
		CHECK(params_used(sql->get.sql) == sql->get.nparams);
		CHECK(params_used(sql->lock.sql) == sql->lock.nparams);
		CHECK(params_used(sql->exists.sql) == sql->exists.nparams);
		CHECK(params_used(sql->by_ids.sql) == sql->by_ids.nparams);
		CHECK(params_used(sql->insert.sql) == sql->insert.nparams);
		CHECK(sql->norders >= 1);
		for (int i = 0; i < sql->norders; i++)
			CHECK(params_used(sql->list[i].stmt.sql) == sql->list[i].nparams);
		CHECK((sql->search.stmt.sql != NULL) == ((*k)->search != NULL));
		if (sql->search.stmt.sql)
			CHECK(params_used(sql->search.stmt.sql) == sql->search.nparams);
		CHECK((sql->update.sql != NULL) == ((*k)->update_columns != NULL));
		CHECK((sql->lock_case_of_record.sql != NULL) == ((*k)->store.parent != NULL));
	}
}

static void test_a_case_is_read_as_the_scope_sees_it(void)
{
	const struct resource_sql *sql = resource_sql(&case_resource);

	CHECK_STR(sql->get.name, "case_get");
	CHECK(strstr(sql->get.sql, " FROM cases c WHERE c.deleted_at IS NULL AND "
			       "cw_visible(c.assigned_worker, c.unit, $1, $2, $3) AND c.id = $4") != NULL);
	CHECK(strstr(sql->lock.sql, "c.id = $4 FOR UPDATE OF c") != NULL);
	CHECK(sql->lock_case_of_parent.sql == NULL);
	/* The whole row, for the delete's audit row. */
	CHECK_STR(sql->remove.sql, "UPDATE cases c SET deleted_at = now() WHERE c.id = $1 RETURNING c.*");
}

static void test_a_goal_is_seen_through_its_plan_and_case(void)
{
	const struct resource_sql *sql = resource_sql(&progress_resource);

	CHECK(strstr(sql->get.sql, " FROM goal_progress n JOIN goals g ON g.id = n.goal_id"
			       " JOIN plans pl ON pl.id = g.plan_id JOIN cases c ON c.id = n.case_id"
			       " WHERE n.deleted_at IS NULL AND g.deleted_at IS NULL AND pl.deleted_at IS NULL"
			       " AND c.deleted_at IS NULL") != NULL);
	CHECK_STR(sql->lock_case_of_parent.sql,
		  "SELECT 1 FROM cases WHERE id = (SELECT case_id FROM goals WHERE id = $1::uuid) FOR SHARE");
	CHECK(sql->update.sql == NULL);
	CHECK(sql->since == 0);
}

/* A placement is seen while its episode, its child and its case are live;
 * its writes take the case first, as the episode's do. */
static void test_a_placement_is_seen_through_its_episode_child_and_case(void)
{
	const struct resource_sql *sql = resource_sql(&placement_resource);

	CHECK(strstr(sql->get.sql, " FROM placements pm JOIN episodes e ON e.id = pm.episode_id"
			       " JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = pm.case_id"
			       " WHERE pm.deleted_at IS NULL AND e.deleted_at IS NULL AND p.deleted_at IS NULL"
			       " AND c.deleted_at IS NULL") != NULL);
	CHECK_STR(sql->lock_case_of_parent.sql,
		  "SELECT 1 FROM cases WHERE id = (SELECT case_id FROM episodes WHERE id = $1::uuid) FOR UPDATE");
	CHECK(strstr(resource_sql(&episode_resource)->get.sql, "array_to_json(e.removal_reasons) AS removal_reasons")
	      != NULL);
}

static void test_plan_writes_take_their_case_exclusively(void)
{
	const struct resource_sql *sql = resource_sql(&goal_resource);

	CHECK(strstr(sql->lock_case_of_record.sql, "FOR SHARE") != NULL);
	CHECK(strstr(resource_sql(goal_resource.store.parent)->lock_case_of_record.sql, "FOR UPDATE") != NULL);
}

static void test_protected_records_take_the_protected_scope(void)
{
	const struct resource_sql *sql = resource_sql(&referral_resource);

	CHECK(strstr(sql->get.sql, "cw_sees_sud(r.service_type = 'substance_use_treatment', c.assigned_worker,"
			       " c.unit, $5, $2, $3)") != NULL);
	CHECK(sql->list[0].sud_param == 3);
	CHECK(strstr(sql->by_ids.sql, "$2") != NULL && sql->by_ids.nparams == 2);
}

static void test_lists_read_filters_in_order(void)
{
	const struct resource_sql *sql = resource_sql(&visit_resource);
	static const char *const names[] = {"case_id", "visit_type", "from", "to"};

	CHECK(sql->nfilters == 4);
	for (int i = 0; i < sql->nfilters && i < 4; i++)
		CHECK_STR(sql->filters[i].name, names[i]);
	CHECK(sql->filters[0].ancestor && !sql->filters[1].ancestor);
	CHECK(sql->norders == 3);
	CHECK(strstr(sql->list[2].stmt.sql, "ORDER BY v.visited_at DESC, v.id DESC") != NULL);
	CHECK(sql->list[0].keys.after_param == sql->list[0].since_param + 1);
	CHECK(resource_sql(&goal_resource)->nfilters == 3);
	CHECK_STR(resource_sql(&goal_resource)->filters[1].name, "plan_id");
}

/* ?q=: the kind's matches, each once at its best score, held to the rule
 * and the filters of every list, best rank first, the rank a hidden key. */
static void test_a_search_ranks_the_matches_every_list_would_show(void)
{
	const struct resource_sql *sql = resource_sql(&case_resource);
	const struct resource_list_sql *l = &sql->search;

	CHECK(l->search_param == 3 && l->sud_param == -1 && l->filter_param[0] == 4 && l->since_param == 7);
	CHECK(strstr(l->stmt.sql, ", c.updated_at, r.rank FROM (SELECT m.id, max(m.score) AS score FROM ((SELECT ") !=
	      NULL);
	CHECK(strstr(l->stmt.sql, ") m GROUP BY m.id) s CROSS JOIN LATERAL (SELECT round(s.score * 1000000)::int8 AS rank)"
			       " r JOIN cases c ON c.id = s.id WHERE c.deleted_at IS NULL AND "
			       "cw_visible(c.assigned_worker, c.unit, $1, $2, $3) AND ($5::text IS NULL OR c.status = $5)")
	      != NULL);
	CHECK(strstr(l->stmt.sql, " AND ($9::int8 IS NULL OR r.rank < $9 OR (r.rank = $9 AND c.id > $10::uuid))"
			       " ORDER BY r.rank DESC, c.id LIMIT $11") != NULL);
	CHECK(l->stmt.name == NULL && l->nparams == 11);
	CHECK(l->keys.kind == CURSOR_CASE_SEARCH && strcmp(l->keys.key_column, "rank") == 0 && l->keys.key_hidden &&
	      l->keys.after_param == 8);
	CHECK(resource_sql(&visit_resource)->search.stmt.sql == NULL);
}

static void test_statements_are_printed_by_name(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK(resource_sql_print(record_kinds, out) == 0);
	fclose(out);
	CHECK(strstr(text, "case_get\tSELECT ") != NULL);
	CHECK(strstr(text, "\nvisit_list sort=-visited_at\tSELECT ") != NULL);
	CHECK(strstr(text, "\ncase_list q=\tSELECT ") != NULL);
	free(text);
}

int main(void)
{
	RUN(test_every_kind_has_its_statements);
	RUN(test_a_case_is_read_as_the_scope_sees_it);
	RUN(test_a_goal_is_seen_through_its_plan_and_case);
	RUN(test_a_placement_is_seen_through_its_episode_child_and_case);
	RUN(test_plan_writes_take_their_case_exclusively);
	RUN(test_protected_records_take_the_protected_scope);
	RUN(test_lists_read_filters_in_order);
	RUN(test_a_search_ranks_the_matches_every_list_would_show);
	RUN(test_statements_are_printed_by_name);
	return check_result();
}
