/* userinfo.c - OpenID Connect UserInfo (Core §5.3) with Bearer tokens (RFC 6750).
 * The token comes from the Authorization header or, for POST, the access_token form field; both
 * at once is a 400 invalid_request.
 * Invalid, expired or revoked → 401 with WWW-Authenticate: Bearer error="invalid_token"; no token
 * at all → 401 with the bare challenge and no body (RFC 6750 §3.1). */
#include "oauth/endpoints.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/clock.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

static enum rs_err bearer_error(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_oauth_err e,
                                const char *desc)
{
    char h[256];
    rs_oauth_error(resp, ctx->cfg, e, desc, NULL);
    snprintf(h, sizeof h, "Bearer realm=\"rescind\", error=\"%s\", error_description=\"%s\"",
             rs_oauth_err_name(e), desc);
    return rs_resp_header(resp, "WWW-Authenticate", h);
}

enum rs_err rs_userinfo_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    struct rs_form form = {0};
    struct rs_user u = {0};
    struct rs_token t;
    enum rs_err e = RS_OK;
    const char *token = NULL;
    if (!rs_oauth_method(ctx, req, resp, "GET, POST"))
        return RS_OK;
    if (!rs_oauth_feature(ctx, RS_FEATURE_USERINFO, resp))
        return RS_OK;
    const char *authz = rs_req_header(req, "Authorization");
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        token = authz + 7;
        while (*token == ' ')
            token++;
        /* RFC 6750 §2: a client must not use more than one method to send the token; one in the
         * header and another in the form body is an invalid_request (400, §3.1) */
        if (strcmp(req->method, "POST") == 0 && req->body_len &&
            rs_req_content_type_is(req, "application/x-www-form-urlencoded")) {
            e = rs_oauth_read_form(ctx, req, resp, &form);
            if (e) {
                /* RFC 6750 §3.1: invalid_request, with its challenge */
                if (resp->status == 400)
                    e = rs_resp_header(resp, "WWW-Authenticate",
                                       "Bearer realm=\"rescind\", error=\"invalid_request\"");
                goto out;
            }
            if (rs_form_get(&form, "access_token")) {
                e = bearer_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                                 "the access token was sent in more than one way");
                goto out;
            }
        }
    } else if (strcmp(req->method, "POST") == 0 && req->body_len) {
        e = rs_oauth_read_form(ctx, req, resp, &form);
        if (e)
            goto out;
        token = rs_form_get(&form, "access_token");
    }
    if (!token || !*token) {
        /* RFC 6750 §3.1: a request without any authentication gets the challenge alone, with
         * no error code or other error information (no body) */
        resp->status = 401;
        resp->no_store = true;
        resp->content_type = NULL;
        resp->body.len = 0;
        e = rs_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"rescind\"");
        goto out;
    }
    unsigned char h[RS_TOKEN_KEY_LEN];
    e = rs_token_key(token, strlen(token), h) ? rs_store_token_get(ctx->store, h, &t)
                                              : RS_ERR_NOT_FOUND;
    if (e && e != RS_ERR_NOT_FOUND) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
        goto out;
    }
    if (e || t.type != RS_TOK_ACCESS || t.state != RS_TS_ACTIVE || t.exp <= rs_clock_now()) {
        e = bearer_error(ctx, resp, RS_OAUTH_INVALID_TOKEN,
                         "the access token is invalid, expired or revoked");
        goto out;
    }
    if (!t.sub[0] || !rs_list_has(t.scope, "openid")) {
        e = bearer_error(ctx, resp, RS_OAUTH_INSUFFICIENT_SCOPE,
                         "the access token has no openid scope or no user");
        goto out;
    }
    e = rs_store_user_get_by_sub(ctx->store, t.sub, &u);
    if (e == RS_ERR_NOT_FOUND) {
        e = bearer_error(ctx, resp, RS_OAUTH_INVALID_TOKEN, "the user no longer exists");
        goto out;
    }
    if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
        goto out;
    }
    json_t *o = json_pack("{s:s}", "sub", u.sub);
    if (o && rs_list_has(t.scope, "profile")) {
        json_object_set_new(o, "preferred_username", json_string(u.username));
        if (u.name[0])
            json_object_set_new(o, "name", json_string(u.name));
    }
    if (o && rs_list_has(t.scope, "email") && u.email[0])
        json_object_set_new(o, "email", json_string(u.email));
    e = rs_resp_json(resp, 200, o);
    resp->no_store = true;
    snprintf(resp->client_id, sizeof resp->client_id, "%s", t.client_id);
out:
    rs_user_clear(&u);
    rs_form_free(&form);
    return resp->status ? RS_OK : e;
}
