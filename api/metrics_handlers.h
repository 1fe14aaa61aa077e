/* metrics_handlers: GET /metrics, every metric of the service in the
 * Prometheus text format, without a token. */
#ifndef CW_METRICS_HANDLERS_H
#define CW_METRICS_HANDLERS_H

#include "http.h"

/* GET /metrics: text/plain; version=0.0.4 (lib/metrics.h). */
enum cw_code get_metrics(struct exchange *x);

#endif
