/* log.c - see log.h. The line is built in a stack buffer (truncated at 4 KiB) to keep the hot
 * path free of allocation; the time is formatted from a coarse clock. Finished lines go to a
 * double buffer: callers append under a mutex (a memcpy), the log thread swaps the halves and
 * writes the full one while callers fill the other. */
#include "base/log.h"
#include "base/buf.h"
#include "base/clock.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = RS_LOG_INFO;

void rs_log_set_level(enum rs_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

int rs_log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

#define LOG_BUF (256 * 1024)
static struct {
    pthread_mutex_t lock;
    pthread_cond_t more;  /* lines are waiting */
    pthread_cond_t space; /* a write finished: room again, or everything written */
    char buf[2][LOG_BUF];
    size_t len;   /* bytes waiting in buf[cur] */
    int cur;      /* the half callers append to */
    bool writing; /* the log thread is writing the other half */
    bool urgent;  /* a warning or error waits: no gathering */
    bool threaded;
} lg = {.lock = PTHREAD_MUTEX_INITIALIZER,
        .more = PTHREAD_COND_INITIALIZER,
        .space = PTHREAD_COND_INITIALIZER};
static pthread_once_t lg_once = PTHREAD_ONCE_INIT;

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(2, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a failed log write has nowhere to be reported */
        p += w;
        n -= (size_t)w;
    }
}

static void *log_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "rs-log");
    pthread_mutex_lock(&lg.lock);
    for (;;) {
        while (!lg.len)
            pthread_cond_wait(&lg.more, &lg.lock);
        if (!lg.urgent) {
            /* let info lines gather for a millisecond: one write for many requests */
            struct timespec until;
            rs_clock_deadline(&until, 1000);
            while (!lg.urgent && lg.len < LOG_BUF / 2 &&
                   pthread_cond_timedwait(&lg.more, &lg.lock, &until) == 0)
                ;
        }
        int half = lg.cur;
        size_t n = lg.len;
        lg.cur ^= 1;
        lg.len = 0;
        lg.urgent = false;
        lg.writing = true;
        pthread_mutex_unlock(&lg.lock);
        write_all(lg.buf[half], n);
        pthread_mutex_lock(&lg.lock);
        lg.writing = false;
        pthread_cond_broadcast(&lg.space);
    }
    return NULL;
}

static void log_start(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    lg.threaded = pthread_create(&t, &a, log_main, NULL) == 0;
    pthread_attr_destroy(&a);
    if (lg.threaded)
        atexit(rs_log_flush);
}

static void emit(const char *line, size_t n, bool urgent)
{
    pthread_once(&lg_once, log_start);
    if (!lg.threaded) {
        write_all(line, n); /* no log thread: one write per line, as before */
        return;
    }
    pthread_mutex_lock(&lg.lock);
    while (lg.len + n > LOG_BUF)
        pthread_cond_wait(&lg.space, &lg.lock); /* full: wait for the log thread, lose nothing */
    bool was_empty = lg.len == 0;
    memcpy(lg.buf[lg.cur] + lg.len, line, n);
    lg.len += n;
    if (urgent)
        lg.urgent = true;
    if (was_empty || urgent)
        pthread_cond_signal(&lg.more);
    pthread_mutex_unlock(&lg.lock);
}

void rs_log_flush(void)
{
    if (!lg.threaded)
        return;
    pthread_mutex_lock(&lg.lock);
    while (lg.len || lg.writing) {
        lg.urgent = true;
        pthread_cond_signal(&lg.more);
        pthread_cond_wait(&lg.space, &lg.lock);
    }
    pthread_mutex_unlock(&lg.lock);
}

struct line {
    char b[4096];
    size_t n;
};

static void put(struct line *l, const char *s, size_t len)
{
    if (l->n + len > sizeof l->b - 2)
        len = sizeof l->b - 2 - l->n;
    memcpy(l->b + l->n, s, len);
    l->n += len;
}

static void put_esc(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* runs of printable ASCII other than '"' and '\\' are copied in one go */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run) {
            put(l, (const char *)run, (size_t)(p - run));
            if (!*p)
                break;
        }
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(l, e, 2);
        } else if (*p >= 0x80 && rs_utf8_seq_len(p)) {
            size_t u = rs_utf8_seq_len(p);
            put(l, (const char *)p, u);
            p += u - 1;
        } else if (*p >= 0x80) {
            put(l, "\\ufffd", 6); /* not UTF-8: the line stays valid JSON */
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            put(l, e, 6);
        } else {
            put(l, (const char *)p, 1);
        }
    }
}

#define REQUEST_ID_MAX 32
static _Thread_local char tl_request[REQUEST_ID_MAX + 1];

void rs_log_set_request(const char *request_id)
{
    size_t n = request_id ? strnlen(request_id, REQUEST_ID_MAX) : 0;
    memcpy(tl_request, request_id ? request_id : "", n);
    tl_request[n] = '\0';
}

const char *rs_log_request(void)
{
    return tl_request;
}

void rs_log_write(enum rs_log_level lvl, const char *func, const char *event, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if ((int)lvl < atomic_load(&min_level))
        return;
    struct line l = {.n = 0};
    struct timespec ts;
    char t[64];
    /* the date part is formatted once per second per thread: logs stay on under full load */
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[32];
    static _Thread_local size_t cached_len;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    memcpy(t, cached, cached_len);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
    size_t tn = cached_len;
    t[tn++] = '.';
    t[tn++] = (char)('0' + ms / 100);
    t[tn++] = (char)('0' + ms / 10 % 10);
    t[tn++] = (char)('0' + ms % 10);
    t[tn++] = 'Z';
    put(&l, "{\"time\":\"", 9);
    put(&l, t, tn);
    put(&l, "\",\"level\":\"", 11);
    put(&l, names[lvl], strlen(names[lvl]));
    put(&l, "\",\"event\":\"", 11);
    put_esc(&l, event);
    put(&l, "\",\"func\":\"", 10);
    put_esc(&l, func);
    put(&l, "\"", 1);
    va_list ap;
    va_start(ap, event);
    bool named_request = false;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        named_request |= k[0] == 'r' && strcmp(k, "request_id") == 0;
        const char *v = va_arg(ap, const char *);
        if (!v)
            continue; /* absent optional field */
        put(&l, ",\"", 2);
        put_esc(&l, k);
        put(&l, "\":\"", 3);
        put_esc(&l, v);
        put(&l, "\"", 1);
    }
    va_end(ap);
    if (!named_request && tl_request[0]) {
        put(&l, ",\"request_id\":\"", 15);
        put_esc(&l, tl_request);
        put(&l, "\"", 1);
    }
    l.b[l.n++] = '}';
    l.b[l.n++] = '\n';
    emit(l.b, l.n, lvl >= RS_LOG_WARN);
}
