/* status_list.c - the Token Status List endpoint (draft-ietf-oauth-status-list; Janssen's
 * /status_list, feature flag STATUS_LIST). Every minted token has an index; its bit is set once
 * the token is revoked or used. Answers a signed Status List Token (typ statuslist+jwt) or, with
 * Accept: application/statuslist+json, the bare {bits, lst}. The list is rebuilt only when a
 * commit changed token rows (the store's token generation), so a revocation shows in the next
 * request's list; otherwise the cached encoding is served. */
#include "oauth/endpoints.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/clock.h"
#include "token/jwt.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_TTL 300 /* seconds a relying party may cache the list */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_gen;
static int64_t cache_count; /* indexes covered */
static char *cache_lst;     /* heap, the encoded list */

/* The encoded list (heap copy for the caller), rebuilt when the tokens changed. */
static enum rs_err current_lst(struct rs_ctx *ctx, char **lst_out)
{
    uint64_t gen = rs_store_token_generation(ctx->store);
    int64_t count = rs_store_status_alloc(ctx->store, 0);
    enum rs_err e = RS_OK;
    pthread_mutex_lock(&cache_lock);
    if (!cache_lst || cache_gen != gen || cache_count != count) {
        unsigned char *bits = NULL;
        size_t len = 0;
        char *lst = NULL;
        e = rs_store_status_bits(ctx->store, &bits, &len);
        if (!e)
            e = rs_status_list_encode(bits, len, &lst);
        free(bits);
        if (!e) {
            free(cache_lst);
            cache_lst = lst;
            cache_gen = gen;
            cache_count = count;
        }
    }
    *lst_out = !e ? strdup(cache_lst) : NULL;
    pthread_mutex_unlock(&cache_lock);
    if (!e && !*lst_out)
        e = RS_ERR_NOMEM;
    return e;
}

enum rs_err rs_status_list_handle(struct rs_ctx *ctx, const struct rs_req *req,
                                  struct rs_resp *resp)
{
    char *lst = NULL, *jwt = NULL;
    if (!rs_oauth_method(ctx, req, resp, "GET"))
        return RS_OK;
    if (!rs_oauth_feature(ctx, RS_FEATURE_STATUS_LIST, resp))
        return RS_OK;
    enum rs_err e = current_lst(ctx, &lst);
    if (e)
        return rs_oauth_error_from(resp, ctx->cfg, e);
    const char *accept = rs_req_header(req, "Accept");
    json_t *list = json_pack("{s:i,s:s}", "bits", 1, "lst", lst);
    if (accept && strstr(accept, "application/statuslist+json")) {
        char *body = list ? json_dumps(list, JSON_COMPACT) : NULL;
        e = body ? rs_resp_text(resp, 200, "application/statuslist+json", body) : RS_ERR_NOMEM;
        free(body);
    } else {
        int64_t now = rs_clock_now();
        json_t *claims = list ? json_pack("{s:s,s:I,s:I,s:i,s:O}", "sub",
                                          ctx->cfg->ep_url[RS_EP_STATUS_LIST], "iat",
                                          (json_int_t)now, "exp", (json_int_t)(now + 2 * STATUS_TTL),
                                          "ttl", STATUS_TTL, "status_list", list)
                              : NULL;
        e = claims ? rs_jwt_sign_typ(ctx->keys, claims, "statuslist+jwt", &jwt) : RS_ERR_NOMEM;
        json_decref(claims);
        if (!e)
            e = rs_resp_text(resp, 200, "application/statuslist+jwt", jwt);
    }
    json_decref(list);
    free(lst);
    free(jwt);
    if (!e)
        e = rs_resp_header(resp, "Cache-Control", "no-cache");
    return e;
}
