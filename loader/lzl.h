/* lzl.h — the h5lazy plugin loader: what its files share.
 *
 * HDF5 dlopens every lib*.so in HDF5_PLUGIN_PATH. libh5lazy_vol.so, the
 * file it finds, is this loader: it has no libhdf5 dependency and exports
 * only H5PLget_plugin_type and H5PLget_plugin_info. Asked for the plugin,
 * it finds the libhdf5 that is asking (lzl_host.c), picks the connector
 * built for that library's line (1.14 or 2.x) from the subdirectory
 * h5lazy/ beside itself, where HDF5 does not look, and loads a copy of it
 * bound to exactly that libhdf5 file (lzl_elf.c). When that cannot be done
 * it hands HDF5 a connector that says why on every open (lzl_fallback.c),
 * never NULL: HDF5's initialisation fails with a connector named in
 * HDF5_VOL_CONNECTOR that does not load, and h5py 3.16 on HDF5 2.0 then
 * crashes.
 */
#ifndef LZL_H
#define LZL_H

#include <stddef.h>

/* The start of the DT_NEEDED name the connector builds are linked with (a
 * stub library's soname, padded to LZL_PLACEHOLDER_BYTES with '_'): the
 * room into which the loader writes the path of the host's libhdf5. */
#define LZL_PLACEHOLDER_PREFIX "h5lazy-host-libhdf5:"

/* The libhdf5 a call came from. */
typedef struct lzl_host {
    char path[4096]; /* real path of the library file */
    void *handle;    /* dlopen(RTLD_NOLOAD) reference: never a second copy */
    unsigned major, minor, release; /* H5get_libversion */
} lzl_host;

/* Find the libhdf5 holding the code at `caller` (a return address inside
 * the library). On success fills `host` (the handle stays open for the
 * process) and returns 0; on failure writes the reason into `why` and
 * returns -1. */
int lzl_host_find(const void *caller, lzl_host *host, char *why, size_t why_size);

/* Look up the public function or variable `name` in the host library;
 * NULL when it has none. */
void *lzl_host_symbol(const lzl_host *host, const char *name);

/* Bind the shared object in `image` (`size` bytes, an ELF file read into
 * memory, modified in place) to the library at `host_path`: the
 * placeholder name receives the path and every DT_NEEDED entry naming a
 * libhdf5 is pointed at it. Returns 0, or -1 with the reason in `why`. */
int lzl_elf_bind(unsigned char *image, size_t size, const char *host_path, char *why, size_t why_size);

/* The connector class that refuses every file with `message` (copied),
 * pushed on the error stack of the libhdf5 that calls it and printed to
 * stderr once now. Never NULL. */
const void *lzl_fallback_class(const char *message);

/* The plugin's two exports (HDF5's H5PLextern.h declares them with its
 * enum type; the values are the same). */
int H5PLget_plugin_type(void);
const void *H5PLget_plugin_info(void);

#endif
