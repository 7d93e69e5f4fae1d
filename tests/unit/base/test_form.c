/* test_form.c - application/x-www-form-urlencoded parsing and encoding (src/base/form.c).
 * The form parser reads every OAuth request body, so besides the happy paths these tests pin
 * down what must be refused: broken escapes, encoded NULs, too many fields, and how repeated
 * names are reported (RFC 6749 §3.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/form.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum rs_err parse(struct rs_form *f, const char *s)
{
    return rs_form_parse(f, s, strlen(s));
}

static void test_plain_pairs(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "grant_type=client_credentials&scope=read"), RS_OK);
    assert_int_equal(f.count, 2);
    assert_string_equal(f.f[0].name, "grant_type");
    assert_string_equal(f.f[0].value, "client_credentials");
    assert_string_equal(rs_form_get(&f, "scope"), "read");
    assert_null(rs_form_get(&f, "client_id"));
    assert_null(f.dup);
    rs_form_free(&f);
}

static void test_empty_body_and_empty_segments(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, ""), RS_OK);
    assert_int_equal(f.count, 0);
    rs_form_free(&f);
    /* empty segments between '&' are not fields */
    assert_int_equal(parse(&f, "&a=1&&b=2&"), RS_OK);
    assert_int_equal(f.count, 2);
    assert_string_equal(rs_form_get(&f, "a"), "1");
    assert_string_equal(rs_form_get(&f, "b"), "2");
    rs_form_free(&f);
}

static void test_percent_decoding(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3fx%3d1&%41=%7e"), RS_OK);
    assert_string_equal(rs_form_get(&f, "redirect_uri"), "https://app.example/cb?x=1");
    /* names are decoded too, and hex digits are case-insensitive */
    assert_string_equal(rs_form_get(&f, "A"), "~");
    rs_form_free(&f);
    /* an escape ending exactly at the end of the body */
    assert_int_equal(parse(&f, "a=%41"), RS_OK);
    assert_string_equal(rs_form_get(&f, "a"), "A");
    rs_form_free(&f);
    /* UTF-8 bytes survive */
    assert_int_equal(parse(&f, "n=%C3%A9t%C3%A9"), RS_OK);
    assert_string_equal(rs_form_get(&f, "n"), "\xc3\xa9t\xc3\xa9");
    rs_form_free(&f);
}

static void test_plus_is_space(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "scope=openid+profile+email&a+b=c%2Bd"), RS_OK);
    assert_string_equal(rs_form_get(&f, "scope"), "openid profile email");
    /* an encoded '+' stays a plus */
    assert_string_equal(rs_form_get(&f, "a b"), "c+d");
    rs_form_free(&f);
}

static void test_empty_values_and_bare_names(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "a=&flag&b=x"), RS_OK);
    assert_int_equal(f.count, 3);
    assert_string_equal(rs_form_get(&f, "a"), "");
    assert_string_equal(rs_form_get(&f, "flag"), "");
    assert_string_equal(rs_form_get(&f, "b"), "x");
    rs_form_free(&f);
    /* only the first '=' separates; the rest belongs to the value */
    assert_int_equal(parse(&f, "k=v=w"), RS_OK);
    assert_string_equal(rs_form_get(&f, "k"), "v=w");
    rs_form_free(&f);
}

static void test_bad_escapes(void **state)
{
    (void)state;
    static const char *const bad[] = {"a=%4", "a=%zz", "a=%", "a=%4g", "%zz=1", "a=1&b=%G1",
                                      "a=%4&b=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rs_form f;
        enum rs_err e = parse(&f, bad[i]);
        if (e != RS_ERR_INVALID)
            fail_msg("'%s' gave %d, expected RS_ERR_INVALID", bad[i], e);
        /* on error the form is empty, so a caller cannot use half of it */
        assert_int_equal(f.count, 0);
        assert_null(rs_form_get(&f, "a"));
        rs_form_free(&f);
    }
}

static void test_encoded_nul_refused(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "client_id=abc%00def"), RS_ERR_INVALID);
    assert_int_equal(f.count, 0);
    assert_int_equal(parse(&f, "a%00=1"), RS_ERR_INVALID);
    assert_int_equal(f.count, 0);
    /* a raw NUL inside the length is refused as well */
    assert_int_equal(rs_form_parse(&f, "a=1\0b", 5), RS_ERR_INVALID);
    assert_int_equal(f.count, 0);
}

