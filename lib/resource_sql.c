#include "resource_sql.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Appends each of a NULL-terminated list of strings; add(sb, "a", b) for short. */
static void add_all(struct strbuf *sb, const char *const *parts)
{
	for (; *parts; parts++)
		strbuf_addstr(sb, *parts);
}

#define add(sb, ...) add_all(sb, (const char *const[]){__VA_ARGS__, NULL})

/* Appends $<index + 1>: parameters are counted from 0 here, from 1 in SQL. */
static void add_param(struct strbuf *sb, int index)
{
	char text[16];

	snprintf(text, sizeof(text), "$%d", index + 1);
	strbuf_addstr(sb, text);
}

/* The kind every record is seen through: the case. */
static const struct resource *root_of(const struct resource *k)
{
	while (k->store.parent)
		k = k->store.parent;
	return k;
}

/* The API's fields in their order, named as rowjson reads them. */
static void add_fields(struct strbuf *sb, const struct resource *k)
{
	const char *a = k->store.alias;

	for (const struct field_spec *f = k->fields; f->name; f++) {
		strbuf_addstr(sb, f == k->fields ? "" : ", ");
		if (f->type == FT_UUID_LIST || f->type == FT_ENUM_LIST)
			add(sb, "array_to_json(", a, ".", f->name, ") AS ", f->name);
		else
			add(sb, a, ".", f->name);
	}
}

#define AS_TEXT_(x) #x
#define AS_TEXT(x) AS_TEXT_(x)

/* FROM ... WHERE ...: the live record, under live records, of a case the
 * scope ($1-$3) sees; a protected one only when the scope with sud_param
 * sees it. With search, only the records it matches, each once with its
 * best score (s.score) and its rank (r.rank). */
static void add_visible(struct strbuf *sb, const struct resource *k, int sud_param, const struct list_search *search)
{
	const struct resource *root = root_of(k), *below = k;
	const char *a = k->store.alias, *c = root->store.alias;

	strbuf_addstr(sb, " FROM ");
	if (search)
		add(sb, "(SELECT m.id, max(m.score) AS score FROM (", search->matches, ") m GROUP BY m.id) s"
		    " CROSS JOIN LATERAL (SELECT round(s.score * " AS_TEXT(LIST_SEARCH_RANK_MAX) ")::int8 AS rank) r"
		    " JOIN ");
	add(sb, k->store.table, " ", a);
	if (search)
		add(sb, " ON ", a, ".id = s.id");
	for (const struct resource *p = k->store.parent; p && p != root; below = p, p = p->store.parent)
		add(sb, " JOIN ", p->store.table, " ", p->store.alias, " ON ", p->store.alias, ".id = ",
		    below->store.alias, ".", below->store.parent_column);
	if (k != root)
		add(sb, " JOIN ", root->store.table, " ", c, " ON ", c, ".id = ", a, ".case_id");
	strbuf_addstr(sb, " WHERE ");
	for (const struct resource *p = k; p; p = p->store.parent)
		add(sb, p->store.alias, ".deleted_at IS NULL AND ");
	add(sb, "cw_visible(", c, ".assigned_worker, ", c, ".unit, $1, $2, $3)");
	if (k->store.protected_when) {
		add(sb, " AND cw_sees_sud(", k->store.protected_when, ", ", c, ".assigned_worker, ", c, ".unit, ");
		add_param(sb, sud_param);
		strbuf_addstr(sb, ", $2, $3)");
	}
}

struct writer {
	const struct resource *kind;
	struct resource_sql *sql;
	int named;              /* names used */
	int failed;
};

/* Takes sb's text as stmt's, named "<audit_type>_<what>" (what NULL: unprepared). */
static void finish(struct writer *w, struct db_statement *stmt, const char *what, struct strbuf *sb, int nparams,
		   int binary)
{
	char *name = NULL;

	if (what) {
		name = w->sql->names[w->named++];
		snprintf(name, sizeof(w->sql->names[0]), "%s_%s", w->kind->audit_type, what);
	}
	stmt->name = name;
	stmt->sql = strbuf_detach(sb);
	stmt->nparams = nparams;
	stmt->binary = binary;
	w->failed |= stmt->sql == NULL;
}

