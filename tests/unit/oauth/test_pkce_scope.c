/* test_pkce_scope.c - PKCE S256 (src/oauth/pkce.c, RFC 7636), scope syntax and resolution
 * (src/oauth/scope.c, RFC 6749 §3.3) and the space-separated list helpers they rely on
 * (src/oauth/common.c), where a prefix of a word must never count as the word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/b64url.h"
#include "base/hash.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"
#include <stdio.h>
#include <string.h>

/* RFC 7636 Appendix B */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static void s256(const char *verifier, char out[44])
{
    unsigned char h[RS_HASH_LEN];
    rs_hash_sha256(verifier, strlen(verifier), h);
    rs_b64url_encode(h, sizeof h, out);
}

static void test_pkce_rfc7636_vector(void **state)
{
    (void)state;
    assert_true(rs_pkce_verify(RFC_VERIFIER, RFC_CHALLENGE));
    /* one character off on either side */
    assert_false(rs_pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", RFC_CHALLENGE));
    assert_false(rs_pkce_verify(RFC_VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
    /* the challenge is the verifier's digest, not the verifier (no "plain") */
    assert_false(rs_pkce_verify(RFC_VERIFIER, RFC_VERIFIER));
    assert_true(rs_pkce_challenge_valid(RFC_CHALLENGE));
}

static void test_pkce_verifier_length(void **state)
{
    (void)state;
    char v[140], c[44];
    /* 42 characters: too short even with its own matching challenge */
    memset(v, 'a', 42);
    v[42] = '\0';
    s256(v, c);
    assert_false(rs_pkce_verify(v, c));
    /* 43 and 128 are the bounds */
    memset(v, 'a', 43);
    v[43] = '\0';
    s256(v, c);
    assert_true(rs_pkce_verify(v, c));
    memset(v, '~', 128);
    v[128] = '\0';
    s256(v, c);
    assert_true(rs_pkce_verify(v, c));
    memset(v, '~', 129);
    v[129] = '\0';
    s256(v, c);
    assert_false(rs_pkce_verify(v, c));
    assert_false(rs_pkce_verify("", RFC_CHALLENGE));
}

static void test_pkce_verifier_charset(void **state)
{
    (void)state;
    char v[64], c[44];
    /* '+', '/', '=' and space are not unreserved characters */
    static const char bad[] = "+/= %";
    for (size_t i = 0; i < sizeof bad - 1; i++) {
        snprintf(v, sizeof v, "%s", RFC_VERIFIER);
        v[10] = bad[i];
        s256(v, c);
        if (rs_pkce_verify(v, c))
            fail_msg("verifier with '%c' accepted", bad[i]);
    }
    snprintf(v, sizeof v, "%s", "abcdefghijklmnopqrstuvwxyz-._~ABCDEFGHIJKLM0");
    s256(v, c);
    assert_true(rs_pkce_verify(v, c));
}

static void test_pkce_challenge_valid(void **state)
{
    (void)state;
    assert_false(rs_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"));
    assert_false(rs_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMM"));
    assert_false(rs_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="));
    assert_false(rs_pkce_challenge_valid(""));
}

static void test_scope_valid(void **state)
{
    (void)state;
    assert_true(rs_scope_valid(""));
    assert_true(rs_scope_valid("openid"));
    assert_true(rs_scope_valid("openid profile email"));
    assert_true(rs_scope_valid("urn:example:read https://api.example/x !#[]~"));
    assert_false(rs_scope_valid(" openid"));
    assert_false(rs_scope_valid("openid "));
    assert_false(rs_scope_valid("openid  profile"));
    assert_false(rs_scope_valid(" "));
    assert_false(rs_scope_valid("a\"b"));
    assert_false(rs_scope_valid("a\\b"));
    assert_false(rs_scope_valid("a\tb"));
    assert_false(rs_scope_valid("a\nb"));
    assert_false(rs_scope_valid("caf\xc3\xa9"));
    assert_false(rs_scope_valid("a\x7f"));
    char big[RS_SCOPE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_false(rs_scope_valid(big));
    big[RS_SCOPE_MAX] = '\0';
    assert_true(rs_scope_valid(big));
}

static struct rs_client client_with_scope(char *scope)
{
    struct rs_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.client_id, sizeof c.client_id, "c1");
    c.scope = scope;
    return c;
}

static void test_scope_resolve_standard(void **state)
{
    (void)state;
    char out[RS_SCOPE_MAX + 1];
    char empty[] = "";
    struct rs_client c = client_with_scope(empty);
    assert_string_equal(rs_scope_allowed(&c), RS_SCOPE_STANDARD);
    assert_int_equal(rs_scope_resolve(&c, "openid", out), RS_OK);
    assert_string_equal(out, "openid");
    assert_int_equal(rs_scope_resolve(&c, "openid profile email offline_access", out), RS_OK);
    assert_string_equal(out, "openid profile email offline_access");
    assert_int_equal(rs_scope_resolve(&c, "email", out), RS_OK);
    assert_int_equal(rs_scope_resolve(&c, "foo", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "openid foo", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "open", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "openid  profile", out), RS_ERR_INVALID);
    /* nothing requested: the registered scope, here none */
    assert_int_equal(rs_scope_resolve(&c, NULL, out), RS_OK);
    assert_string_equal(out, "");
    c.scope = NULL;
    assert_int_equal(rs_scope_resolve(&c, "profile", out), RS_OK);
    assert_int_equal(rs_scope_resolve(&c, "", out), RS_OK);
    assert_string_equal(out, "");
}

static void test_scope_resolve_registered(void **state)
{
    (void)state;
    char out[RS_SCOPE_MAX + 1];
    char scope[] = "read write";
    struct rs_client c = client_with_scope(scope);
    assert_string_equal(rs_scope_allowed(&c), "read write");
    assert_int_equal(rs_scope_resolve(&c, "read", out), RS_OK);
    assert_string_equal(out, "read");
    assert_int_equal(rs_scope_resolve(&c, "write read", out), RS_OK);
    assert_string_equal(out, "write read");
    assert_int_equal(rs_scope_resolve(&c, "openid", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "rea", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "read admin", out), RS_ERR_INVALID);
    assert_int_equal(rs_scope_resolve(&c, "read write", out), RS_OK);
    assert_int_equal(rs_scope_resolve(&c, "", out), RS_OK);
    assert_string_equal(out, "read write");
}

static void test_list_has(void **state)
{
    (void)state;
    assert_true(rs_list_has("read write", "read"));
    assert_true(rs_list_has("read write", "write"));
    assert_true(rs_list_has("read", "read"));
    /* prefixes, suffixes and infixes of words are not words */
    assert_false(rs_list_has("read write", "rea"));
    assert_false(rs_list_has("read write", "ead"));
    assert_false(rs_list_has("read write", "d w"));
    assert_false(rs_list_has("readonly", "read"));
    assert_false(rs_list_has("xread", "read"));
    /* a later exact word after a prefix match is found */
    assert_true(rs_list_has("readonly read", "read"));
    assert_true(rs_list_has("xread read", "read"));
    assert_true(rs_list_has("aa a", "a"));
    assert_false(rs_list_has("", "read"));
    assert_false(rs_list_has("read", ""));
    assert_false(rs_list_has("", ""));
}

/* a registered scope token longer than 255 characters can be granted (regression) */
static void test_scope_long_token(void **state)
{
    char big[301], out[RS_SCOPE_MAX + 1];
    struct rs_client c = {0};
    (void)state;
    memset(big, 'r', 300);
    big[300] = '\0';
    c.scope = big;
    assert_true(rs_scope_valid(big));
    assert_int_equal(rs_scope_resolve(&c, big, out), RS_OK);
    assert_string_equal(out, big);
    assert_false(rs_list_has("https://a https://b", "https://a https://b"));
}

static void test_list_subset(void **state)
{
    (void)state;
    assert_true(rs_list_subset("", "read"));
    assert_true(rs_list_subset("", ""));
    assert_true(rs_list_subset("read", "read write"));
    assert_true(rs_list_subset("write read", "read write"));
    assert_true(rs_list_subset("read read", "read"));
    assert_false(rs_list_subset("rea", "read"));
    assert_false(rs_list_subset("read", "readonly"));
    assert_false(rs_list_subset("read admin", "read write"));
    assert_false(rs_list_subset("read", ""));
    assert_true(rs_list_subset("  read  write ", "write read"));
}

/* RFC 6749 §5.2: error_description holds %x20-21 / %x23-5B / %x5D-7E only */
static void test_error_description_charset(void **state)
{
    (void)state;
    char out[64];
    rs_oauth_description_clean("parameter '\"\\\xc3\xa9\n\t' is repeated", out, sizeof out);
    assert_string_equal(out, "parameter '\?\?\?\?\?\?' is repeated");
    rs_oauth_description_clean("plain ~!#[] text", out, sizeof out);
    assert_string_equal(out, "plain ~!#[] text");
    rs_oauth_description_clean("abcdef", out, 4); /* truncated, terminated */
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkce_rfc7636_vector),
        cmocka_unit_test(test_error_description_charset),
        cmocka_unit_test(test_pkce_verifier_length),
        cmocka_unit_test(test_pkce_verifier_charset),
        cmocka_unit_test(test_pkce_challenge_valid),
        cmocka_unit_test(test_scope_valid),
        cmocka_unit_test(test_scope_resolve_standard),
        cmocka_unit_test(test_scope_resolve_registered),
        cmocka_unit_test(test_list_has),
        cmocka_unit_test(test_list_subset),
        cmocka_unit_test(test_scope_long_token),
    };
    return cmocka_run_group_tests_name("pkce_scope", tests, NULL, NULL);
}
