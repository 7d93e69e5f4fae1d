/* test_buf.c - the byte buffer, base64url, constant-time compares, digests and random tokens
 * (src/base/buf.c, b64url.c, ct.c, hash.c, rand.c). Digests are checked against published
 * vectors (FIPS 180-2 for SHA-256, RFC 4231 for HMAC-SHA-256, RFC 4648 §10 for base64, here in
 * the url alphabet without padding), so a wrong digest can never go unnoticed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/b64url.h"
#include "base/buf.h"
#include "base/ct.h"
#include "base/hash.h"
#include "base/token_key.h"
#include "base/rand.h"
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---------- rs_buf ---------- */
static void test_buf_append_and_nul(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 0);
    assert_null(b.ptr);
    assert_int_equal(rs_buf_puts(&b, "hello"), RS_OK);
    assert_int_equal(rs_buf_append(&b, ", world!!", 7), RS_OK);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.ptr, "hello, world");
    /* growth past the first allocation keeps earlier bytes */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rs_buf_append(&b, "0123456789", 10), RS_OK);
    assert_int_equal(b.len, 10012);
    assert_memory_equal(b.ptr, "hello, world0123456789", 22);
    assert_int_equal(b.ptr[b.len], '\0');
    rs_buf_free(&b);
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
}

static void test_buf_cap_enforced(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 8);
    assert_int_equal(rs_buf_puts(&b, "12345"), RS_OK);
    assert_int_equal(rs_buf_puts(&b, "678"), RS_OK); /* exactly max */
    assert_int_equal(b.len, 8);
    assert_int_equal(rs_buf_append(&b, "9", 1), RS_ERR_TOO_LARGE);
    /* the refused append changed nothing */
    assert_int_equal(b.len, 8);
    assert_string_equal(b.ptr, "12345678");
    assert_int_equal(rs_buf_printf(&b, "%d", 9), RS_ERR_TOO_LARGE);
    assert_string_equal(b.ptr, "12345678");
    rs_buf_free(&b);
    /* a single append larger than max is refused whole */
    rs_buf_init(&b, 4);
    assert_int_equal(rs_buf_puts(&b, "abcde"), RS_ERR_TOO_LARGE);
    assert_int_equal(b.len, 0);
    rs_buf_free(&b);
}

static void test_buf_printf(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 1024);
    assert_int_equal(rs_buf_puts(&b, "x"), RS_OK);
    assert_int_equal(rs_buf_printf(&b, "-%s=%d-%05.1f", "n", 42, 3.14159), RS_OK);
    assert_string_equal(b.ptr, "x-n=42-003.1");
    assert_int_equal(b.len, strlen("x-n=42-003.1"));
    /* long output forces a reallocation inside printf */
    char big[300];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rs_buf_printf(&b, "%s", big), RS_OK);
    assert_int_equal(b.len, 12 + 299);
    assert_int_equal(b.ptr[b.len - 1], 'q');
    assert_int_equal(b.ptr[b.len], '\0');
    rs_buf_free(&b);
}

static void test_buf_json_escape(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_json_escape(&b, "say \"hi\" \\ back\n\r\t\x01\x1f end \xc3\xa9"), RS_OK);
    assert_string_equal(b.ptr, "say \\\"hi\\\" \\\\ back\\n\\r\\t\\u0001\\u001f end \xc3\xa9");
    rs_buf_free(&b);
    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_json_escape(&b, "</script>"), RS_OK);
    assert_string_equal(b.ptr, "</script>");
    rs_buf_free(&b);
    /* runs of plain bytes around escapes, at both ends, and invalid UTF-8 between them */
    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_json_escape(&b, "\"abc\xff\"def\\"), RS_OK);
    assert_string_equal(b.ptr, "\\\"abc\\ufffd\\\"def\\\\");
    rs_buf_free(&b);
    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_json_escape(&b, ""), RS_OK);
    assert_int_equal(b.len, 0);
    rs_buf_free(&b);
    /* the cap still holds on the fast path */
    rs_buf_init(&b, 4);
    assert_int_equal(rs_buf_json_escape(&b, "abcdefgh"), RS_ERR_TOO_LARGE);
    rs_buf_free(&b);
}

