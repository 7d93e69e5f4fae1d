/* app.h - the wiring between rescindd.c, the router and first-start setup. */
#ifndef RS_APP_H
#define RS_APP_H
#include "oauth/ctx.h"
#include "http/daemon.h"

struct rs_app {
    struct rs_store *store;
    struct rs_keys *keys;
    unsigned char pepper[RS_PEPPER_LEN];
};

/* The router: dispatches one request with the current config snapshot. */
rs_http_dispatch_fn rs_routes_dispatch;
/* Registers route names with the metrics module. */
void rs_routes_init(void);

/* Opens the data folder next to db_path: pepper, signing key, store. On the very first start
 * also creates the admin credential (written to <dir>/admin-credential, 0600), a demo client and
 * a demo user, and prints them once on stdout. */
enum rs_err rs_bootstrap(const struct rs_config *cfg, struct rs_app *app);
void rs_app_close(struct rs_app *app);
/* Applies the configuration changes persisted by the admin API (settings key "config") on top
 * of the file and installs the result. RS_ERR_INVALID with a message naming the property. */
enum rs_err rs_settings_load(struct rs_store *store, char *err, size_t errlen);

#endif
