/*
 * kinds: every kind of record the service keeps, each described once
 * (lib/resource.h) in its own module.
 */
#ifndef CW_KINDS_H
#define CW_KINDS_H

#include "resource.h"

/* NULL-terminated, in the order the change feed names them. */
extern const struct resource *const record_kinds[];

#endif
