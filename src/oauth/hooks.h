/* hooks.h - where interception scripts (Janssen "Revoke Token" scripts, their own issue) run.
 * The revocation endpoint calls the revoke hook after client authentication and before any
 * token lookup (Janssen's order). A hook may deny — the client still gets 200 and nothing is
 * revoked, as in Janssen — and may add response headers. With no hook installed every request
 * is allowed. Installed once at start, before the listener; read without locking after. */
#ifndef RS_HOOKS_H
#define RS_HOOKS_H
#include <stdbool.h>
#include "http/http.h"
#include "base/form.h"
#include "store/store.h"

struct rs_revoke_hook_ctx {
    const struct rs_client *client;  /* the authenticated caller */
    const struct rs_form *params;    /* token, token_type_hint, ... */
    struct rs_resp *resp;            /* the hook may add headers (rs_resp_header) */
};

/* Returns true to let the revocation go on, false to deny it (200, nothing revoked). */
typedef bool rs_revoke_hook_fn(void *arg, struct rs_revoke_hook_ctx *hc);

void rs_hooks_set_revoke(rs_revoke_hook_fn *fn, void *arg);
/* True when a hook is installed (it must then run exactly once per request). */
bool rs_hooks_revoke_installed(void);
/* Runs the installed hook; true when none is installed. */
bool rs_hooks_run_revoke(struct rs_revoke_hook_ctx *hc);

#endif
