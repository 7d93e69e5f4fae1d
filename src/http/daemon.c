/* daemon.c - see daemon.h. */
#include "http/daemon.h"
#include "http/metrics.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/pool.h"
#include "base/rand.h"
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netdb.h>
#include <sodium.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Memory libmicrohttpd gives each connection for its read buffer, the request's head and, while
 * they are sent, the response's headers (bodies are streamed, capped by max_body).
 * libmicrohttpd zeroes this area whenever a keep-alive connection starts its next request:
 * with its default of 32 KiB that memset cost about 2 µs of I/O-thread CPU per request, 1.3 µs
 * less at 16 KiB (docs/performance.md, fourth session).
 * libmicrohttpd answers 431 itself to a request head beyond about 16 KiB, but builds the
 * response's headers in what the request left of this memory, after the handler is done, and
 * closes the connection without a word when they do not fit (a 15.9 KB head did not leave room
 * for the 200 of /health). So rescind answers 431 itself to a head over REQ_HEAD_MAX, and checks
 * a large response head against the request's before sending it (fit_response_head). */
#define RS_HTTP_CONN_MEMORY ((size_t)16384)
/* Largest request head (the request line and headers as received, plus what libmicrohttpd
 * allocates for the arguments and cookies it parses out of them; fill_req counts it) that
 * rescind answers; the rest stays for the response's headers. */
#define REQ_HEAD_MAX (RS_HTTP_CONN_MEMORY - 3072)
/* libmicrohttpd's record of each header, query argument or cookie in the connection's memory (a
 * list node of pointers and sizes; 64 bytes in 0.9.75, measured) */
#define REQ_FIELD_RECORD 64
/* Most query arguments a request may have (on_uri); no endpoint takes more than about 15 */
#define QUERY_MAX_FIELDS 64
/* A response head up to this size fits next to any request head up to REQ_HEAD_MAX; only a
 * larger one (an /authorize redirect echoing a long state) is checked */
#define RESP_HEAD_SMALL 1024
/* added to a response's headers after the check: the status line, Date, Content-Length and
 * Connection by libmicrohttpd, X-Request-Id by finish() */
#define RESP_HEAD_MHD 200
/* kept free on top of both counts: what they may still miss (whitespace in trailers, the last
 * partial allocation of libmicrohttpd's pool) */
#define HEAD_MARGIN 512

struct counter {
    alignas(64) atomic_long inflight; /* from a request's first callback to its completion */
    /* raised before a request reads closing (start_request), lowered when it is answered
     * without suspension or, once resumed, by its I/O thread: while it is 0 and closing is
     * set, no connection is suspended */
    atomic_long suspended;
};

/* Per-request state, from the first callback to the completion notification. */
struct conn_state {
    struct rs_buf body;
    bool too_large;
    size_t head_size; /* bytes of the connection's memory the request's head holds (fill_req) */
    uint64_t t0;
    /* a request deferred to a handler thread (it may wait for a durable write) */
    bool deferred;            /* suspended, handled (or being handled) by a handler thread */
    atomic_bool ready;        /* the handler thread (or the async write) is done */
    bool async;               /* completed through resp.async_* */
    bool finished;            /* finish() rendered the answer (st->resp is freed) */
    bool late;                /* began after the server started to stop: answered 503 */
    struct rs_req req;
    struct rs_resp resp;
    unsigned route;
    char addr[INET6_ADDRSTRLEN];
    struct MHD_Connection *conn;
    struct rs_http *http;     /* the server it belongs to */
    struct counter *counter;  /* its I/O thread's (counted there from first call to completion) */
    struct conn_state *next;  /* handler queue */
    void *pool_link;          /* while kept in state_pool */
};

