/* rescindd.c - main(): parse arguments, load configuration, open the data folder, serve.
 * Wiring only. SIGTERM/SIGINT stop accepting, let in-flight requests finish, then exit. */
#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: rescindd [--config FILE] [--listen HOST:PORT] [--db PATH]\n"
               "  --config FILE      JSON configuration (docs/configuration.md)\n"
               "  --listen HOST:PORT listener, overrides the file (default 127.0.0.1:8080)\n"
               "  --db PATH          SQLite database, overrides the file (default var/rescind.db)\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    struct rs_config_overrides ov = {0};
    struct rs_config *cfg = NULL;
    struct rs_app app;
    struct rs_http *http = NULL;
    char err[512] = "";
    int c, rc = 1;
    while ((c = getopt_long(argc, argv, "c:l:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'l': ov.listen = optarg; break;
        case 'd': ov.db_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    /* every file of the data folder (database, WAL, keys) is readable by this user only */
    umask(077);
    if (sodium_init() < 0) {
        fprintf(stderr, "rescindd: libsodium failed to initialise\n");
        return 1;
    }
    rs_config_set_source(config_path, &ov);
    enum rs_err e = rs_config_rebuild(NULL, &cfg, err, sizeof err);
    if (e) {
        fprintf(stderr, "rescindd: invalid configuration: %s\n", err);
        RS_LOG_ERROR("config_invalid", "reason", err, NULL);
        return 1;
    }
    rs_config_install(cfg); /* the global now owns cfg */
    cfg = rs_config_acquire();
    if (rs_bootstrap(cfg, &app)) {
        fprintf(stderr, "rescindd: cannot open the data folder or database of %s\n", cfg->db_path);
        goto out;
    }
    /* persisted configuration changes (admin API) win over the file */
    if (rs_settings_load(app.store, err, sizeof err)) {
        fprintf(stderr, "rescindd: invalid persisted configuration: %s\n", err);
        goto out_app;
    }
    rs_config_release(cfg);
    cfg = rs_config_acquire();
    rs_routes_init();
    struct rs_http_opts ho = {
        .host = cfg->listen_host,
        .port = cfg->listen_port,
        .threads = (unsigned)cfg->worker_threads,
        .handler_threads = (unsigned)cfg->request_handler_threads,
        .timeout_s = (unsigned)cfg->connection_timeout,
        .max_body = (size_t)cfg->max_request_body_size,
    };
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit (RLIMIT_FSIZE) must fail the write, and so the commit (503), not kill us */
    signal(SIGXFSZ, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (rs_http_start(&ho, rs_routes_dispatch, &app, &http)) {
        fprintf(stderr, "rescindd: cannot listen on %s\n", cfg->listen);
        goto out_app;
    }
    if (cfg->listen_port == 0) {
        /* the kernel chose the port: the issuer and endpoint URLs derived from the listener must
         * name it (discovery, iss, registration_client_uri), so the snapshot is built again */
        rs_config_set_bound_port(rs_http_port(http));
        if (rs_settings_load(app.store, err, sizeof err)) {
            /* as fatal as the same failure before the listener started */
            fprintf(stderr, "rescindd: invalid persisted configuration: %s\n", err);
            RS_LOG_ERROR("config_invalid", "reason", err, NULL);
            rs_http_stop(http, 1000);
            goto out_app;
        }
        rs_config_release(cfg);
        cfg = rs_config_acquire();
    }
    char port[8];
    snprintf(port, sizeof port, "%d", rs_http_port(http));
    RS_LOG_INFO("listening", "listen", cfg->listen, "port", port, "issuer", cfg->issuer, "db",
                cfg->db_path, NULL);
    int64_t next_purge = rs_clock_now();
    while (!stop) {
        usleep(100000);
        int64_t now = rs_clock_now();
        if (now >= next_purge) {
            /* expired rows go in the background: one short write batch, requests keep flowing */
            struct rs_config *cur = rs_config_acquire();
            size_t purged = 0;
            if (rs_store_purge_expired(app.store, now, &purged) == RS_OK && purged) {
                char n[24];
                snprintf(n, sizeof n, "%zu", purged);
                RS_LOG_INFO("purged_expired", "rows", n, NULL);
            }
            /* audit records are kept auditRetentionDays: every request to /revoke leaves one,
             * unauthenticated ones too, so without a limit the file would only grow */
            purged = 0;
            if (cur->audit_retention_days > 0 &&
                rs_store_audit_purge(app.store, now - cur->audit_retention_days * 86400,
                                     &purged) == RS_OK &&
                purged) {
                char n[24];
                snprintf(n, sizeof n, "%zu", purged);
                RS_LOG_INFO("purged_audit", "rows", n, NULL);
            }
            /* a full pass may have left more: go on at the next turn of this loop (after it
             * looked at stop), not an interval later, or a steady flow of records would
             * outgrow the purge */
            bool more = purged >= RS_STORE_AUDIT_PURGE_MAX;
            next_purge = more ? now : now + cur->clean_service_interval;
            rs_config_release(cur);
        }
    }
    RS_LOG_INFO("shutting_down", NULL);
    rs_http_stop(http, 10000);
    rc = 0;
out_app:
    rs_app_close(&app);
out:
    rs_config_release(cfg);
    rs_config_install(NULL);
    RS_LOG_INFO("stopped", NULL);
    return rc;
}