/* get, lock, share and exists: the record by id ($4) as the scope sees it. */
static void write_reads(struct writer *w)
{
	static const char *const names[] = {"get", "lock", "share", "exists"};
	static const char *const locks[] = {"", " FOR UPDATE OF ", " FOR SHARE OF ", ""};
	struct db_statement *stmts[] = {&w->sql->get, &w->sql->lock, &w->sql->share, &w->sql->exists};
	const struct resource *k = w->kind;

	for (int i = 0; i < 4; i++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "SELECT ");
		if (stmts[i] == &w->sql->exists)
			strbuf_addstr(&sb, "1");
		else
			add_fields(&sb, k);
		add_visible(&sb, k, 4, NULL);
		add(&sb, " AND ", k->store.alias, ".id = $4", locks[i], locks[i][0] ? k->store.alias : "");
		finish(w, stmts[i], names[i], &sb, k->store.protected_when ? 5 : 4, stmts[i] != &w->sql->exists);
	}
	if (k->store.parent) {
		struct strbuf sb = STRBUF_INIT;
		int parent = k->store.protected_when ? 5 : 4;

		strbuf_addstr(&sb, "SELECT ");
		add_fields(&sb, k);
		add_visible(&sb, k, 4, NULL);
		add(&sb, " AND ", k->store.alias, ".id = $4 AND ", k->store.alias, ".", k->store.parent_column, " = ");
		add_param(&sb, parent);
		finish(w, &w->sql->get_under, "get_under", &sb, parent + 1, 1);
	}
}

static void write_by_ids(struct writer *w)
{
	const struct resource *k = w->kind;
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "SELECT ");
	add_fields(&sb, k);
	add(&sb, " FROM ", k->store.table, " ", k->store.alias, " WHERE ", k->store.alias, ".id = ANY($1::uuid[])");
	if (k->store.protected_when)
		add(&sb, " AND cw_sees_sud(", k->store.protected_when, ", NULL, NULL, $2, NULL, NULL)");
	finish(w, &w->sql->by_ids, "by_ids", &sb, k->store.protected_when ? 2 : 1, 1);
}

static int count_columns(const char *const *columns)
{
	int n = 0;

	while (columns && columns[n])
		n++;
	return n;
}

/* A boolean that cannot be null is false when a create leaves it out. */
static int false_by_default(const struct resource *k, const char *column)
{
	const struct field_spec *f = field_spec_find(k->fields, column);

	return f && f->type == FT_BOOL && !(f->flags & F_NULLABLE);
}

static void write_writes(struct writer *w)
{
	const struct resource *k = w->kind;
	const char *const *ins = k->insert_columns, *const *upd = k->update_columns;
	struct strbuf sb = STRBUF_INIT;
	int n = count_columns(ins);

	add(&sb, "INSERT INTO ", k->store.table, " AS ", k->store.alias, " (");
	for (int i = 0; i < n; i++)
		add(&sb, i ? ", " : "", ins[i]);
	strbuf_addstr(&sb, ") VALUES (");
	for (int i = 0; i < n; i++) {
		add(&sb, i ? ", " : "", false_by_default(k, ins[i]) ? "coalesce(" : "");
		add_param(&sb, i);
		strbuf_addstr(&sb, false_by_default(k, ins[i]) ? "::boolean, false)" : "");
	}
	strbuf_addstr(&sb, ") RETURNING ");
	add_fields(&sb, k);
	finish(w, &w->sql->insert, "insert", &sb, n, 1);

	n = count_columns(upd);
	if (n == 0)
		return;   /* never changed, never deleted */
	add(&sb, "UPDATE ", k->store.table, " ", k->store.alias, " SET ");
	for (int i = 0; i < n; i++) {
		add(&sb, i ? ", " : "", upd[i], " = ");
		add_param(&sb, i + 1);
	}
	add(&sb, " WHERE ", k->store.alias, ".id = $1 RETURNING ");
	add_fields(&sb, k);
	finish(w, &w->sql->update, "update", &sb, n + 1, 1);

	add(&sb, "UPDATE ", k->store.table, " ", k->store.alias, " SET deleted_at = now() WHERE ", k->store.alias,
	    ".id = $1 RETURNING ", k->store.alias, ".*");
	finish(w, &w->sql->remove, "delete", &sb, 1, 0);
}

/* Writes lock their case first: the parent's (create) or the record's (update, delete). */
static void write_case_locks(struct writer *w)
{
	const struct resource *k = w->kind, *root = root_of(k), *parent = k->store.parent;
	const char *mode = k->store.case_lock == CASE_LOCK_EXCLUSIVE ? " FOR UPDATE" : " FOR SHARE";
	struct strbuf sb = STRBUF_INIT;

	if (k == root)
		return;   /* a case's own row is locked with it */
	if (parent == root)
		add(&sb, "SELECT 1 FROM ", root->store.table, " WHERE id = $1::uuid", mode);
	else
		add(&sb, "SELECT 1 FROM ", root->store.table, " WHERE id = (SELECT case_id FROM ", parent->store.table,
		    " WHERE id = $1::uuid)", mode);
	finish(w, &w->sql->lock_case_of_parent, "lock_case_of_parent", &sb, 1, 0);
	add(&sb, "SELECT 1 FROM ", root->store.table, " WHERE id = (SELECT case_id FROM ", k->store.table,
	    " WHERE id = $1::uuid)", mode);
	finish(w, &w->sql->lock_case_of_record, "lock_case", &sb, 1, 0);
}

