/* ct.h - constant-time comparison for secrets. Never use memcmp/strcmp on secrets. */
#ifndef RS_CT_H
#define RS_CT_H
#include <stdbool.h>
#include <stddef.h>

/* True when the two buffers are equal; time depends only on len. */
bool rs_ct_equal(const void *a, const void *b, size_t len);
/* Equal strings; time depends on the lengths only, not on where they differ. */
bool rs_ct_streq(const char *a, const char *b);

#endif
