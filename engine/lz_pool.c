/* lz_pool.c — worker threads (POSIX threads). How it works: lz_pool_run
 * publishes a job (function, argument, number of parts) under a mutex and
 * wakes the workers; every thread, the caller included, takes the next
 * unclaimed part until none is left; the caller then waits until every
 * part has finished. Jobs are rare and coarse (one per evaluated slab or
 * block), so one mutex is enough. */
#include "lz_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct lz_pool {
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t work;        /* a job was published, or shutdown */
    pthread_cond_t done;        /* a part finished */
    pthread_t *threads;         /* the workers */
    int nworkers;
    unsigned long generation;   /* job number, so workers see each job once */
    void (*fn)(void *, int);    /* the job */
    void *arg;
    int nparts;
    int next;                   /* next unclaimed part */
    int finished;               /* parts finished */
    int pending;                /* a started job not yet waited for */
    int shutdown;               /* workers should exit */
};

/* Claim and run parts of the current job until none is left. */
static void
drain(lz_pool *p)
{
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->next >= p->nparts) {
            pthread_mutex_unlock(&p->lock);
            return;
        }
        int part = p->next++;
        void (*fn)(void *, int) = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->lock);
        fn(arg, part);
        pthread_mutex_lock(&p->lock);
        if (++p->finished == p->nparts)
            pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->lock);
    }
}

static void *
worker(void *arg)
{
    lz_pool *p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->shutdown && p->generation == seen)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->shutdown)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        drain(p);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

lz_pool *
lz_pool_new(int threads)
{
    if (threads <= 1)
        return NULL;
    lz_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!(p->threads = calloc((size_t)threads - 1, sizeof *p->threads))) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < threads - 1; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break; /* fewer workers: the caller still does all the work */
        p->nworkers++;
    }
    return p;
}

void
lz_pool_free(lz_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->shutdown = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nworkers; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int
lz_pool_size(const lz_pool *p)
{
    return p ? p->nworkers + 1 : 1;
}

void
lz_pool_start(lz_pool *p, int nparts, void (*fn)(void *arg, int part), void *arg)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->nparts = nparts;
    p->next = 0;
    p->finished = 0;
    p->pending = 1;
    if (p->nworkers > 0 && nparts > 0) {
        p->generation++;
        pthread_cond_broadcast(&p->work);
    }
    pthread_mutex_unlock(&p->lock);
}

void
lz_pool_wait(lz_pool *p)
{
    if (!p || !p->pending)
        return;
    drain(p);
    pthread_mutex_lock(&p->lock);
    while (p->finished < p->nparts)
        pthread_cond_wait(&p->done, &p->lock);
    p->pending = 0;
    pthread_mutex_unlock(&p->lock);
}

void
lz_pool_run(lz_pool *p, int nparts, void (*fn)(void *arg, int part), void *arg)
{
    if (!p || p->nworkers == 0 || nparts <= 1) {
        for (int i = 0; i < nparts; i++)
            fn(arg, i);
        return;
    }
    lz_pool_start(p, nparts, fn, arg);
    lz_pool_wait(p);
}
