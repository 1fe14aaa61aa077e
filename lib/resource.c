#include "resource.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "claims.h"
#include "dates.h"
#include "idempotency.h"
#include "resource_sql.h"

#define MAX_COLUMNS 32

/* The kind's statements; NULL with CW_INTERNAL when they could not be written. */
static const struct resource_sql *statements(const struct resource *kind, struct cw_error *err)
{
	const struct resource_sql *sql = resource_sql(kind);

	if (sql == NULL)
		cw_fail(err, CW_INTERNAL, "Out of memory.");
	return sql;
}

/* Runs stmt ($1-$3 the scope s, $4 id, and $5 whether protected records are
 * all visible, for statements that take it) into r; CW_NOT_FOUND when no row. */
static enum cw_code fetch_in(struct db_conn *conn, const struct db_statement *stmt, const struct access_scope *s,
			     const char *id, const char *noun, struct record_text *r, struct cw_error *err)
{
	const char *params[5] = {s->see_all, s->worker, s->unit, id, s->sud_all};
	PGresult *res = db_run(conn, stmt, params, err);
	enum cw_code rc = CW_OK;

	if (res == NULL)
		return err->code;
	if (PQntuples(res) != 1)
		rc = cw_fail(err, CW_NOT_FOUND, "No %s with this id.", noun);
	else if (record_text_from_row(r, res, 0) != 0)
		rc = cw_fail(err, CW_INTERNAL, "Out of memory.");
	PQclear(res);
	return rc;
}

/* The same under everything the caller reads. */
static enum cw_code fetch(struct db_conn *conn, const struct db_statement *stmt, const struct principal *p,
			  const char *id, const char *noun, struct record_text *r, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);

	return fetch_in(conn, stmt, &s, id, noun, r, err);
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_scope(const struct access_scope *a, const struct access_scope *b)
{
	return same_text(a->see_all, b->see_all) && same_text(a->worker, b->worker) &&
	       same_text(a->unit, b->unit) && same_text(a->sud_all, b->sud_all);
}

/* The same under what the caller's roles that may do actions see. A record
 * that only the caller's other roles see is CW_FORBIDDEN; one no role sees,
 * CW_NOT_FOUND. */
static enum cw_code fetch_for(struct db_conn *conn, const struct db_statement *stmt, const struct principal *p,
			      unsigned actions, const char *id, const char *noun, struct record_text *r,
			      struct cw_error *err)
{
	struct access_scope may = access_scope_for(p, actions), reads = access_scope_of(p);
	struct record_text seen = {0};
	enum cw_code rc = fetch_in(conn, stmt, &may, id, noun, r, err);

	if (rc != CW_NOT_FOUND || same_scope(&may, &reads))
		return rc;
	rc = fetch_in(conn, stmt, &reads, id, noun, &seen, err);
	record_text_release(&seen);
	if (rc != CW_OK)
		return rc;
	return cw_fail(err, CW_FORBIDDEN, "Your roles may see this %s, but none that may do this sees it.", noun);
}

static enum cw_code parse_record(struct record_text *r, json_t **out, struct cw_error *err)
{
	*out = json_loads(r->json, 0, NULL);
	record_text_release(r);
	return *out ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

enum cw_code resource_load(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			   const char *id, json_t **out, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);
	struct record_text r = {0};
	enum cw_code rc = sql ? fetch(conn, &sql->get, p, id, kind->noun, &r, err) : err->code;

	*out = NULL;
	return rc == CW_OK ? parse_record(&r, out, err) : rc;
}

enum cw_code resource_load_locked(struct db_conn *conn, const struct resource *kind, const struct principal *p,
				  const char *id, int exclusive, json_t **out, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);
	struct record_text r = {0};
	enum cw_code rc = sql ? fetch_for(conn, exclusive ? &sql->lock : &sql->share, p, ACCESS_WRITE, id,
					  kind->noun, &r, err)
			      : err->code;

	*out = NULL;
	return rc == CW_OK ? parse_record(&r, out, err) : rc;
}

