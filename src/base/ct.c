/* ct.c - constant-time compares, on libsodium's sodium_memcmp. */
#include "base/ct.h"
#include <sodium.h>
#include <string.h>

bool rs_ct_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}

bool rs_ct_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
