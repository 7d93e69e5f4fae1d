/* global_revoke.c - global token revocation: one call ends every token and login session of a
 * user, at every client (Janssen's /global-token-revocation, body shaped after the OpenID
 * "Global Token Revocation" draft). For an identity provider that learns an account is
 * compromised. Feature flag GLOBAL_TOKEN_REVOCATION; the caller authenticates with Basic (the
 * body is JSON) and needs the scope global_token_revocation, which only an administrator can
 * give. Known and unknown users get the same 204, so the endpoint tells nobody who exists. */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/log.h"
#include <stdio.h>
#include <string.h>

/* Finds the user named by sub_id; RS_ERR_NOT_FOUND for an unknown one, RS_ERR_INVALID (with
 * the error rendered) for a malformed body. */
static enum rs_err find_user(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                             struct rs_user *u)
{
    json_error_t je;
    json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    json_t *sub_id = json_object_get(body, "sub_id");
    const char *format = json_string_value(json_object_get(sub_id, "format"));
    const char *id = json_string_value(json_object_get(sub_id, "id"));
    enum rs_err e = RS_ERR_INVALID;
    if (!format || !id || !*id) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                       "the body must be {\"sub_id\":{\"format\":\"uid|mail|sub\",\"id\":\"...\"}}",
                       NULL);
    } else if (strcmp(format, "uid") == 0 || strcmp(format, "username") == 0) {
        e = rs_store_user_get_by_name(ctx->store, id, u);
    } else if (strcmp(format, "mail") == 0 || strcmp(format, "email") == 0) {
        e = rs_store_user_get_by_email(ctx->store, id, u);
    } else if (strcmp(format, "sub") == 0 || strcmp(format, "opaque") == 0) {
        e = rs_store_user_get_by_sub(ctx->store, id, u);
    } else {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                       "sub_id.format must be uid, mail or sub", NULL);
    }
    json_decref(body);
    return e;
}

static void audit(struct rs_ctx *ctx, const char *client_id, const char *outcome, size_t grants,
                  size_t tokens)
{
    char d[96];
    snprintf(d, sizeof d, "{\"grants_revoked\":%zu,\"tokens_revoked\":%zu}", grants, tokens);
    rs_store_audit_put_async(ctx->store, "global_token_revocation", client_id, outcome, d);
}

enum rs_err rs_global_revoke_handle(struct rs_ctx *ctx, const struct rs_req *req,
                                    struct rs_resp *resp)
{
    struct rs_form form = {0};
    struct rs_client client = {0};
    struct rs_user u = {0};
    size_t grants = 0, tokens = 0;
    enum rs_err e;
    if (!rs_oauth_method(ctx, req, resp, "POST"))
        return RS_OK;
    /* the body is JSON: only the Authorization header can carry client credentials */
    e = rs_client_authenticate(ctx, req, &form, &client, resp);
    if (e)
        goto out;
    if (!rs_oauth_feature(ctx, RS_FEATURE_GLOBAL_TOKEN_REVOCATION, resp))
        goto out;
    if (!rs_list_has(client.scope, "global_token_revocation")) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_ACCESS_DENIED,
                           "the client needs the scope global_token_revocation", NULL);
        audit(ctx, client.client_id, "access_denied", 0, 0);
        goto out;
    }
    if (!rs_req_content_type_is(req, "application/json")) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                           "the body must be application/json", NULL);
        goto out;
    }
    e = find_user(ctx, req, resp, &u);
    if (e == RS_ERR_INVALID)
        goto out;
    if (e == RS_ERR_NOT_FOUND) {
        audit(ctx, client.client_id, "unknown_user", 0, 0);
    } else if (!e) {
        e = rs_store_user_grants_revoke(ctx->store, u.sub, &grants, &tokens);
        if (!e) {
            audit(ctx, client.client_id, "revoked", grants, tokens);
            RS_LOG_INFO("global_token_revocation", "client_id", client.client_id, NULL);
        }
    }
    if (e && e != RS_ERR_NOT_FOUND) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
        goto out;
    }
    /* done or unknown: the same answer */
    resp->status = 204;
    resp->no_store = true;
    e = RS_OK;
out:
    rs_user_clear(&u);
    rs_client_clear(&client);
    return resp->status ? RS_OK : e;
}
