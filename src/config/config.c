/* config.c - building, validating and swapping configuration snapshots.
 * Snapshots are refcounted; the global pointer is guarded by a mutex held only long enough to
 * bump a count, so readers never wait on a rebuild. */
#include "config/config.h"
#include "base/hash.h"
#include "config/props.h"
#include "base/log.h"
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

static const char *feature_names[RS_FEATURE_COUNT] = {
    "REVOKE_TOKEN", "INTROSPECTION", "USERINFO", "DYNAMIC_REGISTRATION", "STATUS_LIST",
    "GLOBAL_TOKEN_REVOCATION",
};

static const char *ep_default_path[RS_EP_COUNT] = {
    "/authorize", "/token", "/introspect", "/revoke", "/userinfo", "/jwks", "/register",
    "/global-token-revocation", "/status_list",
};

const char *rs_feature_name(enum rs_feature f)
{
    return (unsigned)f < RS_FEATURE_COUNT ? feature_names[f] : "?";
}

int rs_feature_parse(const char *name)
{
    for (int i = 0; i < RS_FEATURE_COUNT; i++)
        if (strcasecmp(name, feature_names[i]) == 0)
            return i;
    return -1;
}

static void config_free(struct rs_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < rs_props_count; i++) {
        void *p = (char *)c + rs_props[i].offset;
        if (rs_props[i].type == RS_PROP_STRING)
            free(*(char **)p);
        else if (rs_props[i].type == RS_PROP_STRING_LIST)
            json_decref(*(json_t **)p);
    }
    for (int i = 0; i < RS_EP_COUNT; i++) {
        free(c->ep_url[i]);
        free(c->ep_path[i]);
    }
    free(c->listen_host);
    free(c->wk_oidc_path);
    free(c->wk_oauth_path);
    free(c);
}

/* Sets one property from a JSON value, checking its type and range. */
static enum rs_err set_prop(struct rs_config *c, const struct rs_prop *p, json_t *v, char *err,
                            size_t errlen)
{
    void *dst = (char *)c + p->offset;
    switch (p->type) {
    case RS_PROP_STRING:
        if (!json_is_string(v))
            goto type;
        free(*(char **)dst);
        *(char **)dst = strdup(json_string_value(v));
        return *(char **)dst ? RS_OK : RS_ERR_NOMEM;
    case RS_PROP_INT:
        if (!json_is_integer(v))
            goto type;
        if (json_integer_value(v) < p->min || json_integer_value(v) > p->max) {
            snprintf(err, errlen, "%s: must be between %lld and %lld", p->name, p->min, p->max);
            return RS_ERR_INVALID;
        }
        *(int64_t *)dst = json_integer_value(v);
        return RS_OK;
    case RS_PROP_BOOL:
        if (!json_is_boolean(v))
            goto type;
        *(bool *)dst = json_is_true(v);
        return RS_OK;
    case RS_PROP_STRING_LIST: {
        size_t i;
        json_t *e;
        if (!json_is_array(v))
            goto type;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e))
                goto type;
        }
        json_decref(*(json_t **)dst);
        *(json_t **)dst = json_deep_copy(v);
        return *(json_t **)dst ? RS_OK : RS_ERR_NOMEM;
    }
    }
type:
    snprintf(err, errlen, "%s: expected %s", p->name,
             p->type == RS_PROP_STRING ? "a string"
             : p->type == RS_PROP_INT  ? "an integer"
             : p->type == RS_PROP_BOOL ? "a boolean"
                                       : "an array of strings");
    return RS_ERR_INVALID;
}

