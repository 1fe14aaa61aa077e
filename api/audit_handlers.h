/* audit_handlers: the audit trail as a resource. */
#ifndef CW_AUDIT_HANDLERS_H
#define CW_AUDIT_HANDLERS_H

#include "http.h"

/* GET /v1/audit: a page of audit entries, for administrators and auditors. */
enum cw_code list_audit(struct exchange *x);

#endif
