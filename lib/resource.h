/*
 * resource: reading and writing one kind of casework record, the same way for
 * every kind.
 *
 * A struct resource describes a kind: its fields, where it is stored and what
 * it hangs under, its lists, and hooks for the kind's own rules. Its
 * statements are written from that description (lib/resource_sql.c). The
 * functions here run the steps every record shares, in one order:
 *
 *   get     the record the caller's roles see (404 otherwise).
 *   list    a page of the records the caller's roles see, filtered; under a
 *           record in the path, that record must be visible (404).
 *
 *   create  fields (422), then in one audited transaction: hook (parent
 *           writable 403 or visible 404, defaults, rules 422, rights 403,
 *           state 409), insert.
 *   update  fields (422), then in one audited transaction: lock the record a
 *           role that may write sees (403 when only other roles see it, 404
 *           when none does), If-Match (412), merge the patch, hook, and store
 *           only when something changed.
 *   delete  in one audited transaction: lock as for update, under the roles
 *           that may delete (403, 404), If-Match (412), hook (409), soft
 *           delete.
 *
 * Whether a role of the caller may write (delete) at all was decided before,
 * once for the request, by access_authorize(). Field errors already in err
 * when create or update is called (the request's query parameters) are
 * reported with the body's, in one answer.
 *
 * Statements take a scope as $1-$3 (lib/access.c) wherever they read by id
 * ($4), so a record the caller may not see is CW_NOT_FOUND; those of protected
 * records also take $5, whether all of them are visible. Reads run them under
 * the scope of every role of the caller, writes under the scope of the roles
 * that may do what the write does (access_scope_for()).
 *
 * Locks are taken case first, then the record, then anything else: every
 * write under a case locks the case (case_lock) before anything else in the
 * transaction, so that two writes under one case never wait on each other in
 * opposite orders.
 *
 * A kind is described by a struct resource:
 *   noun, audit_type   its name in messages, and in the audit trail and feed;
 *   fields             its API form, in order: each is a column of the same
 *                      name, and read-only ones are the server's;
 *   store              its table and alias (unique among the kinds), the
 *                      record it is created under (a case, a plan, a goal)
 *                      and the column naming it; NULL for a case. Every
 *                      record under a case has a case_id column, and is seen
 *                      only while it and everything above it is live and its
 *                      case is visible. A protected record (42 CFR Part 2) is
 *                      told by protected_when, and cw_sees_sud() decides who
 *                      sees it; case_lock says how writes lock their case;
 *   insert_columns, update_columns
 *                      what its writes store, in order; a kind without
 *                      update_columns is never changed or deleted;
 *   lists              its lists' cursor (an enum cursor_kind of its own),
 *                      filters, ranges and further orders;
 *   search             what ?q= finds in its lists, when the kind has one;
 *   rules              its own rules: hooks (which hold a lifecycle, when it
 *                      has statuses: lib/lifecycle.h), the records that keep
 *                      one from being deleted while they name it, messages for
 *                      conflicts, and a history of its own (a referral's).
 *
 * For example, lib/visits.c:
 *
 *   const struct resource visit_resource = {
 *       .noun = "visit", .audit_type = "visit", .fields = visit_fields,
 *       .store = {.table = "visits", .alias = "v", .parent = &case_resource, .parent_column = "case_id"},
 *       .insert_columns = insert_columns, .update_columns = update_columns,
 *       .lists = {CURSOR_VISITS, (const char *const[]){"visit_type", NULL}, ranges, sorts},
 *       .rules = {.check = check_visit},
 *   };
 */
#ifndef CW_RESOURCE_H
#define CW_RESOURCE_H

#include "db.h"
#include "page.h"
#include "record.h"
#include "validate.h"

struct resource;

#define RESOURCE_MAX_FILTERS 8    /* of a list, with the ids of the records above */
#define RESOURCE_MAX_ORDERS 4

/* The fields the server keeps in every kind's table: the id first; the ids
 * of the records it is under; the version and times last (with the end of
 * the table). */
