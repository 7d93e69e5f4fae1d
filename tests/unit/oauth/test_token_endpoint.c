/* test_token_endpoint.c - the token and introspection handlers in process (STYLE.md §10):
 * a hand-built struct rs_req with our own header lookup, a real SQLite store and signing key
 * in a temporary folder, a real client created through rs_clients_create, and assertions on
 * the struct rs_resp the handler fills (status, headers, JSON body) and on the store after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hash.h"
#include "config/config.h"
#include "oauth/clients.h"
#include "oauth/endpoints.h"
#include "oauth/hooks.h"
#include "token/jwt.h"
#include "testutil.h"
#include <sodium.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct hdr {
    const char *name, *value;
};

/* The request's headers: a NULL-terminated list, looked up case-insensitively like MHD does. */
static const char *find_header(void *impl, const char *name)
{
    for (const struct hdr *h = impl; h && h->name; h++)
        if (strcasecmp(h->name, name) == 0)
            return h->value;
    return NULL;
}

struct fixture {
    char dir[256];
    struct rs_config *cfg;
    struct rs_store *store;
    struct rs_keys *keys;
    unsigned char pepper[RS_PEPPER_LEN];
    struct rs_ctx ctx;
    char client_id[RS_ID_MAX + 1];
    char secret[RS_TOKEN_STRLEN];
    char basic[256]; /* "Basic base64(id:secret)" */
};

