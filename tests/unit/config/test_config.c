/* test_config.c - configuration snapshots (src/config/config.c, props.c): defaults and what
 * is derived from them, validation messages that name the bad property, feature flags,
 * endpoint paths, command-line overrides, rebuild with a persisted merge patch, and the
 * refcounted swap that keeps a snapshot alive while a request holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"
#include "base/hash.h"
#include "testutil.h"
#include <stdio.h>
#include <string.h>

struct built {
    struct rs_config *cfg;
    enum rs_err e;
    char err[256];
};

/* Builds from JSON text (NULL: no file) and optional overrides. */
static struct built build(const char *json, const struct rs_config_overrides *ov)
{
    struct built b = {0};
    json_t *obj = NULL;
    if (json) {
        json_error_t je;
        obj = json_loads(json, 0, &je);
        if (!obj)
            fail_msg("bad test JSON %s: %s", json, je.text);
    }
    b.e = rs_config_build(obj, ov, &b.cfg, b.err, sizeof b.err);
    json_decref(obj);
    if (b.e)
        assert_null(b.cfg);
    return b;
}

static void expect_invalid(const char *json, const char *must_mention)
{
    struct built b = build(json, NULL);
    if (b.e != RS_ERR_INVALID)
        fail_msg("%s: expected RS_ERR_INVALID, got %d", json, b.e);
    if (!strstr(b.err, must_mention))
        fail_msg("%s: message '%s' does not mention '%s'", json, b.err, must_mention);
}

static void test_defaults(void **state)
{
    (void)state;
    struct built b = build(NULL, NULL);
    assert_int_equal(b.e, RS_OK);
    struct rs_config *c = b.cfg;
    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->issuer, "http://127.0.0.1:8080");
    assert_string_equal(c->ep_path[RS_EP_AUTHORIZE], "/authorize");
    assert_string_equal(c->ep_path[RS_EP_TOKEN], "/token");
    assert_string_equal(c->ep_path[RS_EP_INTROSPECT], "/introspect");
    assert_string_equal(c->ep_path[RS_EP_REVOKE], "/revoke");
    assert_string_equal(c->ep_path[RS_EP_USERINFO], "/userinfo");
    assert_string_equal(c->ep_path[RS_EP_JWKS], "/jwks");
    assert_string_equal(c->ep_path[RS_EP_REGISTER], "/register");
    assert_string_equal(c->ep_url[RS_EP_TOKEN], "http://127.0.0.1:8080/token");
    assert_string_equal(c->ep_url[RS_EP_REVOKE], "http://127.0.0.1:8080/revoke");
    for (int f = 0; f < RS_FEATURE_COUNT; f++)
        assert_true(rs_feature_enabled(c, (enum rs_feature)f));
    assert_int_equal(c->access_token_lifetime, 300);
    assert_int_equal(c->refresh_token_lifetime, 14400);
    assert_false(c->error_reason_enabled);
    assert_string_equal(c->log_level, "info");
    rs_config_release(c);
}

