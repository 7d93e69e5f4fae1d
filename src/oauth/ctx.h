/* ctx.h - what every endpoint handler gets: the request's config snapshot and the long-lived
 * services. Built by the router for each request; handlers borrow it for the call. */
#ifndef RS_CTX_H
#define RS_CTX_H
#include "config/config.h"
#include "http/http.h"
#include "store/store.h"

struct rs_keys;

#define RS_PEPPER_LEN 32

struct rs_ctx {
    const struct rs_config *cfg;   /* snapshot held for this request */
    struct rs_store *store;
    struct rs_keys *keys;
    const unsigned char *pepper;   /* RS_PEPPER_LEN bytes: key of the secret digests */
};

/* Handlers fill resp. A non-OK return without a status set becomes 500 (or 503 for
 * RS_ERR_STORE), rendered by the router as RFC 6749 §5.2 JSON. */
typedef enum rs_err rs_handler_fn(struct rs_ctx *ctx, const struct rs_req *req,
                                  struct rs_resp *resp);

#endif
