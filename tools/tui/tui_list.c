/* tui_list.c - the scrollable list every TUI screen is made of: rows of text, a selection,
 * and the first visible row. Drawing clips every row to the screen width, so long values
 * never wrap into the next line. */
#include "tui/tui_int.h"
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tui_list_clear(struct tui_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->rows[i]);
    free(l->rows);
    memset(l, 0, sizeof *l);
}

bool tui_list_add(struct tui_list *l, const char *fmt, ...)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return false;
        l->rows = p;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&l->rows[l->count], fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    l->count++;
    return true;
}

void tui_list_clamp(struct tui_list *l)
{
    if (l->sel >= l->count)
        l->sel = l->count ? l->count - 1 : 0;
    if (l->top > l->sel)
        l->top = l->sel;
}

bool tui_list_key(struct tui_list *l, int ch, int page)
{
    size_t step = page > 1 ? (size_t)page - 1 : 1;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (l->sel > 0)
            l->sel--;
        return true;
    case KEY_DOWN:
    case 'j':
        if (l->sel + 1 < l->count)
            l->sel++;
        return true;
    case KEY_PPAGE:
        l->sel = l->sel > step ? l->sel - step : 0;
        return true;
    case KEY_NPAGE:
        l->sel += step;
        tui_list_clamp(l);
        return true;
    case KEY_HOME:
        l->sel = 0;
        return true;
    case KEY_END:
        l->sel = l->count ? l->count - 1 : 0;
        return true;
    }
    return false;
}

void tui_list_draw(struct tui_list *l, int first_row, int rows)
{
    if (rows < 1)
        return;
    tui_list_clamp(l);
    /* scroll only as far as needed to keep the selection visible */
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + (size_t)rows)
        l->top = l->sel - (size_t)rows + 1;
    if (l->count == 0) {
        mvaddnstr(first_row, 1, "(nothing to show)", COLS - 2);
        return;
    }
    for (int r = 0; r < rows && l->top + (size_t)r < l->count; r++) {
        size_t i = l->top + (size_t)r;
        mvaddnstr(first_row + r, 1, l->rows[i], COLS - 2);
        if (i == l->sel) /* the whole line, so the selection shows on short rows too */
            mvchgat(first_row + r, 0, -1, A_REVERSE, 0, NULL);
    }
}
