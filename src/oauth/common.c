/* common.c - see common.h. */
#include "oauth/common.h"
#include "oauth/errors.h"
#include <stdio.h>
#include <string.h>

enum rs_err rs_oauth_read_form(struct rs_ctx *ctx, const struct rs_req *req,
                               struct rs_resp *resp, struct rs_form *form)
{
    memset(form, 0, sizeof *form);
    if (!rs_req_content_type_is(req, "application/x-www-form-urlencoded")) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                       "the body must be application/x-www-form-urlencoded", NULL);
        return RS_ERR_INVALID;
    }
    enum rs_err e = rs_form_parse(form, req->body, req->body_len);
    if (e == RS_ERR_NOMEM)
        return e;
    if (e) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST, "malformed form body", NULL);
        return RS_ERR_INVALID;
    }
    if (form->dup) {
        char msg[160];
        snprintf(msg, sizeof msg, "parameter '%.100s' is repeated (RFC 6749 section 3.2)", form->dup);
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST, msg, NULL);
        return RS_ERR_INVALID;
    }
    return RS_OK;
}

bool rs_oauth_method(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                     const char *allow)
{
    /* allow is a comma-separated list such as "GET, POST"; HEAD goes wherever GET does
     * (RFC 9110 §9.3.2; libmicrohttpd sends no body for HEAD) */
    const char *m = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    size_t n = strlen(m);
    for (const char *p = allow; (p = strstr(p, m)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return true;
    rs_oauth_error(resp, ctx->cfg, RS_OAUTH_METHOD_NOT_ALLOWED, "method not allowed", NULL);
    rs_resp_header(resp, "Allow", allow);
    return false;
}

bool rs_oauth_feature(struct rs_ctx *ctx, enum rs_feature f, struct rs_resp *resp)
{
    if (rs_feature_enabled(ctx->cfg, f))
        return true;
    char msg[96];
    snprintf(msg, sizeof msg, "feature %s is disabled", rs_feature_name(f));
    rs_oauth_error(resp, ctx->cfg, RS_OAUTH_ACCESS_DENIED, msg, "Feature flag is disabled on server.");
    return false;
}

void rs_oauth_secret_digest(const struct rs_ctx *ctx, const char *secret,
                            unsigned char out[RS_HASH_LEN])
{
    rs_hash_hmac(ctx->pepper, RS_PEPPER_LEN, secret, strlen(secret), out);
}

/* True when the n bytes at word are one whole word of the space-separated list. */
static bool has_word(const char *list, const char *word, size_t n)
{
    if (!n || memchr(word, ' ', n))
        return false;
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t m = strcspn(p, " ");
        if (m == n && memcmp(p, word, n) == 0)
            return true;
        p += m;
    }
    return false;
}

bool rs_list_has(const char *list, const char *word)
{
    return has_word(list, word, strlen(word));
}

bool rs_list_subset(const char *sub, const char *super)
{
    const char *p = sub;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        if (!has_word(super, p, n))
            return false;
        p += n;
    }
    return true;
}

json_t *rs_list_to_json(const char *list)
{
    json_t *a = json_array();
    const char *p = list;
    while (a && p && *p) {
        size_t n = strcspn(p, " ");
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return a;
}
