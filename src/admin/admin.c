/* placeholder: being written in this session */
#include "oauth/endpoints.h"
#include "admin/admin.h"
#include "oauth/errors.h"
enum rs_err rs_admin_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    (void)req;
    return rs_oauth_error(resp, ctx->cfg, RS_OAUTH_NOT_FOUND, "not implemented yet", NULL);
}