enum cw_code resource_get_by(struct db_pool *pool, const struct resource *kind, const struct db_statement *stmt,
			     const struct principal *p, const char *key, struct record_text *out,
			     struct cw_error *err)
{
	struct db_conn *conn = db_acquire(pool, err);
	enum cw_code rc;

	if (conn == NULL)
		return err->code;
	rc = fetch(conn, stmt, p, key, kind->noun, out, err);
	db_release(pool, conn);
	return rc;
}

enum cw_code resource_get(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			  const char *id, struct record_text *out, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);

	return sql ? resource_get_by(pool, kind, &sql->get, p, id, out, err) : err->code;
}

enum cw_code resource_get_under(struct db_pool *pool, const struct resource *kind, const struct principal *p,
				const char *parent_id, const char *id, struct record_text *out, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);
	struct access_scope s = access_scope_of(p);
	const char *params[6] = {s.see_all, s.worker, s.unit, id, s.sud_all, parent_id};
	PGresult *res;
	enum cw_code rc = CW_OK;

	if (sql == NULL)
		return err->code;
	if (sql->get_under.sql == NULL)
		return cw_fail(err, CW_INTERNAL, "A %s is under no other record.", kind->noun);
	if (!kind->store.protected_when)
		params[4] = parent_id;
	res = db_query(pool, &sql->get_under, params, err);
	if (res == NULL)
		return err->code;
	if (PQntuples(res) != 1)
		rc = cw_fail(err, CW_NOT_FOUND, "No %s with this id on this %s.", kind->noun, kind->store.parent->noun);
	else if (record_text_from_row(out, res, 0) != 0)
		rc = cw_fail(err, CW_INTERNAL, "Out of memory.");
	PQclear(res);
	return rc;
}

enum cw_code resource_check_visible(struct db_pool *pool, const struct resource *kind, const struct principal *p,
				    const char *id, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);
	struct access_scope s = access_scope_of(p);
	const char *params[5] = {s.see_all, s.worker, s.unit, id, s.sud_all};
	PGresult *res = sql ? db_query(pool, &sql->exists, params, err) : NULL;
	int found;

	if (res == NULL)
		return err->code;
	found = PQntuples(res) == 1;
	PQclear(res);
	return found ? CW_OK : cw_fail(err, CW_NOT_FOUND, "No %s with this id.", kind->noun);
}

/* The filter naming the parent a list is under; -1 when none does. */
static int parent_filter(const struct resource *kind, const struct resource_sql *sql)
{
	for (int i = 0; i < sql->nfilters; i++)
		if (kind->store.parent_column && strcmp(sql->filters[i].column, kind->store.parent_column) == 0)
			return i;
	return -1;
}

enum cw_code resource_list(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			   const struct list_query *q, char **page, struct cw_error *err)
{
	const struct resource_sql *sql = statements(kind, err);
	const struct resource_list_sql *l;
	struct access_scope s = access_scope_of(p);
	const char *params[RESOURCE_MAX_FILTERS + 9] = {s.see_all, s.worker, s.unit};
	int parent;

	*page = NULL;
	if (sql == NULL)
		return err->code;
	parent = parent_filter(kind, sql);
	if (q->parent_id && parent < 0)
		return cw_fail(err, CW_INTERNAL, "No list of %s records goes under another record.", kind->noun);
	if (q->parent_id && resource_check_visible(pool, kind->store.parent, p, q->parent_id, err) != CW_OK)
		return err->code;
	l = q->search ? &sql->search : &sql->list[q->order];
	if (l->stmt.sql == NULL)
		return cw_fail(err, CW_INTERNAL, "No list of %s records is searched.", kind->noun);
	if (l->search_param >= 0)
		params[l->search_param] = q->search;
	if (l->sud_param >= 0)
		params[l->sud_param] = s.sud_all;
	for (int i = 0; i < sql->nfilters; i++)
		params[l->filter_param[i]] = q->parent_id && i == parent ? q->parent_id : q->values[i];
	if (l->since_param >= 0)
		params[l->since_param] = q->window.updated_since;
	params[l->keys.after_param] = q->window.after_key;
	params[l->keys.after_param + 1] = q->window.after_id;
	params[l->nparams - 1] = NULL;   /* LIMIT: paging sets it */
	return page_list(pool, &l->stmt, params, q->window.limit, &l->keys, page, NULL, err);
}

