/* measure.h — what the benchmark's C programs report about their timed
 * region: wall seconds and this process's I/O counters from /proc/self/io,
 * then its peak RSS, printed as one JSON line for bench.py (which explains
 * the fields). */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
    double seconds;
    long long rchar, read_bytes;
} bench_mark;

/* This process's peak resident set in bytes: VmHWM, which (unlike ru_maxrss)
 * starts afresh at exec, so the harness's own size does not show. */
static inline long long
bench_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib * 1024;
}

static inline bench_mark
bench_now(void)
{
    bench_mark m = {0, -1, -1};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    m.seconds = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    FILE *f = fopen("/proc/self/io", "r");
    char key[64];
    long long value;
    while (f && fscanf(f, "%63[^:]: %lld\n", key, &value) == 2) {
        if (!strcmp(key, "rchar"))
            m.rchar = value;
        else if (!strcmp(key, "read_bytes"))
            m.read_bytes = value;
    }
    if (f)
        fclose(f);
    return m;
}

static inline void
bench_report(bench_mark start, bench_mark end)
{
    printf("{\"seconds\": %.6f, \"rchar\": %lld, \"read_bytes\": %lld, \"rss\": %lld}\n",
           end.seconds - start.seconds, end.rchar - start.rchar, end.read_bytes - start.read_bytes,
           bench_peak_rss());
}

#endif
