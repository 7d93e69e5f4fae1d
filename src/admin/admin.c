/* admin.c - the admin API entry point: authenticates the admin bearer credential, then routes
 * /admin/<path> through one table (method, path pattern, handler). A pattern segment "*" matches
 * one non-empty path segment and is handed to the handler as its argument. The route files
 * (admin_clients.c, admin_users.c, admin_config.c, admin_audit.c, admin_revocations.c,
 * admin_tokens.c, admin_credentials.c) hold the handlers; the
 * helpers they share are here. Called by the router for every path under /admin/. */
#include "admin/admin.h"
#include "admin/admin_int.h"
#include "oauth/common.h"
#include "base/log.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REALM "Bearer realm=\"rescind-admin\""
#define MAX_SEGS 4
#define SEG_MAX 128

static rs_admin_fn health;

struct admin_route {
    const char *method;
    const char *pattern; /* segments after /admin/ */
    rs_admin_fn *fn;
};

static const struct admin_route admin_routes[] = {
    {"GET", "health", health},
    {"POST", "clients", rs_admin_client_create},
    {"GET", "clients", rs_admin_client_list},
    {"GET", "clients/*", rs_admin_client_show},
    {"DELETE", "clients/*", rs_admin_client_delete},
    {"POST", "clients/*/revoke", rs_admin_client_revoke},
    {"POST", "users", rs_admin_user_create},
    {"GET", "users", rs_admin_user_list},
    {"GET", "users/*", rs_admin_user_show},
    {"DELETE", "users/*", rs_admin_user_delete},
    {"GET", "audit", rs_admin_audit_list},
    {"GET", "config", rs_admin_config_get},
    {"GET", "config/properties", rs_admin_config_properties},
    {"PATCH", "config", rs_admin_config_patch},
    {"GET", "features", rs_admin_feature_list},
    {"POST", "features/*/enable", rs_admin_feature_enable},
    {"POST", "features/*/disable", rs_admin_feature_disable},
    {"POST", "revocations", rs_admin_revocation_create},
    {"GET", "tokens", rs_admin_token_list},
    {"POST", "credentials", rs_admin_credential_create},
    {"GET", "credentials", rs_admin_credential_list},
    {"DELETE", "credentials/*", rs_admin_credential_delete},
};
#define N_ADMIN_ROUTES (sizeof admin_routes / sizeof admin_routes[0])

static enum rs_err health(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                          const char *arg)
{
    (void)ctx, (void)req, (void)arg;
    return rs_admin_reply(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* ---------- helpers shared by the route files ---------- */

enum rs_err rs_admin_error(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_oauth_err code,
                           const char *description)
{
    enum rs_err e = rs_oauth_error(resp, ctx->cfg, code, description, NULL);
    resp->no_store = true;
    return e;
}

enum rs_err rs_admin_fail(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_err e)
{
    if (e == RS_ERR_NOMEM)
        return e;
    RS_LOG_ERROR("admin_failed", "error", rs_strerror(e), NULL);
    return rs_oauth_error_from(resp, ctx->cfg, e);
}

enum rs_err rs_admin_reply(struct rs_resp *resp, int status, json_t *obj)
{
    enum rs_err e = rs_resp_json(resp, status, obj);
    resp->no_store = true;
    return e;
}

enum rs_err rs_admin_no_content(struct rs_resp *resp)
{
    resp->status = 204;
    resp->no_store = true;
    return RS_OK;
}

enum rs_err rs_admin_read_json(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                               bool merge_patch, json_t **obj_out)
{
    *obj_out = NULL;
    if (!rs_req_content_type_is(req, "application/json") &&
        !(merge_patch && rs_req_content_type_is(req, "application/merge-patch+json"))) {
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                       merge_patch ? "the body must be application/merge-patch+json or "
                                     "application/json"
                                   : "the body must be application/json");
        return RS_ERR_INVALID;
    }
    json_error_t je;
    json_t *o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        char msg[200];
        if (o)
            snprintf(msg, sizeof msg, "the body must be a JSON object");
        else
            snprintf(msg, sizeof msg, "the body is not valid JSON: %.150s", je.text);
        json_decref(o);
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, msg);
        return RS_ERR_INVALID;
    }
    *obj_out = o;
    return RS_OK;
}