#define RECORD_ID_FIELD RECORD_FIELD("id", FT_UUID, F_READ_ONLY)
#define RECORD_KEY_FIELD(name) RECORD_FIELD(name, FT_UUID, F_READ_ONLY)
#define RECORD_KEPT_FIELDS                                              \
	RECORD_FIELD("version", FT_INT, F_READ_ONLY),                   \
	RECORD_FIELD("created_at", FT_TIMESTAMP, F_READ_ONLY),          \
	RECORD_FIELD("updated_at", FT_TIMESTAMP, F_READ_ONLY),          \
	{NULL, 0, 0, 0, NULL, 0, 0}

/* A kind's own fields, by what their rules take besides type and flags:
 * nothing (dates, times, booleans, ids); a length or count (text, strings,
 * lists of ids); the members of an enum; the range of an integer. */
#define RECORD_FIELD(name, type, flags) {name, type, flags, 0, NULL, 0, 0}
#define RECORD_SIZED_FIELD(name, type, flags, max_len) {name, type, flags, max_len, NULL, 0, 0}
#define RECORD_ENUM_FIELD(name, flags, values) {name, FT_ENUM, flags, 0, values, 0, 0}
#define RECORD_INT_FIELD(name, flags, min, max) {name, FT_INT, flags, 0, NULL, min, max}

/* What a hook sees and may change. */
struct record_change {
	const struct resource *kind;
	struct db_conn *conn;            /* the open transaction: hooks may read and lock */
	const struct actor *actor;
	unsigned actions;                /* what the request does (enum access_action); hooks add what
					    the change does, and ask lib/access.c */
	const char *parent_id;           /* create: the id in the path (a case, plan or goal) */
	const json_t *input;             /* what the client sent: the body or the patch */
	const json_t *before;            /* the stored record; NULL on create */
	json_t *after;                   /* the record to store; NULL on delete */
};

typedef enum cw_code (*record_hook)(struct record_change *change, struct cw_error *err);

/* How the writes of a kind under a case lock that case, first. */
enum case_lock {
	CASE_LOCK_SHARED,         /* writes under one case run side by side */
	CASE_LOCK_EXCLUSIVE,      /* writes under one case take turns (plan activations) */
};

/* Where a kind is kept, and what it hangs under. */
struct resource_store {
	const char *table;
	const char *alias;                    /* unique among the kinds: generated SQL names it */
	const struct resource *parent;        /* the record it is created under; NULL for a case */
	const char *parent_column;            /* the column naming the parent */
	const char *protected_when;           /* SQL on alias: the record is protected (42 CFR Part 2),
					         which cw_sees_sud() decides; NULL when none is */
	enum case_lock case_lock;
};

/* ?name=value on a list: a filter. Equality filters are read by the rules
 * of the kind's field of the same name; ranges take RFC 3339 instants. */
enum list_filter_op { FILTER_EQUALS, FILTER_FROM, FILTER_BEFORE };

struct list_filter {
	const char *name;
	const char *column;
	enum list_filter_op op;   /* EQUALS: column = value; FROM: column >= value; BEFORE: column < value */
	int ancestor;             /* the id of a record the kind is under (case_id, plan_id): not a
				     parameter of the lists under such a record in the path */
};

/* An order a list can be read in (?sort=), with cursors of its own. */
struct list_order {
	const char *sort;         /* the ?sort= value; NULL for the default order */
	const char *meaning;      /* how it reads ("earliest first"), for the error naming the orders */
	const char *column;       /* the key, a timestamptz; the id breaks ties */
	int descending;
	enum cursor_kind cursor;
};

/* ?q= on a list: the records a text finds, best match first. q is
 * LIST_SEARCH_MIN to LIST_SEARCH_MAX characters with spaces around them cut.
 * matches is SQL selecting id and score (real, 0 to 1) of the records q ($4)
 * finds, given the caller's scope ($1-$3) to narrow what it reads by; an id
 * may come more than once (its best score counts). The list then holds each
 * to the rule every list holds records to (live, visible), and to the list's
 * filters, and ranks them by score (in millionths: LIST_SEARCH_RANK_MAX is a
 * perfect match), ties by id, paged by key on both. No other order (sort)
 * goes with it. */