static void test_issuer_drives_endpoint_urls(void **state)
{
    (void)state;
    struct built b = build("{\"issuer\":\"https://auth.example.com/base\"}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->ep_url[RS_EP_TOKEN], "https://auth.example.com/base/token");
    assert_string_equal(b.cfg->ep_path[RS_EP_TOKEN], "/base/token");
    rs_config_release(b.cfg);
    expect_invalid("{\"issuer\":\"https://auth.example.com/\"}", "issuer");
    expect_invalid("{\"issuer\":\"auth.example.com\"}", "issuer");
}

static void test_unknown_property(void **state)
{
    (void)state;
    expect_invalid("{\"accessTokenLifetime\":60,\"tokenLifetimeTypo\":1}", "tokenLifetimeTypo");
    expect_invalid("[1,2]", "object");
}

static void test_wrong_type_names_property(void **state)
{
    (void)state;
    expect_invalid("{\"accessTokenLifetime\":\"300\"}", "accessTokenLifetime");
    expect_invalid("{\"accessTokenLifetime\":300.5}", "accessTokenLifetime");
    expect_invalid("{\"issuer\":42}", "issuer");
    expect_invalid("{\"errorReasonEnabled\":\"true\"}", "errorReasonEnabled");
    expect_invalid("{\"featureFlags\":\"REVOKE_TOKEN\"}", "featureFlags");
    expect_invalid("{\"featureFlags\":[\"REVOKE_TOKEN\",1]}", "featureFlags");
    expect_invalid("{\"logLevel\":\"loud\"}", "logLevel");
}

static void test_integer_range(void **state)
{
    (void)state;
    expect_invalid("{\"accessTokenLifetime\":0}", "accessTokenLifetime");
    expect_invalid("{\"accessTokenLifetime\":-5}", "accessTokenLifetime");
    expect_invalid("{\"accessTokenLifetime\":31536001}", "accessTokenLifetime");
    expect_invalid("{\"maxRequestBodySize\":1023}", "maxRequestBodySize");
    /* both ends of the range are allowed */
    struct built b = build("{\"accessTokenLifetime\":1,\"maxRequestBodySize\":16777216}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_int_equal(b.cfg->access_token_lifetime, 1);
    assert_int_equal(b.cfg->max_request_body_size, 16777216);
    rs_config_release(b.cfg);
    b = build("{\"accessTokenLifetime\":31536000}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_int_equal(b.cfg->access_token_lifetime, 31536000);
    rs_config_release(b.cfg);
}

static void test_feature_flags(void **state)
{
    (void)state;
    struct built b = build("{\"featureFlags\":[]}", NULL);
    assert_int_equal(b.e, RS_OK);
    for (int f = 0; f < RS_FEATURE_COUNT; f++)
        assert_true(rs_feature_enabled(b.cfg, (enum rs_feature)f));
    rs_config_release(b.cfg);

    b = build("{\"featureFlags\":[\"REVOKE_TOKEN\"]}", NULL);
    assert_int_equal(b.e, RS_OK);
    for (int f = 0; f < RS_FEATURE_COUNT; f++)
        assert_int_equal(rs_feature_enabled(b.cfg, (enum rs_feature)f), f == RS_FEATURE_REVOKE_TOKEN);
    rs_config_release(b.cfg);

    b = build("{\"featureFlags\":[\"revoke_token\",\"Introspection\"]}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_true(rs_feature_enabled(b.cfg, RS_FEATURE_REVOKE_TOKEN));
    assert_true(rs_feature_enabled(b.cfg, RS_FEATURE_INTROSPECTION));
    assert_false(rs_feature_enabled(b.cfg, RS_FEATURE_USERINFO));
    rs_config_release(b.cfg);

    expect_invalid("{\"featureFlags\":[\"REVOKE_TOKEN\",\"TIME_TRAVEL\"]}", "TIME_TRAVEL");
    assert_int_equal(rs_feature_parse("revoke_token"), RS_FEATURE_REVOKE_TOKEN);
    assert_int_equal(rs_feature_parse("REVOKE"), -1);
    assert_string_equal(rs_feature_name(RS_FEATURE_REVOKE_TOKEN), "REVOKE_TOKEN");
}

static void test_endpoint_path_from_url(void **state)
{
    (void)state;
    struct built b = build("{\"tokenRevocationEndpoint\":\"http://h/x/rev\"}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->ep_path[RS_EP_REVOKE], "/x/rev");
    assert_string_equal(b.cfg->ep_url[RS_EP_REVOKE], "http://h/x/rev");
    /* the others keep their defaults */
    assert_string_equal(b.cfg->ep_path[RS_EP_TOKEN], "/token");
    rs_config_release(b.cfg);
    /* a host without a path serves at "/" */
    b = build("{\"jwksUri\":\"https://keys.example\"}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->ep_path[RS_EP_JWKS], "/");
    rs_config_release(b.cfg);
    expect_invalid("{\"tokenRevocationEndpoint\":\"/revoke\"}", "tokenRevocationEndpoint");
    expect_invalid("{\"tokenRevocationEndpoint\":\"ftp://h/revoke\"}", "tokenRevocationEndpoint");
}

static void test_endpoint_paths_unique(void **state)
{
    (void)state;
    expect_invalid("{\"tokenRevocationEndpoint\":\"http://h/token\"}", "/token");
    expect_invalid("{\"userInfoEndpoint\":\"http://a/same\",\"jwksUri\":\"http://b/same\"}", "/same");
    /* the server's own paths, and the issuer's discovery paths, are no endpoint's */
    expect_invalid("{\"registrationEndpoint\":\"http://h/admin\"}", "registrationEndpoint");
    expect_invalid("{\"tokenEndpoint\":\"http://h/health\"}", "tokenEndpoint");
    expect_invalid("{\"jwksUri\":\"http://h/.well-known/jwks\"}", "jwksUri");
    /* the registration endpoint routes the paths below it too: not the issuer's discovery */
    expect_invalid("{\"issuer\":\"http://h/t\",\"registrationEndpoint\":\"http://h/t\"}",
                   "registrationEndpoint");
    expect_invalid("{\"issuer\":\"http://h/t\",\"registrationEndpoint\":\"http://h/t/.well-known\"}",
                   "registrationEndpoint");
    struct built b = build("{\"issuer\":\"http://h/t\",\"tokenEndpoint\":\"http://h/t\"}", NULL);
    assert_int_equal(b.e, RS_OK); /* an exact route hides nothing below it */
    rs_config_release(b.cfg);
}

static void test_listen(void **state)
{
    (void)state;
    struct built b = build("{\"listen\":\"[::1]:9443\"}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->listen_host, "::1");
    assert_int_equal(b.cfg->listen_port, 9443);
    assert_string_equal(b.cfg->issuer, "http://[::1]:9443");
    rs_config_release(b.cfg);
    expect_invalid("{\"listen\":\"localhost\"}", "listen");
    expect_invalid("{\"listen\":\"localhost:http\"}", "listen");
    expect_invalid("{\"listen\":\"localhost:70000\"}", "listen");
    expect_invalid("{\"listen\":\":8080\"}", "listen");
}

static void test_overrides_win(void **state)
{
    (void)state;
    struct rs_config_overrides ov = {.listen = "127.0.0.1:9100", .db_path = "/tmp/override.db"};
    struct built b = build("{\"listen\":\"127.0.0.1:9000\",\"dbPath\":\"/tmp/file.db\"}", &ov);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->listen, "127.0.0.1:9100");
    assert_int_equal(b.cfg->listen_port, 9100);
    assert_string_equal(b.cfg->db_path, "/tmp/override.db");
    /* the derived issuer follows the effective listener */
    assert_string_equal(b.cfg->issuer, "http://127.0.0.1:9100");
    rs_config_release(b.cfg);
    /* an override only replaces what it sets */
    struct rs_config_overrides only_db = {.db_path = "/tmp/x.db"};
    b = build("{\"listen\":\"127.0.0.1:9000\"}", &only_db);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->listen, "127.0.0.1:9000");
    assert_string_equal(b.cfg->db_path, "/tmp/x.db");
    rs_config_release(b.cfg);
}

static void test_to_json_round_trip(void **state)
{
    (void)state;
    struct built b = build("{\"accessTokenLifetime\":77,\"featureFlags\":[\"USERINFO\"],"
                           "\"corsAllowedOrigins\":[\"https://a.example\"]}",
                           NULL);
    assert_int_equal(b.e, RS_OK);
    json_t *j = rs_config_to_json(b.cfg);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "accessTokenLifetime")), 77);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "featureFlags"), 0)),
                        "USERINFO");
    struct rs_config *again = NULL;
    char err[256];
    assert_int_equal(rs_config_build(j, NULL, &again, err, sizeof err), RS_OK);
    assert_int_equal(again->access_token_lifetime, 77);
    assert_true(rs_feature_enabled(again, RS_FEATURE_USERINFO));
    assert_false(rs_feature_enabled(again, RS_FEATURE_REVOKE_TOKEN));
    assert_string_equal(again->issuer, b.cfg->issuer);
    json_decref(j);
    rs_config_release(again);
    rs_config_release(b.cfg);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_file(void **state)
{
    (void)state;
    char dir[256], path[300];
    struct rs_config *c = NULL;
    char err[512];
    assert_int_equal(rs_test_mkdtemp(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/rescind.json", dir);
    write_file(path, "{\"accessTokenLifetime\": 123}");
    assert_int_equal(rs_config_load_file(path, NULL, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 123);
    rs_config_release(c);
    /* a property given twice is ambiguous: refused, with the file named */
    write_file(path, "{\"accessTokenLifetime\": 1, \"accessTokenLifetime\": 2}");
    assert_int_equal(rs_config_load_file(path, NULL, &c, err, sizeof err), RS_ERR_INVALID);
    assert_null(c);
    assert_non_null(strstr(err, path));
    write_file(path, "{not json");
    assert_int_equal(rs_config_load_file(path, NULL, &c, err, sizeof err), RS_ERR_INVALID);
    assert_null(c);
    rs_test_rmtree(dir);
}

static json_t *obj(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_rebuild_merge_patch(void **state)
{
    (void)state;
    struct rs_config *c = NULL;
    char err[256];
    assert_int_equal(rs_config_set_source(NULL, NULL), RS_OK);
    json_t *p = obj("{\"accessTokenLifetime\":600,\"errorReasonEnabled\":true}");
    assert_int_equal(rs_config_rebuild(p, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 600);
    assert_true(c->error_reason_enabled);
    rs_config_release(c);
    json_decref(p);
    /* null resets to the default */
    p = obj("{\"accessTokenLifetime\":null,\"errorReasonEnabled\":true}");
    assert_int_equal(rs_config_rebuild(p, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 300);
    rs_config_release(c);
    json_decref(p);
    /* a patch is validated like a file */
    p = obj("{\"accessTokenLifetime\":0}");
    assert_int_equal(rs_config_rebuild(p, &c, err, sizeof err), RS_ERR_INVALID);
    assert_null(c);
    assert_non_null(strstr(err, "accessTokenLifetime"));
    json_decref(p);
}

static void test_rebuild_over_file_and_overrides(void **state)
{
    (void)state;
    char dir[256], path[300], err[256];
    struct rs_config *c = NULL;
    assert_int_equal(rs_test_mkdtemp(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/rescind.json", dir);
    write_file(path, "{\"accessTokenLifetime\":900,\"listen\":\"127.0.0.1:9000\"}");
    struct rs_config_overrides ov = {.listen = "127.0.0.1:9200"};
    assert_int_equal(rs_config_set_source(path, &ov), RS_OK);
    assert_int_equal(rs_config_rebuild(NULL, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 900);
    assert_string_equal(c->listen, "127.0.0.1:9200");
    rs_config_release(c);
    json_t *p = obj("{\"accessTokenLifetime\":600,\"listen\":\"127.0.0.1:9300\"}");
    assert_int_equal(rs_config_rebuild(p, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 600);
    /* the command line still wins over a run-time patch */
    assert_string_equal(c->listen, "127.0.0.1:9200");
    rs_config_release(c);
    json_decref(p);
    /* null removes the patched value and the file's value: the built-in default returns */
    p = obj("{\"accessTokenLifetime\":null}");
    assert_int_equal(rs_config_rebuild(p, &c, err, sizeof err), RS_OK);
    assert_int_equal(c->access_token_lifetime, 300);
    rs_config_release(c);
    json_decref(p);
    assert_int_equal(rs_config_set_source(NULL, NULL), RS_OK);
    rs_test_rmtree(dir);
}

static void test_install_acquire_release(void **state)
{
    (void)state;
    struct built one = build("{\"accessTokenLifetime\":111}", NULL);
    struct built two = build("{\"accessTokenLifetime\":222}", NULL);
    assert_int_equal(one.e, RS_OK);
    assert_int_equal(two.e, RS_OK);
    rs_config_install(one.cfg);
    struct rs_config *held = rs_config_acquire();
    assert_ptr_equal(held, one.cfg);
    /* a reload swaps in a new snapshot while a request still holds the old one */
    rs_config_install(two.cfg);
    struct rs_config *now = rs_config_acquire();
    assert_ptr_equal(now, two.cfg);
    assert_int_equal(now->access_token_lifetime, 222);
    /* the held snapshot is intact (a use after free here is caught by the ASan build) */
    assert_int_equal(held->access_token_lifetime, 111);
    assert_string_equal(held->ep_path[RS_EP_TOKEN], "/token");
    rs_config_release(held);
    rs_config_release(now);
    assert_int_equal(rs_config_acquire()->access_token_lifetime, 222);
    rs_config_release(two.cfg); /* the reference acquired just above */
    rs_config_install(NULL);    /* drops the last reference: no leak under ASan */
    assert_null(rs_config_acquire());
}

/* The registration initial access token is kept as its digest: in every snapshot, whatever
 * form the file gave, and in a patch about to be persisted; the digest form (lower or upper
 * case hex) is kept as it is and yields the digest it names. */
static void test_initial_access_token_digest(void **state)
{
    (void)state;
    const char *plain = "initial-access-token-0123456789";
    char form[RS_DIGEST_FORM_LEN + 1];
    rs_hash_digest_form(plain, form);
    assert_int_equal(strlen(form), RS_DIGEST_FORM_LEN);
    assert_true(rs_hash_is_digest_form(form));
    assert_false(rs_hash_is_digest_form(plain));
    assert_false(rs_hash_is_digest_form("sha256:abc"));

    struct built b = build("{\"dynamicRegistrationInitialAccessToken\": \"initial-access-token-0123456789\"}", NULL);
    assert_int_equal(b.e, RS_OK);
    assert_string_equal(b.cfg->dynamic_registration_initial_access_token, form);
    rs_config_release(b.cfg);

    unsigned char want[RS_HASH_LEN], got[RS_HASH_LEN];
    rs_hash_sha256(plain, strlen(plain), want);
    assert_true(rs_hash_digest_decode(form, got));
    assert_memory_equal(want, got, RS_HASH_LEN);
    assert_false(rs_hash_digest_decode(plain, got)); /* not a digest form: nothing to compare */
    char upper[RS_DIGEST_FORM_LEN + 1];
    snprintf(upper, sizeof upper, "%s", form);
    for (char *p = upper + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_true(rs_hash_is_digest_form(upper));
    assert_true(rs_hash_digest_decode(upper, got));
    assert_memory_equal(want, got, RS_HASH_LEN);

    json_t *patch = json_pack("{s:s,s:b}", "dynamicRegistrationInitialAccessToken", plain,
                              "errorReasonEnabled", 1);
    bool changed = false;
    assert_int_equal(rs_config_hide_secrets(patch, &changed), RS_OK);
    assert_true(changed);
    assert_string_equal(json_string_value(json_object_get(patch, "dynamicRegistrationInitialAccessToken")), form);
    assert_int_equal(rs_config_hide_secrets(patch, &changed), RS_OK);
    assert_false(changed); /* already a digest */
    json_decref(patch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_issuer_drives_endpoint_urls),
        cmocka_unit_test(test_unknown_property),
        cmocka_unit_test(test_wrong_type_names_property),
        cmocka_unit_test(test_integer_range),
        cmocka_unit_test(test_feature_flags),
        cmocka_unit_test(test_endpoint_path_from_url),
        cmocka_unit_test(test_endpoint_paths_unique),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_overrides_win),
        cmocka_unit_test(test_to_json_round_trip),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_rebuild_merge_patch),
        cmocka_unit_test(test_rebuild_over_file_and_overrides),
        cmocka_unit_test(test_install_acquire_release),
        cmocka_unit_test(test_initial_access_token_digest),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
