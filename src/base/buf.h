/* buf.h - a growable byte buffer with a hard size cap.
 * Untrusted bytes only ever go into an rs_buf: appending past max returns RS_ERR_TOO_LARGE
 * (the contents are kept, the append is refused). The data is always NUL-terminated. */
#ifndef RS_BUF_H
#define RS_BUF_H
#include <stddef.h>
#include <stdarg.h>
#include "base/err.h"

struct rs_buf {
    char *ptr;     /* NULL until the first append */
    size_t len;
    size_t _cap;
    size_t max;    /* 0 means no cap (only for data we produce ourselves) */
};

void rs_buf_init(struct rs_buf *b, size_t max);
enum rs_err rs_buf_append(struct rs_buf *b, const void *data, size_t len);
/* Makes room for extra more bytes, so that appends up to that size do not move the data (a
 * buffer that will hold a secret is sized once: no copy of it is left in freed memory). */
enum rs_err rs_buf_reserve(struct rs_buf *b, size_t extra);
enum rs_err rs_buf_puts(struct rs_buf *b, const char *s);
enum rs_err rs_buf_printf(struct rs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with JSON string escaping (no surrounding quotes). Valid UTF-8 passes; a byte that
 * is not part of a valid UTF-8 sequence becomes \ufffd, so the result is always valid JSON. */
enum rs_err rs_buf_json_escape(struct rs_buf *b, const char *s);
/* Decimal integers without printf (hot paths: response bodies and log lines). */
#define RS_I64_STRLEN 21
size_t rs_fmt_i64(char out[RS_I64_STRLEN], long long v); /* returns the length */
enum rs_err rs_buf_put_i64(struct rs_buf *b, long long v);
/* Appends ,"name":"value" with value JSON-escaped (name is a literal of ours): the members of
 * the fixed-shape answers written without a JSON tree. */
enum rs_err rs_buf_json_member(struct rs_buf *b, const char *name, const char *value);
/* Copies src into dst (cap bytes, cap > 0), truncated and always NUL-terminated; returns the
 * length copied (not strlen(src), unlike BSD strlcpy). snprintf(dst, cap, "%s", src) without
 * printf, for request paths. */
size_t rs_strlcpy(char *dst, const char *src, size_t cap);

/* The value of one hex digit (either case), or -1 when c is not one. */
int rs_hex_value(char c);
/* Writes n bytes as 2n lowercase hex digits to out (no NUL added). */
void rs_hex_encode(const unsigned char *in, size_t n, char *out);
/* Takes ownership of the bytes away from the buffer; caller frees with free(). */
char *rs_buf_steal(struct rs_buf *b);
/* Length of the valid UTF-8 sequence at p (1 for ASCII), or 0 when the bytes are not UTF-8. */
size_t rs_utf8_seq_len(const unsigned char *p);
void rs_buf_free(struct rs_buf *b);

#endif
