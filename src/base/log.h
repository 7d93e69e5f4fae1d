/* log.h - structured logs: one JSON object per line on stderr.
 * Fields are key/value string pairs ending with NULL; values are JSON-escaped here, so callers
 * may pass request data. Never pass a token or a secret: nothing below can tell them apart.
 * Lines are whole and never interleave. They are appended to a shared buffer that a log thread
 * writes out with one write(2) per batch: at most about 1 ms after an info line, at once after a
 * warning or an error, so logging costs no system call per request. rs_log_flush() waits until
 * every line so far is written; it runs at exit. A crash can lose the last millisecond of info
 * lines, never a warning or an error that was already written. */
#ifndef RS_LOG_H
#define RS_LOG_H

enum rs_log_level { RS_LOG_DEBUG, RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR };

void rs_log_set_level(enum rs_log_level lvl);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int rs_log_level_parse(const char *s);
void rs_log_write(enum rs_log_level lvl, const char *func, const char *event, ...)
    __attribute__((sentinel));
/* The request the calling thread works for: every line it logs from now on carries this
 * request_id (unless the line names one itself), including lines logged deep below the endpoint
 * (the store's writer sets the id of the request that queued each job). NULL or "" clears it. */
void rs_log_set_request(const char *request_id);
/* The calling thread's current request id, "" when none. */
const char *rs_log_request(void);
/* Returns once every line logged before the call has been written to stderr. */
void rs_log_flush(void);

#define RS_LOG_DEBUG(event, ...) rs_log_write(RS_LOG_DEBUG, __func__, event, __VA_ARGS__)
#define RS_LOG_INFO(event, ...) rs_log_write(RS_LOG_INFO, __func__, event, __VA_ARGS__)
#define RS_LOG_WARN(event, ...) rs_log_write(RS_LOG_WARN, __func__, event, __VA_ARGS__)
#define RS_LOG_ERROR(event, ...) rs_log_write(RS_LOG_ERROR, __func__, event, __VA_ARGS__)

#endif
