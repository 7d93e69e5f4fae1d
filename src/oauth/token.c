/* token.c - see token.h. One function per grant type; the shared steps (form, client
 * authentication, minting, response) are done once in rs_token_handle. */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "oauth/grant.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/pool.h"
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct exchange_check {
    const struct rs_client *client;
    const char *redirect_uri;   /* code grant */
    const char *code_verifier;  /* code grant */
    const char *scope;          /* refresh grant: requested narrowing, may be NULL */
    struct rs_ctx *ctx;
    struct rs_mint *mint;
    int64_t now;
    enum rs_oauth_err err;      /* set when the check refuses */
    const char *why;
    /* copies that outlive the transaction (the mint points at them) */
    char sub[RS_ID_MAX + 1];
    char scope_buf[RS_SCOPE_MAX + 1];
    char grant_scope[RS_SCOPE_MAX + 1];
};

/* Runs inside the store's exchange transaction: validates the presented code or refresh token
 * against the request and mints the replacement tokens of the same grant. */
static enum rs_err exchange_check(const struct rs_token *old, void *arg, struct rs_token *rows,
                                  size_t cap, size_t *n_out)
{
    struct exchange_check *x = arg;
    struct rs_mint *m = x->mint;
    x->err = RS_OAUTH_INVALID_GRANT;
    /* the token is the client's: the store answers another client's as unknown (NOT_FOUND) */
    if (old->type == RS_TOK_CODE) {
        /* RFC 6749 §4.1.3: redirect_uri must match the one of the authorization request */
        if (old->redirect_uri[0] && (!x->redirect_uri || strcmp(old->redirect_uri, x->redirect_uri))) {
            x->why = "redirect_uri does not match the authorization request";
            return RS_ERR_INVALID;
        }
        if (old->code_challenge[0]) {
            if (!x->code_verifier || !rs_pkce_verify(x->code_verifier, old->code_challenge)) {
                x->why = "PKCE verification failed";
                return RS_ERR_INVALID;
            }
        } else if (x->code_verifier) {
            x->why = "code_verifier sent but the authorization request had no code_challenge";
            return RS_ERR_INVALID;
        }
    } else {
        /* refresh: the scope may only narrow (RFC 6749 §6) */
        if (x->scope && *x->scope && !rs_list_subset(x->scope, old->scope)) {
            x->err = RS_OAUTH_INVALID_SCOPE;
            x->why = "scope exceeds the original grant";
            return RS_ERR_INVALID;
        }
    }
    snprintf(x->sub, sizeof x->sub, "%s", old->sub);
    snprintf(x->scope_buf, sizeof x->scope_buf, "%s",
             old->type == RS_TOK_REFRESH && x->scope && *x->scope ? x->scope : old->scope);
    m->grant_id = old->grant_id; /* used while minting only */
    m->client_id = x->client->client_id;
    m->sub = x->sub;
    m->scope = x->scope_buf;
    snprintf(x->grant_scope, sizeof x->grant_scope, "%s", old->scope);
    m->refresh_scope = x->grant_scope;
    m->auth_time = old->auth_time;
    m->nonce = old->type == RS_TOK_CODE ? old->nonce : "";
    m->refresh = rs_list_has(x->client->grant_types, "refresh_token");
    m->id_token = old->sub[0] && rs_list_has(m->scope, "openid");
    enum rs_err e = rs_grant_mint(x->ctx, m, x->now);
    if (e)
        return e;
    if (m->row_count > cap)
        return RS_ERR_INVALID;
    memcpy(rows, m->rows, m->row_count * sizeof *rows);
    *n_out = m->row_count;
    return RS_OK;
}

static enum rs_err grant_exchange(struct rs_ctx *ctx, const struct rs_client *client,
                                  const struct rs_form *form, struct rs_resp *resp,
                                  enum rs_token_type type)
{
    const char *presented = rs_form_get(form, type == RS_TOK_CODE ? "code" : "refresh_token");
    struct rs_mint m = {0};
    struct exchange_check x = {
        .client = client,
        .redirect_uri = rs_form_get(form, "redirect_uri"),
        .code_verifier = rs_form_get(form, "code_verifier"),
        .scope = type == RS_TOK_REFRESH ? rs_form_get(form, "scope") : NULL,
        .ctx = ctx,
        .mint = &m,
        .now = rs_clock_now(),
    };
    unsigned char h[RS_TOKEN_KEY_LEN];
    struct rs_token rows[3];
    if (!presented || !*presented)
        return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                              type == RS_TOK_CODE ? "code is required" : "refresh_token is required",
                              NULL);
    if (type == RS_TOK_REFRESH && !rs_list_has(client->grant_types, "refresh_token"))
        return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_UNAUTHORIZED_CLIENT,
                              "the client may not use the refresh_token grant", NULL);
    if (type == RS_TOK_CODE && !rs_list_has(client->grant_types, "authorization_code"))
        return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_UNAUTHORIZED_CLIENT,
                              "the client may not use the authorization_code grant", NULL);
    /* the replacement tokens are minted inside the exchange transaction (exchange_check); a
     * string in no form the server issues needs no transaction */
    enum rs_err e = RS_ERR_NOT_FOUND;
    if (rs_token_key(presented, strlen(presented), h))
        e = rs_store_token_exchange(ctx->store, h, type, client->client_id, x.now, exchange_check,
                                    &x, rows, 3);
    if (e == RS_ERR_NOT_FOUND) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_GRANT,
                           type == RS_TOK_CODE ? "invalid, expired or revoked authorization code"
                                               : "invalid, expired or revoked refresh token",
                           NULL);
    } else if (e == RS_ERR_CONFLICT) {
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_GRANT,
                           "the token was already used; its grant has been revoked", NULL);
    } else if (e == RS_ERR_INVALID) {
        e = rs_oauth_error(resp, ctx->cfg, x.err, x.why, NULL);
    } else if (e) {
        e = rs_oauth_error_from(resp, ctx->cfg, e);
    } else {
        e = rs_grant_respond(ctx, &m, resp);
    }
    rs_mint_clear(&m);
    return e;
}