struct rs_http {
    struct MHD_Daemon *d;
    rs_http_dispatch_fn *fn;
    void *app;
    size_t max_body;
    int port;
    /* Shutdown (rs_http_stop). Keep-alive clients go on sending requests after the listener
     * closes, and libmicrohttpd aborts the process when it is stopped while a connection is
     * suspended. Once draining, a request that begins is answered 503 at once, and every answer
     * closes its connection; requests begun before finish. Once closing (the grace is over),
     * no request is suspended any more. Read by every request, written once: a line of their
     * own, away from the counters. */
    struct {
        alignas(64) atomic_bool draining;
        atomic_bool closing;
    } flags;
    /* The requests in flight and those suspended, counted per I/O thread (a line each, written
     * by that thread only: no counter bounces between cores on every request; rs_http_stop
     * adds them up). counters[0] is shared by threads beyond the pool's size, should any. */
    struct counter *counters;
    unsigned counter_count;
    atomic_uint counters_taken;
    /* handler threads: run requests that may block on a durable write, so that the few I/O
     * threads never wait for an fsync and many writes can share one commit */
    pthread_t *handlers;
    unsigned handler_count;
    pthread_mutex_t qlock;
    pthread_cond_t qcv;
    struct conn_state *qhead, *qtail;
    bool stopping;
};

/* This I/O thread's counters in h (taken on its first request). */
static struct counter *my_counter(struct rs_http *h)
{
    static _Thread_local struct rs_http *tls_http;
    static _Thread_local struct counter *tls_counter;
    if (tls_http != h) {
        unsigned i = atomic_fetch_add(&h->counters_taken, 1) + 1;
        tls_counter = &h->counters[i < h->counter_count ? i : 0];
        tls_http = h;
    }
    return tls_counter;
}

static long count_of(struct rs_http *h, bool suspended)
{
    long n = 0;
    for (unsigned i = 0; i < h->counter_count; i++)
        n += atomic_load(suspended ? &h->counters[i].suspended : &h->counters[i].inflight);
    return n;
}

static atomic_uint_fast64_t req_seq;
/* request ids: a random 64-bit start per process plus a sequence number, in 16 hex digits, so
 * they never repeat within a process (2^64 requests) and rarely across restarts */
static uint64_t id_base;

/* The next request id: the process's random base plus the request's sequence number. */
static void new_request_id(char out[17])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t id = id_base + (uint64_t)atomic_fetch_add_explicit(&req_seq, 1, memory_order_relaxed);
    for (int i = 0; i < 16; i++)
        out[i] = hex[(id >> (60 - 4 * i)) & 15];
    out[16] = '\0';
}

static const char *get_header(void *impl, const char *name)
{
    return MHD_lookup_connection_value(impl, MHD_HEADER_KIND, name);
}

/* One pass over the request's fields: collects the query's arguments and adds to the head's
 * count (see REQ_HEAD_MAX) what libmicrohttpd keeps for them next to the raw head: a record per
 * header, argument, cookie and trailer, the copy of the Cookie header and the trailers' lines. */
static enum MHD_Result request_fields(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct conn_state *st = cls;
    st->head_size += REQ_FIELD_RECORD;
    if (kind == MHD_FOOTER_KIND) /* a chunked body's trailer: its line, outside the head's size */
        st->head_size += strlen(key) + (value ? strlen(value) : 0) + 4;
    else if (kind == MHD_HEADER_KIND && value && strcasecmp(key, "Cookie") == 0)
        /* libmicrohttpd parses cookies from a copy of the (first) Cookie header, spaces and all;
         * counting every Cookie header errs high */
        st->head_size += strlen(value) + 1;
    else if (kind == MHD_GET_ARGUMENT_KIND)
        /* a query over RS_FORM_MAX_FIELDS keeps its first fields; endpoints never need more */
        rs_form_add(&st->req.query, key, value ? value : "");
    return MHD_YES;
}

static void wipe_free(void *p)
{
    sodium_memzero(p, strlen(p)); /* bodies are NUL-terminated text */
    free(p);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct rs_resp *r)
{
    size_t len = r->body.len;
    char *body = rs_buf_steal(&r->body);
    if (!body)
        return MHD_NO;
    /* no-store bodies hold tokens or secrets: wiped when MHD is done with them */
    struct MHD_Response *m =
        r->no_store ? MHD_create_response_from_buffer_with_free_callback(len, body, wipe_free)
                    : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!m) {
        free(body);
        return MHD_NO;
    }
    if (r->content_type && len)
        MHD_add_response_header(m, "Content-Type", r->content_type);
    if (r->no_store) {
        MHD_add_response_header(m, "Cache-Control", "no-store");
        MHD_add_response_header(m, "Pragma", "no-cache");
    }
    for (size_t i = 0; i < r->header_count; i++)
        MHD_add_response_header(m, r->headers[i].name, r->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)(r->status ? r->status : 500), m);
    MHD_destroy_response(m);
    return ret;
}

