/* admin_users.c - /admin/users: create (argon2id hash via rs_users_create), list, show and
 * delete end users. The password hash never leaves the store. */
#include "admin/admin_int.h"
#include "oauth/users.h"
#include <sodium.h>
#include <string.h>

#define USER_FIELD_MAX 256

/* The public view of a user (new reference, NULL when out of memory). */
static json_t *user_json(const struct rs_user *u)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:I}", "sub", u->sub, "username", u->username, "email",
                     u->email ? u->email : "", "name", u->name ? u->name : "", "created_at",
                     (json_int_t)u->created_at);
}

/* A string member or NULL when absent; *bad when present but not a short string. */
static const char *opt_string(json_t *body, const char *name, bool *bad)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return NULL;
    const char *s = json_string_value(v);
    if (!s || strlen(s) > USER_FIELD_MAX)
        *bad = true;
    return s;
}

static enum rs_err user_failure(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_err e)
{
    if (e == RS_ERR_NOT_FOUND)
        return rs_admin_error(ctx, resp, RS_OAUTH_NOT_FOUND, "no such user");
    return rs_admin_fail(ctx, resp, e);
}

enum rs_err rs_admin_user_create(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, const char *arg)
{
    (void)arg;
    json_t *body = NULL;
    struct rs_user u = {0};
    bool bad = false;
    enum rs_err e = rs_admin_read_json(ctx, req, resp, false, &body);
    if (e)
        goto out;
    const char *username = json_string_value(json_object_get(body, "username"));
    const char *password = json_string_value(json_object_get(body, "password"));
    const char *email = opt_string(body, "email", &bad);
    const char *name = opt_string(body, "name", &bad);
    if (!username || !password || bad) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                           "username and password are required strings; email and name are "
                           "optional strings of at most 256 bytes");
        goto out;
    }
    e = rs_users_create(ctx->store, username, password, email, name, &u);
    if (e == RS_ERR_INVALID) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                           "username must be 1-64 characters of A-Z a-z 0-9 . _ @ - and the "
                           "password 8 to 1024 bytes");
    } else if (e == RS_ERR_CONFLICT) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, "username already exists");
        resp->status = 409;
    } else if (e) {
        e = rs_admin_fail(ctx, resp, e);
    } else {
        e = rs_admin_reply(resp, 201, user_json(&u));
        json_t *detail = json_pack("{s:s,s:s}", "username", u.username, "sub", u.sub);
        rs_admin_audit(ctx, req, "admin_user_create", NULL, "ok", detail);
        json_decref(detail);
    }
out:
    if (body) {
        /* the request body's copy of the password is wiped before it is freed */
        json_t *pw = json_object_get(body, "password");
        if (json_is_string(pw))
            sodium_memzero((void *)json_string_value(pw), json_string_length(pw));
    }
    rs_user_clear(&u);
    json_decref(body);
    return e;
}

struct list_acc {
    json_t *arr;
    bool nomem;
};

static void list_one(const struct rs_user *u, void *arg)
{
    struct list_acc *acc = arg;
    if (json_array_append_new(acc->arr, user_json(u)))
        acc->nomem = true;
}

enum rs_err rs_admin_user_list(struct rs_ctx *ctx, const struct rs_req *req,
                               struct rs_resp *resp, const char *arg)
{
    (void)req, (void)arg;
    struct list_acc acc = {json_array(), false};
    if (!acc.arr)
        return RS_ERR_NOMEM;
    enum rs_err e = rs_store_user_list(ctx->store, list_one, &acc);
    if (!e && acc.nomem)
        e = RS_ERR_NOMEM;
    if (e) {
        json_decref(acc.arr);
        return rs_admin_fail(ctx, resp, e);
    }
    return rs_admin_reply(resp, 200, json_pack("{s:o}", "users", acc.arr));
}

enum rs_err rs_admin_user_show(struct rs_ctx *ctx, const struct rs_req *req,
                               struct rs_resp *resp, const char *username)
{
    (void)req;
    struct rs_user u = {0};
    enum rs_err e = rs_store_user_get_by_name(ctx->store, username, &u);
    if (e)
        return user_failure(ctx, resp, e);
    e = rs_admin_reply(resp, 200, user_json(&u));
    rs_user_clear(&u);
    return e;
}

enum rs_err rs_admin_user_delete(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, const char *username)
{
    (void)req;
    /* the store revokes every grant of the user in the same transaction */
    enum rs_err e = rs_store_user_delete(ctx->store, username);
    if (e)
        return user_failure(ctx, resp, e);
    json_t *detail = json_pack("{s:s}", "username", username);
    rs_admin_audit(ctx, req, "admin_user_delete", NULL, "ok", detail);
    json_decref(detail);
    return rs_admin_no_content(resp);
}
