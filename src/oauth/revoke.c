/* revoke.c - the token revocation endpoint (RFC 7009), as Janssen documents it, minus its bugs.
 *
 * Order of checks (Janssen's): method and body → client authentication (401) → feature flag
 * REVOKE_TOKEN (403) → token present (400) → revoke hook (scripts) → lookup and revocation.
 * Every presented token is looked up by digest in one indexed read whatever its type, so the
 * token_type_hint can never make a token be missed (RFC 7009 §2.1 MUST extend the search;
 * Janssen's access_token hint does not). Revoking any token of a grant revokes the whole grant.
 * Checking and revoking all presented tokens happen in one transaction with the audit record,
 * and the 200 is sent only after that transaction is durable. */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "oauth/hooks.h"
#include "base/buf.h"
#include "base/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS RS_REVOKE_MAX_TOKENS

/* Audit records for requests that revoke nothing are queued without waiting for durability.
 * Like a revocation's own record, each names the request (X-Request-Id, the log lines'
 * request_id), so that an audit entry leads to the request's log lines. */
static void audit_async(struct rs_ctx *ctx, const char *request_id, const char *client_id,
                        const char *outcome, const char *hint, size_t presented)
{
    struct rs_buf d;
    rs_buf_init(&d, 0);
    rs_buf_puts(&d, "{\"presented\":");
    rs_buf_put_i64(&d, (long long)presented);
    rs_buf_puts(&d, ",\"tokens_revoked\":0,\"grants_revoked\":0,\"grant_ids\":[]");
    rs_buf_puts(&d, ",\"request_id\":\"");
    rs_buf_json_escape(&d, request_id);
    rs_buf_puts(&d, "\"");
    if (hint && strlen(hint) < 64) { /* as in the revocation's own record: a hint, not a body */
        rs_buf_puts(&d, ",\"hint\":\"");
        rs_buf_json_escape(&d, hint);
        rs_buf_puts(&d, "\"");
    }
    rs_buf_puts(&d, "}");
    rs_store_audit_put_async(ctx->store, "revoke", client_id, outcome, d.ptr);
    rs_buf_free(&d);
}

/* The audit outcome of a revocation that failed on the server's side: 503 when the store could
 * not commit (RFC 7009 §2.2.1), 500 for anything else (out of memory). */
static const char *failure_outcome(enum rs_err e)
{
    return e == RS_ERR_STORE ? "store_unavailable" : "server_error";
}

static enum rs_err ok_empty(struct rs_resp *resp)
{
    /* RFC 7009 §2.2: 200, the content is ignored by the client; no caching */
    resp->status = 200;
    resp->no_store = true;
    resp->content_type = NULL;
    resp->body.len = 0;
    return RS_OK;
}

/* Splits token on spaces. Returns the number of tokens presented, or 0 when there is nothing
 * but spaces; -1 when there are more than MAX_TOKENS. keys gets the store keys of those that
 * could be in the store (*nkeys of them): a string in no form the server issues is unknown
 * without a lookup. */
static long split_tokens(const char *token, unsigned char (*keys)[RS_TOKEN_KEY_LEN],
                         size_t *nkeys)
{
    long n = 0;
    const char *p = token;
    *nkeys = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        if (n == MAX_TOKENS)
            return -1;
        n++;
        if (rs_token_key(p, len, keys[*nkeys]))
            (*nkeys)++;
        p += len;
    }
    return n;
}

/* Keys without an issue time (ID tokens, which are JWTs, and opaque tokens of the 43-character
 * form issued before schema 5) can be made by anyone from a string of the right shape, unlike
 * the 64-character form, whose time block only the server can encrypt. Those a reader does not
 * find are dropped, so that such strings cost no durable write. A reader's "not found" is final:
 * no token is handed out before its row is durable. Returns the number of keys kept. */
static size_t drop_unknown_untimed(struct rs_ctx *ctx, unsigned char (*keys)[RS_TOKEN_KEY_LEN],
                                   size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct rs_token t;
        if (rs_token_key_untimed(keys[i]) &&
            rs_store_token_get(ctx->store, keys[i], &t) == RS_ERR_NOT_FOUND)
            continue;
        if (kept != i)
            memcpy(keys[kept], keys[i], RS_TOKEN_KEY_LEN);
        kept++;
    }
    return kept;
}

/* RFC 7009 §2.1: the token was not issued to this client; Janssen answers 400 */
static enum rs_err refuse_foreign(struct rs_ctx *ctx, const struct rs_revoke_req *r,
                                  struct rs_resp *resp)
{
    return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                          "the token was not issued to this client",
                          r->may_revoke_foreign ? NULL
                                                : "Client does not have 'revoke_any_token' scope");
}

/* A revocation that revokes completes asynchronously: its transaction is queued for the writer's
 * next batch and the answer is rendered once that batch is durable, so no thread waits for the
 * disk (the same path as client_credentials issuance). It owns copies of what the request had;
 * the store's job points into them (rs_store_revoke_async copies nothing) until rv_finish. */
