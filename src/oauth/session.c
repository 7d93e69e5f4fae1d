/* session.c - see session.h. */
#include "oauth/session.h"
#include "base/hash.h"
#include "base/rand.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool rs_session_cookie(const struct rs_req *req, const char *name, char *out, size_t out_len)
{
    const char *h = rs_req_header(req, "Cookie");
    size_t name_len = strlen(name);
    out[0] = '\0';
    if (!h)
        return false;
    /* RFC 6265 §5.4: "name=value" pairs separated by "; " */
    for (const char *p = h; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t pair_len = strcspn(p, ";");
        const char *eq = memchr(p, '=', pair_len);
        if (eq && (size_t)(eq - p) == name_len && strncmp(p, name, name_len) == 0) {
            size_t v_len = pair_len - name_len - 1;
            while (v_len && eq[v_len] == ' ')
                v_len--;
            if (!v_len || v_len >= out_len)
                return false;
            memcpy(out, eq + 1, v_len);
            out[v_len] = '\0';
            return true;
        }
        p += pair_len;
    }
    return false;
}

enum rs_err rs_session_find(struct rs_ctx *ctx, const struct rs_req *req, int64_t now,
                            struct rs_session *out)
{
    char cookie[RS_TOKEN_STRLEN];
    unsigned char h[RS_HASH_LEN];
    if (!rs_session_cookie(req, RS_SESSION_COOKIE, cookie, sizeof cookie))
        return RS_ERR_NOT_FOUND;
    rs_hash_sha256(cookie, strlen(cookie), h);
    sodium_memzero(cookie, sizeof cookie);
    enum rs_err e = rs_store_session_get(ctx->store, h, out);
    if (!e && out->exp <= now)
        e = RS_ERR_NOT_FOUND;
    return e;
}

enum rs_err rs_session_create(struct rs_ctx *ctx, const char *sub, int64_t now,
                              struct rs_resp *resp, struct rs_session *out)
{
    char cookie[RS_TOKEN_STRLEN];
    memset(out, 0, sizeof *out);
    rs_rand_token(cookie);
    rs_hash_sha256(cookie, strlen(cookie), out->hash);
    snprintf(out->sub, sizeof out->sub, "%s", sub);
    out->auth_time = now;
    out->exp = now + ctx->cfg->session_id_lifetime;
    enum rs_err e = rs_store_session_put(ctx->store, out);
    /* the cookie only goes out once its digest is durable, or the browser holds a dead session */
    if (!e)
        e = rs_session_set_cookie(ctx, resp, RS_SESSION_COOKIE, cookie, "/",
                                  ctx->cfg->session_id_lifetime);
    sodium_memzero(cookie, sizeof cookie);
    return e;
}

enum rs_err rs_session_set_cookie(const struct rs_ctx *ctx, struct rs_resp *resp,
                                  const char *name, const char *value, const char *path,
                                  int64_t max_age)
{
    char v[512], age[40] = "";
    bool secure = strncmp(ctx->cfg->issuer, "https://", 8) == 0;
    if (max_age > 0)
        snprintf(age, sizeof age, "; Max-Age=%lld", (long long)max_age);
    int n = snprintf(v, sizeof v, "%s=%s; Path=%s; HttpOnly; SameSite=Lax%s%s", name, value, path,
                     age, secure ? "; Secure" : "");
    enum rs_err e = n > 0 && (size_t)n < sizeof v ? rs_resp_header(resp, "Set-Cookie", v)
                                                  : RS_ERR_TOO_LARGE;
    sodium_memzero(v, sizeof v);
    return e;
}
