/* register.c - RFC 7591 dynamic client registration at registrationEndpoint, and RFC 7592 client
 * management (read, update, delete) at <registrationEndpoint>/<client_id>.
 * The server chooses client_id, client_secret and the registration access token; only keyed
 * digests of the two secrets are stored (rs_oauth_secret_digest), and their plain values leave
 * the server exactly once, in the 201 response. Both handlers run only while
 * dynamicRegistrationEnabled is true and the DYNAMIC_REGISTRATION feature is on.
 * Called by the router (routes.c). */
#include "oauth/endpoints.h"
#include "oauth/scope.h"
#include "oauth/clients.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/ct.h"
#include "base/log.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Writes 403 unless registration is switched on both by property and by feature flag. */
static bool registration_on(struct rs_ctx *ctx, struct rs_resp *resp)
{
    if (ctx->cfg->dynamic_registration_enabled &&
        rs_feature_enabled(ctx->cfg, RS_FEATURE_DYNAMIC_REGISTRATION))
        return true;
    rs_oauth_error(resp, ctx->cfg, RS_OAUTH_ACCESS_DENIED, "dynamic registration is disabled",
                   NULL);
    return false;
}

/* The token of an "Authorization: Bearer <token>" header (borrowed from req), or NULL. */
static const char *bearer_token(const struct rs_req *req)
{
    const char *authz = rs_req_header(req, "Authorization");
    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return NULL;
    const char *t = authz + 7;
    while (*t == ' ')
        t++;
    return *t ? t : NULL;
}

/* 401 invalid_token with its RFC 6750 §3 challenge; the error attribute only when a token was
 * presented (§3.1: a request without credentials gets the bare challenge). */
static enum rs_err bearer_fail(struct rs_ctx *ctx, struct rs_resp *resp, bool presented,
                               const char *desc)
{
    enum rs_err e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_TOKEN, desc, NULL);
    if (!e)
        e = rs_resp_header(resp, "WWW-Authenticate",
                           presented ? "Bearer realm=\"rescind\", error=\"invalid_token\""
                                     : "Bearer realm=\"rescind\"");
    return e ? e : RS_ERR_DENIED;
}

/* Overwrites the value of a string member in place, so the plain secret does not linger in
 * freed heap once o is released. No-op when the member is absent or not a string. */
static void wipe_member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

/* Parses the request body as a JSON object into *out (caller decrefs). On a wrong content type
 * or a body that is not a JSON object writes 400 invalid_client_metadata (RFC 7591 §3.2.2) and
 * returns RS_ERR_INVALID. */
static enum rs_err read_json(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                             json_t **out)
{
    json_error_t jerr;
    *out = NULL;
    if (!rs_req_content_type_is(req, "application/json")) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT_METADATA,
                       "the body must be application/json", NULL);
        return RS_ERR_INVALID;
    }
    json_t *o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT_METADATA,
                       "the body must be a JSON object of client metadata", NULL);
        return RS_ERR_INVALID;
    }
    *out = o;
    return RS_OK;
}

/* Fills c from metadata, or writes the RFC 7591 §3.2.2 error and returns RS_ERR_INVALID.
 * RS_ERR_NOMEM is returned unrendered. */
