/* pool.c - see pool.h. */
#include "base/pool.h"
#include <stdlib.h>

struct thread_list {
    struct rs_pool *pool;
    void *head;
    unsigned n;
};

static void **link_of(const struct rs_pool *p, void *block)
{
    return (void **)((char *)block + p->link);
}

static void list_destroy(void *arg)
{
    struct thread_list *l = arg;
    while (l->head) {
        void *b = l->head;
        l->head = *link_of(l->pool, b);
        l->pool->release(b);
    }
    free(l);
}

/* The pool's key is made on first use; pools are static objects, so one lock for all. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

static struct thread_list *thread_list(struct rs_pool *p)
{
    int r = atomic_load_explicit(&p->ready, memory_order_acquire);
    if (!r) {
        pthread_mutex_lock(&key_lock);
        r = atomic_load(&p->ready);
        if (!r) {
            r = pthread_key_create(&p->key, list_destroy) == 0 ? 1 : -1;
            atomic_store_explicit(&p->ready, r, memory_order_release);
        }
        pthread_mutex_unlock(&key_lock);
    }
    if (r < 0)
        return NULL;
    struct thread_list *l = pthread_getspecific(p->key);
    if (!l && (l = calloc(1, sizeof *l))) {
        l->pool = p;
        if (pthread_setspecific(p->key, l)) {
            free(l);
            l = NULL;
        }
    }
    return l;
}

void *rs_pool_get(struct rs_pool *p)
{
    struct thread_list *l = thread_list(p);
    void *b = l ? l->head : NULL;
    if (b) {
        l->head = *link_of(p, b);
        l->n--;
    }
    return b;
}

void rs_pool_put(struct rs_pool *p, void *block)
{
    struct thread_list *l = thread_list(p);
    if (!l || l->n >= p->max) {
        p->release(block);
        return;
    }
    *link_of(p, block) = l->head;
    l->head = block;
    l->n++;
}