/* Path part of an absolute http(s) URL, or NULL if url is not one. */
static char *url_path(const char *url)
{
    const char *p = NULL;
    if (strncmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        p = url + 8;
    if (!p || !*p || *p == '/')
        return NULL;
    p = strchr(p, '/');
    return strdup(p ? p : "/");
}

enum rs_err rs_config_hide_secrets(json_t *obj, bool *changed)
{
    static const char name[] = "dynamicRegistrationInitialAccessToken";
    json_t *v = json_object_get(obj, name);
    *changed = false;
    if (!json_is_string(v) || !json_string_length(v) || rs_hash_is_digest_form(json_string_value(v)))
        return RS_OK;
    char form[RS_DIGEST_FORM_LEN + 1];
    rs_hash_digest_form(json_string_value(v), form);
    if (json_object_set_new(obj, name, json_string(form)))
        return RS_ERR_NOMEM;
    *changed = true;
    return RS_OK;
}

/* The port the listener got when the configuration asked for port 0 (rs_config_set_bound_port) */
static atomic_int bound_port;

void rs_config_set_bound_port(int port)
{
    atomic_store(&bound_port, port);
}

/* The property name of endpoint URL i (enum rs_endpoint), for error messages. */
static const char *endpoint_prop(int i)
{
    for (size_t k = 0; k < rs_props_count; k++)
        if (rs_props[k].offset == offsetof(struct rs_config, endpoint_url) + (size_t)i * sizeof(char *))
            return rs_props[k].name;
    return "endpoint URL";
}

static enum rs_err derive(struct rs_config *c, char *err, size_t errlen)
{
    /* the initial access token is kept as its digest in every snapshot, whatever form the file
     * gave, so GET /admin/config shows only the digest (register.c compares digests); the
     * patch persisted in the database goes through rs_config_hide_secrets */
    char *iat = c->dynamic_registration_initial_access_token;
    if (iat && *iat && !rs_hash_is_digest_form(iat)) {
        char form[RS_DIGEST_FORM_LEN + 1];
        rs_hash_digest_form(iat, form);
        char *d = strdup(form);
        if (!d)
            return RS_ERR_NOMEM;
        sodium_memzero(iat, strlen(iat));
        free(iat);
        c->dynamic_registration_initial_access_token = d;
    }
    /* listen = HOST:PORT; [v6]:port is accepted too */
    const char *colon = strrchr(c->listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == c->listen || !end || *end || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen: expected HOST:PORT");
        return RS_ERR_INVALID;
    }
    c->listen_port = (int)port;
    size_t hl = (size_t)(colon - c->listen);
    const char *h = c->listen;
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    c->listen_host = strndup(h, hl);
    if (!c->listen_host)
        return RS_ERR_NOMEM;
    if (!*c->issuer) {
        free(c->issuer);
        size_t n = strlen(c->listen) + 16;
        c->issuer = malloc(n);
        if (!c->issuer)
            return RS_ERR_NOMEM;
        int bound = atomic_load(&bound_port);
        if (c->listen_port == 0 && bound > 0) /* the port the kernel chose, not ":0" */
            snprintf(c->issuer, n, "http://%.*s:%d", (int)(colon - c->listen), c->listen, bound);
        else
            snprintf(c->issuer, n, "http://%s", c->listen);
    }
    char *ip = url_path(c->issuer);
    if (!ip) {
        snprintf(err, errlen, "issuer: expected an absolute http(s) URL");
        return RS_ERR_INVALID;
    }
    size_t il = strlen(c->issuer);
    if (il && c->issuer[il - 1] == '/') {
        free(ip);
        snprintf(err, errlen, "issuer: must not end with '/'");
        return RS_ERR_INVALID;
    }
    /* where the discovery documents of an issuer with a path live: OpenID Connect Discovery §4
     * appends the well-known suffix to the issuer, RFC 8414 §3 inserts it before the path */
    const char *ipath = strcmp(ip, "/") == 0 ? "" : ip;
    size_t wn = strlen(ipath) + 48;
    c->wk_oidc_path = malloc(wn);
    c->wk_oauth_path = malloc(wn);
    if (c->wk_oidc_path)
        snprintf(c->wk_oidc_path, wn, "%s/.well-known/openid-configuration", ipath);
    if (c->wk_oauth_path)
        snprintf(c->wk_oauth_path, wn, "/.well-known/oauth-authorization-server%s", ipath);
    free(ip);
    if (!c->wk_oidc_path || !c->wk_oauth_path)
        return RS_ERR_NOMEM;
    for (int i = 0; i < RS_EP_COUNT; i++) {
        if (*c->endpoint_url[i]) {
            c->ep_url[i] = strdup(c->endpoint_url[i]);
        } else {
            size_t n = il + strlen(ep_default_path[i]) + 1;
            c->ep_url[i] = malloc(n);
            if (c->ep_url[i])
                snprintf(c->ep_url[i], n, "%s%s", c->issuer, ep_default_path[i]);
        }
        if (!c->ep_url[i])
            return RS_ERR_NOMEM;
        c->ep_path[i] = url_path(c->ep_url[i]);
        if (!c->ep_path[i]) {
            snprintf(err, errlen, "%s: expected an absolute http(s) URL", endpoint_prop(i));
            return RS_ERR_INVALID;
        }
    }
    for (int i = 0; i < RS_EP_COUNT; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(c->ep_path[i], c->ep_path[j]) == 0) {
                snprintf(err, errlen, "endpoint URLs: two endpoints share the path %s", c->ep_path[i]);
                return RS_ERR_INVALID;
            }
    /* The server's own paths (src/routes.c) cannot be an endpoint's: an endpoint there would
     * hide them, and a registration endpoint at /admin (its management URIs below it) would lock
     * the admin API out for good, the change being persisted. */
    static const char *const own[] = {"/admin", "/health", "/metrics", "/.well-known"};
    for (int i = 0; i < RS_EP_COUNT; i++) {
        const char *p = c->ep_path[i];
        bool taken = strcmp(p, c->wk_oidc_path) == 0 || strcmp(p, c->wk_oauth_path) == 0;
        /* the registration endpoint also routes every path below it (RFC 7592 client URIs),
         * ahead of discovery: an issuer's discovery path must not be one of them */
        size_t pl = strlen(p);
        bool covers = i == RS_EP_REGISTER && !taken &&
                      ((strncmp(c->wk_oidc_path, p, pl) == 0 && c->wk_oidc_path[pl] == '/') ||
                       (strncmp(c->wk_oauth_path, p, pl) == 0 && c->wk_oauth_path[pl] == '/'));
        taken = taken || covers;
        for (size_t k = 0; k < sizeof own / sizeof own[0] && !taken; k++) {
            size_t n = strlen(own[k]);
            taken = strncmp(p, own[k], n) == 0 && (p[n] == '\0' || p[n] == '/');
        }
        if (taken) {
            snprintf(err, errlen,
                     covers ? "%s: its client URIs below %s would hide the issuer's discovery "
                              "document"
                            : "%s: the path %s is the server's own (/admin, /health, /metrics, "
                              "/.well-known)",
                     endpoint_prop(i), p);
            return RS_ERR_INVALID;
        }
    }
    size_t n = json_array_size(c->feature_flags);
    for (int f = 0; f < RS_FEATURE_COUNT; f++)
        c->feature_on[f] = n == 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(c->feature_flags, i));
        int f = rs_feature_parse(name);
        if (f < 0) {
            snprintf(err, errlen, "featureFlags: unknown feature flag '%s'", name);
            return RS_ERR_INVALID;
        }
        c->feature_on[f] = true;
    }
    if (rs_log_level_parse(c->log_level) < 0) {
        snprintf(err, errlen, "logLevel: expected debug, info, warn or error");
        return RS_ERR_INVALID;
    }
    return RS_OK;
}

