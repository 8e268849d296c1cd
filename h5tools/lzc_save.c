/* lzc_save.c — `h5lazy save`: virtual datasets into stored ones, those of
 * one shape in one pass over their operands (one H5Dread_multi per piece,
 * which the connector evaluates together). */
#include "lzc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char save_usage[] =
    "usage: h5lazy save [options] FILE NAME[=OUTFILE:OUTNAME] ...\n"
    "\n"
    "Materialise virtual datasets of FILE into stored datasets. NAME alone\n"
    "replaces the virtual dataset by its data (same file and name; its own\n"
    "attributes are kept, h5lazy's dropped); NAME=OUTFILE:OUTNAME writes a\n"
    "stored copy elsewhere (OUTFILE created if missing; an empty OUTFILE is\n"
    "FILE, an empty OUTNAME is NAME). Datasets of the same shape are computed\n"
    "in one pass, reading shared operands once. Each target is written under\n"
    "a temporary name (NAME.h5lazy-incomplete) and renamed when complete, so\n"
    "an interrupted save leaves nothing that looks finished.\n"
    "\n"
    "options:\n"
    "  --chunks N,N,...  chunks of the stored datasets (default: their\n"
    "                    evaluation chunks)\n"
    "  --gzip LEVEL      compress with deflate (0-9); chunks are encoded on the\n"
    "                    worker threads and written directly\n"
    "  --shuffle         add the shuffle filter before compressing\n"
    "  --overwrite       replace existing datasets at OUTNAME\n"
    "  --memory SIZE     evaluation budget (connector's memory=, e.g. 256MiB)\n"
    "  --threads N       threads decoding compressed sources, folding reductions\n"
    "                    and encoding --gzip/--shuffle chunks (1-64 or auto;\n"
    "                    default auto: every CPU this process may use)\n"
    "  --no-progress     no progress bar (shown only when stderr is a terminal)\n"
    "  -v, --verbose     print the full HDF5 error stack on failure\n"
    "  -h, --help        show this help\n"
    "\n"
    "example:\n"
    "  h5lazy save climate.h5 anomaly=anomaly.h5:/anomaly stdev=anomaly.h5:\n";

typedef struct job {
    const char *name;     /* the virtual dataset */
    char *out_path;       /* NULL: FILE itself */
    const char *out_name;
    hid_t dset;           /* open for reading */
    char dtype[16];
    int rank;
    hsize_t dims[H5S_MAX_RANK], chunks[H5S_MAX_RANK];
    lzc_target target;
    bool created, done;
} job;

/* NAME[=OUTFILE:OUTNAME] */
static bool
parse_spec(const char *prog, const char *spec, const char *file_path, job *j)
{
    const char *eq = strchr(spec, '=');
    if (!eq) {
        j->name = spec;
        j->out_name = spec;
        return true;
    }
    const char *colon = strrchr(eq, ':');
    if (!colon || eq == spec) {
        fprintf(stderr, "%s: error: '%s': write NAME or NAME=OUTFILE:OUTNAME\n", prog, spec);
        return false;
    }
    char *name = strndup(spec, (size_t)(eq - spec));
    if (!name)
        return false;
    j->name = name;
    j->out_name = colon[1] ? colon + 1 : name;
    if (colon > eq + 1) {
        j->out_path = strndup(eq + 1, (size_t)(colon - eq - 1));
        if (j->out_path && lzc_same_file(j->out_path, file_path)) { /* FILE however it is spelled */
            free(j->out_path);
            j->out_path = NULL;
        }
    }
    return true;
}

/* The path of a target without its leading '/', for comparisons. */
static const char *
bare(const char *name)
{
    return name[0] == '/' ? name + 1 : name;
}

/* Whether two jobs would write one dataset. */
static bool
same_target(const job *a, const job *b)
{
    bool same_file = !a->out_path || !b->out_path ? !a->out_path && !b->out_path
                                                   : !strcmp(a->out_path, b->out_path) ||
                                                         lzc_same_file(a->out_path, b->out_path);
    return same_file && !strcmp(bare(a->out_name), bare(b->out_name));
}

