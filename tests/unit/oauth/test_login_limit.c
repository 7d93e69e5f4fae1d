/* test_login_limit.c - the brake on password guessing (src/oauth/login_limit.c): free attempts,
 * counted while still being checked (a burst in parallel gets no more than they), doubling
 * holds up to the cap, one attempt at a time between holds, a success starting the count again,
 * forgetting, and a held name surviving a flood of other names. Time is passed in: nothing
 * here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "oauth/login_limit.h"
#include <stdio.h>

static int setup(void **state)
{
    (void)state;
    rs_login_limit_reset();
    return 0;
}

/* one whole attempt: 0 when it was let through (and then ended with outcome) */
static int64_t attempt(const char *name, enum rs_login_outcome outcome, int64_t now)
{
    struct rs_login_ticket t;
    int64_t w = rs_login_limit_begin(name, now, &t);
    if (w == 0)
        rs_login_limit_end(&t, outcome, now);
    return w;
}

static int64_t begin(const char *name, int64_t now)
{
    struct rs_login_ticket t;
    return rs_login_limit_begin(name, now, &t);
}

static void test_serial_holds_double_up_to_the_cap(void **state)
{
    (void)state;
    int64_t t = 1000000;
    for (int i = 0; i < RS_LOGIN_FREE; i++)
        assert_int_equal(attempt("alice", RS_LOGIN_FAILED, t), 0);
    assert_int_equal(begin("alice", t), RS_LOGIN_HOLD_FIRST);
    assert_int_equal(begin("alice", t + 5), RS_LOGIN_HOLD_FIRST - 5);
    assert_int_equal(attempt("bob", RS_LOGIN_FAILED, t), 0); /* another user is not held */
    t += RS_LOGIN_HOLD_FIRST;
    assert_int_equal(attempt("alice", RS_LOGIN_FAILED, t), 0); /* one more after the hold */
    assert_int_equal(begin("alice", t), 2 * RS_LOGIN_HOLD_FIRST);
    for (int i = 0; i < 12; i++) { /* each hold waited out: they stop growing at the cap */
        int64_t w = begin("alice", t);
        t += w;
        assert_int_equal(attempt("alice", RS_LOGIN_FAILED, t), 0);
    }
    assert_int_equal(begin("alice", t), RS_LOGIN_HOLD_MAX);
    /* the hold is for the right password too; once over, a success clears everything */
    t += RS_LOGIN_HOLD_MAX;
    assert_int_equal(attempt("alice", RS_LOGIN_OK, t), 0);
    for (int i = 0; i < RS_LOGIN_FREE - 1; i++)
        assert_int_equal(attempt("alice", RS_LOGIN_FAILED, t), 0);
    assert_int_equal(attempt("alice", RS_LOGIN_FAILED, t), 0); /* the fifth is free again */
}

static void test_parallel_attempts_count_while_checked(void **state)
{
    (void)state;
    int64_t t = 2000000;
    struct rs_login_ticket tk[RS_LOGIN_FREE];
    for (int i = 0; i < RS_LOGIN_FREE; i++) /* a burst: five let through at once */
        assert_int_equal(rs_login_limit_begin("carol", t, &tk[i]), 0);
    assert_true(begin("carol", t) > 0); /* the sixth waits */
    for (int i = 0; i < RS_LOGIN_FREE; i++)
        rs_login_limit_end(&tk[i], RS_LOGIN_FAILED, t);
    assert_int_equal(begin("carol", t), RS_LOGIN_HOLD_FIRST);
    /* between holds, one at a time */
    t += RS_LOGIN_HOLD_FIRST;
    assert_int_equal(rs_login_limit_begin("carol", t, &tk[0]), 0);
    assert_true(begin("carol", t) > 0);
    rs_login_limit_end(&tk[0], RS_LOGIN_UNDECIDED, t); /* the store failed: not counted */
    assert_int_equal(rs_login_limit_begin("carol", t, &tk[0]), 0);
    rs_login_limit_end(&tk[0], RS_LOGIN_FAILED, t);
    assert_int_equal(begin("carol", t), 2 * RS_LOGIN_HOLD_FIRST);
}

static void test_forgetting(void **state)
{
    (void)state;
    int64_t t = 3000000;
    for (int i = 0; i < RS_LOGIN_FREE - 1; i++)
        attempt("dave", RS_LOGIN_FAILED, t);
    /* well after the longest hold, still counted (a guesser gets no fresh start at its end) */
    t += 2 * RS_LOGIN_HOLD_MAX;
    attempt("dave", RS_LOGIN_FAILED, t);
    assert_int_equal(begin("dave", t), RS_LOGIN_HOLD_FIRST);
    /* a long quiet spell forgets it */
    t += RS_LOGIN_FORGET;
    assert_int_equal(attempt("dave", RS_LOGIN_FAILED, t), 0);
    assert_int_equal(begin("dave", t), 0);
}

static void test_a_flood_of_names_never_frees_a_held_one(void **state)
{
    (void)state;
    int64_t t = 4000000;
    for (int i = 0; i < RS_LOGIN_FREE; i++)
        attempt("erin", RS_LOGIN_FAILED, t);
    char name[32];
    for (int i = 0; i < 20000; i++) { /* five names per entry of the table */
        snprintf(name, sizeof name, "flood-%d", i);
        attempt(name, i % 2 ? RS_LOGIN_FAILED : RS_LOGIN_UNDECIDED, t);
    }
    assert_int_equal(begin("erin", t), RS_LOGIN_HOLD_FIRST);
}

/* With every place of the table held, a new name is still counted (in its bucket's shared
 * entry), never let through uncounted. */
static void test_a_full_table_still_counts(void **state)
{
    (void)state;
    int64_t t = 5000000;
    char name[32];
    for (int i = 0; i < 40000; i++) { /* about ten names for each of the 4096 places */
        snprintf(name, sizeof name, "held-%d", i);
        for (int k = 0; k < RS_LOGIN_FREE; k++)
            attempt(name, RS_LOGIN_FAILED, t);
    }
    int64_t waited = 0;
    for (int i = 0; i < 100 && !waited; i++)
        waited = attempt("newcomer", RS_LOGIN_FAILED, t);
    assert_true(waited > 0); /* held within its free attempts, not after a hundred */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_serial_holds_double_up_to_the_cap, setup),
        cmocka_unit_test_setup(test_parallel_attempts_count_while_checked, setup),
        cmocka_unit_test_setup(test_forgetting, setup),
        cmocka_unit_test_setup(test_a_flood_of_names_never_frees_a_held_one, setup),
        cmocka_unit_test_setup(test_a_full_table_still_counts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
