/*
 * openapi: the contract this binary was built with, compiled in from
 * openapi.yaml by scripts/embed-openapi.py: the document as written, and the
 * same document as JSON. Both are NUL-terminated UTF-8 text, served
 * without a token.
 */
#ifndef CW_OPENAPI_H
#define CW_OPENAPI_H

#include "http.h"

extern const char openapi_yaml[];
extern const char openapi_json[];

/* GET /openapi.yaml */
enum cw_code get_openapi_yaml(struct exchange *x);

/* GET /openapi.json */
enum cw_code get_openapi_json(struct exchange *x);

#endif