static double
seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Compute and write the jobs of one shape, piece by piece. */
static int
run_group(const char *prog, job **g, size_t n, lzc_progress *progress, double *done_bytes)
{
    size_t per = 0;
    for (size_t i = 0; i < n; i++)
        per += lzc_dtype_size(g[i]->dtype);
    lzc_pieces pieces;
    lzc_pieces_init(&pieces, g[0]->target.rank, g[0]->target.dims, g[0]->target.chunk, LZC_BUFFER_BYTES / per);
    hid_t dsets[n], types[n], mspaces[n], fspaces[n];
    void *bufs[n];
    for (size_t i = 0; i < n; i++) {
        dsets[i] = g[i]->dset;
        types[i] = g[i]->target.mem_type;
        fspaces[i] = H5Dget_space(g[i]->dset);
        bufs[i] = NULL;
    }
    hsize_t start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    int st = 0;
    while (st == 0 && lzc_pieces_next(&pieces, start, count)) {
        if (lzc_interrupted()) {
            st = -2;
            break;
        }
        hsize_t m = 1;
        for (int k = 0; k < g[0]->rank; k++)
            m *= count[k];
        for (size_t i = 0; i < n && st == 0; i++) {
            if (!bufs[i] && !(bufs[i] = malloc(LZC_BUFFER_BYTES / per * lzc_dtype_size(g[i]->dtype) + 16))) {
                fprintf(stderr, "%s: error: out of memory\n", prog);
                st = -1;
            }
            if (g[i]->rank)
                H5Sselect_hyperslab(fspaces[i], H5S_SELECT_SET, start, NULL, count, NULL);
            mspaces[i] = H5Screate_simple(1, &m, NULL);
        }
        if (st == 0 && H5Dread_multi(n, dsets, types, g[0]->rank ? mspaces : fspaces, fspaces, H5P_DEFAULT, bufs) < 0) {
            lzc_report(prog, "evaluation failed", NULL, NULL);
            st = -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (st == 0)
                st = lzc_target_write(prog, &g[i]->target, start, count, bufs[i]);
            H5Sclose(mspaces[i]);
            *done_bytes += (double)m * (double)lzc_dtype_size(g[i]->dtype);
        }
        lzc_progress_update(progress, *done_bytes);
    }
    for (size_t i = 0; i < n; i++) {
        free(bufs[i]);
        H5Sclose(fspaces[i]);
    }
    return st;
}