static const char *filter_type(const struct resource *k, const struct list_filter *f)
{
	const struct field_spec *spec = field_spec_find(k->fields, f->name);

	if (f->op != FILTER_EQUALS)
		return "timestamptz";
	return spec && spec->type == FT_UUID ? "uuid" : "text";
}

/* " AND ($n::type IS NULL OR a.column <op> $n)": a filter that is off when NULL. */
static void add_filter(struct strbuf *sb, int param, const char *type, const char *alias, const char *column,
		       const char *op)
{
	strbuf_addstr(sb, " AND (");
	add_param(sb, param);
	add(sb, "::", type, " IS NULL OR ", alias, ".", column, op);
	add_param(sb, param);
	strbuf_addch(sb, ')');
}

/* The fields, FROM and WHERE of a list (its search with search), its
 * filters and updated_since: parameters from $4 on, noted in l. Returns the
 * parameter (from 0) of the key to start after; the id's and the LIMIT's
 * follow it. */
static int add_list_head(struct strbuf *sb, struct writer *w, struct resource_list_sql *l,
			 const struct list_search *search)
{
	static const char *const ops[] = {[FILTER_EQUALS] = " = ", [FILTER_FROM] = " >= ", [FILTER_BEFORE] = " < "};
	const struct resource *k = w->kind;
	const char *a = k->store.alias;
	int n = 3;

	strbuf_addstr(sb, "SELECT ");
	add_fields(sb, k);
	if (search)
		strbuf_addstr(sb, ", r.rank");
	l->search_param = search ? n++ : -1;
	l->sud_param = k->store.protected_when ? n++ : -1;
	add_visible(sb, k, l->sud_param, search);
	for (int i = 0; i < w->sql->nfilters; i++) {
		const struct list_filter *f = &w->sql->filters[i];

		l->filter_param[i] = n++;
		add_filter(sb, l->filter_param[i], filter_type(k, f), a, f->column, ops[f->op]);
	}
	l->since_param = w->sql->since ? n++ : -1;
	if (w->sql->since)
		add_filter(sb, l->since_param, "timestamptz", a, "updated_at", " >= ");
	return n;
}

/* One statement per order, so that each walks its own index. */
static void write_list(struct writer *w, int order)
{
	const struct resource *k = w->kind;
	const char *a = k->store.alias;
	const struct list_order *o = &w->sql->orders[order];
	struct resource_list_sql *l = &w->sql->list[order];
	const char *desc = o->descending ? " DESC" : "";
	struct strbuf sb = STRBUF_INIT;
	int after = add_list_head(&sb, w, l, NULL), n = after + 2;

	strbuf_addstr(&sb, " AND (");
	add_param(&sb, after);
	add(&sb, "::timestamptz IS NULL OR (", a, ".", o->column, ", ", a, ".id) ", o->descending ? "<" : ">", " (");
	add_param(&sb, after);
	strbuf_addstr(&sb, ", ");
	add_param(&sb, after + 1);
	add(&sb, "::uuid)) ORDER BY ", a, ".", o->column, desc, ", ", a, ".id", desc, " LIMIT ");
	add_param(&sb, n++);
	l->nparams = n;
	l->keys = (struct page_keys){o->cursor, o->column, "id", NULL, 0, after};
	finish(w, &l->stmt, NULL, &sb, n, 1);
}

/* The search: best rank first, then by id; the rank is the hidden key. */
static void write_search(struct writer *w)
{
	const struct list_search *search = w->kind->search;
	const char *a = w->kind->store.alias;
	struct resource_list_sql *l = &w->sql->search;
	struct strbuf sb = STRBUF_INIT;
	int after, n;

	if (search == NULL)
		return;
	after = add_list_head(&sb, w, l, search);
	n = after + 2;
	strbuf_addstr(&sb, " AND (");
	add_param(&sb, after);
	strbuf_addstr(&sb, "::int8 IS NULL OR r.rank < ");
	add_param(&sb, after);
	strbuf_addstr(&sb, " OR (r.rank = ");
	add_param(&sb, after);
	add(&sb, " AND ", a, ".id > ");
	add_param(&sb, after + 1);
	add(&sb, "::uuid)) ORDER BY r.rank DESC, ", a, ".id LIMIT ");
	add_param(&sb, n++);
	l->nparams = n;
	l->keys = (struct page_keys){search->cursor, "rank", "id", NULL, 1, after};
	finish(w, &l->stmt, NULL, &sb, n, 1);
}

