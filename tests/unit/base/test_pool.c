/* test_pool.c - the per-thread block pools of base/pool.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/pool.h"
#include <pthread.h>
#include <stdlib.h>

struct block {
    int payload;
    void *pool_link;
};

static atomic_int released;

static void release(void *b)
{
    atomic_fetch_add(&released, 1);
    free(b);
}

static struct rs_pool pool = RS_POOL_INIT(release, offsetof(struct block, pool_link), 2);

/* a block given back is handed out again, contents kept; beyond max blocks go to release */
static void test_reuse_and_cap(void **state)
{
    (void)state;
    atomic_store(&released, 0);
    assert_null(rs_pool_get(&pool));
    struct block *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *c = calloc(1, sizeof *c);
    a->payload = 7;
    rs_pool_put(&pool, a);
    rs_pool_put(&pool, b);
    rs_pool_put(&pool, c); /* the third is one too many */
    assert_int_equal(atomic_load(&released), 1);
    struct block *x = rs_pool_get(&pool), *y = rs_pool_get(&pool);
    assert_ptr_equal(x, b); /* last in, first out */
    assert_ptr_equal(y, a);
    assert_int_equal(y->payload, 7);
    assert_null(rs_pool_get(&pool));
    free(x);
    free(y);
}

static void *fill_and_exit(void *arg)
{
    (void)arg;
    rs_pool_put(&pool, calloc(1, sizeof(struct block)));
    rs_pool_put(&pool, calloc(1, sizeof(struct block)));
    return NULL;
}

/* each thread has its own list, and a thread's kept blocks are released when it ends */
static void test_thread_exit_releases(void **state)
{
    (void)state;
    atomic_store(&released, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fill_and_exit, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&released), 2);
    assert_null(rs_pool_get(&pool)); /* nothing moved to this thread */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_and_cap),
        cmocka_unit_test(test_thread_exit_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
