/* pool.h - per-thread free lists of blocks of one kind, for request paths whose blocks are too
 * large for the allocator's small-chunk caches (a calloc/free of them went through glibc's
 * malloc_consolidate in profiles). Each thread keeps up to max blocks; a block given back
 * beyond that, and every kept block when its thread ends, goes to release. No locks: a block
 * goes to the list of the thread that gives it back. */
#ifndef RS_POOL_H
#define RS_POOL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct rs_pool {
    void (*release)(void *block); /* frees a block for good */
    size_t link;                  /* offset of a `void *` in the block the list may use */
    unsigned max;                 /* blocks kept per thread */
    /* private */
    atomic_int ready; /* 0: key not made yet, 1: made, -1: could not be made (no pooling) */
    pthread_key_t key;
};
#define RS_POOL_INIT(release_fn, link_offset, max_blocks) \
    {.release = (release_fn), .link = (link_offset), .max = (max_blocks)}

/* A block kept by the calling thread (contents as given back), or NULL: allocate one. */
void *rs_pool_get(struct rs_pool *p);
/* Keeps block for the calling thread, or releases it when the thread keeps max already. */
void rs_pool_put(struct rs_pool *p, void *block);

#endif
