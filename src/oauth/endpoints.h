/* endpoints.h - the handlers the router dispatches to, one file each. */
#ifndef RS_ENDPOINTS_H
#define RS_ENDPOINTS_H
#include "oauth/ctx.h"

rs_handler_fn rs_token_handle;          /* token.c */
rs_handler_fn rs_introspect_handle;     /* introspect.c */
rs_handler_fn rs_userinfo_handle;       /* userinfo.c */
rs_handler_fn rs_discovery_handle;      /* discovery.c: both well-known documents */
rs_handler_fn rs_jwks_handle;           /* misc.c */
rs_handler_fn rs_health_handle;         /* misc.c */
rs_handler_fn rs_metrics_handle;        /* misc.c */
rs_handler_fn rs_authorize_handle;      /* authorize.c: GET shows login or redirects, POST logs in */
rs_handler_fn rs_register_handle;       /* register.c: RFC 7591 */
rs_handler_fn rs_register_manage_handle;/* register.c: RFC 7592, <registration path>/<client_id> */
rs_handler_fn rs_revoke_handle;         /* revoke.c: RFC 7009 */
/* revoke.c: audits a revocation request the HTTP layer refused (413, 431) before the endpoint */
void rs_revoke_refused(struct rs_ctx *ctx, const struct rs_req *req, int status);
rs_handler_fn rs_global_revoke_handle;  /* global_revoke.c: every token of one user */
rs_handler_fn rs_status_list_handle;    /* status_list.c: token status list */

#endif
