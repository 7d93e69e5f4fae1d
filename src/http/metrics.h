/* metrics.h - process-wide counters for GET /metrics (Prometheus text format).
 * Lock-free: relaxed atomic adds on the request path. Routes are small integers given by the
 * router; names are registered once at start. */
#ifndef RS_METRICS_H
#define RS_METRICS_H
#include <stdint.h>
#include "base/buf.h"

#define RS_METRICS_MAX_ROUTES 32

void rs_metrics_route_name(unsigned route, const char *name);
void rs_metrics_observe(unsigned route, int status, uint64_t latency_us);
void rs_metrics_tokens_issued(unsigned n);
/* Appends the exposition; extra lines (store stats) are added by the caller. */
enum rs_err rs_metrics_render(struct rs_buf *out);

#endif
