/* login_page.h - the HTML the authorization endpoint shows a person: the login form and the
 * error pages for requests that must not be redirected. Every reflected string is HTML-escaped
 * here; every page is no-store, framing-proof (X-Frame-Options, frame-ancestors) and under a CSP
 * that allows no script at all and posts forms only to the server itself. */
#ifndef RS_LOGIN_PAGE_H
#define RS_LOGIN_PAGE_H
#include "http/http.h"
#include "base/form.h"

struct rs_login_page {
    const char *action;           /* path the form posts to */
    const char *client_name;      /* shown in the heading */
    const char *csrf;             /* value of the hidden csrf_token field */
    const char *error;            /* message above the form, or NULL */
    const char *username;         /* prefilled after a failed attempt, or NULL */
    const struct rs_form *hidden; /* carried as hidden fields (the authorization request) */
    const char *redirect_uri;     /* validated redirect URI the form's answer redirects to */
    /* set for a client that registered itself (RFC 7591): a warning names where signing in
     * sends the user (the redirect URI's origin), since its name is its own choice */
    bool self_registered;
};

/* Renders the login form with status 200. Browsers apply form-action to every redirect that
 * follows a form submission (CSP Level 3), so the login page's CSP also allows the origin of
 * p->redirect_uri, where the successful POST is redirected, and nothing else.
 * RS_ERR_NOMEM/TOO_LARGE. */
enum rs_err rs_login_page_render(struct rs_resp *resp, const struct rs_login_page *p);
/* Renders a page with a title and a message, e.g. 400 for a bad client or redirect URI. */
enum rs_err rs_login_page_error(struct rs_resp *resp, int status, const char *title,
                                const char *message);

#endif
