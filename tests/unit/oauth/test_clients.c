/* test_clients.c - client records from RFC 7591 metadata (src/oauth/clients.c): defaults,
 * which errors name which problem (invalid_redirect_uri vs invalid_client_metadata), the
 * consistency rules between grant types, response types and the auth method, and creation
 * with a generated secret stored only as a keyed digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/ct.h"
#include "base/hash.h"
#include "oauth/clients.h"
#include "oauth/common.h"
#include "testutil.h"
#include <stdio.h>
#include <string.h>

/* Parses metadata JSON into c (cleared first). */
static enum rs_err from(const char *json, struct rs_client *c, enum rs_oauth_err *code,
                        const char **why)
{
    json_error_t je;
    json_t *meta = json_loads(json, JSON_DECODE_ANY, &je);
    if (!meta)
        fail_msg("bad test JSON %s: %s", json, je.text);
    memset(c, 0, sizeof *c);
    *why = NULL;
    enum rs_err e = rs_clients_from_metadata(meta, c, code, why);
    json_decref(meta);
    return e;
}

static void expect_ok(const char *json)
{
    struct rs_client c;
    enum rs_oauth_err code;
    const char *why;
    enum rs_err e = from(json, &c, &code, &why);
    if (e != RS_OK)
        fail_msg("%s refused (%d): %s", json, e, why ? why : "?");
    rs_client_clear(&c);
}

static void expect_error(const char *json, enum rs_oauth_err want)
{
    struct rs_client c;
    enum rs_oauth_err code = RS_OAUTH_SERVER_ERROR;
    const char *why = NULL;
    enum rs_err e = from(json, &c, &code, &why);
    if (e != RS_ERR_INVALID)
        fail_msg("%s: expected RS_ERR_INVALID, got %d", json, e);
    if (code != want)
        fail_msg("%s: expected %s, got %s", json, rs_oauth_err_name(want), rs_oauth_err_name(code));
    assert_non_null(why);
    assert_true(strlen(why) > 0);
    rs_client_clear(&c);
}

static void test_defaults(void **state)
{
    (void)state;
    struct rs_client c;
    enum rs_oauth_err code;
    const char *why;
    json_t *meta = json_pack("{s:[s]}", "redirect_uris", "https://app.example/cb");
    memset(&c, 0, sizeof c);
    snprintf(c.client_id, sizeof c.client_id, "kept-id");
    assert_int_equal(rs_clients_from_metadata(meta, &c, &code, &why), RS_OK);
    json_decref(meta);
    assert_string_equal(c.client_id, "kept-id");
    assert_string_equal(c.grant_types, "authorization_code");
    assert_string_equal(c.response_types, "code");
    assert_string_equal(c.auth_method, "client_secret_basic");
    assert_string_equal(c.redirect_uris, "https://app.example/cb");
    assert_string_equal(c.scope, "");
    assert_string_equal(c.client_name, "");
    assert_string_equal(c.origins, "");
    rs_client_clear(&c);
}

static void test_lists_joined(void **state)
{
    (void)state;
    struct rs_client c;
    enum rs_oauth_err code;
    const char *why;
    assert_int_equal(from("{\"redirect_uris\":[\"https://a.example/cb\",\"http://127.0.0.1:9000/cb\"],"
                          "\"grant_types\":[\"authorization_code\",\"refresh_token\"],"
                          "\"token_endpoint_auth_method\":\"client_secret_post\","
                          "\"scope\":\"openid read\",\"client_name\":\"My App\","
                          "\"authorized_origins\":[\"https://a.example\"]}",
                          &c, &code, &why),
                     RS_OK);
    assert_string_equal(c.redirect_uris, "https://a.example/cb http://127.0.0.1:9000/cb");
    assert_string_equal(c.grant_types, "authorization_code refresh_token");
    assert_string_equal(c.auth_method, "client_secret_post");
    assert_string_equal(c.scope, "openid read");
    assert_string_equal(c.client_name, "My App");
    assert_string_equal(c.origins, "https://a.example");
    rs_client_clear(&c);
}

