/* clients.c - see clients.h. */
#include "oauth/clients.h"
#include "oauth/common.h"
#include "oauth/scope.h"
#include "base/buf.h"
#include "base/clock.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A redirect URI must be absolute, without fragment (RFC 6749 §3.1.2); plain http only for
 * loopback hosts (RFC 8252 §7.3); private-use schemes (with a dot) for native apps. */
/* True when the port part at p (after a ':') is a port number (1-65535) followed by '/', '?' or
 * the end. */
static bool port_then_path(const char *p)
{
    size_t d = strspn(p, "0123456789");
    return d >= 1 && d <= 5 && strtol(p, NULL, 10) >= 1 && strtol(p, NULL, 10) <= 65535 &&
           (p[d] == '\0' || p[d] == '/' || p[d] == '?');
}

/* A URI is ASCII without controls or spaces (RFC 3986 §2; other characters are
 * percent-encoded). It ends up in a Location header: CR or LF would break it. */
static bool uri_chars_ok(const char *u)
{
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

/* The authority of an https URI (after "https://"): a host, an optional valid port. */
static bool https_authority_ok(const char *a)
{
    size_t len = strcspn(a, "/?");
    if (!len)
        return false;
    const char *host_end = a;
    if (*a == '[') { /* IPv6 literal */
        host_end = memchr(a, ']', len);
        if (!host_end || host_end == a + 1)
            return false;
        host_end++;
    } else {
        host_end = memchr(a, ':', len);
        if (!host_end)
            return true;
        if (host_end == a)
            return false;
    }
    if (host_end == a + len)
        return true;
    return *host_end == ':' && port_then_path(host_end + 1);
}

/* A redirect URI must be absolute, without fragment (RFC 6749 §3.1.2) or user info; plain http
 * only for loopback hosts (RFC 8252 §7.3: the host is exactly localhost, 127.0.0.1 or [::1]);
 * private-use schemes (with a dot) for native apps. */
static bool redirect_uri_ok(const char *u)
{
    if (strlen(u) > 1000 || strchr(u, '#') || !uri_chars_ok(u))
        return false;
    const char *sep = strstr(u, "://");
    if (sep) {
        /* no user info: "http://localhost:1@evil.example/" has the host evil.example */
        size_t alen = strcspn(sep + 3, "/?");
        if (memchr(sep + 3, '@', alen) || memchr(sep + 3, '\\', alen))
            return false;
    }
    if (strncmp(u, "https://", 8) == 0)
        return https_authority_ok(u + 8);
    if (strncmp(u, "http://", 7) == 0) {
        const char *h = u + 7;
        static const char *const loop[] = {"localhost", "127.0.0.1", "[::1]"};
        for (size_t i = 0; i < 3; i++) {
            size_t n = strlen(loop[i]);
            if (strncmp(h, loop[i], n) == 0 &&
                (h[n] == '\0' || h[n] == '/' || h[n] == '?' ||
                 (h[n] == ':' && port_then_path(h + n + 1))))
                return true;
        }
        return false;
    }
    const char *colon = strchr(u, ':');
    if (!colon || colon == u)
        return false;
    for (const char *p = u; p < colon; p++)
        if (!(*p == '.' || *p == '+' || *p == '-' || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return memchr(u, '.', (size_t)(colon - u)) != NULL;
}

static bool origin_ok(const char *o)
{
    /* scheme://host[:port] and nothing else */
    const char *p = strstr(o, "://");
    return p && p != o && p[3] && !strchr(p + 3, '/') && strlen(o) < 256 && uri_chars_ok(o);
}

#define LIST_MAX 64 /* members of one metadata list (redirect_uris, grant_types, ...) */

/* Joins a JSON array of strings into a space-separated list, checking each with ok(). A member
 * given twice, or more than LIST_MAX members, make the list invalid. */
static enum rs_err join(json_t *arr, bool (*ok)(const char *), char **out)
{
    struct rs_buf b;
    size_t i;
    json_t *v;
    if (json_array_size(arr) > LIST_MAX)
        return RS_ERR_INVALID;
    rs_buf_init(&b, 64 * 1024);
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        bool dup = false;
        for (size_t k = 0; s && k < i && !dup; k++)
            dup = json_equal(json_array_get(arr, k), v);
        if (!s || !*s || dup || (ok && !ok(s)) || strchr(s, ' ')) {
            rs_buf_free(&b);
            return RS_ERR_INVALID;
        }
        if ((i && rs_buf_append(&b, " ", 1)) || rs_buf_puts(&b, s)) {
            rs_buf_free(&b);
            return RS_ERR_INVALID;
        }
    }
    *out = rs_buf_steal(&b);
    return *out ? RS_OK : RS_ERR_NOMEM;
}

static bool grant_type_ok(const char *g)
{
    return !strcmp(g, "authorization_code") || !strcmp(g, "refresh_token") ||
           !strcmp(g, "client_credentials");
}

static bool response_type_ok(const char *r)
{
    return !strcmp(r, "code");
}

static enum rs_err list_member(json_t *meta, const char *name, const char *def,
                               bool (*ok)(const char *), char **out, bool *bad)
{
    json_t *v = json_object_get(meta, name);
    if (!v || json_is_null(v)) {
        *out = strdup(def);
        return *out ? RS_OK : RS_ERR_NOMEM;
    }
    if (!json_is_array(v)) {
        *bad = true;
        return RS_ERR_INVALID;
    }
    enum rs_err e = join(v, ok, out);
    if (e == RS_ERR_INVALID)
        *bad = true;
    return e;
}

enum rs_err rs_clients_from_metadata(json_t *meta, struct rs_client *c, enum rs_oauth_err *code,
                                     const char **why)
{
    char id[RS_ID_MAX + 1];
    bool bad = false;
    enum rs_err e;
    snprintf(id, sizeof id, "%s", c->client_id);
    rs_client_clear(c);
    snprintf(c->client_id, sizeof c->client_id, "%s", id);
    *code = RS_OAUTH_INVALID_CLIENT_METADATA;
    if (!json_is_object(meta)) {
        *why = "the body must be a JSON object";
        return RS_ERR_INVALID;
    }
    e = list_member(meta, "redirect_uris", "", redirect_uri_ok, &c->redirect_uris, &bad);
    if (bad) {
        *code = RS_OAUTH_INVALID_REDIRECT_URI;
        *why = "redirect_uris must be distinct absolute https URIs (http only on loopback) of "
               "printable ASCII, without fragment or user info, at most 64";
        return RS_ERR_INVALID;
    }
    if (!e)
        e = list_member(meta, "grant_types", "authorization_code", grant_type_ok, &c->grant_types, &bad);
    if (bad || (!e && !*c->grant_types)) {
        *why = "grant_types must list, once each, one or more of authorization_code, "
               "refresh_token, client_credentials";
        return RS_ERR_INVALID;
    }
    if (!e)
        e = list_member(meta, "response_types",
                        rs_list_has(c->grant_types, "authorization_code") ? "code" : "",
                        response_type_ok, &c->response_types, &bad);
    if (bad) {
        *why = "response_types may only contain code (once)";
        return RS_ERR_INVALID;
    }
    if (!e)
        e = list_member(meta, "authorized_origins", "", origin_ok, &c->origins, &bad);
    if (bad) {
        *why = "authorized_origins must be distinct origins (scheme://host[:port]), at most 64";
        return RS_ERR_INVALID;
    }
    if (e)
        return e;
    json_t *v = json_object_get(meta, "token_endpoint_auth_method");
    const char *method = v ? json_string_value(v) : "client_secret_basic";
    if (!method || (strcmp(method, "client_secret_basic") && strcmp(method, "client_secret_post") &&
                    strcmp(method, "none"))) {
        *why = "token_endpoint_auth_method must be client_secret_basic, client_secret_post or none";
        return RS_ERR_INVALID;
    }
    v = json_object_get(meta, "scope");
    const char *scope = v ? json_string_value(v) : "";
    if (!scope || !rs_scope_valid(scope)) {
        *why = "scope must be a space-separated list of scope tokens";
        return RS_ERR_INVALID;
    }
    v = json_object_get(meta, "client_name");
    const char *name = v ? json_string_value(v) : "";
    if (!name || strlen(name) > 200) {
        *why = "client_name must be a string of at most 200 characters";
        return RS_ERR_INVALID;
    }
    c->auth_method = strdup(method);
    c->scope = strdup(scope);
    c->client_name = strdup(name);
    if (!c->auth_method || !c->scope || !c->client_name)
        return RS_ERR_NOMEM;
    /* consistency (RFC 7591 §2.1) */
    if (rs_list_has(c->response_types, "code") != rs_list_has(c->grant_types, "authorization_code")) {
        *why = "response_type code goes with grant_type authorization_code";
        return RS_ERR_INVALID;
    }
    if (rs_list_has(c->grant_types, "authorization_code") && !*c->redirect_uris) {
        *code = RS_OAUTH_INVALID_REDIRECT_URI;
        *why = "redirect_uris is required for the authorization_code grant";
        return RS_ERR_INVALID;
    }
    if (!strcmp(method, "none") && rs_list_has(c->grant_types, "client_credentials")) {
        *why = "a public client (none) cannot use client_credentials";
        return RS_ERR_INVALID;
    }
    /* these scopes reach other clients' tokens or a user's every token: a public client, which
     * anyone can act as with its client_id, must not hold them, whoever registers it */
    if (!strcmp(method, "none") && rs_scope_privileged(c->scope)) {
        *why = "a public client (none) cannot hold scope revoke_any_token, "
               "global_token_revocation or revoke_session";
        return RS_ERR_INVALID;
    }
    if (rs_list_has(c->grant_types, "refresh_token") &&
        !rs_list_has(c->grant_types, "authorization_code")) {
        *why = "refresh_token needs the authorization_code grant";
        return RS_ERR_INVALID;
    }
    return RS_OK;
}

enum rs_err rs_clients_create(struct rs_ctx *ctx, struct rs_client *c,
                              char secret_out[RS_TOKEN_STRLEN])
{
    if (!c->client_id[0])
        rs_rand_hex(c->client_id, 16);
    secret_out[0] = '\0';
    c->has_secret = false;
    if (strcmp(c->auth_method, "none") != 0) {
        rs_rand_token(secret_out);
        rs_oauth_secret_digest(ctx, secret_out, c->secret_hash);
        c->has_secret = true;
    }
    c->created_at = rs_clock_now();
    enum rs_err e = rs_store_client_put(ctx->store, c);
    if (e)
        sodium_memzero(secret_out, RS_TOKEN_STRLEN);
    return e;
}

json_t *rs_clients_to_json(const struct rs_client *c)
{
    json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:o,s:s,s:o}", "client_id", c->client_id,
                          "client_id_issued_at", (json_int_t)c->created_at, "redirect_uris",
                          rs_list_to_json(c->redirect_uris), "grant_types", rs_list_to_json(c->grant_types),
                          "response_types", rs_list_to_json(c->response_types), "token_endpoint_auth_method",
                          c->auth_method, "authorized_origins", rs_list_to_json(c->origins));
    if (o && c->scope[0])
        json_object_set_new(o, "scope", json_string(c->scope));
    if (o && c->client_name[0])
        json_object_set_new(o, "client_name", json_string(c->client_name));
    if (o && c->has_secret)
        json_object_set_new(o, "client_secret_expires_at", json_integer(0));
    return o;
}
