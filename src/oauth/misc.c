/* misc.c - small read-only endpoints: /jwks, /health, /metrics. */
#include "oauth/endpoints.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "http/metrics.h"
#include "token/jwt.h"

enum rs_err rs_jwks_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    if (!rs_oauth_method(ctx, req, resp, "GET"))
        return RS_OK;
    return rs_resp_text(resp, 200, "application/json", rs_keys_jwks(ctx->keys));
}

enum rs_err rs_health_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    if (!rs_oauth_method(ctx, req, resp, "GET"))
        return RS_OK;
    int v = rs_store_schema_version(ctx->store);
    json_t *o = json_pack("{s:s,s:i}", "status", v > 0 ? "ok" : "unavailable", "schema_version", v);
    enum rs_err e = rs_resp_json(resp, v > 0 ? 200 : 503, o);
    resp->no_store = true;
    return e;
}

/* The store's durable commit latency as a Prometheus histogram (cumulative buckets). */
static enum rs_err durable_histogram(struct rs_buf *b, const struct rs_store_stats *st)
{
    static const uint64_t bounds[] = {RS_STORE_DURABLE_BOUNDS};
    enum rs_err e = rs_buf_puts(b, "# HELP rescind_store_durable_commit_seconds Store commits "
                                   "from the transaction's start to the end of the fsync that "
                                   "made it durable: what a request waiting for a write sees.\n"
                                   "# TYPE rescind_store_durable_commit_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; !e && i < RS_STORE_DURABLE_BUCKETS; i++) {
        cum += st->durable_buckets[i];
        if (i < sizeof bounds / sizeof bounds[0])
            e = rs_buf_printf(b, "rescind_store_durable_commit_seconds_bucket{le=\"%g\"} %llu\n",
                              (double)bounds[i] / 1e6, (unsigned long long)cum);
        else
            e = rs_buf_printf(b, "rescind_store_durable_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
                              (unsigned long long)cum);
    }
    /* the count is the buckets' sum, read once: a separate counter could be a step ahead */
    if (!e)
        e = rs_buf_printf(b,
                          "rescind_store_durable_commit_seconds_sum %.6f\n"
                          "rescind_store_durable_commit_seconds_count %llu\n",
                          (double)st->durable_us_total / 1e6, (unsigned long long)cum);
    return e;
}

enum rs_err rs_metrics_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    struct rs_store_stats st;
    if (!rs_oauth_method(ctx, req, resp, "GET"))
        return RS_OK;
    enum rs_err e = rs_metrics_render(&resp->body);
    rs_store_stats(ctx->store, &st);
    if (!e)
        e = rs_buf_printf(&resp->body,
                          "# HELP rescind_store_commits_total Store commits (group commits).\n"
                          "# TYPE rescind_store_commits_total counter\n"
                          "rescind_store_commits_total %llu\n"
                          "# HELP rescind_store_commit_seconds_total Time spent in the writer's "
                          "transactions (without the fsync that follows each; see "
                          "rescind_store_durable_commit_seconds).\n"
                          "# TYPE rescind_store_commit_seconds_total counter\n"
                          "rescind_store_commit_seconds_total %g\n"
                          "# HELP rescind_store_writes_total Write operations committed in batches.\n"
                          "# TYPE rescind_store_writes_total counter\n"
                          "rescind_store_writes_total %llu\n"
                          "# HELP rescind_store_commit_failures_total Failed commits.\n"
                          "# TYPE rescind_store_commit_failures_total counter\n"
                          "rescind_store_commit_failures_total %llu\n"
                          "# HELP rescind_tokens_revoked_total Token rows set to revoked "
                          "(committed) by any path: revocation endpoint, refresh or code reuse, "
                          "client or user deletion, administration. A revoked grant's already "
                          "used code and refresh tokens count too.\n"
                          "# TYPE rescind_tokens_revoked_total counter\n"
                          "rescind_tokens_revoked_total %llu\n",
                          (unsigned long long)st.commits, (double)st.commit_us_total / 1e6,
                          (unsigned long long)st.batched_jobs,
                          (unsigned long long)st.commit_failures,
                          (unsigned long long)st.tokens_revoked);
    if (!e)
        e = durable_histogram(&resp->body, &st);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    return e;
}
