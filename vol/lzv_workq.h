/* lzv_workq.h — the connector's decode and encode workers: a queue of
 * tasks run by worker threads and by the thread waiting for them.
 *
 * One queue per thread count, shared by the whole process and started on
 * first use: HDF5 runs one connector callback at a time, so the reads that
 * submit tasks never overlap, and a queue of `threads - 1` workers plus
 * the submitting thread (which runs queued tasks while it waits) computes
 * on exactly `threads` threads. Tasks touch memory only: never HDF5, never
 * an engine context (their errors go into the task's own record). No HDF5
 * inside, so the queue is tested under ThreadSanitizer on its own.
 */
#ifndef LZV_WORKQ_H
#define LZV_WORKQ_H

#include <stdbool.h>

typedef enum lzv_task_state {
    LZV_TASK_IDLE,    /* not submitted, or done and collected */
    LZV_TASK_QUEUED,  /* waiting for a thread */
    LZV_TASK_RUNNING, /* being run */
    LZV_TASK_DONE,    /* finished, not yet collected */
} lzv_task_state;

typedef struct lzv_task {
    void (*run)(struct lzv_task *task); /* the work; set by the submitter */
    struct lzv_task *next;              /* the queue's link */
    lzv_task_state state;               /* the queue's, under its lock */
} lzv_task;

typedef struct lzv_workq lzv_workq;

/* The process's queue for `threads` threads in all (2..64), started on
 * first use; NULL for threads <= 1 or when no worker could start (then
 * lzv_workq_submit runs tasks at once on the caller). */
lzv_workq *lzv_workq_shared(int threads);
/* Queue `task` (its state must be IDLE); with q NULL, run it now. */
void lzv_workq_submit(lzv_workq *q, lzv_task *task);
/* Return when `task` is done (running queued tasks of anyone meanwhile),
 * leaving it IDLE; a task never submitted returns at once. */
void lzv_workq_wait(lzv_workq *q, lzv_task *task);
/* Stop and join every queue's workers (the connector's terminate). Queues
 * must be idle; a later lzv_workq_shared starts anew. */
void lzv_workq_shutdown(void);
/* CPUs this process may run on (sched_getaffinity), at least 1, at most
 * 64: what threads=auto means. */
int lzv_cpus_allowed(void);

#endif
