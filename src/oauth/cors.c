/* cors.c - see cors.h. */
#include "oauth/cors.h"
#include "oauth/common.h"
#include <string.h>

static bool in_config(const struct rs_config *cfg, const char *origin)
{
    size_t i;
    json_t *v;
    json_array_foreach(cfg->cors_allowed_origins, i, v) {
        if (strcmp(json_string_value(v), origin) == 0 || strcmp(json_string_value(v), "*") == 0)
            return true;
    }
    return false;
}

static bool client_allows(struct rs_ctx *ctx, const char *client_id, const char *origin)
{
    struct rs_client c;
    bool ok = false;
    if (!client_id || !*client_id)
        return false;
    if (rs_store_client_get(ctx->store, client_id, &c) == RS_OK) {
        ok = rs_list_has(c.origins, origin);
        rs_client_clear(&c);
    }
    return ok;
}

static bool is_public(const struct rs_ctx *ctx, const struct rs_req *req)
{
    /* discovery (also an issuer path's <path>/.well-known/openid-configuration), keys, status */
    return strncmp(req->path, "/.well-known/", 13) == 0 ||
           strcmp(req->path, ctx->cfg->wk_oidc_path) == 0 ||
           strcmp(req->path, ctx->cfg->ep_path[RS_EP_JWKS]) == 0 ||
           strcmp(req->path, ctx->cfg->ep_path[RS_EP_STATUS_LIST]) == 0;
}

/* The endpoints browser clients call cross-origin. The login page and the admin API are not
 * among them: a page of another origin has no business reading them. */
static bool cors_endpoint(const struct rs_ctx *ctx, const struct rs_req *req)
{
    static const enum rs_endpoint eps[] = {RS_EP_TOKEN, RS_EP_INTROSPECT, RS_EP_REVOKE,
                                           RS_EP_USERINFO, RS_EP_REGISTER};
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++)
        if (strcmp(req->path, ctx->cfg->ep_path[eps[i]]) == 0)
            return true;
    return false;
}

bool rs_cors_preflight(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    const char *origin = rs_req_header(req, "Origin");
    if (!origin || !rs_req_header(req, "Access-Control-Request-Method"))
        return false;
    resp->status = 204;
    /* A preflight carries no credentials or body, so the client is not known yet: accept an
     * origin that some client registered; the actual response is checked against its client. */
    bool ok = is_public(ctx, req) ||
              (cors_endpoint(ctx, req) &&
               (in_config(ctx->cfg, origin) || rs_store_origin_registered(ctx->store, origin)));
    if (!ok)
        return true;
    rs_resp_header(resp, "Access-Control-Allow-Origin", is_public(ctx, req) ? "*" : origin);
    rs_resp_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    rs_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    rs_resp_header(resp, "Access-Control-Max-Age", "1800");
    rs_resp_header(resp, "Vary", "Origin");
    return true;
}

void rs_cors_apply(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    const char *origin = rs_req_header(req, "Origin");
    if (!origin)
        return;
    if (is_public(ctx, req)) {
        rs_resp_header(resp, "Access-Control-Allow-Origin", "*");
        return;
    }
    if (!cors_endpoint(ctx, req))
        return;
    /* only the client the endpoint identified, never a client_id the request merely names */
    const char *cid = resp->client_id;
    if (in_config(ctx->cfg, origin) || client_allows(ctx, cid, origin)) {
        rs_resp_header(resp, "Access-Control-Allow-Origin", origin);
        rs_resp_header(resp, "Vary", "Origin");
    }
}
