/* hooks.c - see hooks.h. */
#include "oauth/hooks.h"

static rs_revoke_hook_fn *revoke_fn;
static void *revoke_arg;

void rs_hooks_set_revoke(rs_revoke_hook_fn *fn, void *arg)
{
    revoke_fn = fn;
    revoke_arg = arg;
}

bool rs_hooks_run_revoke(struct rs_revoke_hook_ctx *hc)
{
    return revoke_fn ? revoke_fn(revoke_arg, hc) : true;
}

bool rs_hooks_revoke_installed(void)
{
    return revoke_fn != NULL;
}
