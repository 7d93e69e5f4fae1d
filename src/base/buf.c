/* buf.c - see buf.h. Growth doubles; the cap is checked before any allocation. */
#include "base/buf.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rs_buf_init(struct rs_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->_cap = 0;
    b->max = max;
}

enum rs_err rs_buf_reserve(struct rs_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        return RS_ERR_TOO_LARGE;
    if (b->max && need > b->max + 1)
        return RS_ERR_TOO_LARGE;
    if (need <= b->_cap)
        return RS_OK;
    size_t cap = b->_cap ? b->_cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->ptr, cap);
    if (!p)
        return RS_ERR_NOMEM;
    b->ptr = p;
    b->_cap = cap;
    return RS_OK;
}

enum rs_err rs_buf_append(struct rs_buf *b, const void *data, size_t len)
{
    enum rs_err e = rs_buf_reserve(b, len);
    if (e)
        return e;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return RS_OK;
}

enum rs_err rs_buf_puts(struct rs_buf *b, const char *s)
{
    return rs_buf_append(b, s, strlen(s));
}

enum rs_err rs_buf_printf(struct rs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return RS_ERR_INVALID;
    enum rs_err e = rs_buf_reserve(b, (size_t)n);
    if (e)
        return e;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return RS_OK;
}

size_t rs_utf8_seq_len(const unsigned char *p)
{
    size_t n;
    unsigned cp;
    if (*p < 0x80)
        return 1;
    if ((*p & 0xe0) == 0xc0) {
        n = 2;
        cp = *p & 0x1f;
    } else if ((*p & 0xf0) == 0xe0) {
        n = 3;
        cp = *p & 0x0f;
    } else if ((*p & 0xf8) == 0xf0) {
        n = 4;
        cp = *p & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        cp = cp << 6 | (p[i] & 0x3f);
    }
    /* no overlong forms, no surrogates, nothing past U+10FFFF */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* Bytes that pass a JSON string unchanged: printable ASCII but '"' and '\\'. */
static inline bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

enum rs_err rs_buf_json_escape(struct rs_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    enum rs_err e = RS_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !e; p++) {
        /* runs of plain bytes (nearly everything we log or answer) go in one append */
        const unsigned char *run = p;
        while (plain(*p))
            p++;
        if (p > run) {
            e = rs_buf_append(b, run, (size_t)(p - run));
            if (e || !*p)
                break;
        }
        char esc[7];
        switch (*p) {
        case '"': e = rs_buf_append(b, "\\\"", 2); break;
        case '\\': e = rs_buf_append(b, "\\\\", 2); break;
        case '\n': e = rs_buf_append(b, "\\n", 2); break;
        case '\r': e = rs_buf_append(b, "\\r", 2); break;
        case '\t': e = rs_buf_append(b, "\\t", 2); break;
        default:
            size_t u = *p >= 0x80 ? rs_utf8_seq_len(p) : 0;
            if (u) {
                e = rs_buf_append(b, p, u); /* a valid UTF-8 sequence passes as it is */
                p += u - 1;
            } else if (*p >= 0x80) {
                e = rs_buf_append(b, "\\ufffd", 6); /* not UTF-8: the replacement character */
            } else if (*p < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 15];
                e = rs_buf_append(b, esc, 6);
            } else {
                e = rs_buf_append(b, p, 1);
            }
        }
    }
    return e;
}

enum rs_err rs_buf_json_member(struct rs_buf *b, const char *name, const char *value)
{
    enum rs_err e = rs_buf_append(b, ",\"", 2);
    if (!e)
        e = rs_buf_puts(b, name);
    if (!e)
        e = rs_buf_append(b, "\":\"", 3);
    if (!e)
        e = rs_buf_json_escape(b, value);
    if (!e)
        e = rs_buf_append(b, "\"", 1);
    return e;
}

size_t rs_fmt_i64(char out[RS_I64_STRLEN], long long v)
{
    char tmp[RS_I64_STRLEN];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    out[len] = '\0';
    return len;
}

enum rs_err rs_buf_put_i64(struct rs_buf *b, long long v)
{
    char s[RS_I64_STRLEN];
    return rs_buf_append(b, s, rs_fmt_i64(s, v));
}

char *rs_buf_steal(struct rs_buf *b)
{
    char *p = b->ptr;
    if (!p)
        p = calloc(1, 1);
    b->ptr = NULL;
    b->len = b->_cap = 0;
    return p;
}

void rs_buf_free(struct rs_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->_cap = 0;
}

int rs_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void rs_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
}

size_t rs_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}
