/*
 * resource: reading and writing one kind of casework record, the same way for
 * every kind.
 *
 * A struct resource describes a kind: its fields, its stored columns, its
 * statements, and one hook with the kind's own rules. The functions here run
 * the steps every record shares, in one order:
 *
 *   create  a role may write (403), fields (422), then in one audited
 *           transaction: hook (parent writable 403 or visible 404, defaults,
 *           rules 422, rights 403, state 409), insert.
 *   update  a role may write (403), fields (422), then in one audited
 *           transaction: lock the record a role that may write sees (403 when
 *           only other roles see it, 404 when none does), If-Match (412),
 *           merge the patch, hook, and store only when something changed.
 *   delete  a role may delete (403), then in one audited transaction: lock as
 *           for update, under the roles that may delete (403, 404), If-Match
 *           (412), hook (409), soft delete.
 *
 * Field errors already in err when these are called (the request's query
 * parameters, say) are reported with the body's, after the role check.
 *
 * Statements take a scope as $1-$3 (lib/access.c) wherever they read by id
 * ($4), so a record the caller may not see is CW_NOT_FOUND; those of protected
 * records also take $5, whether all of them are visible. Reads run them under
 * the scope of every role of the caller, writes under the scope of the roles
 * that may do what the write does (access_scope_for()).
 *
 * Locks are taken case first, then the record, then anything else: a kind
 * whose writes also lock its case (plans, and what hangs under them) names the
 * statements that do it, and they run before anything else in the
 * transaction, so that two writes under one case never wait on each other in
 * opposite orders.
 */
#ifndef CW_RESOURCE_H
#define CW_RESOURCE_H

#include "db.h"
#include "record.h"
#include "validate.h"

struct resource;

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

struct resource {
	const char *noun;                     /* "case", "plan": for messages */
	const char *audit_type;               /* its resource_type in the audit trail and the change feed */
	const struct field_spec *fields;      /* the API form; read-only fields marked */
	const char *const *insert_columns;    /* NULL-terminated: the insert's parameters */
	const char *const *update_columns;    /* NULL-terminated: the update's parameters after $1 = id */
	const struct db_statement *get;       /* $1-$3 scope, $4 id: the record */
	const struct db_statement *lock;      /* the same, FOR UPDATE */
	const struct db_statement *insert;
	const struct db_statement *update;
	const struct db_statement *remove;    /* $1 id: sets deleted_at */
	const struct db_statement *by_ids;    /* $1 uuid[]: those records as they stand, deleted ones too;
					         $2 ("t"/"f") whether protected ones are among them, for
					         kinds that have protected records */
	const struct db_statement *lock_case_of_parent; /* create, $1 the parent's id; NULL: none */
	const struct db_statement *lock_case_of_record; /* update, delete, $1 the record's id; NULL: none */
	record_hook check;                    /* create and update; NULL when none */
	record_hook check_delete;             /* NULL when any visible record may go */
	const char *const *conflicts;         /* pairs of unique constraint and message, NULL-terminated */
};

enum cw_code resource_get(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			  const char *id, struct record_text *out, struct cw_error *err);

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

/* For hooks: runs stmt ($1-$3 the caller's scope, $4 id) and parses the one
 * row it returns into *out (caller decrefs); CW_NOT_FOUND ("No <noun> ...")
 * when there is none. */
enum cw_code resource_load(struct db_conn *conn, const struct db_statement *stmt, const struct principal *p,
			   const char *id, const char *noun, json_t **out, struct cw_error *err);

/* The same for the record a write falls under (the case, plan or goal a
 * record is created or changed under), run under the scope of the caller's
 * roles that may write: CW_FORBIDDEN when only roles that may not write see
 * it, CW_NOT_FOUND when none does. */
enum cw_code resource_load_for_write(struct db_conn *conn, const struct db_statement *stmt,
				     const struct principal *p, const char *id, const char *noun, json_t **out,
				     struct cw_error *err);

/* For references within a case: stmt ($1 id, $2 case id) selects a row when id
 * names a live record of that case. Adds "must name a <noun> of this case" on
 * field otherwise; CW_OK unless the database fails. */
enum cw_code resource_check_reference(struct db_conn *conn, const struct db_statement *stmt, const char *id,
				      const char *case_id, const char *field, const char *noun,
				      struct cw_error *err);

/* For hooks and lists: the text of a member, NULL when absent or null. */
const char *record_text_member(const json_t *record, const char *field);

#endif