static enum rs_err validate(struct rs_ctx *ctx, json_t *meta, struct rs_client *c,
                            struct rs_resp *resp)
{
    enum rs_oauth_err code;
    const char *why = NULL;
    enum rs_err e = rs_clients_from_metadata(meta, c, &code, &why);
    if (!e && rs_scope_privileged(c->scope)) {
        /* anyone may register: scopes that reach other clients' tokens are for the admin API */
        why = "scope revoke_any_token, global_token_revocation and revoke_session can only be "
              "granted by an administrator";
        code = RS_OAUTH_INVALID_CLIENT_METADATA;
        e = RS_ERR_INVALID;
    } else if (!e && !*ctx->cfg->dynamic_registration_initial_access_token &&
               !rs_list_subset(c->scope, RS_SCOPE_STANDARD)) {
        /* Open registration: anyone may register, so a scope of its choosing would mean nothing
         * to a resource server ("admin" for whoever asks). Only the standard scopes (about the
         * user, who signs in for them) are open; others come from an administrator, or from a
         * registrant given the initial access token. */
        why = "without an initial access token only the scopes openid, profile, email and "
              "offline_access can be registered; others are given by an administrator";
        code = RS_OAUTH_INVALID_CLIENT_METADATA;
        e = RS_ERR_INVALID;
    }
    if (e == RS_ERR_INVALID)
        rs_oauth_error(resp, ctx->cfg, code, why, NULL);
    return e;
}

/* Renders c as the RFC 7591 §3.2.1 / RFC 7592 §3 response with status. secret and reg_token
 * (NULL or "" when not issued by this request) are added and then wiped from the JSON copy. */
static enum rs_err respond_client(struct rs_ctx *ctx, struct rs_resp *resp, int status,
                                  const struct rs_client *c, const char *secret,
                                  const char *reg_token)
{
    json_t *o = rs_clients_to_json(c);
    if (!o)
        return RS_ERR_NOMEM;
    json_object_set_new(o, "registration_client_uri",
                        json_sprintf("%s/%s", ctx->cfg->ep_url[RS_EP_REGISTER], c->client_id));
    if (secret && *secret) {
        json_object_set_new(o, "client_secret", json_string(secret));
        /* RFC 7591 §3.2.1: 0 means the secret does not expire */
        json_object_set_new(o, "client_secret_expires_at", json_integer(0));
    }
    if (reg_token && *reg_token)
        json_object_set_new(o, "registration_access_token", json_string(reg_token));
    json_incref(o); /* kept past rs_resp_json, which serializes and drops its reference */
    enum rs_err e = rs_resp_json(resp, status, o);
    wipe_member(o, "client_secret");
    wipe_member(o, "registration_access_token");
    json_decref(o);
    resp->no_store = true;
    snprintf(resp->client_id, sizeof resp->client_id, "%s", c->client_id);
    return e;
}

/* The audit trail sees every change; a failed audit write is logged, not fatal. */
static void audit(struct rs_ctx *ctx, const char *event, const char *client_id)
{
    enum rs_err e = rs_store_audit_put(ctx->store, event, client_id, "ok", NULL);
    if (e)
        RS_LOG_ERROR("audit_write_failed", "event", event, "error", rs_strerror(e), NULL);
}

/* RFC 7591 §3: an initial access token, when configured, is required. Writes 401 and returns
 * RS_ERR_DENIED when it is missing or wrong. */
static enum rs_err check_initial_token(struct rs_ctx *ctx, const struct rs_req *req,
                                       struct rs_resp *resp)
{
    const char *want = ctx->cfg->dynamic_registration_initial_access_token;
    if (!want || !*want)
        return RS_OK;
    const char *got = bearer_token(req);
    if (got) {
        /* compared as SHA-256 digests: constant time whatever the lengths. Every config snapshot
         * holds the digest form (config.c, derive); anything else is refused, never compared */
        unsigned char dg[RS_HASH_LEN], dw[RS_HASH_LEN];
        rs_hash_sha256(got, strlen(got), dg);
        if (rs_hash_digest_decode(want, dw) && rs_ct_equal(dg, dw, RS_HASH_LEN))
            return RS_OK;
    }
    return bearer_fail(ctx, resp, got != NULL, "a valid initial access token is required");
}

