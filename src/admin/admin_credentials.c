/* admin_credentials.c - /admin/credentials: issue (POST {name} -> 201 {name, credential}, the
 * credential shown this once; the store keeps its keyed digest), list (names and creation
 * times) and delete by name. Deleting the credential the request itself presents is refused
 * with 409, so an operator cannot lock himself out by mistake. */
#include "admin/admin_int.h"
#include "base/rand.h"
#include "oauth/common.h"
#include <sodium.h>
#include <string.h>

/* Names are 1-64 of [A-Za-z0-9._-]: safe in paths, tables and logs. */
static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    return len >= 1 && len <= RS_ID_MAX &&
           strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

struct cred_acc {
    json_t *arr;
    bool nomem;
};

static void cred_one(const char *name, int64_t created_at, void *arg)
{
    struct cred_acc *acc = arg;
    if (json_array_append_new(acc->arr, json_pack("{s:s,s:I}", "name", name, "created_at",
                                                  (json_int_t)created_at)))
        acc->nomem = true;
}

/* Stores the digest of a new credential called name and answers 201 with it. */
static enum rs_err issue(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                         const char *name)
{
    char cred[RS_TOKEN_STRLEN];
    unsigned char d[RS_HASH_LEN];
    rs_rand_token(cred);
    rs_oauth_secret_digest(ctx, cred, d);
    enum rs_err e = rs_store_admin_cred_put(ctx->store, d, name);
    if (e == RS_ERR_CONFLICT) {
        /* the store checks the name inside the insert's transaction, so two requests for one
         * name cannot both succeed */
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                           "an admin credential with this name exists");
        resp->status = 409;
    } else if (e) {
        e = rs_admin_fail(ctx, resp, e);
    } else {
        json_t *detail = json_pack("{s:s}", "name", name);
        rs_admin_audit(ctx, req, "admin_credential_create", NULL, "ok", detail);
        json_decref(detail);
        e = rs_admin_reply(resp, 201, json_pack("{s:s,s:s}", "name", name, "credential", cred));
    }
    sodium_memzero(cred, sizeof cred);
    return e;
}

enum rs_err rs_admin_credential_create(struct rs_ctx *ctx, const struct rs_req *req,
                                       struct rs_resp *resp, const char *arg)
{
    (void)arg;
    json_t *body = NULL;
    enum rs_err e = rs_admin_read_json(ctx, req, resp, false, &body);
    if (e)
        return e == RS_ERR_NOMEM ? e : RS_OK;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name || !name_ok(name))
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                           "name must be 1-64 characters of A-Z a-z 0-9 . _ -");
    else
        e = issue(ctx, req, resp, name);
    json_decref(body);
    return e;
}

enum rs_err rs_admin_credential_list(struct rs_ctx *ctx, const struct rs_req *req,
                                     struct rs_resp *resp, const char *arg)
{
    (void)req, (void)arg;
    struct cred_acc acc = {.arr = json_array()};
    if (!acc.arr)
        return RS_ERR_NOMEM;
    enum rs_err e = rs_store_admin_cred_list(ctx->store, cred_one, &acc);
    if (!e && acc.nomem)
        e = RS_ERR_NOMEM;
    if (e) {
        json_decref(acc.arr);
        return rs_admin_fail(ctx, resp, e);
    }
    return rs_admin_reply(resp, 200, json_pack("{s:o}", "credentials", acc.arr));
}

enum rs_err rs_admin_credential_delete(struct rs_ctx *ctx, const struct rs_req *req,
                                       struct rs_resp *resp, const char *name)
{
    char mine[RS_ID_MAX + 1] = "";
    enum rs_err e = rs_admin_caller(ctx, req, mine);
    if (e)
        return rs_admin_fail(ctx, resp, e);
    if (strcmp(mine, name) == 0) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                           "this request uses that credential: delete it with another one");
        resp->status = 409;
        return e;
    }
    e = rs_store_admin_cred_delete(ctx->store, name);
    if (e == RS_ERR_NOT_FOUND)
        return rs_admin_error(ctx, resp, RS_OAUTH_NOT_FOUND, "no such admin credential");
    if (e)
        return rs_admin_fail(ctx, resp, e);
    json_t *detail = json_pack("{s:s,s:s}", "name", name, "by", mine);
    rs_admin_audit(ctx, req, "admin_credential_delete", NULL, "ok", detail);
    json_decref(detail);
    return rs_admin_no_content(resp);
}
