/* form.h - application/x-www-form-urlencoded parsing (also used for query strings).
 * Keys and values are percent-decoded copies owned by the form; "+" is a space.
 * Duplicate names are kept so that callers can refuse them (RFC 6749 §3.2: parameters
 * MUST NOT be included more than once). */
#ifndef RS_FORM_H
#define RS_FORM_H
#include <stdbool.h>
#include <stddef.h>
#include "base/err.h"

#define RS_FORM_MAX_FIELDS 64

struct rs_form_field {
    char *name;
    char *value;
};

struct rs_form {
    struct rs_form_field f[RS_FORM_MAX_FIELDS];
    size_t count;
    const char *dup; /* first name seen twice, or NULL (points into f[]) */
};

/* Parses len bytes of s. RS_ERR_INVALID for bad percent-encoding or NUL bytes,
 * RS_ERR_TOO_LARGE for more than RS_FORM_MAX_FIELDS fields. On error the form is empty. */
enum rs_err rs_form_parse(struct rs_form *form, const char *s, size_t len);
/* Adds one already-decoded field (copies both). */
enum rs_err rs_form_add(struct rs_form *form, const char *name, const char *value);
/* Percent-decodes len bytes ("+" is a space) into a new string (caller frees); NULL with
 * *err = RS_ERR_INVALID for bad escapes or NUL bytes, RS_ERR_NOMEM. */
char *rs_form_decode(const char *s, size_t len, enum rs_err *err);
/* Borrowed value of the first field with this name, or NULL. */
const char *rs_form_get(const struct rs_form *form, const char *name);
void rs_form_free(struct rs_form *form);
/* Appends name=value, percent-encoded, to a query string being built (for redirects). */
struct rs_buf;
enum rs_err rs_form_encode_pair(struct rs_buf *b, const char *name, const char *value);

#endif
