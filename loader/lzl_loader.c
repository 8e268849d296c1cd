/* lzl_loader.c — the plugin's two entry points: pick and load the
 * connector build for the libhdf5 that asks.
 *
 * Builds live in h5lazy/ beside this file, one per HDF5 line, named
 * impl-hdf5-<line>.so (line 1.14 or 2): a subdirectory, because HDF5 tries
 * every lib*.so of HDF5_PLUGIN_PATH itself. The build for the host's line
 * is read into memory, bound to the host's libhdf5 file (lzl_elf.c) and
 * loaded from a memory file (memfd_create, then dlopen of its /proc/self/fd
 * path): a copy per host library, nothing written to disk, nothing left
 * behind. Debuggers and valgrind cannot read symbols from a memory file:
 * with H5LAZY_CONNECTOR_COPIES=DIR the copies are written to files in DIR
 * instead (and left there).
 *
 * Copies are loaded with local scope: promoting any library to global
 * scope would change what other libraries of the process bind to
 * (netCDF4's libnetcdf then bound to h5py's libhdf5). The class each host
 * got is kept, so a second request from the same library costs nothing; a
 * process with two libhdf5 (h5py's and netCDF4's wheels) gets one copy for
 * each.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, memfd_create */
#endif
#include "lzl.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* H5PL_TYPE_VOL, the same in the H5PLpublic.h of 1.14 and 2.x. */
#define LZL_PLUGIN_TYPE_VOL 1

typedef const void *(*plugin_info_fn)(void);

/* snprintf that may cut a long path short: messages are bounded. */
__attribute__((format(printf, 3, 4))) static void
say(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(buf, size, format, args);
    va_end(args);
}

/* What each libhdf5 asking so far was given. Few: a process rarely holds
 * more than two libhdf5. */
#define LZL_MAX_HOSTS 16
static struct {
    char path[4096];
    const void *cls;
} given[LZL_MAX_HOSTS];
static int ngiven;
static pthread_mutex_t given_lock = PTHREAD_MUTEX_INITIALIZER;

/* The line name of a version: 1.14 for 1.14.x, 2 for 2.x; NULL when h5lazy
 * has no build for it. */
static const char *
line_of(const lzl_host *host)
{
    if (host->major == 1 && host->minor == 14)
        return "1.14";
    if (host->major == 2)
        return "2";
    return NULL;
}

