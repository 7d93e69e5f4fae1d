/* login_page.c - see login_page.h. The markup is fixed text around escaped values; the style is
 * inline because the CSP allows inline styles and nothing else (no scripts, no fetches). */
#include "oauth/login_page.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char csp_head[] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
static const char csp_tail[] = "; frame-ancestors 'none'";

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>";

static const char style[] =
    "</title>\n<style>\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:#f4f5f7;color:#1f2328;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\","
    "Roboto,sans-serif}\n"
    "main{width:100%;max-width:360px;margin:16px;padding:32px;background:#fff;"
    "border:1px solid #d8dee4;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.06)}\n"
    "h1{margin:0 0 24px;font-size:20px;font-weight:600;text-align:center;"
    "overflow-wrap:anywhere}\n"
    "label{display:block;margin:16px 0 6px;font-size:14px;font-weight:500}\n"
    "input{width:100%;padding:10px 12px;font:inherit;border:1px solid #d0d7de;"
    "border-radius:6px}\n"
    "input:focus{outline:2px solid #0969da;outline-offset:-1px;border-color:#0969da}\n"
    "button{width:100%;margin-top:24px;padding:10px;font:inherit;font-weight:600;color:#fff;"
    "background:#1f6feb;border:0;border-radius:6px;cursor:pointer}\n"
    "button:hover{background:#1a5fd0}\n"
    ".err{margin:0 0 8px;padding:10px 12px;font-size:14px;color:#82071e;background:#ffebe9;"
    "border:1px solid #ffcecb;border-radius:6px}\n"
    ".note{margin:0 0 8px;padding:10px 12px;font-size:14px;color:#6f4b00;background:#fff8c5;"
    "border:1px solid #eed888;border-radius:6px}\n"
    "p{margin:0;overflow-wrap:anywhere}\n"
    "</style>\n</head>\n<body>\n<main>\n";

static const char tail[] = "</main>\n</body>\n</html>\n";

/* Appends s with the five HTML-significant characters as entities (safe in text and in
 * double-quoted attribute values). */
static enum rs_err html(struct rs_buf *b, const char *s)
{
    static const char specials[] = "&<>\"'";
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    enum rs_err e = RS_OK;
    while (*s && !e) {
        size_t n = strcspn(s, specials);
        e = rs_buf_append(b, s, n);
        s += n;
        if (!e && *s)
            e = rs_buf_puts(b, entities[strchr(specials, *s++) - specials]);
    }
    return e;
}

/* Appends fixed markup and escaped values alternately: PUT(b, "<p>", v, "</p>") writes the
 * items at even positions as they are and those at odd positions HTML-escaped (NULL = "").
 * Keeping that rhythm makes an unescaped value stand out in review. Stops at the first error. */
static enum rs_err put(struct rs_buf *b, const char *const *items, size_t n)
{
    enum rs_err e = RS_OK;
    for (size_t i = 0; i < n && !e; i++)
        e = i % 2 ? html(b, items[i] ? items[i] : "") : rs_buf_puts(b, items[i]);
    return e;
}
#define PUT(b, ...) put((b), (const char *const[]){__VA_ARGS__}, \
                        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Writes the CSP source expression for uri's origin ("https://host:port", or "scheme:" for a
 * native app's private-use scheme) into out. False when uri does not yield a clean one: the
 * expression goes into a header, so only characters that cannot end or extend it are taken. */
static bool csp_source(const char *uri, char *out, size_t out_len)
{
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    size_t scheme = strspn(uri, ALNUM "+.-");
    if (!scheme || uri[scheme] != ':')
        return false;
    size_t n = scheme + 1;
    bool web = (scheme == 4 && !strncmp(uri, "http", 4)) ||
               (scheme == 5 && !strncmp(uri, "https", 5));
    if (web && !strncmp(uri + n, "//", 2)) {
        n += 2;
        size_t host = strcspn(uri + n, "/?#");
        if (!host || strspn(uri + n, ALNUM ".-:[]") < host)
            return false;
        n += host;
    }
#undef ALNUM
    if (n >= out_len)
        return false;
    memcpy(out, uri, n);
    out[n] = '\0';
    return true;
}

/* The headers of every page; the body is set by the caller. form_target (may be NULL) is a
 * redirect URI whose origin the CSP lets a form submission end up at. */
static enum rs_err page_headers(struct rs_resp *resp, int status, const char *form_target)
{
    char src[300], csp[sizeof csp_head + sizeof src + sizeof csp_tail + 1];
    bool extra = form_target && csp_source(form_target, src, sizeof src);
    snprintf(csp, sizeof csp, "%s%s%s%s", csp_head, extra ? " " : "", extra ? src : "", csp_tail);
    resp->status = status;
    resp->content_type = "text/html; charset=utf-8";
    resp->no_store = true;
    enum rs_err e = rs_resp_header(resp, "Content-Security-Policy", csp);
    if (!e)
        e = rs_resp_header(resp, "X-Frame-Options", "DENY");
    if (!e)
        e = rs_resp_header(resp, "Referrer-Policy", "no-referrer");
    if (!e)
        e = rs_resp_header(resp, "X-Content-Type-Options", "nosniff");
    return e;
}

static enum rs_err hidden_fields(struct rs_buf *b, const struct rs_form *hidden)
{
    enum rs_err e = RS_OK;
    for (size_t i = 0; hidden && i < hidden->count && !e; i++)
        e = PUT(b, "<input type=\"hidden\" name=\"", hidden->f[i].name, "\" value=\"",
                hidden->f[i].value, "\">\n");
    return e;
}

enum rs_err rs_login_page_render(struct rs_resp *resp, const struct rs_login_page *p)
{
    struct rs_buf *b = &resp->body;
    b->len = 0;
    enum rs_err e = PUT(b, head, "Sign in", style, NULL, "<h1>Sign in to ", p->client_name,
                        "</h1>\n");
    char origin[300];
    if (!e && p->self_registered)
        e = PUT(b, "<p class=\"note\">This application registered itself with this server; its "
                   "administrator has not checked it. Signing in sends you to <b>",
                csp_source(p->redirect_uri, origin, sizeof origin) ? origin : "the application",
                "</b>. Continue only if you trust it.</p>\n");
    if (!e && p->error)
        e = PUT(b, "<p class=\"err\" role=\"alert\">", p->error, "</p>\n");
    if (!e)
        e = PUT(b, "<form method=\"post\" action=\"", p->action, "\">\n"
                "<label for=\"username\">Username</label>\n"
                "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
                "autocapitalize=\"none\" spellcheck=\"false\" required autofocus value=\"",
                p->username, "\">\n"
                "<label for=\"password\">Password</label>\n"
                "<input id=\"password\" name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required>\n"
                "<input type=\"hidden\" name=\"csrf_token\" value=\"", p->csrf, "\">\n");
    if (!e)
        e = hidden_fields(b, p->hidden);
    if (!e)
        e = PUT(b, "<button type=\"submit\">Sign in</button>\n</form>\n", NULL, tail);
    if (!e)
        e = page_headers(resp, 200, p->redirect_uri);
    return e;
}

enum rs_err rs_login_page_error(struct rs_resp *resp, int status, const char *title,
                                const char *message)
{
    struct rs_buf *b = &resp->body;
    b->len = 0;
    enum rs_err e = PUT(b, head, title, style, NULL, "<h1>", title, "</h1>\n<p>", message,
                        "</p>\n", NULL, tail);
    if (!e)
        e = page_headers(resp, status, NULL);
    return e;
}
