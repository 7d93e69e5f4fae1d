/* scope.c - see scope.h. */
#include "oauth/scope.h"
#include "oauth/common.h"
#include "base/buf.h"
#include <stdio.h>
#include <string.h>

bool rs_scope_valid(const char *scope)
{
    bool prev_space = true;
    if (strlen(scope) > RS_SCOPE_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)scope; *p; p++) {
        if (*p == ' ') {
            if (prev_space)
                return false; /* leading or double space */
            prev_space = true;
            continue;
        }
        /* NQCHAR = %x21 / %x23-5B / %x5D-7E */
        if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
            return false;
        prev_space = false;
    }
    return !prev_space || !*scope;
}

const char *rs_scope_allowed(const struct rs_client *c)
{
    return c->scope && *c->scope ? c->scope : RS_SCOPE_STANDARD;
}

enum rs_err rs_scope_resolve(const struct rs_client *c, const char *requested,
                             char out[RS_SCOPE_MAX + 1])
{
    if (!requested || !*requested) {
        rs_strlcpy(out, c->scope ? c->scope : "", RS_SCOPE_MAX + 1);
        return RS_OK;
    }
    if (!rs_scope_valid(requested) || !rs_list_subset(requested, rs_scope_allowed(c)))
        return RS_ERR_INVALID;
    rs_strlcpy(out, requested, RS_SCOPE_MAX + 1);
    return RS_OK;
}

bool rs_scope_privileged(const char *scope)
{
    static const char *const privileged[] = {"revoke_any_token", "global_token_revocation",
                                             "revoke_session"};
    for (size_t i = 0; i < sizeof privileged / sizeof privileged[0]; i++)
        if (rs_list_has(scope, privileged[i]))
            return true;
    return false;
}