bool rs_admin_parse_uint(const char *s, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

void rs_admin_audit(struct rs_ctx *ctx, const struct rs_req *req, const char *event,
                    const char *client_id, const char *outcome, json_t *detail)
{
    /* every admin record says who: the name of the admin credential that made the change */
    char by[RS_ID_MAX + 1] = "";
    json_t *d = detail ? json_copy(detail) : json_object();
    if (d && rs_admin_caller(ctx, req, by) == RS_OK)
        json_object_set_new(d, "by", json_string(by));
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    enum rs_err e = !text ? RS_ERR_NOMEM
                          : rs_store_audit_put(ctx->store, event, client_id, outcome, text);
    if (e)
        RS_LOG_ERROR("audit_write_failed", "event", event, "error", rs_strerror(e), NULL);
    free(text);
}

/* ---------- authentication and routing ---------- */

/* The credential after "Bearer " (borrowed from the request), or NULL when there is none. */
static const char *bearer(const struct rs_req *req)
{
    const char *h = rs_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7 + strspn(h + 7, " ");
    return *h ? h : NULL;
}

enum rs_err rs_admin_caller(struct rs_ctx *ctx, const struct rs_req *req,
                            char name_out[RS_ID_MAX + 1])
{
    const char *cred = bearer(req);
    unsigned char d[RS_HASH_LEN];
    if (!cred)
        return RS_ERR_NOT_FOUND;
    rs_oauth_secret_digest(ctx, cred, d);
    return rs_store_admin_cred_check(ctx->store, d, name_out);
}

/* True when the request carries a registered admin credential; otherwise writes 401. */
static bool authenticated(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    char name[RS_ID_MAX + 1];
    if (!bearer(req)) {
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_TOKEN,
                       "the admin API requires an admin credential (Authorization: Bearer)");
        rs_resp_header(resp, "WWW-Authenticate", REALM);
        return false;
    }
    enum rs_err e = rs_admin_caller(ctx, req, name);
    if (e == RS_OK)
        return true;
    if (e != RS_ERR_NOT_FOUND) {
        rs_admin_fail(ctx, resp, e);
        return false;
    }
    RS_LOG_WARN("admin_auth_failed", "remote", req->remote_addr ? req->remote_addr : "", NULL);
    rs_admin_error(ctx, resp, RS_OAUTH_INVALID_TOKEN, "unknown admin credential");
    rs_resp_header(resp, "WWW-Authenticate", REALM ", error=\"invalid_token\"");
    return false;
}

struct segs {
    size_t count;
    char s[MAX_SEGS][SEG_MAX];
};

/* Splits the path after "/admin/" into segments; false when there are too many, one is empty
 * or too long (such paths match no route). */
static bool split_path(const char *p, struct segs *out)
{
    out->count = 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (!n || n >= SEG_MAX || out->count == MAX_SEGS)
            return false;
        memcpy(out->s[out->count], p, n);
        out->s[out->count++][n] = '\0';
        p += n;
        if (*p == '/' && !*++p)
            return false;
    }
    return out->count > 0;
}

/* True when the segments match the pattern; *arg_out points at the "*" segment (or ""). */
static bool pattern_match(const char *pattern, const struct segs *sg, const char **arg_out)
{
    size_t i = 0;
    *arg_out = "";
    for (const char *p = pattern; *p && i < sg->count; i++) {
        size_t n = strcspn(p, "/");
        if (n == 1 && *p == '*')
            *arg_out = sg->s[i];
        else if (strlen(sg->s[i]) != n || strncmp(p, sg->s[i], n) != 0)
            return false;
        p += n;
        if (*p == '/')
            p++;
        if (!*p)
            return i + 1 == sg->count;
    }
    return false;
}

static enum rs_err route(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    struct segs sg;
    char allow[64] = "";
    const char *arg;
    if (split_path(req->path + strlen("/admin/"), &sg)) {
        for (size_t i = 0; i < N_ADMIN_ROUTES; i++) {
            const struct admin_route *r = &admin_routes[i];
            if (!pattern_match(r->pattern, &sg, &arg))
                continue;
            if (strcmp(r->method, req->method) == 0)
                return r->fn(ctx, req, resp, arg);
            size_t n = strlen(allow);
            snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", r->method);
        }
    }
    if (!allow[0])
        return rs_admin_error(ctx, resp, RS_OAUTH_NOT_FOUND, "no such admin resource");
    enum rs_err e = rs_admin_error(ctx, resp, RS_OAUTH_METHOD_NOT_ALLOWED, "method not allowed");
    return e ? e : rs_resp_header(resp, "Allow", allow);
}

enum rs_err rs_admin_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    /* authentication comes first, so that unauthenticated callers learn nothing about paths */
    enum rs_err e = RS_OK;
    if (authenticated(ctx, req, resp))
        e = route(ctx, req, resp);
    resp->no_store = true;
    return resp->status ? RS_OK : e;
}
