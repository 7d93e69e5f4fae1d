/* introspect.c - RFC 7662 token introspection.
 * A confidential client may introspect any token. A public client (`none`) may call it too, but
 * learns only about tokens issued to itself: it proves nothing but its client_id, which is
 * public, so anything more would let anyone scan for other clients' tokens (RFC 7662 §4); a
 * token it holds tells it nothing new. Any token that is unknown, expired, revoked, used, not an
 * access/refresh token, or (for a public client) another client's, answers {"active":false} and
 * nothing more (RFC 7662 §2.2). */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/buf.h"
#include "base/clock.h"
#include <string.h>

/* The answer has a fixed shape, so it is written straight into the body (no JSON tree):
 * introspection is the hottest read path of a resource server. */
static enum rs_err respond(struct rs_ctx *ctx, const struct rs_token *t, bool active,
                           struct rs_resp *resp)
{
    struct rs_buf *b = &resp->body;
    enum rs_err e;
    b->len = 0;
    if (!active) {
        e = rs_buf_puts(b, "{\"active\":false}");
    } else {
        e = rs_buf_puts(b, "{\"active\":true");
        if (!e)
            e = rs_buf_json_member(b, "client_id", t->client_id);
        if (!e && t->scope[0])
            e = rs_buf_json_member(b, "scope", t->scope);
        if (!e && t->sub[0])
            e = rs_buf_json_member(b, "sub", t->sub);
        if (!e)
            e = rs_buf_json_member(b, "token_type",
                                   t->type == RS_TOK_ACCESS ? "Bearer" : "refresh_token");
        if (!e)
            e = rs_buf_puts(b, ",\"exp\":");
        if (!e)
            e = rs_buf_put_i64(b, t->exp);
        if (!e)
            e = rs_buf_puts(b, ",\"iat\":");
        if (!e)
            e = rs_buf_put_i64(b, t->iat);
        if (!e)
            e = rs_buf_json_member(b, "iss", ctx->cfg->issuer);
        if (!e)
            e = rs_buf_json_member(b, "aud", t->client_id);
        if (!e && t->status_idx > 0 && rs_feature_enabled(ctx->cfg, RS_FEATURE_STATUS_LIST)) {
            /* where a resource server can follow this token's status without asking again */
            e = rs_buf_puts(b, ",\"status\":{\"status_list\":{\"idx\":");
            if (!e)
                e = rs_buf_put_i64(b, t->status_idx);
            if (!e)
                e = rs_buf_json_member(b, "uri", ctx->cfg->ep_url[RS_EP_STATUS_LIST]);
            if (!e)
                e = rs_buf_puts(b, "}}");
        }
        if (!e)
            e = rs_buf_append(b, "}", 1);
    }
    if (e)
        return e;
    resp->status = 200;
    resp->content_type = "application/json";
    resp->no_store = true;
    return RS_OK;
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
    if (!rs_oauth_feature(ctx, RS_FEATURE_INTROSPECTION, resp))
        goto out;
    const char *token = rs_form_get(&form, "token");
    if (!token || !*token) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST, "token is required", NULL);
        goto out;
    }
    unsigned char h[RS_TOKEN_KEY_LEN];
    e = rs_token_key(token, strlen(token), h) ? rs_store_token_get(ctx->store, h, &t)
                                              : RS_ERR_NOT_FOUND;
    if (e == RS_ERR_NOT_FOUND) {
        e = respond(ctx, NULL, false, resp);
    } else if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
    } else {
        bool own_only = strcmp(client.auth_method, "none") == 0;
        bool active = t.state == RS_TS_ACTIVE && t.exp > rs_clock_now() &&
                      (t.type == RS_TOK_ACCESS || t.type == RS_TOK_REFRESH) &&
                      (!own_only || strcmp(t.client_id, client.client_id) == 0);
        e = respond(ctx, &t, active, resp);
    }
out:
    rs_client_clear(&client);
    rs_form_free(&form);
    return resp->status ? RS_OK : e;
}
