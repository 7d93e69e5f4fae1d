/* test_login_limit.c - the brake on password guessing (src/oauth/login_limit.c): free failures,
 * doubling holds up to the cap, a success starting the username again, forgetting, addresses
 * counted apart from usernames. Time is passed in, so nothing here sleeps. */
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

static void test_username_holds_double_up_to_the_cap(void **state)
{
    (void)state;
    int64_t t = 1000000;
    for (int i = 1; i < RS_LOGIN_USER_FREE; i++) {
        rs_login_limit_failed("alice", NULL, t);
        assert_int_equal(rs_login_limit_wait("alice", NULL, t), 0); /* still free */
    }
    rs_login_limit_failed("alice", NULL, t); /* the fifth */
    assert_int_equal(rs_login_limit_wait("alice", NULL, t), RS_LOGIN_HOLD_FIRST);
    assert_int_equal(rs_login_limit_wait("alice", NULL, t + 5), RS_LOGIN_HOLD_FIRST - 5);
    assert_int_equal(rs_login_limit_wait("bob", NULL, t), 0); /* another user is not held */
    t += RS_LOGIN_HOLD_FIRST;
    assert_int_equal(rs_login_limit_wait("alice", NULL, t), 0);
    rs_login_limit_failed("alice", NULL, t);
    assert_int_equal(rs_login_limit_wait("alice", NULL, t), 2 * RS_LOGIN_HOLD_FIRST);
    for (int i = 0; i < 20; i++) /* many more: the hold stops growing at the cap */
        rs_login_limit_failed("alice", NULL, t);
    assert_int_equal(rs_login_limit_wait("alice", NULL, t), RS_LOGIN_HOLD_MAX);
}

static void test_success_and_forgetting_start_again(void **state)
{
    (void)state;
    int64_t t = 2000000;
    for (int i = 0; i < RS_LOGIN_USER_FREE - 1; i++)
        rs_login_limit_failed("carol", NULL, t);
    rs_login_limit_succeeded("carol", t);
    rs_login_limit_failed("carol", NULL, t); /* counts from one again */
    assert_int_equal(rs_login_limit_wait("carol", NULL, t), 0);

    for (int i = 0; i < RS_LOGIN_USER_FREE; i++)
        rs_login_limit_failed("dave", NULL, t);
    assert_true(rs_login_limit_wait("dave", NULL, t) > 0);
    /* a long quiet spell forgets the count: the next failure is the first */
    t += RS_LOGIN_FORGET;
    rs_login_limit_failed("dave", NULL, t);
    assert_int_equal(rs_login_limit_wait("dave", NULL, t), 0);
}

static void test_an_address_is_held_back_across_usernames(void **state)
{
    (void)state;
    int64_t t = 3000000;
    char name[32];
    for (int i = 0; i < RS_LOGIN_ADDR_FREE - 1; i++) {
        snprintf(name, sizeof name, "user%d", i); /* one try per username: never held alone */
        rs_login_limit_failed(name, "192.0.2.7", t);
    }
    assert_int_equal(rs_login_limit_wait("someone", "192.0.2.7", t), 0);
    rs_login_limit_failed("user-last", "192.0.2.7", t);
    assert_int_equal(rs_login_limit_wait("someone", "192.0.2.7", t), RS_LOGIN_HOLD_FIRST);
    assert_int_equal(rs_login_limit_wait("someone", "192.0.2.8", t), 0); /* another address */
    /* a username and an address with the same text are different counts */
    assert_int_equal(rs_login_limit_wait("192.0.2.7", NULL, t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_username_holds_double_up_to_the_cap, setup),
        cmocka_unit_test_setup(test_success_and_forgetting_start_again, setup),
        cmocka_unit_test_setup(test_an_address_is_held_back_across_usernames, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