struct rv_async {
    struct rs_ctx ctx; /* holds its own reference to the config snapshot */
    struct rs_revoke_req r;
    struct rs_revoke_result out;
    char client_id[RS_ID_MAX + 1];
    char request_id[sizeof ((struct rs_req *)0)->request_id];
    unsigned char (*keys)[RS_TOKEN_KEY_LEN]; /* heap */
    char *audit_extra;                       /* heap */
    enum rs_err result;
    rs_async_done_fn *done;
    void *done_arg;
};

static void rv_written(void *arg, enum rs_err result)
{
    struct rv_async *a = arg;
    a->result = result;
    a->done(a->done_arg);
}

static void rv_start(void *arg, rs_async_done_fn *done, void *done_arg)
{
    struct rv_async *a = arg;
    a->done = done;
    a->done_arg = done_arg;
    /* once queued, a belongs to the completion: never touch it again here */
    enum rs_err e = rs_store_revoke_async(a->ctx.store, &a->r, &a->out, rv_written, a);
    if (e) {
        a->result = e;
        done(done_arg);
    }
}

static void rv_finish(void *arg, struct rs_resp *resp)
{
    struct rv_async *a = arg;
    if (a->result == RS_ERR_DENIED) {
        refuse_foreign(&a->ctx, &a->r, resp);
    } else if (a->result) {
        /* RFC 7009 §2.2.1: 503 and the client assumes the token still exists. The request's
         * own audit record went with its transaction; this one says why (logged in full if the
         * store cannot take it either). */
        rs_oauth_error_from(resp, a->ctx.cfg, a->result);
        audit_async(&a->ctx, a->request_id, a->client_id, failure_outcome(a->result), NULL, a->r.presented);
    } else {
        ok_empty(resp);
    }
    free(a->keys);
    free(a->audit_extra);
    rs_config_release((struct rs_config *)a->ctx.cfg);
    free(a);
}

