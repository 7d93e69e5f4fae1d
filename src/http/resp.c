/* resp.c - building responses; MHD-free so that handlers and unit tests can use it. */
#include "http/http.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool rs_req_content_type_is(const struct rs_req *r, const char *media_type)
{
    const char *ct = rs_req_header(r, "Content-Type");
    size_t n = strlen(media_type);
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, media_type, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Header values can be secrets too: a Location carries an authorization code, a Set-Cookie the
 * login session. They are a few short strings per response, so every value is wiped. (The copy
 * libmicrohttpd makes to send them is freed by it, unwiped.) */
static void value_free(char *v)
{
    if (v) {
        sodium_memzero(v, strlen(v));
        free(v);
    }
}

void rs_resp_init(struct rs_resp *r)
{
    memset(r, 0, sizeof *r);
    rs_buf_init(&r->body, 0);
}

void rs_resp_free(struct rs_resp *r)
{
    /* no-store bodies carry tokens and secrets: do not leave them in freed memory */
    if (r->no_store && r->body.ptr)
        sodium_memzero(r->body.ptr, r->body.len);
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->headers[i].name);
        value_free(r->headers[i].value);
    }
    r->header_count = 0;
    rs_buf_free(&r->body);
}

enum rs_err rs_resp_header(struct rs_resp *r, const char *name, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return RS_ERR_NOMEM;
    for (size_t i = 0; i < r->header_count; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            value_free(r->headers[i].value);
            r->headers[i].value = v;
            return RS_OK;
        }
    }
    if (r->header_count == RS_RESP_MAX_HEADERS) {
        free(v);
        return RS_ERR_TOO_LARGE;
    }
    char *n = strdup(name);
    if (!n) {
        free(v);
        return RS_ERR_NOMEM;
    }
    r->headers[r->header_count].name = n;
    r->headers[r->header_count].value = v;
    r->header_count++;
    return RS_OK;
}

enum rs_err rs_resp_json(struct rs_resp *r, int status, json_t *obj)
{
    if (!obj)
        return RS_ERR_NOMEM;
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!s)
        return RS_ERR_NOMEM;
    r->body.len = 0;
    enum rs_err e = rs_buf_puts(&r->body, s);
    sodium_memzero(s, strlen(s));
    free(s);
    if (e)
        return e;
    r->status = status;
    r->content_type = "application/json";
    return RS_OK;
}

enum rs_err rs_resp_text(struct rs_resp *r, int status, const char *content_type,
                         const char *text)
{
    r->body.len = 0;
    enum rs_err e = rs_buf_puts(&r->body, text);
    if (e)
        return e;
    r->status = status;
    r->content_type = content_type;
    return RS_OK;
}

enum rs_err rs_resp_redirect(struct rs_resp *r, const char *location)
{
    r->status = 302;
    r->no_store = true;
    return rs_resp_header(r, "Location", location);
}