const char *resource_parent_id(const struct record_change *ch)
{
	return ch->before ? record_text_member(ch->before, ch->kind->store.parent_column) : ch->parent_id;
}

enum cw_code resource_load_parent(const struct record_change *ch, int exclusive, json_t **out, struct cw_error *err)
{
	return resource_load_locked(ch->conn, ch->kind->store.parent, ch->actor->principal, resource_parent_id(ch),
				    exclusive, out, err);
}

/* A field naming a record the kind is under (RECORD_KEY_FIELD): read-only, a UUID, not the id. */
static int is_key_field(const struct field_spec *f)
{
	return (f->flags & F_READ_ONLY) && f->type == FT_UUID && strcmp(f->name, "id") != 0;
}

enum cw_code resource_open_parent(struct record_change *ch, int exclusive, json_t **parent, struct cw_error *err)
{
	const char *column = ch->kind->store.parent_column;
	enum cw_code rc = resource_load_parent(ch, exclusive, parent, err);

	if (rc != CW_OK || ch->before != NULL)
		return rc;
	json_object_set_new(ch->after, column, json_string(ch->parent_id));
	for (const struct field_spec *f = ch->kind->fields; f->name; f++)
		if (is_key_field(f) && strcmp(f->name, column) != 0 && json_object_get(*parent, f->name))
			json_object_set(ch->after, f->name, json_object_get(*parent, f->name));
	return CW_OK;
}

enum cw_code resource_lock_parent(struct record_change *ch, const char **parent_id, struct cw_error *err)
{
	json_t *parent;
	enum cw_code rc = resource_open_parent(ch, 0, &parent, err);

	*parent_id = resource_parent_id(ch);
	json_decref(parent);
	return rc;
}

enum cw_code resource_count(struct db_conn *conn, const struct db_statement *stmt, const char *id, long *count,
			    struct cw_error *err)
{
	const char *params[1] = {id};
	PGresult *res = db_run(conn, stmt, params, err);

	*count = 0;
	if (res == NULL)
		return err->code;
	*count = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return CW_OK;
}

enum cw_code resource_check_reference(struct db_conn *conn, const struct db_statement *stmt, const char *id,
				      const char *case_id, const char *field, const char *noun,
				      struct cw_error *err)
{
	const char *params[2] = {id, case_id};
	PGresult *res = db_run(conn, stmt, params, err);
	int found;

	if (res == NULL)
		return err->code;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		cw_field_error(err, field, "must name a %s of this case", noun);
	return CW_OK;
}

/* ---- the audit row, written by the statement that writes the record ----
 *
 * A kind's insert, update or soft delete statement (which returns the record)
 * runs inside one that also writes the change's audit row (sql/015): the
 * record after the change is the row the statement returns (the record as
 * stored, with what BEFORE triggers set, an approval's stamp), the record
 * before an update is the one this transaction locked, sent as a parameter,
 * and the audit row holds the fields that differ, in the form the audit trail
 * has always had (to_jsonb() of the row). A delete changes only bookkeeping
 * columns, so the row it returns, without them, is the record as it was. The
 * trigger that audits writes by any other path sees the row and does nothing
 * more. */

#define ACTOR_PARAMS 5
#define AUDIT_PARAMS (ACTOR_PARAMS + 1)
#define AUDITED_MAX 64
#define META "'{version,created_at,updated_at,deleted_at}'::text[]"

enum change { CHANGE_CREATE, CHANGE_UPDATE, CHANGE_DELETE };

struct audited {
	const struct db_statement *base;
	struct db_statement stmt;
};

