/* err.h - the one error vocabulary of rescind.
 * Every fallible function returns enum rs_err; results travel through *_out parameters. */
#ifndef RS_ERR_H
#define RS_ERR_H

enum rs_err {
    RS_OK = 0,
    RS_ERR_NOMEM,
    RS_ERR_INVALID,   /* input rejected */
    RS_ERR_NOT_FOUND,
    RS_ERR_CONFLICT,  /* exists already / state changed under us */
    RS_ERR_TOO_LARGE,
    RS_ERR_STORE,     /* persistence failed: nothing was committed */
    RS_ERR_CRYPTO,
    RS_ERR_IO,
    RS_ERR_DENIED,
};

const char *rs_strerror(enum rs_err e);

#endif