/* event: "request" for an answer sent, "request_aborted" for one its client left before */
static void access_log(const char *event, const struct rs_req *req, const struct rs_resp *r,
                       uint64_t us)
{
    char st[RS_I64_STRLEN], dur[RS_I64_STRLEN];
    rs_fmt_i64(st, r->status);
    rs_fmt_i64(dur, (long long)us);
    rs_log_write(r->status >= 500 ? RS_LOG_WARN : RS_LOG_INFO, "http", event, "request_id",
                 req->request_id, "method", req->method, "path", req->path, "status", st,
                 "duration_us", dur, "client_id", r->client_id[0] ? r->client_id : NULL,
                 "error", r->error, "remote", req->remote_addr, NULL);
}

/* An error rescind answers before any endpoint runs (413, 431): RFC 6749 §5.2 JSON. */
static void early_error(struct rs_resp *r, int status, const char *body)
{
    r->status = status;
    r->no_store = true;
    r->error = "invalid_request";
    r->content_type = "application/json";
    rs_buf_puts(&r->body, body);
}

static void too_large(struct rs_resp *r)
{
    early_error(r, 413, "{\"error\":\"invalid_request\",\"error_description\":"
                        "\"request body too large\"}");
}

/* A request that arrives while the server stops (on a connection that was open before). */
static void shutting_down(struct rs_resp *r)
{
    early_error(r, 503, "{\"error\":\"temporarily_unavailable\",\"error_description\":"
                        "\"the server is shutting down\"}");
    r->error = "temporarily_unavailable";
    rs_resp_header(r, "Retry-After", "1");
}

static void head_too_large(struct rs_resp *r)
{
    early_error(r, 431, "{\"error\":\"invalid_request\",\"error_description\":"
                        "\"request headers too large\"}");
}

/* Dotted quad of a (network order) IPv4 address; out holds at least 16 bytes. inet_ntop goes
 * through sprintf, which shows in the profile of every request. */
static void ipv4_text(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            out[n++] = (char)('0' + v / 100);
        if (v >= 10)
            out[n++] = (char)('0' + v / 10 % 10);
        out[n++] = (char)('0' + v % 10);
        out[n++] = i < 3 ? '.' : '\0';
    }
}

/* What every answer gets, however it is sent: its request id, its metrics, its access-log line. */
static void account(const struct rs_req *req, struct rs_resp *resp, unsigned route, uint64_t t0)
{
    rs_resp_header(resp, "X-Request-Id", req->request_id);
    uint64_t us = rs_clock_mono_us() - t0;
    rs_metrics_observe(route, resp->status, us);
    access_log("request", req, resp, us);
}

/* *con_cls of a request refused by on_uri: answered already, nothing allocated */
static char uri_refused;

static void uri_too_long(struct rs_resp *r)
{
    early_error(r, 414, "{\"error\":\"invalid_request\",\"error_description\":"
                        "\"request URI too long, or with too many query parameters\"}");
}

/* The client's address as text ("" when unknown); out holds INET6_ADDRSTRLEN bytes. */
static void client_addr_text(struct MHD_Connection *conn, char *out)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        ipv4_text(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, out);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  INET6_ADDRSTRLEN);
}

/* Sends r, a complete answer, on the connection's socket itself, then half-closes it: for a
 * request libmicrohttpd is about to give up on without an answer (on_uri). */
