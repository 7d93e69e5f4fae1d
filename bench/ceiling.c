/* ceiling.c - the libmicrohttpd "200 OK" servers every benchmark ratio is measured against.
 *
 * Both answer every request with 200 "OK" and are bound to 127.0.0.1. Two set-ups:
 *  --bare   libmicrohttpd as its own tutorial starts it: MHD_USE_INTERNAL_POLLING_THREAD and no
 *           options (one internal thread, select, 32 KiB per connection). This is the "bare
 *           libmicrohttpd 200 OK ceiling" the issues set their targets against (about 136,000
 *           requests/s on this machine, by the issues' own measurement), so bench/run.sh judges
 *           the targets against it.
 *  (none)   MHD exactly as src/http/daemon.c runs it (epoll, ITC, turbo, a thread pool of one
 *           thread per core, 16 KiB per connection): the most this HTTP stack does here. run.sh
 *           reports the ratio to it too, so the cost of rescind itself stays visible.
 *
 * usage: bench-ceiling [--bare] [PORT]   (0 or no PORT: the kernel picks a free port)
 * Prints "port=N" on stdout once listening, then serves until SIGINT or SIGTERM. */
#define _POSIX_C_SOURCE 200809L /* -std=c17 hides sigwait and pthread_sigmask otherwise */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char ok_body[] = "OK";

/* Request bodies are consumed and dropped: the ceiling for a POST endpoint must still read it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    static int first_call_marker;
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* persistent response memory: the body is a constant, nothing to copy or free */
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof ok_body - 1, (void *)ok_body,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int parse_port(int argc, char **argv)
{
    if (argc < 1)
        return 0;
    char *end = NULL;
    long p = strtol(argv[0], &end, 10);
    if (argc > 1 || !end || *end != '\0' || p < 0 || p > 65535)
        return -1;
    return (int)p;
}

static struct MHD_Daemon *start_bare(int port, const struct sockaddr *sa)
{
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
                            NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, sa,
                            MHD_OPTION_END);
}

static struct MHD_Daemon *start_tuned(int port, const struct sockaddr *sa, unsigned threads)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                            MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                            MHD_OPTION_CONNECTION_LIMIT, 10000u,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    bool bare = argc > 1 && strcmp(argv[1], "--bare") == 0;
    int port = parse_port(argc - 1 - bare, argv + 1 + bare);
    if (port < 0) {
        fprintf(stderr, "usage: %s [--bare] [PORT]\n", argv[0]);
        return 2;
    }
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* the signals are blocked in every thread MHD starts and collected by sigwait below */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    const struct sockaddr *addr = (const struct sockaddr *)&sa;
    struct MHD_Daemon *d = bare ? start_bare(port, addr)
                                : start_tuned(port, addr, (unsigned)threads);
    if (!d) {
        fprintf(stderr, "bench-ceiling: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("port=%u threads=%ld set-up=%s\n", di ? (unsigned)di->port : (unsigned)port,
           bare ? 1L : threads, bare ? "bare" : "tuned");
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    return 0;
}