static void test_fmt_i64(void **state)
{
    (void)state;
    char s[RS_I64_STRLEN];
    assert_int_equal(rs_fmt_i64(s, 0), 1);
    assert_string_equal(s, "0");
    rs_fmt_i64(s, 200);
    assert_string_equal(s, "200");
    rs_fmt_i64(s, -42);
    assert_string_equal(s, "-42");
    assert_int_equal(rs_fmt_i64(s, LLONG_MAX), 19);
    assert_string_equal(s, "9223372036854775807");
    assert_int_equal(rs_fmt_i64(s, LLONG_MIN), 20);
    assert_string_equal(s, "-9223372036854775808");
    struct rs_buf b;
    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_puts(&b, "n="), RS_OK);
    assert_int_equal(rs_buf_put_i64(&b, 1764000000), RS_OK);
    assert_string_equal(b.ptr, "n=1764000000");
    /* hex digits of either case; anything else is -1 */
    assert_int_equal(rs_hex_value('0'), 0);
    assert_int_equal(rs_hex_value('9'), 9);
    assert_int_equal(rs_hex_value('a'), 10);
    assert_int_equal(rs_hex_value('F'), 15);
    assert_int_equal(rs_hex_value('g'), -1);
    assert_int_equal(rs_hex_value('/'), -1);
    assert_int_equal(rs_hex_value(':'), -1);
    assert_int_equal(rs_hex_value('@'), -1);
    char hx[7] = "xxxxxx";
    rs_hex_encode((const unsigned char *)"\x00\xaf\x5B", 3, hx);
    assert_string_equal(hx, "00af5b");
    /* a member of a hand-written object: the value is escaped */
    assert_int_equal(rs_buf_json_member(&b, "scope", "a \"b\""), RS_OK);
    assert_string_equal(b.ptr, "n=1764000000,\"scope\":\"a \\\"b\\\"\"");
    rs_buf_free(&b);
}

static void test_buf_steal(void **state)
{
    (void)state;
    struct rs_buf b;
    rs_buf_init(&b, 0);
    char *s = rs_buf_steal(&b);
    assert_non_null(s); /* an empty buffer gives an empty string, never NULL */
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(rs_buf_puts(&b, "kept"), RS_OK);
    s = rs_buf_steal(&b);
    assert_string_equal(s, "kept");
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    free(s);
    rs_buf_free(&b);
}

/* ---------- base64url ---------- */
static void test_b64url_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        {"", ""},          {"f", "Zg"},         {"fo", "Zm8"},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = strlen(v[i][0]);
        memset(out, 'X', sizeof out);
        rs_b64url_encode((const unsigned char *)v[i][0], n, out);
        assert_string_equal(out, v[i][1]);
        assert_int_equal(RS_B64URL_LEN(n), strlen(v[i][1]));
    }
}

static void test_b64url_alphabet(void **state)
{
    (void)state;
    /* bytes whose standard base64 is "+/+/" and "+/8=": the url alphabet uses '-' and '_' */
    static const unsigned char a[] = {0xfb, 0xff, 0xbf}, b[] = {0xfb, 0xff}, c[] = {0xfd, 0xfe, 0xff};
    char out[8];
    rs_b64url_encode(a, sizeof a, out);
    assert_string_equal(out, "-_-_");
    rs_b64url_encode(b, sizeof b, out);
    assert_string_equal(out, "-_8");
    rs_b64url_encode(c, sizeof c, out);
    assert_string_equal(out, "_f7_");
    /* a 32-byte digest becomes 43 characters */
    assert_int_equal(RS_B64URL_LEN(32), 43);
}

/* ---------- constant-time compares ---------- */
static void test_ct_equal(void **state)
{
    (void)state;
    unsigned char x[32], y[32];
    memset(x, 0x5a, sizeof x);
    memcpy(y, x, sizeof y);
    assert_true(rs_ct_equal(x, y, sizeof x));
    y[31] ^= 1;
    assert_false(rs_ct_equal(x, y, sizeof x));
    y[31] ^= 1;
    y[0] ^= 0x80;
    assert_false(rs_ct_equal(x, y, sizeof x));
    /* only len bytes count */
    assert_true(rs_ct_equal(x + 1, y + 1, 31));
    assert_true(rs_ct_equal(x, y, 0));
}

static void test_ct_streq(void **state)
{
    (void)state;
    assert_true(rs_ct_streq("s3cr3t", "s3cr3t"));
    assert_true(rs_ct_streq("", ""));
    assert_false(rs_ct_streq("s3cr3t", "s3cr3T"));
    assert_false(rs_ct_streq("s3cr3t", "s3cr3"));
    assert_false(rs_ct_streq("s3cr3", "s3cr3t"));
    assert_false(rs_ct_streq("", "a"));
}

/* ---------- digests ---------- */
static void test_sha256_vectors(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char d[RS_HASH_LEN];
        char h[2 * RS_HASH_LEN + 1];
        rs_hash_sha256(v[i][0], strlen(v[i][0]), d);
        hex(d, sizeof d, h);
        assert_string_equal(h, v[i][1]);
        /* a token's store key ends with the SHA-256 of the string */
        unsigned char k[RS_TOKEN_KEY_LEN];
        rs_token_key(v[i][0], strlen(v[i][0]), k);
        assert_memory_equal(k + 8, d, RS_HASH_LEN);
    }
}