static void send_raw(struct MHD_Connection *conn, const struct rs_resp *r, const char *reason)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!fd)
        return;
    char date[40];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    struct rs_buf out;
    rs_buf_init(&out, 0);
    bool ok = !rs_buf_printf(&out, "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n",
                             r->status, reason, date);
    if (r->content_type)
        ok = ok && !rs_buf_printf(&out, "Content-Type: %s\r\n", r->content_type);
    if (r->no_store)
        ok = ok && !rs_buf_puts(&out, "Cache-Control: no-store\r\nPragma: no-cache\r\n");
    for (size_t i = 0; i < r->header_count; i++)
        ok = ok && !rs_buf_printf(&out, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
    ok = ok && !rs_buf_printf(&out, "Content-Length: %zu\r\n\r\n", r->body.len) &&
         !rs_buf_append(&out, r->body.ptr ? r->body.ptr : "", r->body.len);
    /* the socket is non-blocking and nothing of this request has been sent: a few hundred
     * bytes fit in its buffer. The FIN after them ends the client's wait; libmicrohttpd closes
     * the socket when it next looks at it (on_request refuses to go on). */
    size_t sent = 0;
    while (ok && sent < out.len) {
        ssize_t n = send(fd->connect_fd, out.ptr + sent, out.len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    if (sent < out.len) {
        char st[RS_I64_STRLEN];
        rs_fmt_i64(st, r->status);
        RS_LOG_WARN("raw_answer_unsent", "status", st, NULL);
    }
    shutdown(fd->connect_fd, SHUT_WR);
    rs_buf_free(&out);
}

/* libmicrohttpd calls this with the request's URI as received, before it parses the query into
 * records in the connection's memory (REQ_FIELD_RECORD bytes each). When the query's records and
 * the rest of the head do not fit in that memory, libmicrohttpd 0.9.75 gives up on the request
 * without an answer and keeps the connection open until connectionTimeout: about 240 arguments
 * alone, or 130 next to 7 KB of headers. So a URI with more than QUERY_MAX_FIELDS arguments, or
 * whose own size plus its records exceed REQ_HEAD_MAX (which the head limit would refuse
 * anyway), is answered 414 here, before libmicrohttpd tries, and the endpoint is told as of a
 * 413 or 431 (the audit of /revoke). The method and headers are not known yet. The return value
 * becomes the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct rs_http *h = cls;
    const char *q = strchr(uri, '?');
    if (!q)
        return NULL;
    size_t records = 1, len = (size_t)(q - uri);
    for (const char *p = q; *p; p++, len++)
        records += *p == '&';
    if (records <= QUERY_MAX_FIELDS && len + records * REQ_FIELD_RECORD <= REQ_HEAD_MAX)
        return NULL;
    uint64_t t0 = rs_clock_mono_us();
    char path[256], addr[INET6_ADDRSTRLEN];
    size_t plen = (size_t)(q - uri) < sizeof path - 1 ? (size_t)(q - uri) : sizeof path - 1;
    memcpy(path, uri, plen);
    path[plen] = '\0';
    MHD_http_unescape(path); /* as the endpoints see it: /re%76oke is /revoke */
    client_addr_text(conn, addr);
    struct rs_req req = {.method = "", .path = path, .body = "", .remote_addr = addr,
                         .refused = 414};
    new_request_id(req.request_id);
    struct rs_resp resp;
    rs_resp_init(&resp);
    uri_too_long(&resp);
    unsigned route = RS_METRICS_MAX_ROUTES - 1;
    h->fn(h->app, &req, &resp, &route);
    account(&req, &resp, route, t0);
    send_raw(conn, &resp, "URI Too Long");
    rs_resp_free(&resp);
    return &uri_refused;
}

/* Builds st->req from the connection (headers stay in MHD's pool until the request ends). */
static void fill_req(struct conn_state *st, struct MHD_Connection *conn, const char *url,
                     const char *method)
{
    struct rs_req *req = &st->req;
    client_addr_text(conn, st->addr);
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = url;
    req->body = st->body.ptr ? st->body.ptr : "";
    req->body_len = st->body.len;
    req->remote_addr = st->addr;
    req->_header = get_header;
    req->_impl = conn;
    new_request_id(req->request_id);
    /* the head as received (request line and header lines, whitespace and folding included),
     * which stays in the connection's memory until the request ends */
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    st->head_size = hs ? hs->header_size : RS_HTTP_CONN_MEMORY;
    MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND | MHD_COOKIE_KIND |
                                        MHD_FOOTER_KIND,
                              request_fields, st);
}

static size_t response_head_size(const struct rs_resp *r)
{
    size_t n = RESP_HEAD_MHD;
    if (r->content_type)
        n += sizeof "Content-Type: \r\n" + strlen(r->content_type);
    if (r->no_store)
        n += sizeof "Cache-Control: no-store\r\nPragma: no-cache\r\n";
    for (size_t i = 0; i < r->header_count; i++)
        n += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 4;
    return n;
}

