/*
 * openapi: the contract this binary was built with, compiled in from
 * openapi.yaml by scripts/embed-openapi.py: the document as written, and the
 * same document as JSON. Both are NUL-terminated UTF-8 text.
 */
#ifndef CW_OPENAPI_H
#define CW_OPENAPI_H

extern const char openapi_yaml[];
extern const char openapi_json[];

#endif