int
lzc_save_main(int argc, char **argv)
{
    static const struct option options[] = {
        LZC_WRITE_OPTIONS,
        {"no-progress", no_argument, NULL, 'n'},  {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy save";
    lzc_storage storage = {.gzip = -1};
    lzc_tuning tuning = {""};
    bool progress_allowed = true;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            progress_allowed = false;
            break;
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(save_usage, stdout);
            return LZC_OK;
        default: {
            int taken = lzc_write_option(prog, c, optarg, &storage, &tuning);
            if (taken < 0)
                return LZC_MISUSE;
            if (taken == 0)
                return lzc_bad_option(prog, argv, save_usage);
        }
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "%s: error: expected FILE and at least one NAME\n\n%s", prog, save_usage);
        return LZC_MISUSE;
    }
    const char *path = argv[optind];
    size_t njobs = (size_t)(argc - optind - 1);
    job *jobs = calloc(njobs, sizeof *jobs);
    if (!jobs) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        return LZC_FAILED;
    }
    int status = LZC_OK;
    bool writes_here = false;
    for (size_t i = 0; i < njobs; i++) {
        jobs[i].dset = H5I_INVALID_HID;
        if (!parse_spec(prog, argv[optind + 1 + i], path, &jobs[i])) {
            status = LZC_MISUSE;
            njobs = i;
            break;
        }
        writes_here |= !jobs[i].out_path;
        for (size_t k = 0; k < i && status == LZC_OK; k++) {
            if (same_target(&jobs[k], &jobs[i])) {
                fprintf(stderr, "%s: error: '%s' and '%s' would both be saved to %s:%s\n", prog, argv[optind + 1 + k],
                        argv[optind + 1 + i], jobs[i].out_path ? jobs[i].out_path : path, jobs[i].out_name);
                status = LZC_MISUSE;
                njobs = i + 1;
            }
        }
    }
    hid_t fapl = status == LZC_OK ? lzc_connector_fapl(prog, tuning.info) : H5I_INVALID_HID;
    hid_t file = fapl >= 0 ? lzc_open(prog, path, fapl, writes_here ? LZC_WRITE : LZC_READ) : H5I_INVALID_HID;
    if (status == LZC_OK && file < 0)
        status = LZC_FAILED;
    /* What each one is; refuse stored datasets and broken definitions
     * before computing anything. */
    double total = 0;
    for (size_t i = 0; status == LZC_OK && i < njobs; i++) {
        job *j = &jobs[i];
        h5lazy_inspect_args_t a = {.action = H5LAZY_INSPECT_OPEN, .name = j->name};
        if (lzc_inspect(file, &a) < 0) {
            char what[1200];
            snprintf(what, sizeof what, "cannot save '%s'", j->name);
            lzc_report(prog, what, NULL, NULL);
            status = LZC_FAILED;
            break;
        }
        if (!a.is_virtual) {
            fprintf(stderr, "%s: error: '%s' is a stored dataset already\n", prog, j->name);
            status = LZC_FAILED;
            break;
        }
        snprintf(j->dtype, sizeof j->dtype, "%s", a.dtype);
        j->rank = a.rank;
        memcpy(j->dims, a.dims, sizeof j->dims);
        memcpy(j->chunks, a.chunks, sizeof j->chunks);
        a.action = H5LAZY_INSPECT_CLOSE;
        lzc_inspect(file, &a);
        if ((j->dset = H5Dopen2(file, j->name, H5P_DEFAULT)) < 0) {
            lzc_report(prog, "cannot open", NULL, NULL);
            status = LZC_FAILED;
            break;
        }
        double n = (double)lzc_dtype_size(j->dtype);
        for (int k = 0; k < j->rank; k++)
            n *= (double)j->dims[k];
        total += n;
    }
    /* Targets, each under its temporary name. */
    for (size_t i = 0; status == LZC_OK && i < njobs; i++) {
        job *j = &jobs[i];
        lzc_storage s = storage;
        bool in_place = !j->out_path && !strcmp(bare(j->out_name), bare(j->name));
        s.overwrite = s.overwrite || in_place; /* replacing itself is what was asked */
        if (lzc_target_create(prog, &j->target, j->out_path ? H5I_INVALID_HID : file, j->out_path, fapl, j->out_name,
                              j->dtype, j->rank, j->dims, j->chunks, &s) < 0)
            status = LZC_FAILED;
        else
            j->created = true;
    }
    lzc_progress progress;
    lzc_progress_init(&progress, total, progress_allowed);
    lzc_interrupts_catch();
    double started = seconds(), done_bytes = 0;
    /* Jobs of one shape together. */
    job **group = calloc(njobs ? njobs : 1, sizeof *group);
    for (size_t i = 0; status == LZC_OK && i < njobs; i++) {
        if (jobs[i].done)
            continue;
        size_t n = 0;
        for (size_t k = i; k < njobs; k++) {
            bool same = !jobs[k].done && jobs[k].rank == jobs[i].rank;
            for (int d = 0; same && d < jobs[i].rank; d++)
                same = jobs[k].dims[d] == jobs[i].dims[d];
            if (same) {
                group[n++] = &jobs[k];
                jobs[k].done = true;
            }
        }
        int st = group ? run_group(prog, group, n, &progress, &done_bytes) : -1;
        if (st < 0)
            status = st == -2 ? LZC_INTERRUPTED : LZC_FAILED;
    }
    free(group);
    lzc_progress_end(&progress, status == LZC_OK);
    if (status == LZC_INTERRUPTED)
        fprintf(stderr, "%s: interrupted; the datasets being saved were not stored\n", prog);
    for (size_t i = 0; i < njobs; i++) {
        job *j = &jobs[i];
        if (j->created && status == LZC_OK) {
            char target[1300];
            snprintf(target, sizeof target, "%s:%s", j->out_path ? j->out_path : path, j->target.name);
            if (lzc_target_finish(prog, &j->target, j->dset) < 0)
                status = LZC_FAILED;
            else
                printf("saved %s -> %s\n", j->name, target);
        } else if (j->created) {
            lzc_target_abort(&j->target);
        }
        if (j->dset >= 0)
            H5Dclose(j->dset);
        if (j->name != argv[optind + 1 + i])
            free((char *)j->name);
        free(j->out_path);
    }
    if (status == LZC_OK)
        printf("%zu dataset%s, %.1f MiB in %.2f s\n", njobs, njobs == 1 ? "" : "s", total / (1 << 20),
               seconds() - started);
    free(jobs);
    if (file >= 0 && H5Fclose(file) < 0 && status == LZC_OK) {
        lzc_report(prog, "closing the file failed", NULL, NULL);
        status = LZC_FAILED;
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    return status;
}
