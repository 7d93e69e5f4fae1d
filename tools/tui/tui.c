/* tui.c - `rescind tui`: terminal setup and teardown, the frame (title, breadcrumb, keys,
 * status line), prompts, the loop every screen runs in, and the menus.
 *
 * The terminal is always given back: SIGINT/SIGTERM only set a flag (async-signal-safe), every
 * screen loop sees it within one getch timeout and unwinds, and rs_tui_run calls endwin on its
 * single way out. ncurses keeps its own SIGWINCH handling, which turns a resize into KEY_RESIZE;
 * a resize simply redraws the frame from the current screen. */
#include "tui/tui.h"
#include "tui/tui_int.h"
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GETCH_TIMEOUT_MS 200
#define MIN_LINES 10
#define MIN_COLS 40

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
    quit_signal = sig;
}

bool tui_quitting(void)
{
    return quit_signal != 0;
}

void tui_status(struct tui *t, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->status, sizeof t->status, fmt, ap);
    va_end(ap);
    /* one line: a server message with a newline would break the layout */
    for (char *p = t->status; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    t->status_error = error;
}

char *tui_value_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    return s ? s : strdup("");
}

bool tui_call(struct tui *t, const char *method, const char *path, json_t *body,
              struct rs_api_resp *r)
{
    if (rs_api_call(t->api, method, path, body, r) == RS_API_OK)
        return true;
    tui_status(t, true, "%s", r->msg);
    rs_api_resp_clear(r);
    return false;
}

/* ---------------------------------------------------------------- frame */

static void draw(struct tui *t)
{
    struct tui_screen *s = t->current;
    char title[512];
    erase();
    if (LINES < MIN_LINES || COLS < MIN_COLS) {
        mvaddnstr(0, 0, "terminal too small (q quits)", COLS);
        refresh();
        return;
    }
    snprintf(title, sizeof title, "rescind admin   %s", t->api->url);
    mvaddnstr(0, 1, title, COLS - 2);
    mvchgat(0, 0, -1, A_REVERSE, 0, NULL);
    if (s) {
        attron(A_BOLD);
        mvaddnstr(1, 1, s->title, COLS - 2);
        attroff(A_BOLD);
        if (s->header) {
            attron(A_UNDERLINE);
            mvaddnstr(2, 1, s->header, COLS - 2);
            attroff(A_UNDERLINE);
        }
        tui_list_draw(&s->list, 3, LINES - 5);
        attron(A_DIM);
        mvaddnstr(LINES - 2, 1, s->keys, COLS - 2);
        attroff(A_DIM);
    }
    if (t->status_error)
        attron(A_BOLD);
    mvaddnstr(LINES - 1, 1, t->status, COLS - 2);
    if (t->status_error)
        attroff(A_BOLD);
    refresh();
}

int tui_getch(struct tui *t)
{
    for (;;) {
        if (quit_signal)
            return TUI_KEY_QUIT;
        int ch = getch();
        if (ch == ERR) /* timeout or a signal: look at the flag again */
            continue;
        if (ch == KEY_RESIZE)
            draw(t);
        return ch;
    }
}

/* Draws a prompt on row L-2 after the frame; the cursor stays after text. */
static void draw_prompt(struct tui *t, const char *prompt, const char *text)
{
    draw(t);
    move(LINES - 2, 0);
    clrtoeol();
    attron(A_BOLD);
    mvaddnstr(LINES - 2, 1, prompt, COLS - 2);
    attroff(A_BOLD);
    int x = getcurx(stdscr), avail = COLS - x - 1;
    size_t len = strlen(text);
    if (avail > 0) /* show the end of a long value: that is where the cursor is */
        addnstr(text + (len > (size_t)avail ? len - (size_t)avail : 0), avail);
    refresh();
}

static bool is_enter(int ch)
{
    return ch == '\n' || ch == '\r' || ch == KEY_ENTER;
}