static struct audited audited[AUDITED_MAX];
static int naudited;
static pthread_mutex_t audited_lock = PTHREAD_MUTEX_INITIALIZER;

/* The audit row's columns, and its first values: who, in which request. */
#define AUDIT_INSERT                                                                                              \
	" a AS (INSERT INTO audit_log (actor, actor_roles, request_id, client_request_id, action, resource_type," \
	" resource_id, case_id, before, after, sensitive, version)"                                               \
	" SELECT $%d, string_to_array($%d, ','), nullif($%d, ''), nullif($%d, ''), "

/* The text of base wrapped to write the audit row. Parameters after base's:
 * actor, roles ("a,b"), request id, client request id, resource type and,
 * on update, the record before the change (JSON). A delete answers the id
 * alone. Caller frees. */
static char *audited_sql(const struct db_statement *base, enum change change)
{
	static const char *const create_shape =
		"WITH w AS (%s),"
		" n AS MATERIALIZED (SELECT w.id, w.version, to_jsonb(w) - " META " AS doc FROM w)," AUDIT_INSERT
		"'create', $%d, n.id,"
		" coalesce((n.doc ->> 'case_id')::uuid, CASE WHEN $%d = 'case' THEN n.id END), $%d::jsonb, n.doc,"
		" coalesce(n.doc ->> 'service_type' = 'substance_use_treatment', false), n.version FROM n)"
		" SELECT * FROM w";
	static const char *const update_shape =
		"WITH w AS (%s),"
		" n AS MATERIALIZED (SELECT w.id, w.version, to_jsonb(w) - " META " AS doc,"
		" $%d::jsonb - " META " AS old FROM w),"
		" d AS (SELECT n.*, x.before, x.after FROM n, LATERAL (SELECT jsonb_object_agg(e.key, n.old -> e.key)"
		" AS before, jsonb_object_agg(e.key, e.value) AS after FROM jsonb_each(n.doc) e"
		" WHERE e.value IS DISTINCT FROM n.old -> e.key) x WHERE x.before IS NOT NULL)," AUDIT_INSERT
		"'update', $%d, d.id,"
		" coalesce((d.doc ->> 'case_id')::uuid, CASE WHEN $%d = 'case' THEN d.id END), d.before, d.after,"
		" coalesce(d.doc ->> 'service_type' = 'substance_use_treatment', false)"
		" OR coalesce(d.old ->> 'service_type' = 'substance_use_treatment', false), d.version FROM d)"
		" SELECT * FROM w";
	static const char *const delete_shape =
		"WITH w AS (%s),"
		" n AS MATERIALIZED (SELECT w.id, w.version, to_jsonb(w) - " META " AS old FROM w)," AUDIT_INSERT
		"'delete', $%d, n.id,"
		" coalesce((n.old ->> 'case_id')::uuid, CASE WHEN $%d = 'case' THEN n.id END), n.old, NULL,"
		" coalesce(n.old ->> 'service_type' = 'substance_use_treatment', false), n.version FROM n)"
		" SELECT w.id FROM w";
	const char *const shapes[] = {[CHANGE_CREATE] = create_shape, [CHANGE_UPDATE] = update_shape,
				      [CHANGE_DELETE] = delete_shape};
	const char *shape = shapes[change];
	int a = base->nparams;
	size_t len = strlen(shape) + strlen(base->sql) + 64;
	char *sql = malloc(len);

	if (sql == NULL)
		return NULL;
	if (change == CHANGE_CREATE)
		snprintf(sql, len, shape, base->sql, a + 1, a + 2, a + 3, a + 4, a + 5, a + 5, a + 6);
	else if (change == CHANGE_UPDATE)
		snprintf(sql, len, shape, base->sql, a + 6, a + 1, a + 2, a + 3, a + 4, a + 5, a + 5);
	else
		snprintf(sql, len, shape, base->sql, a + 1, a + 2, a + 3, a + 4, a + 5, a + 5);
	return sql;
}

