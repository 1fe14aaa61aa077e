/*
 * resource_sql: the statements of a kind of record, written once, on first
 * use, from its descriptor (lib/resource.h).
 *
 * Only the descriptor's own text goes into them (table, alias, columns, the
 * parent's key, the protected-record condition): every value a request
 * brings is a $n parameter. The statements every kind shares are here and
 * nowhere else:
 *
 *   get, lock, share  $1-$3 the scope, $4 id (and $5 sud_all for protected
 *                     kinds): the record as the scope sees it; lock and share
 *                     take its row FOR UPDATE or FOR SHARE.
 *   get_under         get, of the record under its parent: the parent's id
 *                     follows ($5, or $6 for protected kinds); unset for a case.
 *   exists            get, selecting 1: whether the scope sees it.
 *   by_ids            $1 uuid[] (and $2 sud_all): those records, deleted ones
 *                     too, for the change feed.
 *   insert, update    the kind's insert_columns as $1..; $1 id, then its
 *                     update_columns. A boolean left out on insert is false.
 *   remove            $1 id: sets deleted_at, returning the whole row (what
 *                     its audit row is made of).
 *   lock_case_of_parent, lock_case_of_record
 *                     $1 the parent's or the record's id: locks its case as
 *                     the kind says (enum case_lock); unset for a case.
 *   list[order]       $1-$3 the scope, then sud_all for protected kinds, each
 *                     filter, updated_since when the kind takes it, the key
 *                     and id to start after, the LIMIT; unprepared, so that
 *                     the planner sees which filters are set. Filters are
 *                     read in order: case_id, the parent's column (when the
 *                     parent is not the case), the kind's filters, its
 *                     ranges.
 *   search            the list of ?q=, for a kind that has one: $1-$3 the
 *                     scope, $4 q, then as list; the key is the rank (the
 *                     last column, no part of the record), descending, and
 *                     the records are the kind's search matches joined to
 *                     the rule every list keeps. Unprepared too: q folds
 *                     into constants there, which the search's indexes need.
 *
 * A record is seen through every record above it: a goal's plan and case
 * must be live too, and its case visible (cw_visible), as must a protected
 * record's protection allow (cw_sees_sud).
 */
#ifndef CW_RESOURCE_SQL_H
#define CW_RESOURCE_SQL_H

#include <stdio.h>

#include "db.h"
#include "page.h"
#include "resource.h"

/* Where a list's parameters go: each is an index into the statement's
 * parameters, -1 when the list has no such parameter. */
struct resource_list_sql {
	struct db_statement stmt;
	struct page_keys keys;          /* after_param: the key to start after */
	int nparams;
	int sud_param;
	int search_param;               /* q: the search's only */
	int filter_param[RESOURCE_MAX_FILTERS];
	int since_param;
};

struct resource_sql {
	/* what its lists take, from the descriptor: filters in the order they are read */
	struct list_filter filters[RESOURCE_MAX_FILTERS];
	int nfilters;
	struct list_order orders[RESOURCE_MAX_ORDERS];
	int norders;
	int since;                      /* lists take updated_since */

	struct db_statement get, get_under, lock, share, exists, by_ids, insert, update, remove;
	struct db_statement lock_case_of_parent, lock_case_of_record;   /* sql NULL: none */
	struct resource_list_sql list[RESOURCE_MAX_ORDERS];
	struct resource_list_sql search;  /* stmt.sql NULL: the kind has none */
	char names[11][64];
};

/* The kind's statements and list shape, written on first use (any thread);
 * NULL when they could not be (out of memory, or more kinds than
 * RESOURCE_MAX_KINDS). They live as long as the process. */
#define RESOURCE_MAX_KINDS 32
const struct resource_sql *resource_sql(const struct resource *kind);

/* Writes "name<TAB>sql" lines of every statement of kinds (NULL-terminated)
 * to out, for EXPLAIN and benchmarks; -1 when they could not be written. */
int resource_sql_print(const struct resource *const *kinds, FILE *out);

#endif
