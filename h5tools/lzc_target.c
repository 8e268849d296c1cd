/* lzc_target.c — writing stored datasets piece by piece (`h5lazy save`,
 * `h5lazy eval --to`): chunk-aligned pieces, a temporary name until the
 * last piece is in, attributes carried over, progress on a terminal, and
 * interruption that leaves nothing that looks complete. */
#include "lzc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- pieces ----------------------------------------------------------------------- */

void
lzc_pieces_init(lzc_pieces *p, int rank, const hsize_t *dims, const hsize_t *chunk, hsize_t max_elems)
{
    memset(p, 0, sizeof *p);
    p->rank = rank;
    for (int k = 0; k < rank; k++) {
        p->dims[k] = dims[k];
        p->chunk[k] = chunk[k] < 1 ? 1 : chunk[k] > dims[k] && dims[k] ? dims[k] : chunk[k];
        if (dims[k] == 0)
            p->done = true;
    }
    if (p->done) /* nothing to cut (and a zero extent would divide below) */
        return;
    if (max_elems < 1)
        max_elems = 1;
    /* The outermost axis where a run of whole chunks (one chunk on the
     * axes before, everything after) fits the budget; the innermost when
     * even one chunk does not. */
    p->axis = rank ? rank - 1 : 0;
    for (int k = 0; k < rank; k++) {
        hsize_t outer = 1, inner = 1;
        for (int a = 0; a < k; a++)
            outer *= p->chunk[a];
        for (int a = k + 1; a < rank; a++)
            inner *= dims[a];
        if (outer * p->chunk[k] * inner <= max_elems || k == rank - 1) {
            p->axis = k;
            hsize_t fit = max_elems / (outer * inner);
            p->run = fit < p->chunk[k] ? p->chunk[k] : fit - fit % p->chunk[k];
            break;
        }
    }
}

bool
lzc_pieces_next(lzc_pieces *p, hsize_t *start, hsize_t *count)
{
    if (p->done)
        return false;
    int ax = p->axis;
    for (int k = 0; k < p->rank; k++) {
        start[k] = p->next[k];
        hsize_t len = k < ax ? p->chunk[k] : k == ax ? p->run : p->dims[k];
        if (k > ax)
            start[k] = 0;
        count[k] = start[k] + len > p->dims[k] ? p->dims[k] - start[k] : len;
    }
    if (p->rank == 0) {
        p->done = true;
        return true;
    }
    /* Advance: axis `ax` by its run, carrying into the axes before it. */
    int k = ax;
    p->next[k] += count[k];
    while (k > 0 && p->next[k] >= p->dims[k]) {
        p->next[k] = 0;
        k--;
        p->next[k] += p->chunk[k];
    }
    if (p->next[0] >= p->dims[0])
        p->done = true;
    return true;
}

/* ---- targets ---------------------------------------------------------------------- */

static bool
link_exists(hid_t file, const char *path)
{
    /* H5Lexists fails on a missing group on the way: each prefix in turn. */
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", path);
    size_t len = strlen(buf);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        htri_t e = H5Lexists(file, buf, H5P_DEFAULT);
        buf[i] = saved;
        if (e <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
    }
    return true;
}

