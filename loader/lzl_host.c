/* lzl_host.c — which libhdf5 is loading the plugin, and its version.
 *
 * HDF5 calls H5PLget_plugin_info from its own code, so the return address
 * of that call lies inside the libhdf5 that wants the plugin: dladdr names
 * its file. A pip wheel's copy has a hashed name and was loaded with local
 * scope, so nothing else (a soname, the global scope, the process's maps)
 * would find the right one when a process holds several. The library is
 * then opened with RTLD_NOLOAD — a reference to the copy already mapped,
 * never a second one — and asked for its version.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NOLOAD */
#endif
#include "lzl.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*get_libversion_fn)(unsigned *major, unsigned *minor, unsigned *release);

int
lzl_host_find(const void *caller, lzl_host *host, char *why, size_t why_size)
{
    Dl_info where;
    if (!dladdr(caller, &where) || !where.dli_fname || !where.dli_fname[0]) {
        snprintf(why, why_size, "the code loading the plugin is in no shared library");
        return -1;
    }
    void *handle = dlopen(where.dli_fname, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    get_libversion_fn version = NULL;
    if (handle)
        *(void **)&version = dlsym(handle, "H5get_libversion");
    /* The symbol may come from a dependency of the caller's object: the
     * library is the object that defines it. */
    Dl_info lib;
    if (!version || !dladdr(*(void **)&version, &lib) || !lib.dli_fname) {
        snprintf(why, why_size, "%s, which loads the plugin, is not a libhdf5", where.dli_fname);
        if (handle)
            dlclose(handle);
        return -1;
    }
    if (strcmp(lib.dli_fname, where.dli_fname) != 0) {
        dlclose(handle);
        handle = dlopen(lib.dli_fname, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    }
    char real[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    if (!handle || !realpath(lib.dli_fname, real) || strlen(real) >= sizeof host->path) {
        snprintf(why, why_size, "cannot resolve the path of %s", lib.dli_fname);
        if (handle)
            dlclose(handle);
        return -1;
    }
    /* A libhdf5 linked statically into the program cannot be named as a
     * dependency of the connector. */
    if (!strcmp(real, exe)) {
        snprintf(why, why_size, "HDF5 is linked statically into %s; the h5lazy connector needs a shared libhdf5",
                 exe);
        dlclose(handle);
        return -1;
    }
    if (version(&host->major, &host->minor, &host->release) < 0) {
        snprintf(why, why_size, "%s does not tell its version", real);
        dlclose(handle);
        return -1;
    }
    strcpy(host->path, real);
    host->handle = handle;
    return 0;
}

void *
lzl_host_symbol(const lzl_host *host, const char *name)
{
    return dlsym(host->handle, name);
}
