/* routes.c - the route table: one row per endpoint. Paths of configurable endpoints come from the
 * live snapshot (endpoint URLs), so a changed URL routes on the next request. */
#include "app.h"
#include "admin/admin.h"
#include "oauth/endpoints.h"
#include "oauth/errors.h"
#include "oauth/cors.h"
#include "http/metrics.h"
#include <string.h>

struct route {
    const char *name;
    int ep;              /* enum rs_endpoint, or -1 for a fixed path */
    const char *path;    /* fixed path (ep == -1) */
    bool prefix;         /* also match path + "/..." */
    rs_handler_fn *fn;
    bool blocking;       /* always writes: run on a handler thread (see rs_req.may_block) */
    /* 1, 2: also served at the issuer's OpenID / OAuth discovery path (rs_config.wk_*_path) */
    int wk;
    /* told of a request the HTTP layer refused before the endpoint (rs_req.refused) */
    void (*refused)(struct rs_ctx *ctx, const struct rs_req *req, int status);
};

static const struct route routes[] = {
    {"authorize", RS_EP_AUTHORIZE, NULL, false, rs_authorize_handle, true, 0, NULL},
    {"token", RS_EP_TOKEN, NULL, false, rs_token_handle, false, 0, NULL},
    {"introspect", RS_EP_INTROSPECT, NULL, false, rs_introspect_handle, false, 0, NULL},
    {"revoke", RS_EP_REVOKE, NULL, false, rs_revoke_handle, false, 0, rs_revoke_refused},
    {"global_revoke", RS_EP_GLOBAL_REVOKE, NULL, false, rs_global_revoke_handle, true, 0, NULL},
    {"status_list", RS_EP_STATUS_LIST, NULL, false, rs_status_list_handle, false, 0, NULL},
    {"userinfo", RS_EP_USERINFO, NULL, false, rs_userinfo_handle, false, 0, NULL},
    {"jwks", RS_EP_JWKS, NULL, false, rs_jwks_handle, false, 0, NULL},
    {"register", RS_EP_REGISTER, NULL, false, rs_register_handle, true, 0, NULL},
    {"register_manage", RS_EP_REGISTER, NULL, true, rs_register_manage_handle, true, 0, NULL},
    /* at the root, and where the specifications put an issuer with a path (route.wk) */
    {"openid_configuration", -1, "/.well-known/openid-configuration", false, rs_discovery_handle, false, 1, NULL},
    {"oauth_authorization_server", -1, "/.well-known/oauth-authorization-server", false, rs_discovery_handle, false, 2, NULL},
    {"health", -1, "/health", false, rs_health_handle, false, 0, NULL},
    {"metrics", -1, "/metrics", false, rs_metrics_handle, false, 0, NULL},
    {"admin", -1, "/admin", true, rs_admin_handle, true, 0, NULL},
};
#define NROUTES (sizeof routes / sizeof routes[0])

void rs_routes_init(void)
{
    for (unsigned i = 0; i < NROUTES; i++)
        rs_metrics_route_name(i, routes[i].name);
    rs_metrics_route_name(NROUTES, "not_found");
}

static bool match(const struct route *r, const struct rs_config *cfg, const char *path)
{
    if (r->wk && strcmp(path, r->wk == 1 ? cfg->wk_oidc_path : cfg->wk_oauth_path) == 0)
        return true;
    const char *p = r->ep >= 0 ? cfg->ep_path[r->ep] : r->path;
    size_t n = strlen(p);
    if (strncmp(path, p, n) != 0)
        return false;
    if (!r->prefix)
        return path[n] == '\0';
    return path[n] == '/' && path[n + 1] != '\0';
}

void rs_routes_dispatch(void *app_, const struct rs_req *req, struct rs_resp *resp,
                        unsigned *route_out)
{
    struct rs_app *app = app_;
    struct rs_config *cfg = rs_config_acquire();
    struct rs_ctx ctx = {cfg, app->store, app->keys, app->pepper};
    const struct route *r = NULL;
    for (unsigned i = 0; i < NROUTES && !r; i++) {
        if (match(&routes[i], cfg, req->path)) {
            r = &routes[i];
            *route_out = i;
        }
    }
    if (req->refused) {
        /* already answered (413, 414, 431, 503): only the endpoint's record of it */
        if (r && r->refused)
            r->refused(&ctx, req, req->refused);
        if (r) /* no client is known: only the configured origins get to read the error */
            rs_cors_apply(&ctx, req, resp);
    } else if (!r) {
        *route_out = NROUTES;
        rs_oauth_error(resp, cfg, RS_OAUTH_NOT_FOUND, "no such endpoint", NULL);
    } else if (strcmp(req->method, "OPTIONS") == 0 && rs_cors_preflight(&ctx, req, resp)) {
        /* CORS preflight answered */
    } else if (r->blocking && !req->may_block) {
        resp->defer = true; /* the daemon calls us again on a handler thread */
    } else {
        enum rs_err e = r->fn(&ctx, req, resp);
        if (e && !resp->status && !resp->defer)
            rs_oauth_error_from(resp, cfg, e);
        if (!resp->defer)
            rs_cors_apply(&ctx, req, resp);
    }
    rs_config_release(cfg);
}