/* libmicrohttpd builds the response's headers in the memory that still holds the request's
 * (RS_HTTP_CONN_MEMORY); when they do not fit it closes the connection without a word, after
 * the handler is done. So a large response head (an /authorize redirect echoing a long state next
 * to a long redirect URI) is checked against the request's head here, and a request that leaves
 * no room for its answer gets a short 431 instead of a closed connection. The handler has run by
 * then: what it stored stays (an authorization code nobody receives expires unused), and its
 * cookies are not set. */
static void fit_response_head(struct conn_state *st)
{
    struct rs_resp *r = &st->resp;
    size_t resp = response_head_size(r);
    if (resp <= RESP_HEAD_SMALL || st->head_size + resp + HEAD_MARGIN <= RS_HTTP_CONN_MEMORY)
        return;
    /* the handler's answer is lost: say which, for whoever reads the 431 in the access log */
    char status[RS_I64_STRLEN];
    rs_fmt_i64(status, r->status);
    RS_LOG_WARN("response_head_too_large", "request_id", st->req.request_id, "path", st->req.path,
                "status", status, NULL);
    char client_id[sizeof r->client_id];
    memcpy(client_id, r->client_id, sizeof client_id);
    rs_resp_free(r);
    rs_resp_init(r);
    memcpy(r->client_id, client_id, sizeof client_id);
    head_too_large(r);
}

/* Renders st->resp: request id, metrics, access log, then the response itself. */
static enum MHD_Result finish(struct MHD_Connection *conn, struct conn_state *st)
{
    struct rs_resp *resp = &st->resp;
    if (!resp->status) {
        resp->status = 500;
        resp->no_store = true;
    }
    fit_response_head(st);
    if (atomic_load(&st->http->flags.draining)) /* no further request on this connection */
        rs_resp_header(resp, "Connection", "close");
    account(&st->req, resp, st->route, st->t0);
    enum MHD_Result ret = send_resp(conn, resp);
    rs_resp_free(resp);
    rs_form_free(&st->req.query);
    st->finished = true;
    return ret;
}

/* A deferred request whose client went away before its answer was sent (a reset while the
 * durable write or the handler thread ran): libmicrohttpd completes it without calling
 * on_request again, so finish() never runs. The answer is made (async_finish frees what the
 * asynchronous part owns, such as its config reference) and dropped: its body, which may hold a
 * token or a client secret, is wiped, and the request is logged as aborted with the status it
 * would have had. What it wrote stays written: a token issued to a client that left is valid,
 * as if the answer had been lost on the way. */
static void drop_unsent(struct conn_state *st)
{
    rs_log_set_request(st->req.request_id);
    if (st->async)
        st->resp.async_finish(st->resp.async_arg, &st->resp);
    access_log("request_aborted", &st->req, &st->resp, rs_clock_mono_us() - st->t0);
    rs_log_set_request(NULL);
    rs_resp_free(&st->resp);
    rs_form_free(&st->req.query);
    st->finished = true;
}

static void enqueue(struct rs_http *h, struct conn_state *st)
{
    pthread_mutex_lock(&h->qlock);
    st->next = NULL;
    if (h->qtail)
        h->qtail->next = st;
    else
        h->qhead = st;
    h->qtail = st;
    pthread_cond_signal(&h->qcv);
    pthread_mutex_unlock(&h->qlock);
}

/* Called once by whoever completes an asynchronous response (often the store's writer). */
static void async_done(void *arg)
{
    struct conn_state *st = arg;
    /* st may be answered and freed by its I/O thread as soon as it is resumed: nothing of it
     * is touched after MHD_resume_connection (the I/O thread lowers its count) */
    struct MHD_Connection *conn = st->conn;
    atomic_store(&st->ready, true);
    MHD_resume_connection(conn);
}

