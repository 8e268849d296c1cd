/* lzc_options.c — the command-line options several subcommands share, and
 * their checks: misuse (exit 2) is found here, before any file is opened. */
#include "lzc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
lzc_parse_chunks(const char *prog, const char *text, hsize_t *chunks, int *n)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        /* HDF5 takes chunk extents up to 2^32 - 1. */
        if (end == p || errno == ERANGE || v < 1 || v > 4294967295LL || *n >= H5S_MAX_RANK)
            break;
        chunks[(*n)++] = (hsize_t)v;
        if (*end == '\0')
            return 0;
        if (*end != ',')
            break;
        p = end + 1; /* "2," ends in an empty extent: refused above */
    }
    fprintf(stderr, "%s: error: --chunks wants integers from 1 to 4294967295 separated by commas, got '%s'\n",
            prog, text);
    return -1;
}


/* A size as the connector's memory= takes it: digits and an optional
 * K/KiB/M/MiB/G/GiB (or B). */
static bool
is_size(const char *v)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    (void)n;
    if (end == v || v[0] == '-')
        return false;
    static const char *const units[] = {"", "B", "K", "KiB", "M", "MiB", "G", "GiB"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i]))
            return true;
    return false;
}

/* Add key=value to the info string; false (message printed) for a bad
 * value. */
static bool
tuning_add(lzc_tuning *t, const char *prog, const char *key, const char *value)
{
    bool threads = !strcmp(key, "threads");
    char *end = NULL;
    long n = threads && strcmp(value, "auto") ? strtol(value, &end, 10) : 0;
    bool bad = threads ? end && (end == value || *end || n < 1 || n > 64) : !is_size(value);
    if (bad) {
        fprintf(stderr, "%s: error: --%s wants %s, got '%s'\n", prog, key,
                threads ? "a count from 1 to 64" : "a size such as 256MiB", value);
        return false;
    }
    size_t used = strlen(t->info);
    int w = snprintf(t->info + used, sizeof t->info - used, "%s%s=%s", used ? ";" : "", key, value);
    if (w < 0 || (size_t)w >= sizeof t->info - used) {
        fprintf(stderr, "%s: error: --%s value too long\n", prog, key);
        return false;
    }
    return true;
}

int
lzc_write_option(const char *prog, int opt, const char *arg, lzc_storage *s, lzc_tuning *t)
{
    switch (opt) {
    case 'c':
        return lzc_parse_chunks(prog, arg, s->chunks, &s->nchunks) < 0 ? -1 : 1;
    case 'z': {
        char *end;
        long level = strtol(arg, &end, 10);
        if (*end || end == arg || level < 0 || level > 9) {
            fprintf(stderr, "%s: error: --gzip wants a level from 0 to 9, got '%s'\n", prog, arg);
            return -1;
        }
        s->gzip = (int)level;
        return 1;
    }
    case 's':
        s->shuffle = true;
        return 1;
    case 'o':
        s->overwrite = true;
        return 1;
    case 'm':
        return tuning_add(t, prog, "memory", arg) ? 1 : -1;
    case 'T':
        if (!tuning_add(t, prog, "threads", arg))
            return -1;
        s->threads = strcmp(arg, "auto") ? (int)strtol(arg, NULL, 10) : 0; /* 0: the CPUs allowed */
        return 1;
    }
    return 0;
}

int
lzc_bad_option(const char *prog, char **argv, const char *usage)
{
    /* getopt's own message is off (opterr = 0): say it the command's way.
     * The offending word is the last one getopt looked at. */
    fprintf(stderr, "%s: error: option '%s' is unknown or needs a value\n\n", prog, argv[optind - 1]);
    fputs(usage, stderr);
    return LZC_MISUSE;
}

bool
lzc_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
