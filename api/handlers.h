/* handlers: every route's handler, one file per resource. */
#ifndef CW_HANDLERS_H
#define CW_HANDLERS_H

#include "http.h"

/* health.c */
enum cw_code handle_healthz(struct exchange *x);
enum cw_code handle_readyz(struct exchange *x);

/* cases.c */
enum cw_code list_cases(struct exchange *x);
enum cw_code create_case(struct exchange *x);
enum cw_code get_case(struct exchange *x);
enum cw_code patch_case(struct exchange *x);
enum cw_code delete_case(struct exchange *x);
enum cw_code list_case_permanency_goals(struct exchange *x);

/* audit.c */
enum cw_code list_audit(struct exchange *x);

#endif