enum rs_err rs_register_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    json_t *meta = NULL;
    struct rs_client c = {0};
    char secret[RS_TOKEN_STRLEN] = "";
    char reg_token[RS_TOKEN_STRLEN] = "";
    enum rs_err e;
    if (!rs_oauth_method(ctx, req, resp, "POST") || !registration_on(ctx, resp))
        return RS_OK;
    e = check_initial_token(ctx, req, resp);
    if (!e)
        e = read_json(ctx, req, resp, &meta);
    /* a client_id or client_secret in the request is not read: the server chooses both */
    if (!e)
        e = validate(ctx, meta, &c, resp);
    if (e)
        goto out;
    rs_rand_token(reg_token);
    rs_oauth_secret_digest(ctx, reg_token, c.reg_token_hash);
    c.has_reg_token = true;
    e = rs_clients_create(ctx, &c, secret);
    if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
        goto out;
    }
    RS_LOG_INFO("client_registered", "client_id", c.client_id, "auth_method", c.auth_method,
                NULL);
    audit(ctx, "client_register", c.client_id);
    e = respond_client(ctx, resp, 201, &c, secret, reg_token);
out:
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(reg_token, sizeof reg_token);
    rs_client_clear(&c);
    json_decref(meta);
    return resp->status ? RS_OK : e;
}

/* ---------- RFC 7592: <registration path>/<client_id> ---------- */

/* Loads the client named by the path into *c (caller clears) when the request carries its
 * registration access token. A wrong token and an unknown client get the same 401 so that the
 * endpoint does not tell which client_ids exist. Returns RS_ERR_DENIED (rendered) or a store
 * error (rendered as 503/500). */
static enum rs_err manage_auth(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                               struct rs_client *c)
{
    const char *id = req->path + strlen(ctx->cfg->ep_path[RS_EP_REGISTER]) + 1;
    const char *token = bearer_token(req);
    unsigned char d[RS_HASH_LEN];
    if (!token)
        return bearer_fail(ctx, resp, false, "the registration access token is required");
    rs_oauth_secret_digest(ctx, token, d);
    enum rs_err e = RS_ERR_NOT_FOUND;
    if (strlen(id) <= RS_ID_MAX && !strchr(id, '/'))
        e = rs_store_client_get(ctx->store, id, c);
    if (e && e != RS_ERR_NOT_FOUND) {
        rs_oauth_error_from(resp, ctx->cfg, e);
        return e;
    }
    if (e || !c->has_reg_token || !rs_ct_equal(d, c->reg_token_hash, RS_HASH_LEN))
        return bearer_fail(ctx, resp, true, "invalid registration access token");
    snprintf(resp->client_id, sizeof resp->client_id, "%s", c->client_id);
    return RS_OK;
}

/* RFC 7592 §2.2: the body must name the client it updates, and may repeat (never choose) the
 * current secret. Writes 400 invalid_client_metadata and returns RS_ERR_INVALID otherwise. */
static enum rs_err check_update_identity(struct rs_ctx *ctx, json_t *meta,
                                         const struct rs_client *cur, struct rs_resp *resp)
{
    const char *id = json_string_value(json_object_get(meta, "client_id"));
    const char *why = NULL;
    if (!id || strcmp(id, cur->client_id) != 0) {
        why = "client_id must be present and equal to the client being updated";
    } else if (json_object_get(meta, "client_secret")) {
        const char *s = json_string_value(json_object_get(meta, "client_secret"));
        unsigned char d[RS_HASH_LEN] = {0};
        if (s)
            rs_oauth_secret_digest(ctx, s, d);
        if (!s || !cur->has_secret || !rs_ct_equal(d, cur->secret_hash, RS_HASH_LEN))
            why = "client_secret does not match the current secret; it cannot be chosen";
    }
    if (!why)
        return RS_OK;
    rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT_METADATA, why, NULL);
    return RS_ERR_INVALID;
}

