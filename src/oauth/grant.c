/* grant.c - see grant.h. */
#include "oauth/grant.h"
#include "token/jwt.h"
#include "http/metrics.h"
#include "base/b64url.h"
#include "base/token_key.h"
#include "base/buf.h"
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void row(struct rs_mint *m, enum rs_token_type type, const char *token, int64_t now,
                int64_t lifetime, const char *scope)
{
    struct rs_token *t = &m->rows[m->row_count++];
    memset(t, 0, sizeof *t);
    rs_token_key(token, strlen(token), t->hash);
    t->type = type;
    t->state = RS_TS_ACTIVE;
    rs_strlcpy(t->grant_id, m->grant_id_out, sizeof t->grant_id);
    rs_strlcpy(t->client_id, m->client_id, sizeof t->client_id);
    rs_strlcpy(t->sub, m->sub, sizeof t->sub);
    rs_strlcpy(t->scope, scope, sizeof t->scope);
    t->iat = now;
    t->exp = now + lifetime;
    t->auth_time = m->auth_time;
    t->status_idx = m->status_next++;
}

void rs_grant_new_id(char out[RS_GRANT_ID_LEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long ms = (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 12; i++) /* 48 bits of milliseconds, big-endian hex: ids sort by time */
        out[i] = hex[(ms >> (44 - 4 * i)) & 15];
    rs_rand_hex(out + 12, 10);
}

enum rs_err rs_grant_mint(struct rs_ctx *ctx, struct rs_mint *m, int64_t now)
{
    const struct rs_config *cfg = ctx->cfg;
    m->row_count = 0;
    m->id_token_jwt = NULL;
    /* a grant without a user is its one token (store.h): its id comes from that token's key */
    bool client_grant = !m->grant_id && !*m->sub;
    assert(!client_grant || (!m->refresh && !m->id_token));
    if (m->grant_id)
        rs_strlcpy(m->grant_id_out, m->grant_id, sizeof m->grant_id_out);
    else if (!client_grant)
        rs_grant_new_id(m->grant_id_out);
    /* every token gets its own index in the token status list (draft-ietf-oauth-status-list) */
    m->status_next = rs_store_status_alloc(ctx->store, 1 + m->refresh + m->id_token);
    rs_opaque_token_new(m->access);
    row(m, RS_TOK_ACCESS, m->access, now, cfg->access_token_lifetime, m->scope);
    if (client_grant) { /* the grant id names the row's key (store.h) */
        rs_store_client_grant_id(m->rows[0].hash, m->grant_id_out);
        memcpy(m->rows[0].grant_id, m->grant_id_out, sizeof m->rows[0].grant_id);
    }
    if (m->refresh) {
        rs_opaque_token_new(m->refresh_token);
        row(m, RS_TOK_REFRESH, m->refresh_token, now, cfg->refresh_token_lifetime,
            m->refresh_scope ? m->refresh_scope : m->scope);
    }
    if (m->id_token) {
        unsigned char h[RS_HASH_LEN];
        char at_hash[RS_B64URL_LEN(16) + 1];
        /* at_hash: left half of SHA-256 of the access token (OIDC Core §3.1.3.6) */
        rs_hash_sha256(m->access, strlen(m->access), h);
        rs_b64url_encode(h, 16, at_hash);
        json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "iss", cfg->issuer, "sub", m->sub,
                              "aud", m->client_id, "iat", (json_int_t)now, "exp",
                              (json_int_t)(now + cfg->id_token_lifetime), "auth_time",
                              (json_int_t)m->auth_time, "at_hash", at_hash);
        if (!c)
            return RS_ERR_NOMEM;
        if (m->nonce && *m->nonce)
            json_object_set_new(c, "nonce", json_string(m->nonce));
        if (rs_feature_enabled(cfg, RS_FEATURE_STATUS_LIST))
            /* the ID token's own index: it is the next one row() hands out */
            json_object_set_new(c, "status",
                                json_pack("{s:{s:I,s:s}}", "status_list", "idx",
                                          (json_int_t)m->status_next, "uri",
                                          cfg->ep_url[RS_EP_STATUS_LIST]));
        enum rs_err e = rs_jwt_sign(ctx->keys, c, &m->id_token_jwt);
        json_decref(c);
        if (e)
            return e;
        row(m, RS_TOK_ID, m->id_token_jwt, now, cfg->id_token_lifetime, m->scope);
    }
    return RS_OK;
}

/* RFC 6749 §5.1. The shape is fixed, so it is written straight into the body (no JSON tree):
 * this is the answer of every issuance. */
enum rs_err rs_grant_respond(struct rs_ctx *ctx, const struct rs_mint *m, struct rs_resp *resp)
{
    struct rs_buf *b = &resp->body;
    b->len = 0;
    /* sized once: growing would leave copies of the tokens in freed memory */
    size_t need = 160 + strlen(m->access) + (m->scope ? 2 * strlen(m->scope) : 0) +
                  (m->refresh ? strlen(m->refresh_token) : 0) +
                  (m->id_token_jwt ? strlen(m->id_token_jwt) : 0);
    enum rs_err e = rs_buf_reserve(b, need);
    if (!e)
        e = rs_buf_puts(b, "{\"access_token\":\"");
    if (!e)
        e = rs_buf_json_escape(b, m->access);
    if (!e)
        e = rs_buf_puts(b, "\",\"token_type\":\"Bearer\",\"expires_in\":");
    if (!e)
        e = rs_buf_put_i64(b, ctx->cfg->access_token_lifetime);
    if (!e && m->scope && *m->scope)
        e = rs_buf_json_member(b, "scope", m->scope);
    if (!e && m->refresh)
        e = rs_buf_json_member(b, "refresh_token", m->refresh_token);
    if (!e && m->id_token_jwt)
        e = rs_buf_json_member(b, "id_token", m->id_token_jwt);
    if (!e)
        e = rs_buf_append(b, "}", 1);
    if (!e) {
        resp->status = 200;
        resp->content_type = "application/json";
    }
    resp->no_store = true;
    if (!e)
        rs_metrics_tokens_issued((unsigned)m->row_count);
    return e;
}

void rs_mint_clear(struct rs_mint *m)
{
    sodium_memzero(m->access, sizeof m->access);
    sodium_memzero(m->refresh_token, sizeof m->refresh_token);
    if (m->id_token_jwt) {
        sodium_memzero(m->id_token_jwt, strlen(m->id_token_jwt));
        free(m->id_token_jwt);
        m->id_token_jwt = NULL;
    }
}