int
lzc_target_create(const char *prog, lzc_target *t, hid_t file, const char *out_path, hid_t fapl, const char *name,
                  const char *dtype, int rank, const hsize_t *dims, const hsize_t *eval_chunks,
                  const lzc_storage *storage)
{
    memset(t, 0, sizeof *t);
    t->file = file;
    t->dset = t->mem_type = H5I_INVALID_HID;
    if (file < 0) {
        if ((t->file = lzc_open(prog, out_path, fapl, LZC_CREATE)) < 0)
            return -1;
        t->own_file = true;
    }
    size_t len = strlen(name) + 2;
    t->name = malloc(len);
    t->temp = malloc(len + 24);
    if (!t->name || !t->temp) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        lzc_target_abort(t);
        return -1;
    }
    snprintf(t->name, len, "%s%s", name[0] == '/' ? "" : "/", name);
    snprintf(t->temp, len + 24, "%s.h5lazy-incomplete", t->name);
    if (link_exists(t->file, t->name) && !storage->overwrite) {
        fprintf(stderr, "%s: error: '%s' exists already (use --overwrite to replace it)\n", prog, t->name);
        lzc_target_abort(t);
        return -1;
    }
    if (link_exists(t->file, t->temp)) /* left by an interrupted earlier run */
        H5Ldelete(t->file, t->temp, H5P_DEFAULT);
    t->rank = rank;
    for (int k = 0; k < rank; k++) {
        t->dims[k] = dims[k];
        hsize_t c = storage->nchunks ? storage->chunks[k] : eval_chunks[k];
        t->chunk[k] = c < 1 ? 1 : dims[k] && c > dims[k] ? dims[k] : c;
    }
    if (storage->nchunks && storage->nchunks != rank) {
        fprintf(stderr, "%s: error: --chunks has %d extents but '%s' has rank %d\n", prog, storage->nchunks, t->name,
                rank);
        lzc_target_abort(t);
        return -1;
    }
    t->mem_type = lzc_memory_type(dtype);
    hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), lcpl = H5Pcreate(H5P_LINK_CREATE);
    bool chunked = rank > 0;
    for (int k = 0; k < rank; k++)
        chunked = chunked && dims[k] > 0;
    herr_t st = t->mem_type < 0 || space < 0 || dcpl < 0 || lcpl < 0 ? -1 : 0;
    if (st >= 0)
        st = H5Pset_create_intermediate_group(lcpl, 1);
    if (st >= 0 && chunked) {
        st = H5Pset_chunk(dcpl, rank, t->chunk);
        /* Every element is written, so a chunk never needs its fill value
         * first. With the default (fill if set), HDF5 sends even whole-chunk
         * writes through the chunk cache to fill each chunk before copying
         * the data over it: a memset and a memcpy of every byte (callgrind
         * of a 77 MiB save: 61% of its instructions). */
        if (st >= 0)
            st = H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
        if (st >= 0 && storage->shuffle)
            st = H5Pset_shuffle(dcpl);
        if (st >= 0 && storage->gzip >= 0)
            st = H5Pset_deflate(dcpl, (unsigned)storage->gzip);
    }
    if (st >= 0)
        t->dset = H5Dcreate2(t->file, t->temp, t->mem_type, space, lcpl, dcpl, H5P_DEFAULT);
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (t->dset < 0) {
        char what[1200];
        snprintf(what, sizeof what, "cannot create '%s'", t->name);
        lzc_report(prog, what, NULL, NULL);
        lzc_target_abort(t);
        return -1;
    }
    /* Compressed chunks are encoded here, on worker threads, and written
     * directly; the dataset's filters say how to read them. */
    if (chunked && lzc_encoder_new(&t->encoder, storage, rank, dims, t->chunk, lzc_dtype_size(dtype)) < 0) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        lzc_target_abort(t);
        return -1;
    }
    /* Said in the file too, for whoever finds it after a crash. */
    hid_t aspace = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(t->dset, "h5lazy_incomplete", H5T_STD_I8LE, aspace, H5P_DEFAULT, H5P_DEFAULT);
    int8_t one = 1;
    if (attr >= 0) {
        H5Awrite(attr, H5T_NATIVE_INT8, &one);
        H5Aclose(attr);
    }
    H5Sclose(aspace);
    /* On disk now: a process killed from here on leaves a file that opens
     * and shows only the incomplete dataset, not a broken file. */
    if (H5Fflush(t->file, H5F_SCOPE_LOCAL) < 0) {
        lzc_report(prog, "cannot flush the output file", NULL, NULL);
        lzc_target_abort(t);
        return -1;
    }
    return 0;
}

int
lzc_target_write(const char *prog, lzc_target *t, const hsize_t *start, const hsize_t *count, const void *buf)
{
    if (t->encoder) {
        if (lzc_encoder_write(t->encoder, t->dset, start, count, buf) == 0)
            return 0;
        char what[1200];
        snprintf(what, sizeof what, "writing '%s' failed", t->name);
        lzc_report(prog, what, NULL, NULL);
        return -1;
    }
    hid_t fs = H5Dget_space(t->dset);
    /* The memory space has the piece's own shape, not one flat axis: with
     * both selections of one shape HDF5 maps chunks to memory by blocks;
     * with a flat memory space it visits every element to build the map
     * (perf of `h5lazy save` of 1.9 GiB: 60% of the time in
     * H5S_select_iterate and H5D__piece_mem_cb). */
    hid_t ms = t->rank ? H5Screate_simple(t->rank, count, NULL) : H5Screate(H5S_SCALAR);
    herr_t st = fs < 0 || ms < 0 ? -1 : 0;
    if (st >= 0 && t->rank)
        st = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (st >= 0)
        st = H5Dwrite(t->dset, t->mem_type, t->rank ? ms : H5S_ALL, t->rank ? fs : H5S_ALL, H5P_DEFAULT, buf);
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    if (st < 0) {
        char what[1200];
        snprintf(what, sizeof what, "writing '%s' failed", t->name);
        lzc_report(prog, what, NULL, NULL);
    }
    return st < 0 ? -1 : 0;
}

/* Where attributes are copied to, and whether within one file. */
typedef struct attr_copy {
    hid_t to;        /* the target dataset */
    bool same_file;  /* target and source in the same file */
} attr_copy;

/* Copy one attribute (not h5lazy's) to the target dataset. Dimension
 * scale lists (DIMENSION_LIST, REFERENCE_LIST) hold object references,
 * addresses in their own file: they are copied only within it. */