static void *handler_main(void *arg)
{
    struct rs_http *h = arg;
    pthread_setname_np(pthread_self(), "rs-handler");
    for (;;) {
        pthread_mutex_lock(&h->qlock);
        while (!h->qhead && !h->stopping)
            pthread_cond_wait(&h->qcv, &h->qlock);
        struct conn_state *st = h->qhead;
        if (st) {
            h->qhead = st->next;
            if (!h->qhead)
                h->qtail = NULL;
        }
        pthread_mutex_unlock(&h->qlock);
        if (!st)
            break; /* stopping and drained */
        rs_log_set_request(st->req.request_id);
        h->fn(h->app, &st->req, &st->resp, &st->route);
        st->resp.defer = false;
        if (st->resp.async_start) {
            /* asynchronous on a handler thread too: the write completes it */
            st->async = true;
            st->resp.async_start(st->resp.async_arg, async_done, st);
            rs_log_set_request(NULL);
            continue;
        }
        rs_log_set_request(NULL);
        struct MHD_Connection *conn = st->conn; /* st is not touched once ready */
        atomic_store(&st->ready, true);
        MHD_resume_connection(conn);
    }
    return NULL;
}

/* Request states are reused per thread (base/pool.h): every request needs one (1.7 KiB), and
 * its body buffer is kept with it. */
#define STATE_POOL 64
#define POOLED_BODY_MAX 4096 /* body buffers up to this size stay with a pooled state */

static void state_release(void *block)
{
    struct conn_state *st = block;
    rs_buf_free(&st->body);
    free(st);
}

static struct rs_pool state_pool =
    RS_POOL_INIT(state_release, offsetof(struct conn_state, pool_link), STATE_POOL);

/* a body may hold a secret (client_secret_post, the token to revoke): zeroed before its buffer
 * goes back to the pool with its state */
static void body_wipe(struct rs_buf *b)
{
    if (b->ptr)
        sodium_memzero(b->ptr, b->len + 1);
    b->len = 0;
}

static struct conn_state *state_new(size_t max_body)
{
    struct conn_state *st = rs_pool_get(&state_pool);
    if (!st) {
        st = calloc(1, sizeof *st);
        if (st)
            rs_buf_init(&st->body, max_body);
        return st;
    }
    struct rs_buf body = st->body; /* keeps its allocation, wiped in state_free */
    memset(st, 0, sizeof *st);
    body.max = max_body;
    st->body = body;
    return st;
}

static void state_free(struct conn_state *st)
{
    body_wipe(&st->body);
    if (st->body._cap > POOLED_BODY_MAX) /* a large body's buffer is not kept */
        rs_buf_free(&st->body);
    rs_pool_put(&state_pool, st);
}

static enum MHD_Result start_request(struct rs_http *h, struct MHD_Connection *conn,
                                     struct conn_state *st);

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct rs_http *h = cls;
    struct conn_state *st = *con_cls;
    (void)version;
    if (*con_cls == &uri_refused)
        return MHD_NO; /* answered by on_uri: close the connection */
    if (!st) {
        st = state_new(h->max_body);
        if (!st)
            return MHD_NO;
        st->t0 = rs_clock_mono_us();
        st->http = h;
        st->counter = my_counter(h);
        st->late = atomic_load(&h->flags.draining);
        *con_cls = st;
        atomic_fetch_add(&st->counter->inflight, 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->max_body)
            st->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->too_large && rs_buf_append(&st->body, upload_data, *upload_data_size))
            st->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (st->deferred) {
        /* resumed: the handler thread or the asynchronous write is done */
        if (!atomic_load(&st->ready))
            return MHD_YES; /* spurious wake-up; MHD calls again after the resume */
        rs_log_set_request(st->req.request_id);
        if (st->async)
            st->resp.async_finish(st->resp.async_arg, &st->resp);
        enum MHD_Result ret = finish(conn, st);
        rs_log_set_request(NULL);
        atomic_fetch_sub(&st->counter->suspended, 1); /* resumed and answered */
        return ret;
    }
    fill_req(st, conn, url, method);
    /* every line logged for this request, down to the store's writer, carries its id */
    rs_log_set_request(st->req.request_id);
    enum MHD_Result ret = start_request(h, conn, st);
    rs_log_set_request(NULL);
    return ret;
}

/* An answer the HTTP layer made itself (413, 431, 503 while stopping): the endpoint may record
 * it (the audit of /revoke); the response stays as it is. */
static void tell_refused(struct rs_http *h, struct conn_state *st)
{
    st->req.refused = st->resp.status;
    h->fn(h->app, &st->req, &st->resp, &st->route);
}

