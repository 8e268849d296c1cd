/* lzc_hdf5.c — loading the connector and reporting HDF5 errors for the
 * h5lazy command. */
#include "lzc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool lzc_verbose = false;

/* The plugin directory of an installed tree: <prefix>/lib/plugin next to
 * <prefix>/bin/h5lazy. */
static void
append_installed_plugin_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/../lib/plugin", exe);
    H5PLappend(dir);
}

hid_t
lzc_connector_fapl(const char *prog, const char *info_text)
{
    /* HDF5_PLUGIN_PATH (searched first by the library) may point elsewhere;
     * the installed and the build-tree locations come after it. */
    append_installed_plugin_dir();
    H5PLappend(H5LAZY_BUILD_PLUGIN_DIR);
    hid_t vol = H5VLregister_connector_by_name(H5LAZY_VOL_NAME, H5P_DEFAULT);
    if (vol < 0) {
        fprintf(stderr,
                "%s: error: cannot load the h5lazy VOL connector (libh5lazy_vol.so) from "
                "HDF5_PLUGIN_PATH or %s\n",
                prog, H5LAZY_BUILD_PLUGIN_DIR);
        H5Eclear2(H5E_DEFAULT);
        return H5I_INVALID_HID;
    }
    /* The connector ID stays open for the life of the process (HDF5's
     * shutdown releases it): files and FAPLs hold no reference of their own. */
    void *info = NULL;
    if (info_text && info_text[0] && H5VLconnector_str_to_info(info_text, vol, &info) < 0) {
        lzc_report(prog, "bad connector settings", NULL, NULL);
        return H5I_INVALID_HID;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    herr_t st = fapl < 0 ? -1 : H5Pset_vol(fapl, vol, info);
    if (info)
        H5VLfree_connector_info(vol, info);
    if (st < 0) {
        lzc_report(prog, "cannot set up file access", NULL, NULL);
        return H5I_INVALID_HID;
    }
    return fapl;
}

hid_t
lzc_open(const char *prog, const char *path, hid_t fapl, lzc_open_mode mode)
{
    hid_t file = mode == LZC_CREATE && access(path, F_OK) != 0
                     ? H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl)
                     : H5Fopen(path, mode == LZC_READ ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl);
    if (file < 0) {
        char what[1200];
        snprintf(what, sizeof what, "cannot open '%s'%s", path, mode == LZC_READ ? "" : " for writing");
        lzc_report(prog, what, NULL, NULL);
    }
    return file;
}

typedef struct collected {
    char *ours[4];   /* h5lazy frames, innermost first (strdup'd: any length) */
    int nours;
    char *innermost; /* the innermost frame of any class */
} collected;

static herr_t
collect(unsigned n, const H5E_error2_t *err, void *data)
{
    collected *c = data;
    const char *desc = err->desc ? err->desc : "";
    if (n == 0)
        c->innermost = strdup(desc);
    char cls[64] = "";
    H5Eget_class_name(err->cls_id, cls, sizeof cls);
    if (strcmp(cls, "h5lazy") == 0 && c->nours < 4)
        c->ours[c->nours++] = strdup(desc);
    return 0;
}

void
lzc_report(const char *prog, const char *what, const h5lazy_diagnostic_t *diag, const char *expr)
{
    if (lzc_verbose)
        H5Eprint2(H5E_DEFAULT, stderr);
    /* Walk a copy: collect() calls the API, which clears the current stack. */
    collected c = {.nours = 0};
    hid_t stack = H5Eget_current_stack();
    H5Ewalk2(stack, H5E_WALK_UPWARD, collect, &c);
    H5Eclose_stack(stack);
    if (c.nours > 0) {
        for (int i = c.nours - 1; i >= 0; i--)
            fprintf(stderr, "%s: error: %s\n", prog, c.ours[i] ? c.ours[i] : "(out of memory)");
    } else if (c.innermost && c.innermost[0]) {
        fprintf(stderr, "%s: error: %s: %s\n", prog, what, c.innermost);
    } else {
        fprintf(stderr, "%s: error: %s\n", prog, what);
    }
    for (int i = 0; i < c.nours; i++)
        free(c.ours[i]);
    free(c.innermost);
    if (diag && diag->column > 0 && expr) {
        /* The offending line of the expression, and a caret under the column. */
        const char *line = expr;
        for (int l = 1; l < diag->line && line; l++) {
            line = strchr(line, '\n');
            if (line)
                line++;
        }
        if (line) {
            const char *end = strchr(line, '\n');
            int len = end ? (int)(end - line) : (int)strlen(line);
            fprintf(stderr, "    %.*s\n    %*s^\n", len, line, diag->column - 1, "");
        }
    }
}

hid_t
lzc_memory_type(const char *dtype)
{
    static const char *const names[] = {"int8",  "uint8",  "int16", "uint16",  "int32",
                                        "uint32", "int64", "uint64", "float32", "float64"};
    if (!strcmp(dtype, "bool")) { /* h5py's bool: an int8 enum FALSE/TRUE */
        hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
        int8_t no = 0, yes = 1;
        if (t >= 0 && (H5Tenum_insert(t, "FALSE", &no) < 0 || H5Tenum_insert(t, "TRUE", &yes) < 0)) {
            H5Tclose(t);
            return H5I_INVALID_HID;
        }
        return t;
    }
    size_t i = 0;
    while (i < sizeof names / sizeof names[0] && strcmp(dtype, names[i]))
        i++;
    /* HDF5's native type names are macros over a library call, hence the
     * switch rather than a table of them. */
    switch (i) {
    case 0: return H5Tcopy(H5T_NATIVE_INT8);
    case 1: return H5Tcopy(H5T_NATIVE_UINT8);
    case 2: return H5Tcopy(H5T_NATIVE_INT16);
    case 3: return H5Tcopy(H5T_NATIVE_UINT16);
    case 4: return H5Tcopy(H5T_NATIVE_INT32);
    case 5: return H5Tcopy(H5T_NATIVE_UINT32);
    case 6: return H5Tcopy(H5T_NATIVE_INT64);
    case 7: return H5Tcopy(H5T_NATIVE_UINT64);
    case 8: return H5Tcopy(H5T_NATIVE_FLOAT);
    case 9: return H5Tcopy(H5T_NATIVE_DOUBLE);
    default: return H5I_INVALID_HID;
    }
}

size_t
lzc_dtype_size(const char *dtype)
{
    hid_t t = lzc_memory_type(dtype);
    size_t size = t >= 0 ? H5Tget_size(t) : 0;
    if (t >= 0)
        H5Tclose(t);
    return size;
}