#define LIST_SEARCH_MIN 2
#define LIST_SEARCH_MAX 100
#define LIST_SEARCH_RANK_MAX 1000000

struct list_search {
	const char *matches;
	enum cursor_kind cursor;              /* the ranked order's */
};

/* A kind's lists: by creation (created_at, id), filtered by the ids of the
 * records above it (case_id, and its parent's column), by equality on its
 * filters and by its ranges, and by updated_since unless it is never
 * changed; sorts are further orders. */
struct resource_lists {
	enum cursor_kind cursor;              /* the default order's */
	const char *const *filters;           /* field names, NULL-terminated; may be NULL */
	const struct list_filter *ranges;     /* FROM and BEFORE filters, name NULL-terminated; may be NULL */
	const struct list_order *sorts;       /* column NULL-terminated; may be NULL */
};

struct history_position;

/* A record's history, as lib/history.h's history_of() answers it. */
typedef enum cw_code (*record_history_fn)(struct db_pool *pool, const struct principal *p, const char *id,
				       const struct history_position *pos, char **page, struct cw_error *err);

/* A kind's own rules, beside its fields'. */
struct resource_rules {
	record_hook check;                    /* create and update; NULL when none */
	record_hook check_delete;             /* NULL when any visible record may go */
	const struct db_statement *named_by;  /* $1 the id: how many live records name it; NULL for none */
	const char *named_by_refusal;         /* the 409 for deleting a record they name, with %ld for them */
	const char *const *conflicts;         /* pairs of unique constraint and message, NULL-terminated */
	record_history_fn history;            /* a history of its own; NULL: every value of each field */
};

struct resource {
	const char *noun;                     /* "case", "plan": for messages */
	const char *audit_type;               /* its resource_type in the audit trail and the change feed */
	const struct field_spec *fields;      /* the API form, in order; read-only fields marked */
	struct resource_store store;
	const char *const *insert_columns;    /* NULL-terminated: the insert's parameters */
	const char *const *update_columns;    /* NULL-terminated: the update's parameters after $1 = id;
					         NULL for a kind that is never changed */
	struct resource_lists lists;
	const struct list_search *search;     /* ?q= on its lists; NULL when they take none */
	struct resource_rules rules;
};

/* A list as asked for. */
struct list_query {
	const char *parent_id;                      /* a list under a record in the path: its id; else NULL */
	const char *values[RESOURCE_MAX_FILTERS];   /* by the kind's filters (resource_sql), NULL when not given */
	int order;                                  /* in the kind's orders (resource_sql): 0 the default */
	const char *search;                         /* q, checked, for the kind's search (then order is 0 and
						       window's key is a rank); NULL for none */
	struct page_window window;
};

/* {"items":[...],"next_cursor":...}: a page of the records of kind that the
 * caller sees, as JSON text (the caller frees *page). With q->parent_id, the
 * parent must be visible (CW_NOT_FOUND), and the list holds its records. */
enum cw_code resource_list(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			   const struct list_query *q, char **page, struct cw_error *err);

/* CW_OK when the record exists and the caller sees it; CW_NOT_FOUND otherwise. */
enum cw_code resource_check_visible(struct db_pool *pool, const struct resource *kind, const struct principal *p,
				    const char *id, struct cw_error *err);

enum cw_code resource_get(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			  const char *id, struct record_text *out, struct cw_error *err);

/* The same for a record under the parent in the path (a goal's progress
 * note): CW_NOT_FOUND when it is under another. */
enum cw_code resource_get_under(struct db_pool *pool, const struct resource *kind, const struct principal *p,
				const char *parent_id, const char *id, struct record_text *out, struct cw_error *err);

