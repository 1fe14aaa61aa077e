/*
 * dispatch: the path every request takes, once the listener has it.
 *
 * route -> size limit -> authenticate -> authorise (lib/access.c) -> parse
 * body -> handler -> answer (success or problem+json) -> one log line. Answers always carry
 * X-Request-Id and Cache-Control: no-store.
 */
#ifndef CW_DISPATCH_H
#define CW_DISPATCH_H

#include <ulfius.h>

/* ulfius's callback for every request: user_data is the struct app. */
int dispatch_request(const struct _u_request *req, struct _u_response *resp, void *user_data);

#endif