/* client_credentials completes asynchronously: the tokens are minted on the I/O thread, their
 * rows queued for the next group commit, and the response rendered once they are durable. No
 * thread waits for the disk meanwhile. */
struct cc_async {
    struct rs_ctx ctx; /* holds its own reference to the config snapshot */
    struct rs_mint m;
    char client_id[RS_ID_MAX + 1];
    char scope[RS_SCOPE_MAX + 1];
    enum rs_err result;
    rs_async_done_fn *done;
    void *done_arg;
    void *pool_link; /* while kept in cc_pool (below) */
};

/* client_credentials states are reused per thread (base/pool.h): one holds three token rows
 * (about 10 KiB). A group commit resumes many connections at once, so finishes come in bursts:
 * the pool keeps what one burst frees for the next burst of starts. Rows are cleared one by one
 * as they are minted. */
static struct rs_pool cc_pool = RS_POOL_INIT(free, offsetof(struct cc_async, pool_link), 64);

static struct cc_async *cc_alloc(void)
{
    struct cc_async *a = rs_pool_get(&cc_pool);
    if (!a && !(a = malloc(sizeof *a)))
        return NULL;
    /* everything but the rows (the mint's last member), which rs_grant_mint clears as it fills
     * them */
    memset(&a->ctx, 0, sizeof a->ctx);
    memset(&a->m, 0, offsetof(struct rs_mint, rows));
    a->client_id[0] = a->scope[0] = '\0';
    a->result = RS_OK;
    a->done = NULL;
    a->done_arg = NULL;
    return a;
}

static void cc_written(void *arg, enum rs_err result)
{
    struct cc_async *a = arg;
    a->result = result;
    a->done(a->done_arg);
}

static void cc_start(void *arg, rs_async_done_fn *done, void *done_arg)
{
    struct cc_async *a = arg;
    a->done = done;
    a->done_arg = done_arg;
    /* once queued, a belongs to the completion (cc_written may already be running): never
     * touch it again here */
    enum rs_err e = rs_store_tokens_put_async(a->ctx.store, a->m.rows, a->m.row_count, cc_written, a);
    if (e) {
        a->result = e; /* nothing queued: answer the error at once */
        done(done_arg);
    }
}

static void cc_finish(void *arg, struct rs_resp *resp)
{
    struct cc_async *a = arg;
    if (a->result)
        rs_oauth_error_from(resp, a->ctx.cfg, a->result);
    else
        rs_grant_respond(&a->ctx, &a->m, resp);
    rs_mint_clear(&a->m);
    rs_config_release((struct rs_config *)a->ctx.cfg);
    rs_pool_put(&cc_pool, a);
}

static enum rs_err grant_client_credentials(struct rs_ctx *ctx, const struct rs_client *client,
                                            const struct rs_form *form, struct rs_resp *resp)
{
    if (strcmp(client->auth_method, "none") == 0 ||
        !rs_list_has(client->grant_types, "client_credentials"))
        return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_UNAUTHORIZED_CLIENT,
                              "the client may not use the client_credentials grant", NULL);
    struct cc_async *a = cc_alloc();
    if (!a)
        return RS_ERR_NOMEM;
    if (rs_scope_resolve(client, rs_form_get(form, "scope"), a->scope)) {
        rs_pool_put(&cc_pool, a);
        return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_SCOPE,
                              "unknown scope or scope not allowed for this client", NULL);
    }
    rs_strlcpy(a->client_id, client->client_id, sizeof a->client_id);
    a->m.client_id = a->client_id;
    a->m.sub = "";
    a->m.scope = a->scope;
    a->m.nonce = "";
    enum rs_err e = rs_grant_mint(ctx, &a->m, rs_clock_now());
    if (e) {
        rs_mint_clear(&a->m);
        rs_pool_put(&cc_pool, a);
        return rs_oauth_error_from(resp, ctx->cfg, e);
    }
    a->ctx = *ctx;
    a->ctx.cfg = rs_config_ref(ctx->cfg);
    resp->async_start = cc_start;
    resp->async_finish = cc_finish;
    resp->async_arg = a;
    return RS_OK;
}

enum rs_err rs_token_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    struct rs_form form;
    struct rs_client client;
    enum rs_err e = rs_client_post(ctx, req, resp, &form, &client);
    if (e)
        goto out;
    const char *gt = rs_form_get(&form, "grant_type");
    if (gt && strcmp(gt, "client_credentials") != 0 && !req->may_block) {
        /* code and refresh exchanges wait for their transaction on a handler thread */
        resp->defer = true;
        goto out;
    }
    if (!gt || !*gt)
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST, "grant_type is required", NULL);
    else if (strcmp(gt, "client_credentials") == 0)
        e = grant_client_credentials(ctx, &client, &form, resp);
    else if (strcmp(gt, "authorization_code") == 0)
        e = grant_exchange(ctx, &client, &form, resp, RS_TOK_CODE);
    else if (strcmp(gt, "refresh_token") == 0)
        e = grant_exchange(ctx, &client, &form, resp, RS_TOK_REFRESH);
    else
        e = rs_oauth_error(resp, ctx->cfg, RS_OAUTH_UNSUPPORTED_GRANT_TYPE,
                           "unsupported grant_type", NULL);
out:
    rs_client_clear(&client);
    rs_form_free(&form);
    /* errors already rendered into resp are not failures of the server */
    return resp->status ? RS_OK : e;
}
