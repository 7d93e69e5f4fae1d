/* http.h - the request and response as the rest of rescind sees them (no MHD types).
 * A request is built by daemon.c and borrowed by the handler for the duration of one call;
 * a response is filled by the handler and rendered by daemon.c, which then frees it. */
#ifndef RS_HTTP_H
#define RS_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "base/buf.h"
#include "base/err.h"
#include "base/form.h"

struct rs_req {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* without the query string */
    struct rs_form query;     /* decoded query arguments */
    const char *body;         /* NUL-terminated, may be "" */
    size_t body_len;
    const char *remote_addr;
    char request_id[17];
    /* false on an I/O thread: a handler that needs to wait for a durable write sets resp->defer
     * instead, and is called again for the same request on a handler thread with may_block */
    bool may_block;
    /* non-zero: the HTTP layer already answered with this status (413 body too large, 414 URI
     * too long, 431 head too large, 503 shutting down); the dispatcher only lets the endpoint
     * record it, the response is set */
    int refused;
    /* header lookup, case-insensitive; NULL when absent */
    const char *(*_header)(void *impl, const char *name);
    void *_impl;
};

static inline const char *rs_req_header(const struct rs_req *r, const char *name)
{
    return r->_header ? r->_header(r->_impl, name) : NULL;
}
/* True when the request's Content-Type has this media type (parameters ignored). */
bool rs_req_content_type_is(const struct rs_req *r, const char *media_type);

#define RS_RESP_MAX_HEADERS 16

/* Finishing a response later, without holding a thread (see rs_resp.async_start). */
struct rs_resp;
typedef void rs_async_done_fn(void *done_arg);
typedef void rs_async_start_fn(void *arg, rs_async_done_fn *done, void *done_arg);
typedef void rs_async_finish_fn(void *arg, struct rs_resp *resp);

struct rs_resp {
    int status;                 /* 0 until a handler sets one */
    const char *content_type;   /* static string */
    struct rs_buf body;
    size_t header_count;
    struct {
        char *name, *value;
    } headers[RS_RESP_MAX_HEADERS];
    bool no_store;              /* adds Cache-Control: no-store and Pragma: no-cache */
    char client_id[65];         /* for the access log, "" if none */
    bool defer;                 /* run me again where I may block (see rs_req.may_block) */
    /* Asynchronous completion: a handler that waits for a durable write without holding a
     * thread sets async_start and async_finish. The daemon suspends the connection, then calls
     * async_start(async_arg, done, done_arg), which starts the write; whoever learns the outcome
     * calls done(done_arg) exactly once, from any thread. Back on the connection's I/O thread
     * the daemon calls async_finish(async_arg, resp), which renders the response and frees
     * async_arg, and sends it. */
    rs_async_start_fn *async_start;
    rs_async_finish_fn *async_finish;
    void *async_arg;
    const char *error;          /* OAuth error code, for the access log */
};

void rs_resp_init(struct rs_resp *r);
void rs_resp_free(struct rs_resp *r);
/* Adds a header (copies both). Replaces an existing header of the same name. */
enum rs_err rs_resp_header(struct rs_resp *r, const char *name, const char *value);
/* Sets status and a JSON body; steals obj. */
enum rs_err rs_resp_json(struct rs_resp *r, int status, json_t *obj);
/* Sets status and a body with the given (static) content type. */
enum rs_err rs_resp_text(struct rs_resp *r, int status, const char *content_type,
                         const char *text);
/* 302 to location. */
enum rs_err rs_resp_redirect(struct rs_resp *r, const char *location);

#endif