static herr_t
copy_attr(hid_t from, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    const attr_copy *c = data;
    hid_t to = c->to;
    if (!strncmp(name, "h5lazy_", 7))
        return 0;
    if (!c->same_file && (!strcmp(name, "DIMENSION_LIST") || !strcmp(name, "REFERENCE_LIST")))
        return 0;
    hid_t a = H5Aopen(from, name, H5P_DEFAULT);
    hid_t type = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID, space = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    hssize_t n = space >= 0 ? H5Sget_select_npoints(space) : -1;
    size_t size = type >= 0 ? H5Tget_size(type) : 0;
    void *buf = n >= 0 && size ? calloc((size_t)(n ? n : 1), size) : NULL;
    herr_t st = buf ? H5Aread(a, type, buf) : -1;
    if (st >= 0) {
        hid_t b = H5Acreate2(to, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        st = b >= 0 ? H5Awrite(b, type, buf) : -1;
        if (b >= 0)
            H5Aclose(b);
        H5Treclaim(type, space, H5P_DEFAULT, buf); /* variable-length parts */
    }
    free(buf);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (a >= 0)
        H5Aclose(a);
    return st < 0 ? -1 : 0;
}

int
lzc_target_finish(const char *prog, lzc_target *t, hid_t attrs_from)
{
    lzc_encoder_free(t->encoder);
    t->encoder = NULL;
    herr_t st = H5Adelete(t->dset, "h5lazy_incomplete");
    H5O_info2_t a, b;
    attr_copy c = {t->dset, false};
    if (st >= 0 && attrs_from >= 0) {
        c.same_file = H5Oget_info3(attrs_from, &a, H5O_INFO_BASIC) >= 0 &&
                      H5Oget_info3(t->dset, &b, H5O_INFO_BASIC) >= 0 && a.fileno == b.fileno;
        st = H5Aiterate2(attrs_from, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr, &c);
    }
    if (st >= 0)
        st = H5Dclose(t->dset);
    t->dset = H5I_INVALID_HID;
    /* Only now does the final name change: until here an interrupted run
     * leaves the old dataset (or nothing) under it. */
    if (st >= 0 && link_exists(t->file, t->name))
        st = H5Ldelete(t->file, t->name, H5P_DEFAULT);
    if (st >= 0)
        st = H5Lmove(t->file, t->temp, t->file, t->name, H5P_DEFAULT, H5P_DEFAULT);
    if (st >= 0 && H5Fflush(t->file, H5F_SCOPE_LOCAL) < 0)
        st = -1;
    if (st < 0) {
        char what[1200];
        snprintf(what, sizeof what, "finishing '%s' failed", t->name);
        lzc_report(prog, what, NULL, NULL);
        lzc_target_abort(t);
        return -1;
    }
    if (t->mem_type >= 0)
        H5Tclose(t->mem_type);
    if (t->own_file && H5Fclose(t->file) < 0) {
        lzc_report(prog, "closing the output file failed", NULL, NULL);
        st = -1;
    }
    free(t->name);
    free(t->temp);
    memset(t, 0, sizeof *t);
    return st < 0 ? -1 : 0;
}

void
lzc_target_abort(lzc_target *t)
{
    lzc_encoder_free(t->encoder);
    t->encoder = NULL;
    if (t->dset >= 0)
        H5Dclose(t->dset);
    if (t->temp && t->file >= 0 && link_exists(t->file, t->temp))
        H5Ldelete(t->file, t->temp, H5P_DEFAULT);
    if (t->mem_type >= 0)
        H5Tclose(t->mem_type);
    if (t->own_file && t->file >= 0)
        H5Fclose(t->file);
    H5Eclear2(H5E_DEFAULT);
    free(t->name);
    free(t->temp);
    memset(t, 0, sizeof *t);
    t->dset = t->mem_type = t->file = H5I_INVALID_HID;
}

/* ---- progress --------------------------------------------------------------------- */

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
lzc_progress_init(lzc_progress *p, double total_bytes, bool allowed)
{
    p->show = allowed && isatty(STDERR_FILENO);
    p->started = p->last_shown = now();
    p->total = total_bytes;
}

void
lzc_progress_update(lzc_progress *p, double done)
{
    double t = now();
    if (!p->show || t - p->last_shown < 0.2)
        return;
    p->last_shown = t;
    double frac = p->total > 0 ? done / p->total : 1, rate = done / (t - p->started + 1e-9);
    int width = 30, filled = (int)(frac * width);
    double left = rate > 0 ? (p->total - done) / rate : 0;
    fprintf(stderr, "\r%3.0f%% [%.*s%*s] %7.1f MiB/s %3d:%02d left ", frac * 100, filled,
            "##############################", width - filled, "", rate / (1 << 20), (int)left / 60, (int)left % 60);
    fflush(stderr);
}

void
lzc_progress_end(lzc_progress *p, bool complete)
{
    if (!p->show)
        return;
    if (complete)
        fprintf(stderr, "\r100%% [##############################] %.1f s%30s\n", now() - p->started, "");
    else if (p->last_shown > p->started) /* a bar is on the line: messages go below it */
        fputc('\n', stderr);
}

/* ---- interruption ----------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void
lzc_interrupts_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool
lzc_interrupted(void)
{
    return interrupted != 0;
}