/* The request is complete (head and body): answers it, or starts its asynchronous answer. */
static enum MHD_Result start_request(struct rs_http *h, struct MHD_Connection *conn,
                                     struct conn_state *st)
{
    st->route = RS_METRICS_MAX_ROUTES - 1;
    rs_resp_init(&st->resp);
    if (st->too_large || st->head_size > REQ_HEAD_MAX) {
        if (st->too_large)
            too_large(&st->resp);
        else
            head_too_large(&st->resp);
        tell_refused(h, st);
    } else {
        /* counted before closing is read, so that rs_http_stop either sees this request in
         * suspended or this request sees closing (both sequentially consistent) */
        atomic_fetch_add(&st->counter->suspended, 1);
        if (st->late || atomic_load(&h->flags.closing)) {
            atomic_fetch_sub(&st->counter->suspended, 1);
            shutting_down(&st->resp);
            tell_refused(h, st); /* the store is closed only after the daemon stops */
            return finish(conn, st);
        }
        h->fn(h->app, &st->req, &st->resp, &st->route);
        if (!st->resp.async_start && !st->resp.defer)
            atomic_fetch_sub(&st->counter->suspended, 1); /* answered here, never suspended */
        if (st->resp.async_start) {
            /* suspend first, then start: the write may complete before async_start returns */
            st->deferred = true;
            st->async = true;
            st->conn = conn;
            MHD_suspend_connection(conn);
            st->resp.async_start(st->resp.async_arg, async_done, st);
            return MHD_YES;
        }
        if (st->resp.defer) {
            /* the handler needs to wait for the store: run it again on a handler thread */
            rs_resp_free(&st->resp);
            rs_resp_init(&st->resp);
            st->req.may_block = true;
            st->deferred = true;
            st->conn = conn;
            MHD_suspend_connection(conn);
            enqueue(h, st);
            return MHD_YES;
        }
    }
    return finish(conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *st = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!st || *con_cls == &uri_refused) {
        *con_cls = NULL;
        return;
    }
    if (st->deferred && !atomic_load(&st->ready)) {
        /* cannot happen: a suspended connection is not completed before it is resumed (what
         * the request owns is left alone: the write or handler still uses it) */
        RS_LOG_ERROR("deferred_request_lost", NULL);
    } else if (st->deferred && !st->finished) {
        drop_unsent(st);
        atomic_fetch_sub(&st->counter->suspended, 1); /* resumed, and its client gone */
    }
    atomic_fetch_sub(&st->counter->inflight, 1);
    state_free(st);
    *con_cls = NULL;
}

/* New connections while the server stops are closed at once (rs_http_stop). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct rs_http *h = cls;
    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&h->flags.draining, memory_order_relaxed) ? MHD_NO : MHD_YES;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    RS_LOG_WARN("http_daemon", "message", msg, NULL);
}

static void stop_handlers(struct rs_http *h)
{
    pthread_mutex_lock(&h->qlock);
    h->stopping = true;
    pthread_cond_broadcast(&h->qcv);
    pthread_mutex_unlock(&h->qlock);
    for (unsigned i = 0; i < h->handler_count; i++)
        pthread_join(h->handlers[i], NULL);
    free(h->handlers);
}

enum rs_err rs_http_start(const struct rs_http_opts *o, rs_http_dispatch_fn *fn, void *app,
                          struct rs_http **out)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[8];
    /* cache-line aligned (its flags are): aligned_alloc wants a multiple of the alignment */
    size_t hsize = (sizeof(struct rs_http) + 63) / 64 * 64;
    struct rs_http *h = aligned_alloc(64, hsize);
    *out = NULL;
    if (!h)
        return RS_ERR_NOMEM;
    memset(h, 0, hsize);
    rs_rand_bytes(&id_base, sizeof id_base);
    snprintf(port, sizeof port, "%d", o->port);
    if (getaddrinfo(o->host, port, &hints, &ai) || !ai) {
        RS_LOG_ERROR("listen_failed", "host", o->host, "reason", "cannot resolve host", NULL);
        free(h);
        return RS_ERR_INVALID;
    }
    h->fn = fn;
    h->app = app;
    h->max_body = o->max_body;
    long threads = o->threads ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    /* one per I/O thread, and [0] shared by any beyond (my_counter) */
    h->counter_count = (unsigned)threads + 1;
    h->counters = aligned_alloc(64, h->counter_count * sizeof *h->counters);
    if (!h->counters) {
        freeaddrinfo(ai);
        free(h);
        return RS_ERR_NOMEM;
    }
    memset(h->counters, 0, h->counter_count * sizeof *h->counters);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    pthread_mutex_init(&h->qlock, NULL);
    pthread_cond_init(&h->qcv, NULL);
    h->handler_count = o->handler_threads ? o->handler_threads : 64;
    h->handlers = calloc(h->handler_count, sizeof *h->handlers);
    if (!h->handlers) {
        freeaddrinfo(ai);
        free(h->counters);
        free(h);
        return RS_ERR_NOMEM;
    }
    for (unsigned i = 0; i < h->handler_count; i++) {
        if (pthread_create(&h->handlers[i], NULL, handler_main, h)) {
            h->handler_count = i;
            break;
        }
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, (uint16_t)o->port, on_accept, h, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, 10000u,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, RS_HTTP_CONN_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        RS_LOG_ERROR("listen_failed", "host", o->host, "port", port, NULL);
        stop_handlers(h);
        free(h->counters);
        free(h);
        return RS_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : o->port;
    *out = h;
    return RS_OK;
}

