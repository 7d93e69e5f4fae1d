/* daemon.h - the HTTP/1.1 listener (libmicrohttpd; the only includer of microhttpd.h).
 * Reads a request fully (body capped, 413 beyond), hands it to the dispatch callback on the
 * worker thread, renders the response, writes one access-log line and records metrics. */
#ifndef RS_DAEMON_H
#define RS_DAEMON_H
#include <stddef.h>
#include "http/http.h"

struct rs_http_opts {
    const char *host;
    int port;
    unsigned threads;     /* I/O threads; 0 = one per core */
    unsigned handler_threads; /* threads for requests that may wait on the store; 0 = 64 */
    unsigned timeout_s;   /* idle connection timeout */
    size_t max_body;
};

/* Fills resp for req; *route_out names the matched route for metrics. Runs on worker threads.
 * Also called for a request the daemon answered itself (req->refused: 413, 431), with resp
 * already filled, so that the endpoint can record it and add CORS headers. */
typedef void rs_http_dispatch_fn(void *app, const struct rs_req *req, struct rs_resp *resp,
                                 unsigned *route_out);

struct rs_http;
enum rs_err rs_http_start(const struct rs_http_opts *o, rs_http_dispatch_fn *fn, void *app,
                          struct rs_http **out);
int rs_http_port(const struct rs_http *h);
/* Stops accepting, lets in-flight requests finish (up to grace_ms), then stops. */
void rs_http_stop(struct rs_http *h, unsigned grace_ms);

#endif
