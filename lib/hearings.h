/*
 * hearings: court hearings about the children of a case.
 *
 * A hearing has a type, the day it is held (held_on: a hearing is held once
 * that day is today or past, scheduled before), the children it concerns
 * (child_ids: one to HEARING_MAX_CHILDREN live participants of its case with
 * role child, answered sorted in lower case), its findings (contrary to
 * welfare, reasonable efforts, abuse or neglect found), its outcome and the
 * date of the next hearing, which comes after it. A hearing not yet held has
 * no findings or outcome. Hearings stay recordable after the case closes.
 *
 * What hearings mean for the federal clocks (entered care, reviews,
 * permanency hearings, petitions to terminate parental rights) is kept by the
 * database and read by lib/clocks.c.
 */
#ifndef CW_HEARINGS_H
#define CW_HEARINGS_H

#include "cursor.h"
#include "resource.h"

#define HEARING_MAX_CHILDREN 50

extern const struct field_spec hearing_fields[];
extern const struct resource hearing_resource;

/* How many live hearings name the participant id, into *count. */
enum cw_code hearings_naming(struct db_conn *conn, const char *id, long *count, struct cw_error *err);

#endif
