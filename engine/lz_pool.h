/* lz_pool.h — a small pool of worker threads for computation.
 *
 * Workers only run kernels and accumulations over memory: every source read
 * (and so every HDF5 call) stays on the calling thread, which also takes
 * part in the work. Workers never touch a context's error record; callers
 * give each part its own result slot and merge them after lz_pool_run. */
#ifndef LZ_POOL_H
#define LZ_POOL_H

#include "lz.h"

typedef struct lz_pool lz_pool;

/* A pool of `threads` threads in all (the caller is one of them, so
 * threads - 1 workers are started); NULL when threads <= 1 or on failure,
 * in which case lz_pool_run runs everything on the caller. */
lz_pool *lz_pool_new(int threads);
void lz_pool_free(lz_pool *pool);
/* The number of threads that run parts (1 without a pool). */
int lz_pool_size(const lz_pool *pool);
/* Run fn(arg, part) for every part in [0, nparts), spread over the pool,
 * and return when all are done. */
void lz_pool_run(lz_pool *pool, int nparts, void (*fn)(void *arg, int part), void *arg);
/* The same in two halves, so that the caller can do other work (read the
 * next slab) while the workers start on the parts: lz_pool_start hands
 * them out and returns at once; lz_pool_wait runs what is left on the
 * caller too and returns when all are done. One job at a time, and a
 * pool only (not NULL): without one, lz_pool_run. */
void lz_pool_start(lz_pool *pool, int nparts, void (*fn)(void *arg, int part), void *arg);
void lz_pool_wait(lz_pool *pool);

#endif