static void test_redirect_uris(void **state)
{
    (void)state;
    expect_ok("{\"redirect_uris\":[\"http://localhost/cb\"]}");
    expect_ok("{\"redirect_uris\":[\"http://localhost:8000/cb\"]}");
    expect_ok("{\"redirect_uris\":[\"http://[::1]:8000/cb\"]}");
    expect_ok("{\"redirect_uris\":[\"com.example.app:/oauth2redirect\"]}");
    expect_error("{\"redirect_uris\":[\"https://app.example/cb#frag\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"http://app.example/cb\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    /* a host that only starts like a loopback name is not loopback */
    expect_error("{\"redirect_uris\":[\"http://localhost.evil.example/cb\"]}",
                 RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"http://127.0.0.1.evil.example/cb\"]}",
                 RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"/relative/cb\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"https:///cb\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"myapp:/cb\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[\"https://a.example/a b\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":\"https://app.example/cb\"}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"redirect_uris\":[42]}", RS_OAUTH_INVALID_REDIRECT_URI);
    /* the code grant (the default) needs a redirect URI */
    expect_error("{}", RS_OAUTH_INVALID_REDIRECT_URI);
    expect_error("{\"grant_types\":[\"authorization_code\"]}", RS_OAUTH_INVALID_REDIRECT_URI);
}

static void test_grant_and_response_types(void **state)
{
    (void)state;
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"grant_types\":[\"password\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"grant_types\":[\"implicit\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"response_types\":[\"token\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    /* a public client has no secret to use client_credentials with */
    expect_error("{\"grant_types\":[\"client_credentials\"],\"token_endpoint_auth_method\":\"none\"}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    /* response_type code without the code grant */
    expect_error("{\"grant_types\":[\"client_credentials\"],\"response_types\":[\"code\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    /* the code grant without response_type code */
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"response_types\":[]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"grant_types\":[\"refresh_token\",\"client_credentials\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],"
                 "\"token_endpoint_auth_method\":\"private_key_jwt\"}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"scope\":\"a  b\"}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],\"scope\":7}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("{\"redirect_uris\":[\"https://a.example/cb\"],"
                 "\"authorized_origins\":[\"https://a.example/path\"]}",
                 RS_OAUTH_INVALID_CLIENT_METADATA);
    expect_error("[]", RS_OAUTH_INVALID_CLIENT_METADATA);

    struct rs_client c;
    enum rs_oauth_err code;
    const char *why;
    assert_int_equal(from("{\"grant_types\":[\"client_credentials\"]}", &c, &code, &why), RS_OK);
    assert_string_equal(c.grant_types, "client_credentials");
    assert_string_equal(c.response_types, "");
    assert_string_equal(c.redirect_uris, "");
    rs_client_clear(&c);
    /* a public client using the code grant is fine */
    expect_ok("{\"redirect_uris\":[\"https://a.example/cb\"],\"token_endpoint_auth_method\":\"none\"}");
}

struct fixture {
    char dir[256];
    struct rs_store *store;
    unsigned char pepper[RS_PEPPER_LEN];
    struct rs_ctx ctx;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char path[300];
    if (!f || rs_test_mkdtemp(f->dir, sizeof f->dir))
        return -1;
    snprintf(path, sizeof path, "%s/rescind.db", f->dir);
    if (rs_store_open(path, &f->store))
        return -1;
    memset(f->pepper, 0x42, sizeof f->pepper);
    f->ctx.store = f->store;
    f->ctx.pepper = f->pepper;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rs_store_close(f->store);
    rs_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void test_create_confidential(void **state)
{
    struct fixture *f = *state;
    struct rs_client c, got;
    enum rs_oauth_err code;
    const char *why;
    char secret[RS_TOKEN_STRLEN];
    assert_int_equal(from("{\"grant_types\":[\"client_credentials\"],\"scope\":\"read\"}", &c, &code,
                          &why),
                     RS_OK);
    assert_int_equal(rs_clients_create(&f->ctx, &c, secret), RS_OK);
    assert_int_equal(strlen(c.client_id), 32);
    assert_int_equal(strlen(secret), 43);
    assert_int_equal(rs_store_client_get(f->store, c.client_id, &got), RS_OK);
    /* only the keyed digest of the secret is stored */
    unsigned char d[RS_HASH_LEN];
    rs_hash_hmac(f->pepper, RS_PEPPER_LEN, secret, strlen(secret), d);
    assert_true(got.has_secret);
    assert_memory_equal(got.secret_hash, d, RS_HASH_LEN);
    assert_string_equal(got.scope, "read");
    assert_true(got.created_at > 0);

    json_t *j = rs_clients_to_json(&got);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "client_id")), c.client_id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "grant_types"), 0)),
                        "client_credentials");
    assert_string_equal(json_string_value(json_object_get(j, "scope")), "read");
    assert_null(json_object_get(j, "client_secret"));
    char *dump = json_dumps(j, 0);
    assert_null(strstr(dump, secret));
    free(dump);
    json_decref(j);
    rs_client_clear(&got);

    /* the same id again is a conflict, and no secret is handed out for it */
    char again[RS_TOKEN_STRLEN];
    assert_int_equal(rs_clients_create(&f->ctx, &c, again), RS_ERR_CONFLICT);
    assert_int_equal(again[0], '\0');
    rs_client_clear(&c);
}

static void test_create_public(void **state)
{
    struct fixture *f = *state;
    struct rs_client c, got;
    enum rs_oauth_err code;
    const char *why;
    char secret[RS_TOKEN_STRLEN];
    assert_int_equal(from("{\"redirect_uris\":[\"https://a.example/cb\"],"
                          "\"token_endpoint_auth_method\":\"none\"}",
                          &c, &code, &why),
                     RS_OK);
    snprintf(c.client_id, sizeof c.client_id, "spa-client");
    assert_int_equal(rs_clients_create(&f->ctx, &c, secret), RS_OK);
    assert_string_equal(c.client_id, "spa-client");
    assert_string_equal(secret, "");
    assert_int_equal(rs_store_client_get(f->store, "spa-client", &got), RS_OK);
    assert_false(got.has_secret);
    assert_string_equal(got.auth_method, "none");
    rs_client_clear(&got);
    rs_client_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_lists_joined),
        cmocka_unit_test(test_redirect_uris),
        cmocka_unit_test(test_grant_and_response_types),
        cmocka_unit_test_setup_teardown(test_create_confidential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_public, setup, teardown),
    };
    return cmocka_run_group_tests_name("clients", tests, NULL, NULL);
}
