/* lzv_workq.c — the connector's worker threads (see lzv_workq.h). How it
 * works: a FIFO of tasks under one mutex; workers sleep on `work` until a
 * task is queued, run it outside the lock and mark it done, waking the
 * waiters on `done`. A waiter runs queued tasks itself before sleeping, so
 * the submitting thread is one of the computing threads. Tasks are coarse
 * (a chunk each, milliseconds), so one lock is no contention. */
#define _GNU_SOURCE
#include "lzv_workq.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

/* threads= takes 1-64 (lzv_info.c). */
#define LZV_WORKQ_MAX_THREADS 64

struct lzv_workq {
    pthread_mutex_t lock;   /* guards everything below, and every task's state */
    pthread_cond_t work;    /* a task was queued, or shutdown */
    pthread_cond_t done;    /* a task finished */
    lzv_task *head, *tail;  /* queued tasks, oldest first */
    pthread_t *threads;     /* the workers */
    int nworkers;           /* workers started */
    bool shutdown;          /* workers should exit */
};

/* One queue per thread count; guarded by queues_lock (reads arrive on one
 * thread at a time, but a program may use several HDF5 threads in turn). */
static lzv_workq *queues[LZV_WORKQ_MAX_THREADS + 1];
static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER;

/* Take the oldest queued task, marked running; NULL if none. Lock held. */
static lzv_task *
pop(lzv_workq *q)
{
    lzv_task *t = q->head;
    if (t) {
        q->head = t->next;
        if (!q->head)
            q->tail = NULL;
        t->next = NULL;
        t->state = LZV_TASK_RUNNING;
    }
    return t;
}

/* Run t outside the lock and mark it done. Lock held on entry and exit. */
static void
run_task(lzv_workq *q, lzv_task *t)
{
    pthread_mutex_unlock(&q->lock);
    t->run(t);
    pthread_mutex_lock(&q->lock);
    t->state = LZV_TASK_DONE;
    pthread_cond_broadcast(&q->done);
}

static void *
worker(void *arg)
{
    lzv_workq *q = arg;
    pthread_mutex_lock(&q->lock);
    while (!q->shutdown) {
        lzv_task *t = pop(q);
        if (t)
            run_task(q, t);
        else
            pthread_cond_wait(&q->work, &q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void
workq_free(lzv_workq *q)
{
    pthread_mutex_lock(&q->lock);
    q->shutdown = true;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->nworkers; i++)
        pthread_join(q->threads[i], NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
    free(q->threads);
    free(q);
}

static lzv_workq *
workq_new(int threads)
{
    lzv_workq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (!(q->threads = calloc((size_t)threads - 1, sizeof *q->threads))) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->done, NULL);
    for (int i = 0; i < threads - 1; i++) {
        if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
            break; /* fewer workers: the waiting thread runs the rest */
        q->nworkers++;
    }
    if (q->nworkers == 0) {
        workq_free(q);
        return NULL;
    }
    return q;
}

lzv_workq *
lzv_workq_shared(int threads)
{
    if (threads <= 1)
        return NULL;
    if (threads > LZV_WORKQ_MAX_THREADS)
        threads = LZV_WORKQ_MAX_THREADS;
    pthread_mutex_lock(&queues_lock);
    if (!queues[threads])
        queues[threads] = workq_new(threads);
    lzv_workq *q = queues[threads];
    pthread_mutex_unlock(&queues_lock);
    return q;
}

void
lzv_workq_submit(lzv_workq *q, lzv_task *task)
{
    if (!q) {
        task->run(task);
        task->state = LZV_TASK_IDLE;
        return;
    }
    pthread_mutex_lock(&q->lock);
    task->state = LZV_TASK_QUEUED;
    task->next = NULL;
    if (q->tail)
        q->tail->next = task;
    else
        q->head = task;
    q->tail = task;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void
lzv_workq_wait(lzv_workq *q, lzv_task *task)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    while (task->state != LZV_TASK_DONE && task->state != LZV_TASK_IDLE) {
        lzv_task *t = pop(q);
        if (t)
            run_task(q, t);
        else
            pthread_cond_wait(&q->done, &q->lock);
    }
    task->state = LZV_TASK_IDLE;
    pthread_mutex_unlock(&q->lock);
}

void
lzv_workq_shutdown(void)
{
    pthread_mutex_lock(&queues_lock);
    for (int i = 0; i <= LZV_WORKQ_MAX_THREADS; i++) {
        if (queues[i])
            workq_free(queues[i]);
        queues[i] = NULL;
    }
    pthread_mutex_unlock(&queues_lock);
}

int
lzv_cpus_allowed(void)
{
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    return n < 1 ? 1 : n > LZV_WORKQ_MAX_THREADS ? LZV_WORKQ_MAX_THREADS : n;
}