static void test_opaque_token_keys(void **state)
{
    (void)state;
    static const unsigned char zero[8] = {0};
    char a[RS_OPAQUE_STRLEN], b[RS_OPAQUE_STRLEN];
    unsigned char ka[RS_TOKEN_KEY_LEN], kb[RS_TOKEN_KEY_LEN], d[RS_HASH_LEN];
    rs_opaque_token_new(a);
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    rs_opaque_token_new(b);
    /* 48 bytes, base64url, no padding; two tokens differ */
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 64);
    assert_string_not_equal(a, b);
    /* ours: the key is the issue time, then the full SHA-256 of the string */
    assert_true(rs_token_key(a, strlen(a), ka));
    assert_true(rs_token_key(b, strlen(b), kb));
    rs_hash_sha256(a, strlen(a), d);
    assert_memory_equal(ka + 8, d, RS_HASH_LEN);
    assert_memory_not_equal(ka, zero, 8);
    assert_false(rs_token_key_untimed(ka));
    /* later tokens key higher: rows append to the B-tree */
    assert_true(memcmp(ka, kb, 8) < 0);
    /* the issue time is not readable in the token: the 16-byte block is encrypted */
    assert_memory_not_equal(ka, a, 8);
    /* a changed block no longer decrypts to our form: not a token we issued */
    char c[RS_OPAQUE_STRLEN];
    memcpy(c, a, sizeof c);
    c[3] = c[3] == 'A' ? 'B' : 'A';
    assert_false(rs_token_key(c, strlen(c), kb));
    assert_memory_equal(kb, zero, 8);
    /* forms issued before (43 characters) and JWTs (ID tokens) key with a zero time */
    const char *legacy = "Z6cW8iDqg8pYxY3N1o3k2f9m3d8lq1mZkW8cCwq4vD0";
    assert_true(rs_token_key(legacy, strlen(legacy), kb));
    assert_memory_equal(kb, zero, 8);
    const char *jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    assert_true(rs_token_key(jwt, strlen(jwt), kb));
    assert_memory_equal(kb, zero, 8);
    assert_true(rs_token_key_untimed(kb));
    /* no form we issue: no lookup needed */
    static const char *const foreign[] = {"unknown-token", "all", "a b", "eyJ.x", "x..y",
                                          "abc=", ""};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        assert_false(rs_token_key(foreign[i], strlen(foreign[i]), kb));
    /* a length-64 string of the alphabet that was not minted here is refused too */
    char fake[RS_OPAQUE_STRLEN];
    memset(fake, 'A', 64);
    fake[64] = '\0';
    assert_false(rs_token_key(fake, 64, kb));
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    unsigned char d[RS_HASH_LEN];
    char h[2 * RS_HASH_LEN + 1];
    /* test case 2: a key shorter than the block */
    static const char data2[] = "what do ya want for nothing?";
    rs_hash_hmac((const unsigned char *)"Jefe", 4, data2, strlen(data2), d);
    hex(d, sizeof d, h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 1 */
    unsigned char key1[20];
    memset(key1, 0x0b, sizeof key1);
    rs_hash_hmac(key1, sizeof key1, "Hi There", 8, d);
    hex(d, sizeof d, h);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* test case 6: a key longer than the block is hashed first */
    unsigned char key6[131];
    static const char data6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key6, 0xaa, sizeof key6);
    rs_hash_hmac(key6, sizeof key6, data6, strlen(data6), d);
    hex(d, sizeof d, h);
    assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* ---------- random tokens ---------- */
static bool b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static void test_rand_token(void **state)
{
    (void)state;
    char a[RS_TOKEN_STRLEN], b[RS_TOKEN_STRLEN];
    bool seen_dash_or_underscore = false;
    for (int round = 0; round < 200; round++) {
        rs_rand_token(a);
        assert_int_equal(strlen(a), 43);
        for (size_t i = 0; i < 43; i++) {
            if (!b64url_char(a[i]))
                fail_msg("token %s has '%c' at %zu", a, a[i], i);
            seen_dash_or_underscore |= a[i] == '-' || a[i] == '_';
        }
    }
    /* 200 x 43 characters without one of 2 in 64 would be a broken alphabet (p < 1e-100) */
    assert_true(seen_dash_or_underscore);
    rs_rand_token(b);
    assert_string_not_equal(a, b);
}

static void test_rand_hex(void **state)
{
    (void)state;
    char h[65];
    memset(h, 'X', sizeof h);
    rs_rand_hex(h, 32);
    assert_int_equal(strlen(h), 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", h[i]));
    /* more than the internal chunk size */
    char big[2 * 100 + 1];
    rs_rand_hex(big, 100);
    assert_int_equal(strlen(big), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_nul),
        cmocka_unit_test(test_buf_cap_enforced),
        cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_buf_json_escape),
        cmocka_unit_test(test_fmt_i64),
        cmocka_unit_test(test_buf_steal),
        cmocka_unit_test(test_b64url_rfc4648_vectors),
        cmocka_unit_test(test_b64url_alphabet),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_ct_streq),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_opaque_token_keys),
        cmocka_unit_test(test_rand_token),
        cmocka_unit_test(test_rand_hex),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