enum rs_err rs_revoke_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    const struct rs_config *cfg = ctx->cfg;
    struct rs_form form;
    struct rs_client client = {0};
    unsigned char(*hashes)[RS_TOKEN_KEY_LEN] = NULL;
    enum rs_err e;
    if (!rs_oauth_method(ctx, req, resp, "POST")) {
        audit_async(ctx, req->request_id, NULL, "method_not_allowed", NULL, 0);
        return RS_OK;
    }
    e = rs_oauth_read_form(ctx, req, resp, &form);
    if (e) {
        if (e == RS_ERR_INVALID)
            audit_async(ctx, req->request_id, NULL, "invalid_request", NULL, 0);
        goto out;
    }
    e = rs_client_authenticate(ctx, req, &form, &client, resp);
    if (e) {
        /* invalid_client mostly; invalid_request for two methods at once, and the store's
         * temporarily_unavailable or server_error when the client could not be read */
        audit_async(ctx, req->request_id, resp->client_id,
                    resp->error ? resp->error : "invalid_client", NULL, 0);
        goto out;
    }
    /* Janssen order: the flag is checked after authentication (401 before 403) */
    if (!rs_oauth_feature(ctx, RS_FEATURE_REVOKE_TOKEN, resp)) {
        audit_async(ctx, req->request_id, client.client_id, "feature_disabled", NULL, 0);
        goto out;
    }
    const char *token = rs_form_get(&form, "token");
    const char *hint = rs_form_get(&form, "token_type_hint");
    /* blank: nothing but whitespace (a form-encoded tab or newline is no token either) */
    if (!token || !token[strspn(token, " \t\r\n")]) {
        rs_oauth_error(resp, cfg, RS_OAUTH_INVALID_REQUEST, "token is required",
                       "Failed to validate token.");
        audit_async(ctx, req->request_id, client.client_id, "invalid_request", hint, 0);
        goto out;
    }
    if (rs_hooks_revoke_installed() && !req->may_block) {
        /* the hook runs once, where the request may also wait for the store */
        resp->defer = true;
        goto out;
    }
    struct rs_revoke_hook_ctx hc = {&client, &form, resp};
    if (!rs_hooks_run_revoke(&hc)) {
        audit_async(ctx, req->request_id, client.client_id, "denied_by_hook", hint, 0);
        e = ok_empty(resp);
        goto out;
    }

    struct rs_revoke_req r = {.client_id = client.client_id, .now = rs_clock_now()};
    size_t presented = 0;
    /* Revoke all: Janssen's docs say token_type_hint=all, its code token=all: accept both,
     * only when allowAllValueForRevokeEndpoint; otherwise "all" is just an unknown token. */
    r.all = cfg->allow_all_value_for_revoke_endpoint &&
            (strcasecmp(token, "all") == 0 || (hint && strcasecmp(hint, "all") == 0));
    /* A public client proves nothing but its client_id, which is public: it may neither revoke
     * every grant of the client (anyone could log out all its users) nor other clients' tokens
     * (anyone could revoke anything) */
    bool is_public = client.auth_method && strcmp(client.auth_method, "none") == 0;
    r.may_revoke_foreign = cfg->allow_revoke_for_other_clients && !is_public &&
                           rs_list_has(client.scope, "revoke_any_token");
    if (r.all && is_public) {
        rs_oauth_error(resp, cfg, RS_OAUTH_UNAUTHORIZED_CLIENT,
                       "a public client cannot revoke all its grants: it is not authenticated",
                       NULL);
        audit_async(ctx, req->request_id, client.client_id, "unauthorized_client", hint, 0);
        goto out;
    }
    if (!r.all) {
        /* keys on the stack first, then exactly as many on the heap (they may outlive the call) */
        unsigned char keys[MAX_TOKENS][RS_TOKEN_KEY_LEN];
        size_t nkeys = 0;
        long n = split_tokens(token, keys, &nkeys);
        if (n < 0) {
            rs_oauth_error(resp, cfg, RS_OAUTH_INVALID_REQUEST, "too many tokens in one request",
                           NULL);
            audit_async(ctx, req->request_id, client.client_id, "invalid_request", hint, 0);
            goto out;
        }
        nkeys = drop_unknown_untimed(ctx, keys, nkeys);
        presented = (size_t)n;
        r.presented = presented;
        if (nkeys) {
            hashes = malloc(nkeys * sizeof *hashes);
            if (!hashes) {
                audit_async(ctx, req->request_id, client.client_id, failure_outcome(RS_ERR_NOMEM), hint, presented);
                e = RS_ERR_NOMEM;
                goto out;
            }
            memcpy(hashes, keys, nkeys * sizeof *hashes);
            r.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])hashes;
            r.n = nkeys;
        }
    }
    if (!r.all && r.n == 0) {
        /* Nothing presented can be in the store (no form the server issues, or a form without
         * an issue time that a reader did not find): nothing can be revoked, and the answer
         * needs no durable write; only the audit record is queued. Anything else is looked up
         * inside the revocation's transaction, which decides. (A read-only look at every token
         * first, to spare already revoked ones a durable write, cost a reader lookup of 9 µs on
         * every revocation that did revoke: the WAL pages it reads are fetched with pread, and
         * the pages of recently issued tokens are in the WAL.) */
        audit_async(ctx, req->request_id, client.client_id, "nothing_to_revoke", hint, presented);
        e = ok_empty(resp);
        goto out;
    }
    struct rs_buf extra;
    rs_buf_init(&extra, 0);
    rs_buf_puts(&extra, "\"request_id\":\"");
    rs_buf_puts(&extra, req->request_id);
    rs_buf_puts(&extra, "\"");
    if (hint && strlen(hint) < 64) {
        rs_buf_puts(&extra, ",\"hint\":\"");
        rs_buf_json_escape(&extra, hint);
        rs_buf_puts(&extra, "\"");
    }
    if (!req->may_block) {
        /* something to revoke, on an I/O thread: asynchronously (rv_async) */
        struct rv_async *a = calloc(1, sizeof *a);
        if (!a) {
            rs_buf_free(&extra);
            audit_async(ctx, req->request_id, client.client_id, failure_outcome(RS_ERR_NOMEM), hint, presented);
            e = RS_ERR_NOMEM;
            goto out;
        }
        a->r = r;
        snprintf(a->client_id, sizeof a->client_id, "%s", client.client_id);
        snprintf(a->request_id, sizeof a->request_id, "%s", req->request_id);
        a->r.client_id = a->client_id;
        a->keys = hashes; /* ownership moves to a */
        hashes = NULL;
        a->r.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])a->keys;
        a->audit_extra = rs_buf_steal(&extra);
        a->r.audit_extra = a->audit_extra;
        a->ctx = *ctx;
        a->ctx.cfg = rs_config_ref(ctx->cfg);
        resp->async_start = rv_start;
        resp->async_finish = rv_finish;
        resp->async_arg = a;
        e = RS_OK;
        goto out;
    }
    r.audit_extra = extra.ptr ? extra.ptr : "";
    struct rs_revoke_result res;
    e = rs_store_revoke(ctx->store, &r, &res);
    rs_buf_free(&extra);
    if (e == RS_ERR_DENIED) {
        e = refuse_foreign(ctx, &r, resp);
    } else if (e) {
        /* RFC 7009 §2.2.1: 503 and the client assumes the token still exists */
        audit_async(ctx, req->request_id, client.client_id, failure_outcome(e), hint, presented);
        e = rs_oauth_error_from(resp, cfg, e);
    } else {
        e = ok_empty(resp);
    }
out:
    free(hashes);
    rs_client_clear(&client);
    rs_form_free(&form);
    return resp->status ? RS_OK : e;
}

void rs_revoke_refused(struct rs_ctx *ctx, const struct rs_req *req, int status)
{
    /* answered by the HTTP layer before the body was read or the client authenticated: no
     * client to name */
    const char *outcome = status == 413   ? "request_too_large"
                          : status == 414 ? "request_uri_too_long"
                          : status == 503 ? "shutting_down"
                                          : "request_headers_too_large";
    audit_async(ctx, req->request_id, NULL, outcome, NULL, 0);
}
