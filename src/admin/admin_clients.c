/* admin_clients.c - /admin/clients: create (RFC 7591 metadata plus an optional client_id),
 * list, show, delete, and revoke every grant of a client. Creation goes through the same
 * validation as dynamic registration (rs_clients_from_metadata). */
#include "admin/admin_int.h"
#include "oauth/clients.h"
#include <sodium.h>
#include <string.h>

/* RFC 6749 §2.2 leaves client_id syntax to the server; ours is 1-64 of [A-Za-z0-9._-], so it is
 * safe in paths, logs and Basic credentials. */
static bool client_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > RS_ID_MAX)
        return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Reads the wanted client_id from the metadata into c (none: c keeps ""). */
static bool take_client_id(json_t *meta, struct rs_client *c)
{
    json_t *v = json_object_get(meta, "client_id");
    if (!v)
        return true;
    const char *id = json_string_value(v);
    if (!id || !client_id_ok(id))
        return false;
    memcpy(c->client_id, id, strlen(id) + 1);
    return true;
}

static enum rs_err created(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                           const struct rs_client *c, const char *secret)
{
    json_t *o = rs_clients_to_json(c);
    if (o && secret[0])
        json_object_set_new(o, "client_secret", json_string(secret));
    enum rs_err e = rs_admin_reply(resp, 201, o);
    json_t *detail = json_pack("{s:s}", "token_endpoint_auth_method", c->auth_method);
    rs_admin_audit(ctx, req, "admin_client_create", c->client_id, "ok", detail);
    json_decref(detail);
    return e;
}

enum rs_err rs_admin_client_create(struct rs_ctx *ctx, const struct rs_req *req,
                                   struct rs_resp *resp, const char *arg)
{
    (void)arg;
    json_t *meta = NULL;
    struct rs_client c = {0};
    char secret[RS_TOKEN_STRLEN] = "";
    enum rs_oauth_err code;
    const char *why = NULL;
    enum rs_err e = rs_admin_read_json(ctx, req, resp, false, &meta);
    if (e)
        goto out;
    if (!take_client_id(meta, &c)) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_CLIENT_METADATA,
                           "client_id must be 1-64 characters of A-Z a-z 0-9 . _ -");
        goto out;
    }
    e = rs_clients_from_metadata(meta, &c, &code, &why);
    if (e == RS_ERR_INVALID) {
        e = rs_admin_error(ctx, resp, code, why);
        goto out;
    }
    if (!e)
        e = rs_clients_create(ctx, &c, secret);
    if (e == RS_ERR_CONFLICT) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_CLIENT_METADATA, "client_id already exists");
        resp->status = 409;
    } else if (e) {
        e = rs_admin_fail(ctx, resp, e);
    } else {
        e = created(ctx, req, resp, &c, secret);
    }
out:
    sodium_memzero(secret, sizeof secret);
    rs_client_clear(&c);
    json_decref(meta);
    return e;
}

struct list_acc {
    json_t *arr;
    bool nomem;
};

static void list_one(const struct rs_client *c, void *arg)
{
    struct list_acc *acc = arg;
    if (json_array_append_new(acc->arr, rs_clients_to_json(c)))
        acc->nomem = true;
}

enum rs_err rs_admin_client_list(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, const char *arg)
{
    (void)req, (void)arg;
    struct list_acc acc = {json_array(), false};
    if (!acc.arr)
        return RS_ERR_NOMEM;
    enum rs_err e = rs_store_client_list(ctx->store, list_one, &acc);
    if (!e && acc.nomem)
        e = RS_ERR_NOMEM;
    if (e) {
        json_decref(acc.arr);
        return rs_admin_fail(ctx, resp, e);
    }
    return rs_admin_reply(resp, 200, json_pack("{s:o}", "clients", acc.arr));
}

/* Renders 404 for NOT_FOUND and the usual mapping for the rest. */
static enum rs_err client_failure(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_err e)
{
    if (e == RS_ERR_NOT_FOUND)
        return rs_admin_error(ctx, resp, RS_OAUTH_NOT_FOUND, "no such client");
    return rs_admin_fail(ctx, resp, e);
}

enum rs_err rs_admin_client_show(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, const char *id)
{
    (void)req;
    struct rs_client c = {0};
    enum rs_err e = rs_store_client_get(ctx->store, id, &c);
    if (e)
        return client_failure(ctx, resp, e);
    e = rs_admin_reply(resp, 200, rs_clients_to_json(&c));
    rs_client_clear(&c);
    return e;
}

enum rs_err rs_admin_client_delete(struct rs_ctx *ctx, const struct rs_req *req,
                                   struct rs_resp *resp, const char *id)
{
    (void)req;
    /* the store revokes every grant of the client in the same transaction */
    enum rs_err e = rs_store_client_delete(ctx->store, id);
    if (e)
        return client_failure(ctx, resp, e);
    rs_admin_audit(ctx, req, "admin_client_delete", id, "ok", NULL);
    return rs_admin_no_content(resp);
}

enum rs_err rs_admin_client_revoke(struct rs_ctx *ctx, const struct rs_req *req,
                                   struct rs_resp *resp, const char *id)
{
    (void)req;
    struct rs_client c = {0};
    size_t grants = 0, tokens = 0;
    enum rs_err e = rs_store_client_get(ctx->store, id, &c);
    rs_client_clear(&c);
    if (!e)
        e = rs_store_client_grants_revoke(ctx->store, id, &grants, &tokens);
    if (e)
        return client_failure(ctx, resp, e);
    json_t *detail = json_pack("{s:I,s:I}", "grants", (json_int_t)grants, "tokens",
                               (json_int_t)tokens);
    rs_admin_audit(ctx, req, "admin_revoke", id, "ok", detail);
    return rs_admin_reply(resp, 200, detail);
}
