/* testutil.h - helpers shared by the unit tests: a fresh temporary folder per test and its
 * removal. Header-only (static) so that each test executable stays one source file. */
#ifndef RS_TESTUTIL_H
#define RS_TESTUTIL_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates a new empty folder under TMPDIR (or /tmp) into dir (at least 256 bytes);
 * returns 0 or -1. */
static inline int rs_test_mkdtemp(char *dir, size_t cap)
{
    const char *base = getenv("TMPDIR");
    int n = snprintf(dir, cap, "%s/rs-unit-XXXXXX", base && *base ? base : "/tmp");
    if (n < 0 || (size_t)n >= cap)
        return -1; /* a TMPDIR too long for the buffer: fail setup, never a truncated template */
    return mkdtemp(dir) ? 0 : -1;
}

static inline int rs_test_rm_one(const char *path, const struct stat *st, int flag,
                                 struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it. */
static inline void rs_test_rmtree(const char *dir)
{
    nftw(dir, rs_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