/* Read the whole file `path` into a new buffer; NULL with `why` set. */
static unsigned char *
read_file(const char *path, size_t *size, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0 || st.st_size <= 0) {
        say(why, why_size, "cannot read %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    unsigned char *bytes = malloc((size_t)st.st_size);
    if (bytes && fread(bytes, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(bytes);
        bytes = NULL;
    }
    if (!bytes)
        say(why, why_size, "cannot read %s", path);
    fclose(f);
    *size = (size_t)st.st_size;
    return bytes;
}

/* A new file for the bound copy: in H5LAZY_CONNECTOR_COPIES when set (a
 * file named after the build, the process and `n`), else a memory file.
 * Writes the name to load into `name`; -1 on failure. */
static int
copy_file(int n, char *name, size_t name_size)
{
    const char *dir = getenv("H5LAZY_CONNECTOR_COPIES");
    int fd;
    if (dir && *dir) {
        say(name, name_size, "%s/h5lazy-connector-%ld-%d.so", dir, (long)getpid(), n);
        fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    } else {
        fd = memfd_create("h5lazy-connector", MFD_CLOEXEC);
        snprintf(name, name_size, "/proc/self/fd/%d", fd);
    }
    return fd;
}

/* Load the build at `path` bound to `host`; its class, or NULL with `why`. */
static const void *
load_build(const char *path, const lzl_host *host, char *why, size_t why_size)
{
    size_t size = 0;
    unsigned char *image = read_file(path, &size, why, why_size);
    if (!image)
        return NULL;
    const void *cls = NULL;
    int fd = -1;
    char reason[512], copy[PATH_MAX];
    if (lzl_elf_bind(image, size, host->path, reason, sizeof reason) < 0) {
        say(why, why_size, "%s: %s", path, reason);
    } else if ((fd = copy_file(ngiven, copy, sizeof copy)) < 0 || write(fd, image, size) != (ssize_t)size) {
        say(why, why_size, "cannot write the copy of %s bound to %s: %s", path, host->path, strerror(errno));
    } else {
        /* RTLD_NOW: a function the host's libhdf5 lacks is reported here,
         * not as a crash in the middle of a read. */
        void *build = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
        plugin_info_fn info = NULL;
        if (build)
            *(void **)&info = dlsym(build, "H5PLget_plugin_info");
        if (!info)
            say(why, why_size, "cannot load %s: %s", path, dlerror());
        else
            cls = info();
    }
    /* On success the build stays loaded, and its descriptor open, for the
     * life of the process: HDF5 keeps pointers into it, and the dynamic
     * linker knows a loaded object by the name it was opened with, so a
     * reused descriptor number would hand the next host library this copy. */
    if (!cls && fd >= 0)
        close(fd);
    free(image);
    return cls;
}

/* The class for the library at `caller`: a connector build or the
 * fallback, never NULL. */
static const void *
class_for(const void *caller)
{
    lzl_host host;
    char why[1024], self_dir[PATH_MAX], build[PATH_MAX + 64];
    Dl_info self;
    const char *line = NULL;
    const void *cls = NULL;
    host.path[0] = '\0';
    if (lzl_host_find(caller, &host, why, sizeof why) < 0) {
        /* why says it */
    } else if (!(line = line_of(&host))) {
        say(why, sizeof why, "no build for HDF5 %u.%u.%u (%s): h5lazy has builds for HDF5 1.14 and 2.x",
            host.major, host.minor, host.release, host.path);
    } else if (!dladdr((void *)class_for, &self) || !self.dli_fname || !realpath(self.dli_fname, self_dir)) {
        say(why, sizeof why, "cannot find the directory of the h5lazy plugin");
    } else {
        *strrchr(self_dir, '/') = '\0';
        snprintf(build, sizeof build, "%s/h5lazy/impl-hdf5-%s.so", self_dir, line);
        char reason[900];
        cls = load_build(build, &host, reason, sizeof reason);
        if (!cls)
            say(why, sizeof why, "cannot serve HDF5 %u.%u.%u (%s): %s", host.major, host.minor, host.release,
                host.path, reason);
    }
    if (!cls) {
        char message[1400];
        say(message, sizeof message,
            "h5lazy: %s. Files opened through the h5lazy connector fail; unset HDF5_VOL_CONNECTOR to read "
            "stored data without it.",
            why);
        cls = lzl_fallback_class(message);
    }
    if (host.path[0] && ngiven < LZL_MAX_HOSTS) {
        strcpy(given[ngiven].path, host.path);
        given[ngiven++].cls = cls;
    }
    return cls;
}

/* Contract (HDF5's plugin interface, H5PLextern.h): the kind of plugin. */
EXPORT int
H5PLget_plugin_type(void)
{
    return LZL_PLUGIN_TYPE_VOL;
}

/* Contract (H5PLextern.h): the connector class for the libhdf5 calling,
 * which must be the caller of this function. Never NULL (lzl.h). */
EXPORT const void *
H5PLget_plugin_info(void)
{
    const void *caller = __builtin_return_address(0);
    pthread_mutex_lock(&given_lock);
    const void *cls = NULL;
    Dl_info where;
    char real[PATH_MAX];
    if (dladdr(caller, &where) && where.dli_fname && realpath(where.dli_fname, real))
        for (int i = 0; i < ngiven && !cls; i++)
            if (!strcmp(given[i].path, real))
                cls = given[i].cls;
    if (!cls)
        cls = class_for(caller);
    pthread_mutex_unlock(&given_lock);
    return cls;
}
