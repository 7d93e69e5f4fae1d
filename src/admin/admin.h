/* admin.h - the admin API under /admin/ (bearer admin credential), used by the CLI and TUI. */
#ifndef RS_ADMIN_H
#define RS_ADMIN_H
#include "oauth/ctx.h"

rs_handler_fn rs_admin_handle;

#endif