static void make_basic(char *out, size_t cap, const char *id, const char *secret)
{
    char raw[200];
    int n = snprintf(raw, sizeof raw, "%s:%s", id, secret);
    memcpy(out, "Basic ", 6);
    sodium_bin2base64(out + 6, cap - 6, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
}

/* One signing key for the whole group: RSA key generation is the slow part of a setup. */
static char key_dir[256];
static struct rs_keys *group_keys;

static int group_setup(void **state)
{
    char path[300];
    (void)state;
    if (rs_test_mkdtemp(key_dir, sizeof key_dir))
        return -1;
    snprintf(path, sizeof path, "%s/k.jwk", key_dir);
    return rs_keys_open(path, &group_keys) == RS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    rs_keys_free(group_keys);
    rs_test_rmtree(key_dir);
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char path[300], err[256];
    if (!f || rs_test_mkdtemp(f->dir, sizeof f->dir))
        return -1;
    struct rs_config_overrides ov = {.db_path = f->dir};
    if (rs_config_build(NULL, &ov, &f->cfg, err, sizeof err))
        return -1;
    snprintf(path, sizeof path, "%s/rescind.db", f->dir);
    if (rs_store_open(path, &f->store))
        return -1;
    f->keys = group_keys;
    rs_rand_bytes(f->pepper, sizeof f->pepper);
    f->ctx = (struct rs_ctx){.cfg = f->cfg, .store = f->store, .keys = f->keys, .pepper = f->pepper};

    json_t *meta = json_pack("{s:[s],s:s}", "grant_types", "client_credentials", "scope",
                             "read write");
    struct rs_client c = {0};
    enum rs_oauth_err code;
    const char *why;
    enum rs_err e = rs_clients_from_metadata(meta, &c, &code, &why);
    json_decref(meta);
    if (!e)
        e = rs_clients_create(&f->ctx, &c, f->secret);
    snprintf(f->client_id, sizeof f->client_id, "%s", c.client_id);
    rs_client_clear(&c);
    if (e)
        return -1;
    make_basic(f->basic, sizeof f->basic, f->client_id, f->secret);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rs_store_close(f->store);
    rs_config_release(f->cfg);
    rs_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void async_ready(void *arg)
{
    atomic_store((atomic_bool *)arg, true);
}

/* Runs handler on one request; the caller frees resp with rs_resp_free. */
static void call(rs_handler_fn *handler, struct fixture *f, const char *method, const char *path,
                 const struct hdr *headers, const char *body, struct rs_resp *resp)
{
    struct rs_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.body = body ? body : "";
    req.body_len = strlen(req.body);
    req.remote_addr = "127.0.0.1";
    req.may_block = true; /* in process nothing is an I/O thread */
    snprintf(req.request_id, sizeof req.request_id, "unit-test");
    req._header = find_header;
    req._impl = (void *)headers;
    rs_resp_init(resp);
    assert_int_equal(handler(&f->ctx, &req, resp), RS_OK);
    assert_false(resp->defer); /* may_block: nothing is deferred */
    if (resp->async_start) {
        /* what the daemon does for an asynchronous response: start, wait for done, finish */
        atomic_bool ready = false;
        resp->async_start(resp->async_arg, async_ready, &ready);
        while (!atomic_load(&ready))
            usleep(100);
        resp->async_finish(resp->async_arg, resp);
    }
}

static const char *resp_header(const struct rs_resp *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The response body as JSON (new reference); fails the test when it is not an object. */
static json_t *body_json(const struct rs_resp *r)
{
    json_error_t je;
    assert_non_null(r->body.ptr);
    json_t *j = json_loadb(r->body.ptr, r->body.len, 0, &je);
    if (!json_is_object(j))
        fail_msg("body is not a JSON object: %.*s", (int)r->body.len, r->body.ptr);
    assert_string_equal(r->content_type, "application/json");
    return j;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void expect_error(const struct rs_resp *r, int status, const char *error)
{
    if (r->status != status)
        fail_msg("status %d, expected %d: %.*s", r->status, status, (int)r->body.len, r->body.ptr);
    json_t *j = body_json(r);
    assert_string_equal(str(j, "error"), error);
    assert_true(json_is_string(json_object_get(j, "error_description")));
    assert_null(json_object_get(j, "access_token"));
    assert_true(r->no_store);
    json_decref(j);
}

static const char FORM[] = "application/x-www-form-urlencoded";

/* Issues an access token with client_credentials into out (RS_OPAQUE_STRLEN bytes). */
static void issue(struct fixture *f, const char *body, char *out)
{
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h, body, &r);
    if (r.status != 200)
        fail_msg("token request failed: %d %.*s", r.status, (int)r.body.len, r.body.ptr);
    json_t *j = body_json(&r);
    snprintf(out, RS_OPAQUE_STRLEN, "%s", str(j, "access_token"));
    json_decref(j);
    rs_resp_free(&r);
}

static void test_client_credentials_ok(void **state)
{
    struct fixture *f = *state;
    struct hdr h[] = {{"content-type", "application/x-www-form-urlencoded; charset=UTF-8"},
                      {"authorization", f->basic},
                      {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=client_credentials&scope=read", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.no_store);
    assert_string_equal(r.client_id, f->client_id);
    json_t *j = body_json(&r);
    const char *at = str(j, "access_token");
    assert_non_null(at);
    assert_int_equal(strlen(at), 64); /* 48 bytes, base64url: base/token_key.h */
    assert_string_equal(str(j, "token_type"), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(j, "expires_in")), 300);
    assert_string_equal(str(j, "scope"), "read");
    /* client_credentials issues no refresh token and no ID token */
    assert_null(json_object_get(j, "refresh_token"));
    assert_null(json_object_get(j, "id_token"));

    /* the store holds the token's digest, bound to the client */
    unsigned char d[RS_TOKEN_KEY_LEN];
    struct rs_token t;
    rs_token_key(at, strlen(at), d);
    assert_int_equal(rs_store_token_get(f->store, d, &t), RS_OK);
    assert_int_equal(t.type, RS_TOK_ACCESS);
    assert_int_equal(t.state, RS_TS_ACTIVE);
    assert_string_equal(t.client_id, f->client_id);
    assert_string_equal(t.scope, "read");
    assert_string_equal(t.sub, "");
    assert_int_equal(t.exp - t.iat, 300);
    json_decref(j);
    rs_resp_free(&r);

    /* without scope the client gets its registered scope */
    char at2[RS_OPAQUE_STRLEN];
    issue(f, "grant_type=client_credentials", at2);
    rs_token_key(at2, strlen(at2), d);
    assert_int_equal(rs_store_token_get(f->store, d, &t), RS_OK);
    assert_string_equal(t.scope, "read write");
}

static void test_wrong_secret(void **state)
{
    struct fixture *f = *state;
    char bad[256], wrong[RS_OPAQUE_STRLEN];
    snprintf(wrong, sizeof wrong, "%s", f->secret);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    make_basic(bad, sizeof bad, f->client_id, wrong);
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", bad}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=client_credentials", &r);
    expect_error(&r, 401, "invalid_client");
    const char *www = resp_header(&r, "WWW-Authenticate");
    assert_non_null(www);
    assert_int_equal(strncasecmp(www, "Basic", 5), 0);
    rs_resp_free(&r);

    /* an unknown client gets the same answer */
    make_basic(bad, sizeof bad, "no-such-client", f->secret);
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=client_credentials", &r);
    expect_error(&r, 401, "invalid_client");
    rs_resp_free(&r);

    /* and so does a request without any client authentication */
    struct hdr anon[] = {{"Content-Type", FORM}, {NULL, NULL}};
    call(rs_token_handle, f, "POST", "/token", anon, "grant_type=client_credentials", &r);
    expect_error(&r, 401, "invalid_client");
    rs_resp_free(&r);
}

static void test_repeated_parameter(void **state)
{
    struct fixture *f = *state;
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h,
         "grant_type=client_credentials&scope=read&scope=write", &r);
    expect_error(&r, 400, "invalid_request");
    json_t *j = body_json(&r);
    assert_non_null(strstr(str(j, "error_description"), "scope"));
    json_decref(j);
    rs_resp_free(&r);
}

static void test_malformed_body(void **state)
{
    struct fixture *f = *state;
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=client_credentials&scope=%zz", &r);
    expect_error(&r, 400, "invalid_request");
    rs_resp_free(&r);
}

static void test_wrong_content_type(void **state)
{
    struct fixture *f = *state;
    struct hdr json_ct[] = {{"Content-Type", "application/json"}, {"Authorization", f->basic},
                            {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", json_ct, "{\"grant_type\":\"client_credentials\"}", &r);
    expect_error(&r, 400, "invalid_request");
    rs_resp_free(&r);
    /* a media type that merely starts like the right one is still wrong */
    struct hdr near[] = {{"Content-Type", "application/x-www-form-urlencodedx"},
                         {"Authorization", f->basic},
                         {NULL, NULL}};
    call(rs_token_handle, f, "POST", "/token", near, "grant_type=client_credentials", &r);
    expect_error(&r, 400, "invalid_request");
    rs_resp_free(&r);
    struct hdr none[] = {{"Authorization", f->basic}, {NULL, NULL}};
    call(rs_token_handle, f, "POST", "/token", none, "grant_type=client_credentials", &r);
    expect_error(&r, 400, "invalid_request");
    rs_resp_free(&r);
}

static void test_get_not_allowed(void **state)
{
    struct fixture *f = *state;
    struct hdr h[] = {{"Authorization", f->basic}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "GET", "/token", h, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_non_null(resp_header(&r, "Allow"));
    assert_string_equal(resp_header(&r, "Allow"), "POST");
    json_t *j = body_json(&r);
    assert_non_null(str(j, "error"));
    assert_null(json_object_get(j, "access_token"));
    json_decref(j);
    rs_resp_free(&r);
}

static void test_unsupported_grant_type(void **state)
{
    struct fixture *f = *state;
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    struct rs_resp r;
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=password&username=a&password=b", &r);
    expect_error(&r, 400, "unsupported_grant_type");
    rs_resp_free(&r);
    call(rs_token_handle, f, "POST", "/token", h, "scope=read", &r);
    expect_error(&r, 400, "invalid_request");
    rs_resp_free(&r);
    /* a scope the client was not registered for */
    call(rs_token_handle, f, "POST", "/token", h, "grant_type=client_credentials&scope=admin", &r);
    expect_error(&r, 400, "invalid_scope");
    rs_resp_free(&r);
}

/* POSTs token=... to the introspection endpoint and returns the parsed body. */
static json_t *introspect(struct fixture *f, const char *token)
{
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    char body[128];
    struct rs_resp r;
    snprintf(body, sizeof body, "token=%s", token);
    call(rs_introspect_handle, f, "POST", "/introspect", h, body, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.no_store);
    json_t *j = body_json(&r);
    rs_resp_free(&r);
    return j;
}

static void test_introspect_then_revoke(void **state)
{
    struct fixture *f = *state;
    char at[RS_OPAQUE_STRLEN];
    issue(f, "grant_type=client_credentials&scope=write", at);

    json_t *j = introspect(f, at);
    assert_true(json_is_true(json_object_get(j, "active")));
    assert_string_equal(str(j, "client_id"), f->client_id);
    assert_string_equal(str(j, "scope"), "write");
    assert_string_equal(str(j, "token_type"), "Bearer");
    assert_string_equal(str(j, "iss"), f->cfg->issuer);
    assert_true(json_integer_value(json_object_get(j, "exp")) >
                json_integer_value(json_object_get(j, "iat")));
    json_decref(j);

    unsigned char d[RS_TOKEN_KEY_LEN];
    struct rs_token t;
    rs_token_key(at, strlen(at), d);
    assert_int_equal(rs_store_token_get(f->store, d, &t), RS_OK);
    const char *grants[] = {t.grant_id};
    size_t n = 0;
    assert_int_equal(rs_store_grants_revoke(f->store, grants, 1, &n), RS_OK);
    assert_int_equal(n, 1);

    /* RFC 7662 §2.2: an inactive token says only that */
    j = introspect(f, at);
    assert_true(json_is_false(json_object_get(j, "active")));
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);

    j = introspect(f, "not-a-token-we-issued");
    assert_true(json_is_false(json_object_get(j, "active")));
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
}

static void test_introspect_requires_client(void **state)
{
    struct fixture *f = *state;
    char at[RS_OPAQUE_STRLEN], body[128];
    issue(f, "grant_type=client_credentials", at);
    struct hdr h[] = {{"Content-Type", FORM}, {NULL, NULL}};
    struct rs_resp r;
    snprintf(body, sizeof body, "token=%s", at);
    call(rs_introspect_handle, f, "POST", "/introspect", h, body, &r);
    expect_error(&r, 401, "invalid_client");
    rs_resp_free(&r);
}

/* ---- the revoke hook point (where Revoke Token scripts will run) ---- */
struct hook_state {
    int calls;
    bool allow;
    char seen_token[RS_OPAQUE_STRLEN];
    char seen_client[RS_ID_MAX + 1];
};

static bool test_hook(void *arg, struct rs_revoke_hook_ctx *hc)
{
    struct hook_state *hs = arg;
    hs->calls++;
    snprintf(hs->seen_token, sizeof hs->seen_token, "%s", rs_form_get(hc->params, "token"));
    snprintf(hs->seen_client, sizeof hs->seen_client, "%s", hc->client->client_id);
    rs_resp_header(hc->resp, "X-Script", hs->allow ? "allowed" : "denied");
    return hs->allow;
}

static bool token_active(struct fixture *f, const char *at)
{
    json_t *j = introspect(f, at);
    bool a = json_is_true(json_object_get(j, "active"));
    json_decref(j);
    return a;
}

static void revoke_req(struct fixture *f, const char *at, struct rs_resp *r)
{
    char body[128];
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    snprintf(body, sizeof body, "token=%s&token_type_hint=refresh_token", at);
    call(rs_revoke_handle, f, "POST", "/revoke", h, body, r);
}

static void test_revoke_hook_denies(void **state)
{
    struct fixture *f = *state;
    struct hook_state hs = {.allow = false};
    char at[RS_OPAQUE_STRLEN];
    struct rs_resp r;
    issue(f, "grant_type=client_credentials", at);
    rs_hooks_set_revoke(test_hook, &hs);
    revoke_req(f, at, &r);
    rs_hooks_set_revoke(NULL, NULL);
    /* Janssen: a script that returns false → 200 and nothing revoked */
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(resp_header(&r, "X-Script"), "denied");
    assert_int_equal(hs.calls, 1);
    assert_string_equal(hs.seen_token, at);
    assert_string_equal(hs.seen_client, f->client_id);
    rs_resp_free(&r);
    assert_true(token_active(f, at));
}

static void test_revoke_hook_allows(void **state)
{
    struct fixture *f = *state;
    struct hook_state hs = {.allow = true};
    char at[RS_OPAQUE_STRLEN];
    struct rs_resp r;
    issue(f, "grant_type=client_credentials", at);
    rs_hooks_set_revoke(test_hook, &hs);
    revoke_req(f, at, &r);
    rs_hooks_set_revoke(NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "X-Script"), "allowed");
    assert_true(r.no_store);
    rs_resp_free(&r);
    /* the access token sent with hint refresh_token is found anyway (RFC 7009 §2.1) */
    assert_false(token_active(f, at));
}

/* On an I/O thread (may_block false) the hook must not run: the request is deferred, then run
 * again, hook included, where it may block (the daemon's handler thread). */
static void test_revoke_hook_defers_from_io_thread(void **state)
{
    struct fixture *f = *state;
    struct hook_state hs = {.allow = true};
    char at[RS_OPAQUE_STRLEN], body[128];
    struct rs_resp r;
    issue(f, "grant_type=client_credentials", at);
    struct hdr h[] = {{"Content-Type", FORM}, {"Authorization", f->basic}, {NULL, NULL}};
    snprintf(body, sizeof body, "token=%s", at);
    struct rs_req req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/revoke";
    req.body = body;
    req.body_len = strlen(body);
    req.remote_addr = "127.0.0.1";
    snprintf(req.request_id, sizeof req.request_id, "unit-io");
    req._header = find_header;
    req._impl = (void *)h;
    rs_hooks_set_revoke(test_hook, &hs);
    rs_resp_init(&r);
    assert_int_equal(rs_revoke_handle(&f->ctx, &req, &r), RS_OK);
    assert_true(r.defer);
    assert_int_equal(r.status, 0);
    assert_int_equal(hs.calls, 0);
    rs_resp_free(&r);
    assert_true(token_active(f, at));
    /* the handler thread's call: the hook runs once and the token is revoked */
    revoke_req(f, at, &r);
    rs_hooks_set_revoke(NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(hs.calls, 1);
    rs_resp_free(&r);
    assert_false(token_active(f, at));
}

static void test_revoke_hook_not_called_for_unauthenticated(void **state)
{
    struct fixture *f = *state;
    struct hook_state hs = {.allow = true};
    struct hdr h[] = {{"Content-Type", FORM}, {NULL, NULL}};
    struct rs_resp r;
    rs_hooks_set_revoke(test_hook, &hs);
    call(rs_revoke_handle, f, "POST", "/revoke", h, "token=abc", &r);
    rs_hooks_set_revoke(NULL, NULL);
    expect_error(&r, 401, "invalid_client");
    assert_int_equal(hs.calls, 0);
    rs_resp_free(&r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_client_credentials_ok),
        T(test_wrong_secret),
        T(test_repeated_parameter),
        T(test_malformed_body),
        T(test_wrong_content_type),
        T(test_get_not_allowed),
        T(test_unsupported_grant_type),
        T(test_introspect_then_revoke),
        T(test_introspect_requires_client),
        T(test_revoke_hook_denies),
        T(test_revoke_hook_allows),
        T(test_revoke_hook_defers_from_io_thread),
        T(test_revoke_hook_not_called_for_unauthenticated),
    };
    return cmocka_run_group_tests_name("token_endpoint", tests, group_setup, group_teardown);
}
