/* metrics.c - see metrics.h. Status codes are kept per exact code for the few we produce. */
#include "http/metrics.h"
#include <stdatomic.h>
#include <string.h>

static const int codes[] = {200, 201, 204, 302, 400, 401, 403, 404, 405, 413, 415, 500, 503};
#define NCODES (sizeof codes / sizeof codes[0])
static const uint64_t buckets_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000};
#define NBUCKETS (sizeof buckets_us / sizeof buckets_us[0])

static const char *names[RS_METRICS_MAX_ROUTES];
static atomic_uint_fast64_t req_count[RS_METRICS_MAX_ROUTES][NCODES + 1];
static atomic_uint_fast64_t lat_bucket[NBUCKETS + 1];
static atomic_uint_fast64_t lat_sum_us, lat_count;
static atomic_uint_fast64_t issued;

void rs_metrics_route_name(unsigned route, const char *name)
{
    if (route < RS_METRICS_MAX_ROUTES)
        names[route] = name;
}

void rs_metrics_observe(unsigned route, int status, uint64_t latency_us)
{
    size_t c = NCODES;
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == status)
            c = i;
    if (route >= RS_METRICS_MAX_ROUTES)
        route = RS_METRICS_MAX_ROUTES - 1;
    atomic_fetch_add_explicit(&req_count[route][c], 1, memory_order_relaxed);
    size_t b = NBUCKETS;
    for (size_t i = 0; i < NBUCKETS; i++)
        if (latency_us <= buckets_us[i]) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&lat_bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&lat_sum_us, latency_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&lat_count, 1, memory_order_relaxed);
}

void rs_metrics_tokens_issued(unsigned n)
{
    atomic_fetch_add_explicit(&issued, n, memory_order_relaxed);
}

enum rs_err rs_metrics_render(struct rs_buf *o)
{
    enum rs_err e = rs_buf_puts(o, "# HELP rescind_http_requests_total HTTP requests by endpoint and status.\n"
                                   "# TYPE rescind_http_requests_total counter\n");
    for (unsigned r = 0; r < RS_METRICS_MAX_ROUTES && !e; r++) {
        for (size_t c = 0; c <= NCODES && !e; c++) {
            uint64_t v = atomic_load(&req_count[r][c]);
            if (!v)
                continue;
            const char *n = names[r] ? names[r] : "other";
            if (c < NCODES)
                e = rs_buf_printf(o, "rescind_http_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
                                  n, codes[c], (unsigned long long)v);
            else
                e = rs_buf_printf(o, "rescind_http_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
                                  n, (unsigned long long)v);
        }
    }
    if (!e)
        e = rs_buf_puts(o, "# HELP rescind_http_request_duration_seconds Request latency.\n"
                           "# TYPE rescind_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS && !e; b++) {
        cum += atomic_load(&lat_bucket[b]);
        e = rs_buf_printf(o, "rescind_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                          (double)buckets_us[b] / 1e6, (unsigned long long)cum);
    }
    if (!e)
        e = rs_buf_printf(o,
                          "rescind_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                          "rescind_http_request_duration_seconds_sum %g\n"
                          "rescind_http_request_duration_seconds_count %llu\n"
                          "# HELP rescind_tokens_issued_total Tokens issued.\n"
                          "# TYPE rescind_tokens_issued_total counter\n"
                          "rescind_tokens_issued_total %llu\n",
                          (unsigned long long)atomic_load(&lat_count),
                          (double)atomic_load(&lat_sum_us) / 1e6,
                          (unsigned long long)atomic_load(&lat_count),
                          (unsigned long long)atomic_load(&issued));
    return e;
}
