/* form.c - see form.h. */
#include "base/form.h"
#include "base/buf.h"
#include <stdlib.h>
#include <string.h>

/* Decodes [s, s+len) into a new NUL-terminated string; NULL on bad input or OOM. */
char *rs_form_decode(const char *s, size_t len, enum rs_err *err)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out) {
        *err = RS_ERR_NOMEM;
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? rs_hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? rs_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                *err = RS_ERR_INVALID;
                return NULL;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0') {
            free(out);
            *err = RS_ERR_INVALID;
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

enum rs_err rs_form_add(struct rs_form *form, const char *name, const char *value)
{
    if (form->count >= RS_FORM_MAX_FIELDS)
        return RS_ERR_TOO_LARGE;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return RS_ERR_NOMEM;
    }
    bool dup = rs_form_get(form, n) != NULL;
    form->f[form->count].name = n;
    form->f[form->count].value = v;
    if (dup && !form->dup)
        form->dup = form->f[form->count].name;
    form->count++;
    return RS_OK;
}

enum rs_err rs_form_parse(struct rs_form *form, const char *s, size_t len)
{
    enum rs_err err = RS_OK;
    size_t i = 0;
    memset(form, 0, sizeof *form);
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            char *n = rs_form_decode(s + i, eq - i, &err);
            char *v = n ? rs_form_decode(s + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0, &err)
                        : NULL;
            if (!n || !v) {
                free(n);
                free(v);
                goto fail;
            }
            if (form->count >= RS_FORM_MAX_FIELDS) {
                free(n);
                free(v);
                err = RS_ERR_TOO_LARGE;
                goto fail;
            }
            bool dup = rs_form_get(form, n) != NULL;
            form->f[form->count].name = n;
            form->f[form->count].value = v;
            if (dup && !form->dup)
                form->dup = n;
            form->count++;
        }
        i = end + 1;
    }
    return RS_OK;
fail:
    rs_form_free(form);
    return err;
}

const char *rs_form_get(const struct rs_form *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp(form->f[i].name, name) == 0)
            return form->f[i].value;
    return NULL;
}

void rs_form_free(struct rs_form *form)
{
    for (size_t i = 0; i < form->count; i++) {
        free(form->f[i].name);
        free(form->f[i].value);
    }
    form->count = 0;
    form->dup = NULL;
}

static enum rs_err encode(struct rs_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum rs_err e = RS_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !e; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            e = rs_buf_append(b, p, 1);
        } else {
            char t[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            e = rs_buf_append(b, t, 3);
        }
    }
    return e;
}

enum rs_err rs_form_encode_pair(struct rs_buf *b, const char *name, const char *value)
{
    enum rs_err e = encode(b, name);
    if (!e)
        e = rs_buf_append(b, "=", 1);
    if (!e)
        e = encode(b, value);
    return e;
}