bool tui_input(struct tui *t, const char *prompt, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    bool ok = false;
    curs_set(1);
    for (;;) {
        draw_prompt(t, prompt, buf);
        int ch = tui_getch(t);
        if (ch == TUI_KEY_QUIT || ch == TUI_KEY_ESC)
            break;
        if (is_enter(ch)) {
            ok = true;
            break;
        }
        if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
            /* drop one whole UTF-8 character: its continuation bytes, then its lead byte */
            while (len > 0 && ((unsigned char)buf[len - 1] & 0xC0) == 0x80)
                len--;
            if (len > 0)
                len--;
        } else if (ch == 21) { /* Ctrl-U clears the line, as in a shell */
            len = 0;
        } else if (ch >= 32 && ch < 256 && ch != 127 && len + 1 < cap) {
            buf[len++] = (char)ch;
        }
        buf[len] = '\0';
    }
    curs_set(0);
    return ok;
}

bool tui_confirm(struct tui *t, const char *question)
{
    char prompt[TUI_STATUS_MAX];
    snprintf(prompt, sizeof prompt, "%s (y/n) ", question);
    for (;;) {
        draw_prompt(t, prompt, "");
        int ch = tui_getch(t);
        if (ch == 'y' || ch == 'Y')
            return true;
        if (ch == 'n' || ch == 'N' || ch == 'q' || ch == TUI_KEY_ESC || ch == TUI_KEY_QUIT)
            return false;
    }
}

void tui_screen_run(struct tui *t, struct tui_screen *s)
{
    struct tui_screen *prev = t->current;
    t->current = s;
    if (s->load)
        s->load(t, s);
    while (!quit_signal) {
        t->current = s; /* a nested screen may have changed it */
        draw(t);
        int ch = tui_getch(t);
        if (ch == TUI_KEY_QUIT || ch == 'q' || ch == TUI_KEY_ESC)
            break;
        if (ch == KEY_RESIZE || tui_list_key(&s->list, ch, LINES - 5))
            continue;
        if (s->key && !s->key(t, s, ch))
            break;
    }
    tui_list_clear(&s->list);
    json_decref(s->data);
    s->data = NULL;
    t->current = prev;
}

/* ---------------------------------------------------------------- menus */

typedef void tui_action_fn(struct tui *t);

struct menu {
    const char *const *items;
    tui_action_fn *const *actions; /* NULL: leave the menu */
    size_t count;
};

static void menu_load(struct tui *t, struct tui_screen *s)
{
    const struct menu *m = s->arg;
    for (size_t i = 0; i < m->count; i++)
        if (!tui_list_add(&s->list, "%s", m->items[i]))
            tui_status(t, true, "out of memory");
}

static bool menu_key(struct tui *t, struct tui_screen *s, int ch)
{
    const struct menu *m = s->arg;
    if (!is_enter(ch) && ch != KEY_RIGHT && ch != ' ')
        return true;
    if (s->list.sel >= m->count || !m->actions[s->list.sel])
        return false;
    t->status[0] = '\0';
    m->actions[s->list.sel](t);
    return true;
}

static void auth_server(struct tui *t)
{
    static const char *const items[] = {"Properties", "Feature flags (enabledFeatureFlags)"};
    static tui_action_fn *const actions[] = {tui_properties, tui_features};
    struct menu m = {items, actions, 2};
    struct tui_screen s = {.title = "Auth Server", .keys = "Enter select   q/Esc back",
                           .load = menu_load, .key = menu_key, .arg = &m};
    tui_screen_run(t, &s);
}

static void main_menu(struct tui *t)
{
    static const char *const items[] = {"Auth Server", "Clients", "Tokens", "Quit"};
    static tui_action_fn *const actions[] = {auth_server, tui_clients, tui_tokens, NULL};
    struct menu m = {items, actions, 4};
    struct tui_screen s = {.title = "Main menu",
                           .keys = "Up/Down move   Enter select   q/Esc back (quits here)",
                           .load = menu_load, .key = menu_key, .arg = &m};
    tui_screen_run(t, &s);
}

/* ---------------------------------------------------------------- entry */

int rs_tui_run(struct rs_api *api)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "rescind: tui needs a terminal on stdin and stdout\n");
        return 1;
    }
    setlocale(LC_ALL, "");
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_quit_signal; /* no SA_RESTART: getch returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        fprintf(stderr, "rescind: cannot use the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return 1;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    timeout(GETCH_TIMEOUT_MS);
    struct tui t = {.api = api};
    tui_status(&t, false, "Enter selects, q or Esc goes back one level");
    main_menu(&t);
    endwin();
    delscreen(scr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return quit_signal ? 128 + quit_signal : 0;
}
