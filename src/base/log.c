/* log.c - see log.h. The line is built in a stack buffer (truncated at 4 KiB) to keep the hot
 * path free of allocation; the time is formatted from a coarse clock. */
#include "base/log.h"
#include "base/buf.h"
#include <stdarg.h>
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
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
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
    l.b[l.n++] = '}';
    l.b[l.n++] = '\n';
    ssize_t w = write(2, l.b, l.n);
    (void)w; /* a failed log write has nowhere to be reported */
}