/* The audited form of base (made on first use, kept for the life of the
 * process), or NULL when it cannot be made: the record is then audited by
 * its trigger. */
static const struct db_statement *audited_form(const struct db_statement *base, enum change change)
{
	const struct db_statement *found = NULL;

	pthread_mutex_lock(&audited_lock);
	for (int i = 0; i < naudited && found == NULL; i++)
		if (audited[i].base == base)
			found = &audited[i].stmt;
	if (found == NULL && naudited < AUDITED_MAX && base->name != NULL) {
		size_t len = strlen(base->name) + sizeof("_audited");
		char *name = malloc(len), *sql = audited_sql(base, change);
		int nparams = base->nparams + (change == CHANGE_DELETE ? ACTOR_PARAMS : AUDIT_PARAMS);

		if (name && sql) {
			snprintf(name, len, "%s_audited", base->name);
			audited[naudited] = (struct audited){base, {name, sql, nparams, base->binary}};
			found = &audited[naudited++].stmt;
		} else {
			free(name);
			free(sql);
		}
	}
	pthread_mutex_unlock(&audited_lock);
	return found;
}

/* The record as the audit trail holds it (to_jsonb() of the row): instants
 * as PostgreSQL writes them in JSON, with an offset and no trailing zeros.
 * Caller frees. */
static char *audit_form(const json_t *record, const struct field_spec *fields)
{
	json_t *copy = json_deep_copy(record);
	char *text;

	for (const struct field_spec *f = fields; copy && f->name; f++) {
		const char *value = record_text_member(copy, f->name);
		char out[40];
		int64_t us;
		size_t n;

		if (f->type != FT_TIMESTAMP || value == NULL || timestamp_parse(value, &us) != 0)
			continue;
		timestamp_format(us, out);   /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
		n = strlen(out) - 1;
		while (out[n - 1] == '0')
			n--;
		if (out[n - 1] == '.')
			n--;
		snprintf(out + n, sizeof(out) - n, "+00:00");
		json_object_set_new(copy, f->name, json_string(out));
	}
	text = copy ? json_dumps(copy, JSON_COMPACT) : NULL;
	json_decref(copy);
	return text;
}

/* Puts the audited form's parameters after the record's: who, in which
 * request, which kind of record (roles: room for the roles' text). */
static void add_actor_params(const char **params, const struct actor *actor, const struct resource *kind,
			     char *roles, size_t roles_len)
{
	claims_roles_text(actor->principal->roles, roles, roles_len);
	params[0] = actor->principal->sub;
	params[1] = roles;
	params[2] = actor->request_id;
	params[3] = actor->client_request_id ? actor->client_request_id : "";
	params[4] = kind->audit_type;
}

/* Runs stmt with the record's columns after an optional leading id, writing
 * the change's audit row in the same statement when actor is given (before:
 * the record before an update; NULL on create). last: nothing follows in the
 * transaction, which commits with it. */
static enum cw_code store(struct db_conn *conn, const struct resource *kind, const struct db_statement *stmt,
			  const char *leading, const char *const *columns, const json_t *record,
			  const struct actor *actor, const json_t *before, int last, struct record_text *out,
			  struct cw_error *err)
{
	const char *params[MAX_COLUMNS + 1 + AUDIT_PARAMS];
	char bufs[MAX_COLUMNS][32];
	char *arrays[MAX_COLUMNS] = {NULL};
	char roles[128];
	char *before_text = NULL;
	enum change change = before ? CHANGE_UPDATE : CHANGE_CREATE;
	const struct db_statement *audited_stmt = actor ? audited_form(stmt, change) : NULL;
	int n = 0;
	PGresult *res;
	enum cw_code rc = CW_OK;