enum rs_err rs_config_build(json_t *obj, const struct rs_config_overrides *ov,
                            struct rs_config **out, char *err, size_t errlen)
{
    enum rs_err e = RS_OK;
    struct rs_config *c = calloc(1, sizeof *c);
    if (!c)
        return RS_ERR_NOMEM;
    c->_refs = 1;
    for (size_t i = 0; i < rs_props_count && !e; i++) {
        json_t *d = json_loads(rs_props[i].def, JSON_DECODE_ANY, NULL);
        e = d ? set_prop(c, &rs_props[i], d, err, errlen) : RS_ERR_NOMEM;
        json_decref(d);
    }
    if (e)
        goto out;
    if (obj && !json_is_object(obj)) {
        snprintf(err, errlen, "configuration: expected a JSON object");
        e = RS_ERR_INVALID;
        goto out;
    }
    const char *key;
    json_t *v;
    if (obj) {
        json_object_foreach(obj, key, v) {
            const struct rs_prop *p = rs_prop_find(key);
            if (!p) {
                snprintf(err, errlen, "%s: unknown property", key);
                e = RS_ERR_INVALID;
                goto out;
            }
            e = set_prop(c, p, v, err, errlen);
            if (e)
                goto out;
        }
    }
    if (ov && ov->listen) {
        free(c->listen);
        c->listen = strdup(ov->listen);
    }
    if (ov && ov->db_path) {
        free(c->db_path);
        c->db_path = strdup(ov->db_path);
    }
    if (!c->listen || !c->db_path) {
        e = RS_ERR_NOMEM;
        goto out;
    }
    e = derive(c, err, errlen);
out:
    if (e) {
        if (e == RS_ERR_NOMEM)
            snprintf(err, errlen, "out of memory");
        config_free(c);
        c = NULL;
    }
    *out = c;
    return e;
}