static int add_list_filter(struct resource_sql *sql, struct list_filter f)
{
	if (sql->nfilters == RESOURCE_MAX_FILTERS)
		return -1;
	sql->filters[sql->nfilters++] = f;
	return 0;
}

/* The filters and orders of the kind's lists, in the order they are read. */
static int shape_lists(const struct resource *k, struct resource_sql *sql)
{
	const struct resource_lists *l = &k->lists;
	int rc = 0;

	if (k->store.parent)
		rc |= add_list_filter(sql, (struct list_filter){"case_id", "case_id", FILTER_EQUALS, 1});
	if (k->store.parent && k->store.parent != root_of(k))
		rc |= add_list_filter(sql, (struct list_filter){k->store.parent_column, k->store.parent_column,
								 FILTER_EQUALS, 1});
	for (int i = 0; l->filters && l->filters[i]; i++)
		rc |= add_list_filter(sql, (struct list_filter){l->filters[i], l->filters[i], FILTER_EQUALS, 0});
	for (int i = 0; l->ranges && l->ranges[i].name; i++)
		rc |= add_list_filter(sql, l->ranges[i]);
	sql->orders[0] = (struct list_order){NULL, NULL, "created_at", 0, l->cursor};
	sql->norders = 1;
	for (int i = 0; l->sorts && l->sorts[i].column; i++) {
		if (sql->norders == RESOURCE_MAX_ORDERS)
			return -1;
		sql->orders[sql->norders++] = l->sorts[i];
	}
	sql->since = k->update_columns != NULL;
	return rc;
}

static int write_all(const struct resource *kind, struct resource_sql *sql)
{
	struct writer w = {kind, sql, 0, 0};

	if (shape_lists(kind, sql) != 0)
		return -1;
	write_reads(&w);
	write_by_ids(&w);
	write_writes(&w);
	write_case_locks(&w);
	for (int i = 0; i < sql->norders; i++)
		write_list(&w, i);
	write_search(&w);
	return w.failed ? -1 : 0;
}

/* Each kind's statements, in the order kinds were first used. A slot's kind
 * is set (release) once its statements are written; readers look without a
 * lock, writers take turns. */
static struct slot {
	const struct resource *kind;
	struct resource_sql sql;
} slots[RESOURCE_MAX_KINDS];
static int nslots;
static pthread_mutex_t writing = PTHREAD_MUTEX_INITIALIZER;

static struct resource_sql *find(const struct resource *kind)
{
	for (int i = 0; i < RESOURCE_MAX_KINDS; i++) {
		const struct resource *k = __atomic_load_n(&slots[i].kind, __ATOMIC_ACQUIRE);

		if (k == kind)
			return &slots[i].sql;
		if (k == NULL)
			return NULL;
	}
	return NULL;
}

const struct resource_sql *resource_sql(const struct resource *kind)
{
	struct resource_sql *sql = find(kind);

	if (sql)
		return sql;
	pthread_mutex_lock(&writing);
	sql = find(kind);
	if (sql == NULL && nslots < RESOURCE_MAX_KINDS && write_all(kind, &slots[nslots].sql) == 0) {
		sql = &slots[nslots].sql;
		__atomic_store_n(&slots[nslots++].kind, kind, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&writing);
	return sql;
}

static void print_statement(FILE *out, const char *name, const struct db_statement *stmt)
{
	if (stmt->sql)
		fprintf(out, "%s\t%s\n", stmt->name ? stmt->name : name, stmt->sql);
}

int resource_sql_print(const struct resource *const *kinds, FILE *out)
{
	for (; *kinds; kinds++) {
		const struct resource_sql *sql = resource_sql(*kinds);
		const struct db_statement *named[11];
		char name[96];

		if (sql == NULL)
			return -1;
		named[0] = &sql->get;
		named[1] = &sql->lock;
		named[2] = &sql->share;
		named[3] = &sql->exists;
		named[4] = &sql->by_ids;
		named[5] = &sql->insert;
		named[6] = &sql->update;
		named[7] = &sql->remove;
		named[8] = &sql->lock_case_of_parent;
		named[9] = &sql->lock_case_of_record;
		named[10] = &sql->get_under;
		for (int i = 0; i < 11; i++)
			print_statement(out, "", named[i]);
		for (int i = 0; i < sql->norders; i++) {
			const char *sort = sql->orders[i].sort;

			snprintf(name, sizeof(name), "%s_list%s%s", (*kinds)->audit_type, sort ? " sort=" : "",
				 sort ? sort : "");
			print_statement(out, name, &sql->list[i].stmt);
		}
		snprintf(name, sizeof(name), "%s_list q=", (*kinds)->audit_type);
		print_statement(out, name, &sql->search.stmt);
	}
	return 0;
}