int rs_http_port(const struct rs_http *h)
{
    return h->port;
}

/* Closes the listening socket without telling libmicrohttpd. Its own way, MHD_quiesce_daemon,
 * races its epoll worker threads for the removal of the socket from their epoll sets and aborts
 * the process when it loses (0.9.75, "Failed to remove listen FD from epoll set"; seen under
 * keep-alive load). Instead, an unbound socket takes the listening socket's descriptor number
 * (dup2): the listening socket's last reference goes, so the kernel closes it, frees the port
 * and drops it from every epoll set, while libmicrohttpd keeps a valid descriptor that it closes
 * in MHD_stop_daemon. A worker that still tries to accept on it gets EINVAL and goes on. */
static void release_listener(struct rs_http *h)
{
    const union MHD_DaemonInfo *li = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_LISTEN_FD);
    if (!li || li->listen_fd == MHD_INVALID_SOCKET)
        return;
    int dummy = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (dummy < 0 || dup2(dummy, li->listen_fd) < 0)
        RS_LOG_WARN("listener_not_released", "reason", strerror(errno), NULL);
    if (dummy >= 0)
        close(dummy);
}

void rs_http_stop(struct rs_http *h, unsigned grace_ms)
{
    if (!h)
        return;
    /* From now on on_accept closes every new connection at once, and the listening socket is
     * released (release_listener), so the port is free for a successor and new connections are
     * refused. */
    atomic_store(&h->flags.draining, true);
    release_listener(h);
    /* open connections finish their request in progress (answers say Connection: close, new
     * requests get 503), then close */
    for (unsigned waited = 0; count_of(h, false) > 0 && waited < grace_ms; waited += 10)
        usleep(10000);
    atomic_store(&h->flags.closing, true); /* a request still arriving now is not started */
    /* Requests waiting for a durable write or a handler thread are never cut off: the store
     * completes every write queued, so wait for them (bounded, should the disk hang). Once
     * closing, nothing is suspended any more: a late request only raises the count for an
     * instant before it is answered, so once it reads 0, every suspended request has been
     * resumed and no handler thread is busy with one. */
    for (unsigned waited = 0; count_of(h, true) > 0 && waited < 30000; waited += 10)
        usleep(10000);
    for (unsigned waited = 0; count_of(h, true) > 0 && waited < 1000; waited += 10)
        usleep(10000); /* one more second, should the 30 s end at a late request's instant */
    if (count_of(h, true) > 0) {
        /* Still waiting for the disk after 30 s. Stopping libmicrohttpd would abort the process,
         * joining the handler threads could wait for ever, and returning would let the caller
         * free what live threads use: end here. What was acknowledged is durable; what was
         * not, was not answered. */
        char n[RS_I64_STRLEN];
        rs_fmt_i64(n, count_of(h, true));
        RS_LOG_ERROR("shutdown_requests_stuck", "requests", n, NULL);
        rs_log_flush();
        _exit(EXIT_FAILURE);
    }
    stop_handlers(h); /* idle by now: the queue is empty */
    MHD_stop_daemon(h->d);
    free(h->counters);
    free(h);
}