enum rs_err rs_config_load_file(const char *path, const struct rs_config_overrides *ov,
                                struct rs_config **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        *out = NULL;
        return RS_ERR_INVALID;
    }
    enum rs_err e = rs_config_build(obj, ov, out, err, errlen);
    json_decref(obj);
    return e;
}

json_t *rs_config_to_json(const struct rs_config *c)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < rs_props_count; i++) {
        const void *p = (const char *)c + rs_props[i].offset;
        json_t *v = NULL;
        switch (rs_props[i].type) {
        case RS_PROP_STRING: v = json_string(*(char *const *)p); break;
        case RS_PROP_INT: v = json_integer(*(const int64_t *)p); break;
        case RS_PROP_BOOL: v = json_boolean(*(const bool *)p); break;
        case RS_PROP_STRING_LIST: v = json_deep_copy(*(json_t *const *)p); break;
        }
        json_object_set_new(o, rs_props[i].name, v);
    }
    return o;
}

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rs_config *cur;

void rs_config_install(struct rs_config *cfg)
{
    pthread_mutex_lock(&cur_lock);
    struct rs_config *old = cur;
    cur = cfg;
    pthread_mutex_unlock(&cur_lock);
    if (cfg)
        rs_log_set_level((enum rs_log_level)rs_log_level_parse(cfg->log_level));
    rs_config_release(old);
}

struct rs_config *rs_config_acquire(void)
{
    pthread_mutex_lock(&cur_lock);
    struct rs_config *c = cur;
    if (c)
        c->_refs++;
    pthread_mutex_unlock(&cur_lock);
    return c;
}

struct rs_config *rs_config_ref(const struct rs_config *cfg)
{
    struct rs_config *c = (struct rs_config *)cfg; /* the count is not part of the value */
    pthread_mutex_lock(&cur_lock);
    c->_refs++;
    pthread_mutex_unlock(&cur_lock);
    return c;
}

void rs_config_release(struct rs_config *cfg)
{
    if (!cfg)
        return;
    pthread_mutex_lock(&cur_lock);
    int left = --cfg->_refs;
    pthread_mutex_unlock(&cur_lock);
    if (left == 0)
        config_free(cfg);
}

static char *src_path, *src_listen, *src_db;

enum rs_err rs_config_set_source(const char *path, const struct rs_config_overrides *ov)
{
    free(src_path);
    free(src_listen);
    free(src_db);
    src_path = path ? strdup(path) : NULL;
    src_listen = ov && ov->listen ? strdup(ov->listen) : NULL;
    src_db = ov && ov->db_path ? strdup(ov->db_path) : NULL;
    return RS_OK;
}

const char *rs_config_overriding_flag(const char *name)
{
    if (src_listen && strcmp(name, "listen") == 0)
        return "--listen";
    if (src_db && strcmp(name, "dbPath") == 0)
        return "--db";
    return NULL;
}

enum rs_err rs_config_rebuild(json_t *patch, struct rs_config **out, char *err, size_t errlen)
{
    struct rs_config_overrides ov = {src_listen, src_db};
    json_t *base = NULL;
    enum rs_err e;
    *out = NULL;
    if (src_path) {
        json_error_t je;
        base = json_load_file(src_path, JSON_REJECT_DUPLICATES, &je);
        if (!base) {
            snprintf(err, errlen, "%s:%d: %s", src_path, je.line, je.text);
            return RS_ERR_INVALID;
        }
        if (!json_is_object(base)) {
            json_decref(base);
            snprintf(err, errlen, "configuration: expected a JSON object");
            return RS_ERR_INVALID;
        }
    } else {
        base = json_object();
        if (!base)
            return RS_ERR_NOMEM;
    }
    if (patch) {
        const char *k;
        json_t *v;
        json_object_foreach(patch, k, v) {
            if (json_is_null(v))
                json_object_del(base, k); /* RFC 7396: null removes, the default returns */
            else
                json_object_set(base, k, v);
        }
    }
    e = rs_config_build(base, &ov, out, err, errlen);
    json_decref(base);
    return e;
}
