/* change_handlers: the change feed state systems poll. */
#ifndef CW_CHANGE_HANDLERS_H
#define CW_CHANGE_HANDLERS_H

#include "http.h"

/* GET /v1/changes: a page of changes after a cursor. */
enum cw_code list_changes(struct exchange *x);

#endif