	if (leading)
		params[n++] = leading;
	for (int i = 0; i < MAX_COLUMNS && columns[i]; i++) {
		const json_t *v = json_object_get(record, columns[i]);
		const struct field_spec *spec = field_spec_find(kind->fields, columns[i]);

		if (json_is_array(v) && spec && spec->type == FT_OBJECT_LIST)
			params[n++] = arrays[i] = json_dumps(v, JSON_COMPACT);
		else if (json_is_array(v))
			params[n++] = arrays[i] = record_array_literal(v);
		else
			params[n++] = record_param(record, columns[i], bufs[i], sizeof(bufs[i]));
	}
	if (audited_stmt && before)
		before_text = audit_form(before, kind->fields);
	if (audited_stmt && (before == NULL || before_text)) {
		add_actor_params(params + n, actor, kind, roles, sizeof(roles));
		n += ACTOR_PARAMS;
		params[n++] = before_text;
		stmt = audited_stmt;
	}
	res = last ? db_run_committing(conn, stmt, params, err) : db_run(conn, stmt, params, err);
	free(before_text);
	for (int i = 0; i < MAX_COLUMNS; i++)
		free(arrays[i]);
	if (res == NULL) {
		for (const char *const *c = kind->rules.conflicts; c && c[0]; c += 2)
			if (err->code == CW_CONFLICT && strcmp(err->constraint, c[0]) == 0)
				cw_fail(err, CW_CONFLICT, "%s", c[1]);
		return err->code;
	}
	if (PQntuples(res) != 1 || record_text_from_row(out, res, 0) != 0)
		rc = cw_fail(err, CW_INTERNAL, "The database did not return the %s.", kind->noun);
	PQclear(res);
	return rc;
}

/* The hook, then CW_INVALID when it left field errors. */
static enum cw_code run_check(record_hook hook, struct record_change *ch, struct cw_error *err)
{
	enum cw_code rc = hook ? hook(ch, err) : CW_OK;

	if (rc == CW_OK && cw_has_field_errors(err))
		rc = CW_INVALID;
	return rc;
}

/* Locks the case a write falls under, before anything else; nothing when the
 * kind names no statement. */
static enum cw_code lock_case_first(struct db_conn *conn, const struct db_statement *stmt, const char *id,
				    struct cw_error *err)
{
	const char *params[1] = {id};
	PGresult *res;

	if (stmt->sql == NULL)
		return CW_OK;
	res = db_run(conn, stmt, params, err);
	PQclear(res);
	return res ? CW_OK : err->code;
}

struct write {
	const struct resource *kind;
	const struct actor *actor;
	unsigned actions;               /* what the request does (enum access_action) */
	const char *id;                 /* update, delete: the record; create: the parent */
	const json_t *input;
	const struct precondition *pre;
	struct record_text *out;
	const struct idempotency *idem; /* create: the Idempotency-Key, or NULL */
	int replayed;
};

static enum cw_code create_work(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct write *w = ctx;
	const struct resource_sql *sql = statements(w->kind, err);
	struct record_change ch = {w->kind, conn, w->actor, w->actions, w->id, w->input, NULL,
				   json_deep_copy(w->input)};
	enum cw_code rc;

	if (ch.after == NULL || sql == NULL) {
		json_decref(ch.after);
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	}
	w->replayed = 0;
	rc = w->idem ? idempotency_claim(conn, w->actor->principal->sub, w->idem, &w->replayed, w->out, err) : CW_OK;
	if (rc == CW_OK && !w->replayed)
		rc = lock_case_first(conn, &sql->lock_case_of_parent, w->id, err);
	if (rc == CW_OK && !w->replayed)
		rc = run_check(w->kind->rules.check, &ch, err);
	if (rc == CW_OK && !w->replayed)
		rc = store(conn, w->kind, &sql->insert, NULL, w->kind->insert_columns, ch.after, w->actor, NULL,
			   w->idem == NULL, w->out, err);
	if (rc == CW_OK && !w->replayed && w->idem)
		rc = idempotency_store(conn, w->actor->principal->sub, w->idem, w->out, err);
	json_decref(ch.after);
	return rc;
}

