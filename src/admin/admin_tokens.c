/* admin_tokens.c - GET /admin/tokens?client_id=&sub=&limit=&offset=: the tokens of a client
 * or of a user (both: of that user at that client), newest first, one page at a time
 * (limit 1-1000, default 100). Each entry describes a token (grant, type, state, client,
 * subject, scope, times) and never carries the token or its digest. */
#include "admin/admin_int.h"
#include "base/clock.h"
#include <stdint.h>
#include <stdio.h>

#define TOKENS_DEFAULT_LIMIT 100
#define TOKENS_MAX_LIMIT 1000
#define TOKENS_MAX_OFFSET 1000000000

struct token_acc {
    json_t *arr;
    int64_t now;
    bool nomem;
};

static const char *state_name(const struct rs_token *t, int64_t now)
{
    switch (t->state) {
    case RS_TS_REVOKED: return "revoked";
    case RS_TS_USED: return "used";
    case RS_TS_ACTIVE: break;
    }
    return t->exp <= now ? "expired" : "active";
}

static void token_one(const struct rs_token *t, void *arg)
{
    struct token_acc *acc = arg;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "grant_id", t->grant_id, "type",
                          rs_token_type_name(t->type), "state", state_name(t, acc->now),
                          "client_id", t->client_id, "sub", t->sub, "scope", t->scope, "iat",
                          (json_int_t)t->iat, "exp", (json_int_t)t->exp);
    if (json_array_append_new(acc->arr, o))
        acc->nomem = true;
}

/* Fills f from the query; on a bad value writes 400 naming the parameter and returns false. */
static bool read_filter(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                        struct rs_token_filter *f)
{
    const char *limit = rs_form_get(&req->query, "limit");
    const char *offset = rs_form_get(&req->query, "offset");
    const char *client_id = rs_form_get(&req->query, "client_id");
    const char *sub = rs_form_get(&req->query, "sub");
    int64_t l = TOKENS_DEFAULT_LIMIT, o = 0;
    const char *why = NULL;
    if (limit && (!rs_admin_parse_uint(limit, TOKENS_MAX_LIMIT, &l) || l == 0))
        why = "limit must be an integer from 1 to 1000";
    else if (offset && !rs_admin_parse_uint(offset, TOKENS_MAX_OFFSET, &o))
        why = "offset must be a non-negative integer";
    else if ((!client_id || !*client_id) && (!sub || !*sub))
        why = "client_id or sub is required";
    if (why) {
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, why);
        return false;
    }
    f->client_id = client_id && *client_id ? client_id : NULL;
    f->sub = sub && *sub ? sub : NULL;
    f->limit = (size_t)l;
    f->offset = (size_t)o;
    return true;
}

enum rs_err rs_admin_token_list(struct rs_ctx *ctx, const struct rs_req *req,
                                struct rs_resp *resp, const char *arg)
{
    (void)arg;
    struct rs_token_filter f;
    if (!read_filter(ctx, req, resp, &f))
        return RS_OK;
    struct token_acc acc = {json_array(), rs_clock_now(), false};
    if (!acc.arr)
        return RS_ERR_NOMEM;
    enum rs_err e = rs_store_token_list(ctx->store, &f, token_one, &acc);
    if (!e && acc.nomem)
        e = RS_ERR_NOMEM;
    if (e) {
        json_decref(acc.arr);
        return rs_admin_fail(ctx, resp, e);
    }
    return rs_admin_reply(resp, 200, json_pack("{s:o,s:I,s:I}", "tokens", acc.arr, "limit",
                                               (json_int_t)f.limit, "offset",
                                               (json_int_t)f.offset));
}