/* Carries over what an update never changes: the credentials and the issue time. */
static enum rs_err keep_credentials(struct rs_ctx *ctx, const struct rs_client *cur,
                                    struct rs_client *upd, struct rs_resp *resp)
{
    bool is_public = strcmp(upd->auth_method, "none") == 0;
    /* A client without a secret (registered as public) cannot move to a secret method: the
     * secret is issued only at registration, and RFC 7592 §2.2 forbids the client choosing
     * one. It registers a new confidential client instead. */
    if (!cur->has_secret && !is_public) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT_METADATA,
                       "the client has no secret, so token_endpoint_auth_method must stay none",
                       NULL);
        return RS_ERR_INVALID;
    }
    /* Moving to none drops the secret digest: a public client holds no credential, and a
     * secret leaked earlier must not come back to life later. */
    upd->has_secret = cur->has_secret && !is_public;
    if (upd->has_secret)
        memcpy(upd->secret_hash, cur->secret_hash, RS_HASH_LEN);
    upd->has_reg_token = cur->has_reg_token;
    memcpy(upd->reg_token_hash, cur->reg_token_hash, RS_HASH_LEN);
    upd->created_at = cur->created_at;
    return RS_OK;
}

/* RFC 7592 §2.2: PUT replaces the whole metadata (omitted members take their defaults). */
static enum rs_err manage_update(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, const struct rs_client *cur)
{
    json_t *meta = NULL;
    struct rs_client upd = {0};
    enum rs_err e = read_json(ctx, req, resp, &meta);
    if (!e)
        e = check_update_identity(ctx, meta, cur, resp);
    snprintf(upd.client_id, sizeof upd.client_id, "%s", cur->client_id);
    if (!e)
        e = validate(ctx, meta, &upd, resp);
    if (!e)
        e = keep_credentials(ctx, cur, &upd, resp);
    if (e)
        goto out;
    e = rs_store_client_update(ctx->store, &upd);
    if (e == RS_ERR_NOT_FOUND) {
        /* deleted by a concurrent request: the token no longer names a client */
        e = bearer_fail(ctx, resp, true, "invalid registration access token");
        goto out;
    }
    if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
        goto out;
    }
    RS_LOG_INFO("client_updated", "client_id", upd.client_id, NULL);
    audit(ctx, "client_update", upd.client_id);
    e = respond_client(ctx, resp, 200, &upd, NULL, NULL);
out:
    if (meta)
        wipe_member(meta, "client_secret");
    json_decref(meta);
    rs_client_clear(&upd);
    return e;
}

/* RFC 7592 §2.3: deletes the client; the store revokes its grants in the same transaction,
 * so tokens issued to it stop being active at once. */
static enum rs_err manage_delete(struct rs_ctx *ctx, struct rs_resp *resp,
                                 const struct rs_client *cur)
{
    enum rs_err e = rs_store_client_delete(ctx->store, cur->client_id);
    if (e == RS_ERR_NOT_FOUND)
        return bearer_fail(ctx, resp, true, "invalid registration access token");
    if (e)
        return rs_oauth_error_from(resp, ctx->cfg, e);
    RS_LOG_INFO("client_deleted", "client_id", cur->client_id, NULL);
    audit(ctx, "client_delete", cur->client_id);
    resp->status = 204;
    resp->no_store = true;
    return RS_OK;
}

enum rs_err rs_register_manage_handle(struct rs_ctx *ctx, const struct rs_req *req,
                                      struct rs_resp *resp)
{
    struct rs_client c = {0};
    enum rs_err e;
    if (!rs_oauth_method(ctx, req, resp, "GET, PUT, DELETE") || !registration_on(ctx, resp))
        return RS_OK;
    e = manage_auth(ctx, req, resp, &c);
    if (e)
        goto out;
    /* each method by name: HEAD, which rs_oauth_method lets through as a GET, must read */
    if (strcmp(req->method, "PUT") == 0)
        e = manage_update(ctx, req, resp, &c);
    else if (strcmp(req->method, "DELETE") == 0)
        e = manage_delete(ctx, resp, &c);
    else
        e = respond_client(ctx, resp, 200, &c, NULL, NULL); /* GET, HEAD: RFC 7592 §2.1 */
out:
    rs_client_clear(&c);
    return resp->status ? RS_OK : e;
}