enum cw_code resource_create(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *parent_id, const json_t *body, const struct idempotency *idem,
			     struct record_text *out, int *replayed, struct cw_error *err)
{
	struct write w = {kind, actor, ACCESS_WRITE, parent_id, body, NULL, out, idem, 0};
	enum cw_code rc;

	validate_body(body, kind->fields, VALIDATE_CREATE, err);
	if (cw_has_field_errors(err))
		return CW_INVALID;
	rc = audit_transaction(pool, actor, create_work, &w, err);
	if (replayed)
		*replayed = rc == CW_OK && w.replayed;
	return rc;
}

/* Locks the record's case (when the kind says so), then the record as a role
 * that may do the write sees it, and checks If-Match. */
static enum cw_code lock_current(struct db_conn *conn, const struct write *w, const struct resource_sql *sql,
				 struct record_text *current, struct cw_error *err)
{
	enum cw_code rc = lock_case_first(conn, &sql->lock_case_of_record, w->id, err);

	if (rc == CW_OK)
		rc = fetch_for(conn, &sql->lock, w->actor->principal, w->actions, w->id, w->kind->noun, current,
			       err);

	if (rc == CW_OK && !precondition_holds(w->pre, current->version))
		rc = cw_fail(err, CW_PRECONDITION_FAILED, "The %s has changed since you read it "
			     "(it is at version %lld); read it again.", w->kind->noun, current->version);
	return rc;
}

static enum cw_code update_work(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct write *w = ctx;
	const struct resource_sql *sql = statements(w->kind, err);
	struct record_text current = {0};
	struct record_change ch = {w->kind, conn, w->actor, w->actions, NULL, w->input, NULL, NULL};
	json_t *before = NULL;
	enum cw_code rc = sql ? lock_current(conn, w, sql, &current, err) : err->code;

	if (rc != CW_OK)
		goto out;
	before = json_loads(current.json, 0, NULL);
	ch.before = before;
	ch.after = before ? record_merge(before, w->input) : NULL;
	if (ch.after == NULL) {
		rc = cw_fail(err, CW_INTERNAL, "Out of memory.");
		goto out;
	}
	rc = run_check(w->kind->rules.check, &ch, err);
	if (rc != CW_OK)
		goto out;
	if (!record_changed_any(before, ch.after, w->kind->update_columns)) {
		*w->out = current;
		current.json = NULL;
		goto out;
	}
	rc = store(conn, w->kind, &sql->update, current.id, w->kind->update_columns, ch.after, w->actor, before, 1,
		   w->out, err);
out:
	json_decref(before);
	json_decref(ch.after);
	record_text_release(&current);
	return rc;
}

enum cw_code resource_update(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *id, const json_t *patch, const struct precondition *pre,
			     struct record_text *out, struct cw_error *err)
{
	struct write w = {kind, actor, ACCESS_WRITE, id, patch, pre, out, NULL, 0};

	validate_body(patch, kind->fields, VALIDATE_PATCH, err);
	if (cw_has_field_errors(err))
		return CW_INVALID;
	return audit_transaction(pool, actor, update_work, &w, err);
}

/* Soft-deletes the record, writing its audit row in the same statement when
 * the audited form can be made (the trigger audits it otherwise). */
static enum cw_code soft_delete(struct db_conn *conn, const struct write *w, const struct db_statement *base,
			       const char *id, struct cw_error *err)
{
	const char *params[1 + ACTOR_PARAMS] = {id};
	char roles[128];
	const struct db_statement *stmt = w->actor ? audited_form(base, CHANGE_DELETE) : NULL;
	PGresult *res;

	if (stmt)
		add_actor_params(params + 1, w->actor, w->kind, roles, sizeof(roles));
	res = db_run(conn, stmt ? stmt : base, params, err);
	PQclear(res);
	return res ? CW_OK : err->code;
}

