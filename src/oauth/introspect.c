/* introspect.c - RFC 7662 token introspection.
 * Only confidential clients may introspect (a public client has no credential to prove it is a
 * resource server). Any token that is unknown, expired, revoked, used or not an access/refresh
 * token answers {"active":false} and nothing more (RFC 7662 §2.2). */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/clock.h"
#include <string.h>

static enum rs_err respond(struct rs_ctx *ctx, const struct rs_token *t, bool active,
                           struct rs_resp *resp)
{
    json_t *o = json_pack("{s:b}", "active", active);
    if (o && active) {
        json_object_set_new(o, "client_id", json_string(t->client_id));
        if (t->scope[0])
            json_object_set_new(o, "scope", json_string(t->scope));
        if (t->sub[0])
            json_object_set_new(o, "sub", json_string(t->sub));
        json_object_set_new(o, "token_type",
                            json_string(t->type == RS_TOK_ACCESS ? "Bearer" : "refresh_token"));
        json_object_set_new(o, "exp", json_integer(t->exp));
        json_object_set_new(o, "iat", json_integer(t->iat));
        json_object_set_new(o, "iss", json_string(ctx->cfg->issuer));
        json_object_set_new(o, "aud", json_string(t->client_id));
    }
    enum rs_err e = rs_resp_json(resp, 200, o);
    resp->no_store = true;
    return e;
}

enum rs_err rs_introspect_handle(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp)
{
    struct rs_form form;
    struct rs_client client;
    struct rs_token t;
    enum rs_err e;
    e = rs_client_post(ctx, req, resp, &form, &client);
    if (e)
        goto out;
    if (strcmp(client.auth_method, "none") == 0) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT,
                           "public clients may not introspect tokens", NULL);
        goto out;
    }
    if (!rs_oauth_feature(ctx, RS_FEATURE_INTROSPECTION, resp))
        goto out;
    const char *token = rs_form_get(&form, "token");
    if (!token || !*token) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST, "token is required", NULL);
        goto out;
    }
    unsigned char h[RS_HASH_LEN];
    rs_hash_token(token, h);
    e = rs_store_token_get(ctx->store, h, &t);
    if (e == RS_ERR_NOT_FOUND) {
        e = respond(ctx, NULL, false, resp);
    } else if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
    } else {
        bool active = t.state == RS_TS_ACTIVE && t.exp > rs_clock_now() &&
                      (t.type == RS_TOK_ACCESS || t.type == RS_TOK_REFRESH);
        e = respond(ctx, &t, active, resp);
    }
out:
    rs_client_clear(&client);
    rs_form_free(&form);
    return resp->status ? RS_OK : e;
}