static void test_duplicates_reported(void **state)
{
    (void)state;
    struct rs_form f;
    assert_int_equal(parse(&f, "a=1&b=2&c=3&b=4&a=5"), RS_OK);
    assert_int_equal(f.count, 5);
    assert_non_null(f.dup);
    /* b is the first name that is seen a second time */
    assert_string_equal(f.dup, "b");
    /* lookups return the first value */
    assert_string_equal(rs_form_get(&f, "b"), "2");
    rs_form_free(&f);
    assert_null(f.dup);
    /* "a" and "a " are different names */
    assert_int_equal(parse(&f, "a=1&a+=2"), RS_OK);
    assert_null(f.dup);
    rs_form_free(&f);
}

static void test_field_limit(void **state)
{
    (void)state;
    char body[2048] = "";
    size_t o = 0;
    struct rs_form f;
    for (int i = 0; i < RS_FORM_MAX_FIELDS; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%sf%d=%d", i ? "&" : "", i, i);
    assert_int_equal(rs_form_parse(&f, body, o), RS_OK);
    assert_int_equal(f.count, RS_FORM_MAX_FIELDS);
    rs_form_free(&f);
    snprintf(body + o, sizeof body - o, "&one=more");
    assert_int_equal(parse(&f, body), RS_ERR_TOO_LARGE);
    assert_int_equal(f.count, 0);
    rs_form_free(&f);
}

static void test_add_then_duplicate(void **state)
{
    (void)state;
    struct rs_form f;
    memset(&f, 0, sizeof f);
    assert_int_equal(rs_form_add(&f, "x", "1"), RS_OK);
    assert_null(f.dup);
    assert_int_equal(rs_form_add(&f, "x", "2"), RS_OK);
    assert_string_equal(f.dup, "x");
    for (int i = 2; i < RS_FORM_MAX_FIELDS; i++)
        assert_int_equal(rs_form_add(&f, "y", "z"), RS_OK);
    assert_int_equal(rs_form_add(&f, "y", "z"), RS_ERR_TOO_LARGE);
    assert_int_equal(f.count, RS_FORM_MAX_FIELDS);
    rs_form_free(&f);
}

static void test_decode(void **state)
{
    (void)state;
    enum rs_err e = RS_OK;
    char *s = rs_form_decode("a+b%20c", 7, &e);
    assert_non_null(s);
    assert_string_equal(s, "a b c");
    free(s);
    /* only len bytes are read */
    s = rs_form_decode("abc%41", 3, &e);
    assert_string_equal(s, "abc");
    free(s);
    e = RS_OK;
    assert_null(rs_form_decode("%0", 2, &e));
    assert_int_equal(e, RS_ERR_INVALID);
}

static void test_encode_pair_round_trip(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"state", "a b&c=d/e?f#g%h+i~j.k_l-m"},
        {"redirect uri", "https://app.example/cb?x=1&y=2"},
        {"n", "\xc3\xa9\x01\x7f"},
        {"empty", ""},
    };
    struct rs_buf b;
    rs_buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (i)
            assert_int_equal(rs_buf_append(&b, "&", 1), RS_OK);
        assert_int_equal(rs_form_encode_pair(&b, pairs[i][0], pairs[i][1]), RS_OK);
    }
    /* unreserved characters stay, everything else is escaped (so '+' never means space) */
    assert_non_null(strstr(b.ptr, "state=a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi~j.k_l-m"));
    assert_null(strchr(b.ptr, ' '));
    struct rs_form f;
    assert_int_equal(rs_form_parse(&f, b.ptr, b.len), RS_OK);
    assert_int_equal(f.count, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(f.f[i].name, pairs[i][0]);
        assert_string_equal(f.f[i].value, pairs[i][1]);
    }
    rs_form_free(&f);
    rs_buf_free(&b);
}

static void test_encode_respects_cap(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 8);
    assert_int_equal(rs_form_encode_pair(&b, "name", "a value that is too long"), RS_ERR_TOO_LARGE);
    assert_true(b.len <= 8);
    rs_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_pairs),
        cmocka_unit_test(test_empty_body_and_empty_segments),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_plus_is_space),
        cmocka_unit_test(test_empty_values_and_bare_names),
        cmocka_unit_test(test_bad_escapes),
        cmocka_unit_test(test_encoded_nul_refused),
        cmocka_unit_test(test_duplicates_reported),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_add_then_duplicate),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_encode_pair_round_trip),
        cmocka_unit_test(test_encode_respects_cap),
    };
    return cmocka_run_group_tests_name("form", tests, NULL, NULL);
}