static enum cw_code delete_work(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct write *w = ctx;
	const struct resource_sql *sql = statements(w->kind, err);
	struct record_text current = {0};
	struct record_change ch = {w->kind, conn, w->actor, w->actions, NULL, NULL, NULL, NULL};
	json_t *before = NULL;
	enum cw_code rc = sql ? lock_current(conn, w, sql, &current, err) : err->code;
	long named = 0;

	if (rc == CW_OK && w->kind->rules.named_by)
		rc = resource_count(conn, w->kind->rules.named_by, current.id, &named, err);
	if (rc == CW_OK && named > 0)
		rc = cw_fail(err, CW_CONFLICT, w->kind->rules.named_by_refusal, named);
	if (rc == CW_OK && w->kind->rules.check_delete) {
		before = json_loads(current.json, 0, NULL);
		ch.before = before;
		rc = before ? run_check(w->kind->rules.check_delete, &ch, err)
			    : cw_fail(err, CW_INTERNAL, "Out of memory.");
	}
	if (rc == CW_OK)
		rc = soft_delete(conn, w, &sql->remove, current.id, err);
	json_decref(before);
	record_text_release(&current);
	return rc;
}

enum cw_code resource_delete(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *id, const struct precondition *pre, struct cw_error *err)
{
	struct write w = {kind, actor, ACCESS_DELETE, id, NULL, pre, NULL, NULL, 0};

	return audit_transaction(pool, actor, delete_work, &w, err);
}

/* PUT: one key at a time, then replace what the key names or create it. */
static const struct db_statement lock_key = {
	"resource_lock_key", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1, 0};

struct put {
	struct write w;
	const struct db_statement *find;
	const char *key;
	int created;
};

/* A replacement is the whole record: the nullable fields it leaves out are
 * cleared. Fields that cannot be null keep their values when left out. */
static json_t *replacement_of(const json_t *body, const struct field_spec *fields)
{
	json_t *r = json_deep_copy(body);

	for (const struct field_spec *f = fields; r && f->name; f++)
		if ((f->flags & F_NULLABLE) && !(f->flags & F_READ_ONLY) && !json_object_get(r, f->name))
			json_object_set_new(r, f->name, json_null());
	return r;
}

static enum cw_code replace_work(struct db_conn *conn, struct put *put, const char *id, struct cw_error *err)
{
	json_t *replacement = replacement_of(put->w.input, put->w.kind->fields);
	const json_t *body = put->w.input;
	enum cw_code rc;

	if (replacement == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	put->w.id = id;
	put->w.input = replacement;
	rc = update_work(conn, &put->w, err);
	put->w.input = body;
	json_decref(replacement);
	return rc;
}

static enum cw_code put_work(struct db_conn *conn, void *ctx, struct cw_error *err)
{
	struct put *put = ctx;
	char lock_name[320], id[37];
	const char *params[1] = {lock_name};
	PGresult *res;

	snprintf(lock_name, sizeof(lock_name), "%s:%s", put->w.kind->noun, put->key);
	res = db_run(conn, &lock_key, params, err);
	PQclear(res);
	if (res == NULL)
		return err->code;
	params[0] = put->key;
	res = db_run(conn, put->find, params, err);
	if (res == NULL)
		return err->code;
	put->created = PQntuples(res) == 0;
	if (!put->created)
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!put->created)
		return replace_work(conn, put, id, err);
	if (put->w.pre->present)
		return cw_fail(err, CW_PRECONDITION_FAILED, "No %s has this key, so If-Match cannot match.",
			       put->w.kind->noun);
	put->w.id = NULL;
	return create_work(conn, &put->w, err);
}

enum cw_code resource_put(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			  unsigned actions, const struct db_statement *find, const char *key, const json_t *body,
			  const struct precondition *pre, struct record_text *out, int *created,
			  struct cw_error *err)
{
	struct put put = {{kind, actor, ACCESS_WRITE | actions, NULL, body, pre, out, NULL, 0}, find, key, 0};
	enum cw_code rc;

	validate_body(body, kind->fields, VALIDATE_CREATE, err);
	if (cw_has_field_errors(err))
		return CW_INVALID;
	rc = audit_transaction(pool, actor, put_work, &put, err);
	*created = put.created;
	return rc;
}
