/* tui.h - `rescind tui`: the ncurses admin console, a client of the admin API like the CLI. */
#ifndef RS_TOOLS_TUI_H
#define RS_TOOLS_TUI_H
#include "common/api.h"

/* Runs the console on the terminal until the operator quits (or SIGINT/SIGTERM). The terminal
 * is restored on every way out. Returns the exit code: 0, or 1 when there is no terminal. */
int rs_tui_run(struct rs_api *api);

#endif