/* The same by another key: stmt takes the caller's scope as $1-$3 and key as $4. */
enum cw_code resource_get_by(struct db_pool *pool, const struct resource *kind, const struct db_statement *stmt,
			     const struct principal *p, const char *key, struct record_text *out,
			     struct cw_error *err);

/* PUT by another key (a case's number in the state's system), doing actions
 * (enum access_action) beside writing. find ($1 key) names the live record's
 * id. When there is one it is replaced, with
 * If-Match, answering *created = 0: nullable fields the body leaves out are
 * cleared, the others keep their values. When there is none it is created
 * (*created = 1), and an If-Match is CW_PRECONDITION_FAILED. The body holds
 * every required field either way. Requests for one key take turns. */
enum cw_code resource_put(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			  unsigned actions, const struct db_statement *find, const char *key, const json_t *body,
			  const struct precondition *pre, struct record_text *out, int *created,
			  struct cw_error *err);

struct idempotency;

/* parent_id is the id in the path of a nested collection, or NULL. With idem
 * (an Idempotency-Key), a retry of the same request answers the first answer
 * again and sets *replayed. */
enum cw_code resource_create(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *parent_id, const json_t *body, const struct idempotency *idem,
			     struct record_text *out, int *replayed, struct cw_error *err);

/* A JSON merge patch; one that changes nothing writes nothing and answers the record. */
enum cw_code resource_update(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *id, const json_t *patch, const struct precondition *pre,
			     struct record_text *out, struct cw_error *err);

enum cw_code resource_delete(struct db_pool *pool, const struct resource *kind, const struct actor *actor,
			     const char *id, const struct precondition *pre, struct cw_error *err);

/* For hooks: the record id of kind as the caller's roles see it (API form,
 * caller decrefs), CW_NOT_FOUND when none does. */
enum cw_code resource_load(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			   const char *id, json_t **out, struct cw_error *err);

/* For writes under a record (the case, plan or goal a record is created or
 * changed under): loads it as the caller's roles that may write see it, and
 * locks it until the transaction ends, exclusively or shared: CW_FORBIDDEN
 * when only roles that may not write see it, CW_NOT_FOUND when none does. */
enum cw_code resource_load_locked(struct db_conn *conn, const struct resource *kind, const struct principal *p,
				  const char *id, int exclusive, json_t **out, struct cw_error *err);

/* For hooks: the id of the record the change is under: the one in the path
 * on create, the one it names in its parent column after. */
const char *resource_parent_id(const struct record_change *ch);

/* For hooks: resource_load_locked() of the record the change is under (its
 * parent: the one in the path on create, the one it names after). */
enum cw_code resource_load_parent(const struct record_change *ch, int exclusive, json_t **out, struct cw_error *err);

/* For hooks: the opening of a write under a parent. resource_load_parent()
 * into *parent (the caller decrefs); then, on create, the record names where
 * it is: the parent's id in its parent column, and the parent's value of each
 * other key field (RECORD_KEY_FIELD) the kind has, such as case_id. */
enum cw_code resource_open_parent(struct record_change *ch, int exclusive, json_t **parent, struct cw_error *err);

/* For hooks that need no more of the parent than its refusals and its lock:
 * resource_open_parent() shared, the parent dropped. *parent_id is its id
 * (valid while the change is). */
enum cw_code resource_lock_parent(struct record_change *ch, const char **parent_id, struct cw_error *err);

/* For hooks: runs stmt ($1 id) for the one count it selects: how many
 * records stop a change. */
enum cw_code resource_count(struct db_conn *conn, const struct db_statement *stmt, const char *id, long *count,
			    struct cw_error *err);

/* For references within a case: stmt ($1 id, $2 case id) selects a row when id
 * names a live record of that case. Adds "must name a <noun> of this case" on
 * field otherwise; CW_OK unless the database fails. */
enum cw_code resource_check_reference(struct db_conn *conn, const struct db_statement *stmt, const char *id,
				      const char *case_id, const char *field, const char *noun,
				      struct cw_error *err);


#endif
