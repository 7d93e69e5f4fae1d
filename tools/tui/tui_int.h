/* tui_int.h - private to tools/tui: the frame every screen shares and the one list widget
 * every screen is made of.
 *
 * Layout (works from 80x24 up):
 *   row 0           title bar: "rescind admin" and the server URL
 *   row 1           breadcrumb of the current screen
 *   row 2           column header of the list (may be empty)
 *   rows 3..L-3     the list, scrolled so that the selection is visible
 *   row L-2         the keys of the screen, or the input line / y-n question
 *   row L-1         status line: the outcome of the last action or the server's message
 * A screen is modal: tui_screen_run loops until q/Esc (back one level) or a quit signal, so
 * nesting screens is nesting calls. Every action answers on the status line; nothing here
 * exits the process, so the terminal is restored by rs_tui_run on every path. */
#ifndef RS_TOOLS_TUI_INT_H
#define RS_TOOLS_TUI_INT_H
#include "common/api.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define TUI_STATUS_MAX 512
#define TUI_KEY_ESC 27
#define TUI_KEY_QUIT (-2) /* returned by tui_getch once a quit signal arrived */

struct tui {
    struct rs_api *api;
    char status[TUI_STATUS_MAX];
    bool status_error;
    struct tui_screen *current; /* drawn on resize while a prompt is open */
};

struct tui_list {
    char **rows; /* heap strings, one per line */
    size_t count, cap;
    size_t sel, top;
};

struct tui_screen;
/* (Re)fills s->list (and s->data) from the server; on failure sets the status line and leaves
 * an empty list. */
typedef void tui_load_fn(struct tui *t, struct tui_screen *s);
/* Handles a key the list did not consume. Returns false to leave the screen. */
typedef bool tui_key_fn(struct tui *t, struct tui_screen *s, int ch);

struct tui_screen {
    const char *title;  /* breadcrumb, e.g. "Auth Server > Properties" */
    const char *header; /* column header, may be NULL */
    const char *keys;   /* help shown on row L-2 */
    tui_load_fn *load;
    tui_key_fn *key;
    struct tui_list list;
    json_t *data;       /* what load fetched, owned */
    void *arg;          /* screen parameter (borrowed) */
};

/* ---- list widget (tui_list.c) ---- */
void tui_list_clear(struct tui_list *l);
/* Appends a formatted row; false when out of memory (the list is unchanged). */
bool tui_list_add(struct tui_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves the selection for arrows, PgUp/PgDn, Home/End, j/k; true when the key was one. */
bool tui_list_key(struct tui_list *l, int ch, int page);
void tui_list_draw(struct tui_list *l, int first_row, int rows);
/* Keeps the selection inside the list after it was refilled. */
void tui_list_clamp(struct tui_list *l);

/* ---- frame, prompts and the screen loop (tui.c) ---- */
/* Sets the status line (printf-style). error selects the error look. */
void tui_status(struct tui *t, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Next key; TUI_KEY_QUIT once SIGINT/SIGTERM arrived. KEY_RESIZE redraws before returning. */
int tui_getch(struct tui *t);
/* Edits a line on row L-2 (buf holds the initial text). true on Enter, false on Esc/quit. */
bool tui_input(struct tui *t, const char *prompt, char *buf, size_t cap);
/* Asks a y/n question on row L-2; true only for y. */
bool tui_confirm(struct tui *t, const char *question);
/* Runs a screen until q/Esc or quit; loads it first. Frees what it loaded on the way out. */
void tui_screen_run(struct tui *t, struct tui_screen *s);
/* One API call whose failure goes to the status line; on RS_API_OK the caller owns r->json. */
bool tui_call(struct tui *t, const char *method, const char *path, json_t *body,
              struct rs_api_resp *r);
/* The text of a JSON value for a cell: strings bare, the rest compact JSON. Heap. */
char *tui_value_text(json_t *v);
/* True once a quit signal arrived: every screen loop leaves. */
bool tui_quitting(void);

/* ---- screens ---- */
void tui_properties(struct tui *t);     /* tui_config.c */
void tui_features(struct tui *t);       /* tui_config.c */
void tui_clients(struct tui *t);        /* tui_clients.c */
void tui_tokens(struct tui *t);         /* tui_clients.c */

#endif
