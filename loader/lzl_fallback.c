/* lzl_fallback.c — the connector HDF5 gets when h5lazy cannot serve it.
 *
 * When the loader cannot load a connector build for the calling libhdf5
 * (an HDF5 line h5lazy has no build for, a missing file, a failed load),
 * returning NULL from H5PLget_plugin_info would make HDF5's initialisation
 * fail, since HDF5_VOL_CONNECTOR names a connector that then does not
 * exist: HDF5 1.14 carries on natively, but h5py 3.16 on HDF5 2.0 crashes.
 * Instead the loader hands over this class: it registers like any
 * connector, and every file create, open or probe through it fails with the
 * reason on HDF5's error stack (h5py shows it in its OSError). The reason is
 * also printed to stderr once, when the class is handed over, since a
 * program may never open a file through it.
 *
 * The class table is laid out by the H5VLconnector.h of the line the loader
 * is compiled with; the layout of H5VL_class_t and of the slots used here is
 * the same in 1.14 and 2.x (connector interface version 3 in both). No HDF5
 * function is linked: the error stack is reached through the calling
 * library, found as lzl_host.c finds it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "lzl.h"

#include "h5lazy_vol.h"

#include <H5VLconnector.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static char reason[1024]; /* the last reason handed over */

typedef herr_t (*epush_fn)(hid_t stack, const char *file, const char *func, unsigned line, hid_t cls,
                           hid_t major, hid_t minor, const char *msg, ...);

/* Push the reason on the error stack of the libhdf5 holding `caller`. The
 * error IDs are the library's global variables (H5Epubgen.h). */
static void
push_reason(const void *caller, const char *func)
{
    lzl_host host;
    char why[256];
    if (lzl_host_find(caller, &host, why, sizeof why) < 0)
        return;
    epush_fn push;
    *(void **)&push = lzl_host_symbol(&host, "H5Epush2");
    const hid_t *cls = lzl_host_symbol(&host, "H5E_ERR_CLS_g");
    const hid_t *major = lzl_host_symbol(&host, "H5E_VOL_g");
    const hid_t *minor = lzl_host_symbol(&host, "H5E_CANTOPENFILE_g");
    if (push && cls && major && minor)
        push(H5E_DEFAULT, __FILE__, func, __LINE__, *cls, *major, *minor, "%s", reason);
    dlclose(host.handle);
}

static herr_t
fallback_initialize(hid_t vipl_id)
{
    (void)vipl_id;
    return 0;
}

static herr_t
fallback_terminate(void)
{
    return 0;
}

/* Any info string is accepted: the failure to report is the connector's. */
static herr_t
fallback_info_from_str(const char *str, void **info)
{
    (void)str;
    *info = NULL;
    return 0;
}

static void *
fallback_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id, hid_t dxpl_id,
                     void **req)
{
    (void)name, (void)flags, (void)fcpl_id, (void)fapl_id, (void)dxpl_id, (void)req;
    push_reason(__builtin_return_address(0), "h5lazy file create");
    return NULL;
}

static void *
fallback_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id, void **req)
{
    (void)name, (void)flags, (void)fapl_id, (void)dxpl_id, (void)req;
    push_reason(__builtin_return_address(0), "h5lazy file open");
    return NULL;
}

/* H5Fis_accessible and H5Fdelete come here without a file. */
static herr_t
fallback_file_specific(void *obj, H5VL_file_specific_args_t *args, hid_t dxpl_id, void **req)
{
    (void)obj, (void)args, (void)dxpl_id, (void)req;
    push_reason(__builtin_return_address(0), "h5lazy file specific");
    return -1;
}

static herr_t fallback_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl, const H5VL_class_t **conn_cls);

/* File opens need the basic file capability, or HDF5 refuses them before
 * asking the connector, with a message that does not say why. */
static herr_t
fallback_get_cap_flags(const void *info, uint64_t *cap_flags)
{
    (void)info;
    *cap_flags = H5VL_CAP_FLAG_FILE_BASIC;
    return 0;
}

static herr_t
fallback_opt_query(void *obj, H5VL_subclass_t cls, int opt_type, uint64_t *flags)
{
    (void)obj, (void)cls, (void)opt_type;
    *flags = 0;
    return 0;
}

static const H5VL_class_t fallback_class = {
    .version = H5VL_VERSION,
    .value = (H5VL_class_value_t)H5LAZY_VOL_VALUE,
    .name = H5LAZY_VOL_NAME, /* HDF5 looks the plugin up by it */
    .conn_version = H5LAZY_VOL_VERSION,
    .cap_flags = H5VL_CAP_FLAG_FILE_BASIC,
    .initialize = fallback_initialize,
    .terminate = fallback_terminate,
    .info_cls = {.size = 0, .from_str = fallback_info_from_str},
    .file_cls = {.create = fallback_file_create, .open = fallback_file_open, .specific = fallback_file_specific},
    .introspect_cls = {.get_conn_cls = fallback_get_conn_cls, .get_cap_flags = fallback_get_cap_flags,
                       .opt_query = fallback_opt_query},
};

static herr_t
fallback_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl, const H5VL_class_t **conn_cls)
{
    (void)obj, (void)lvl;
    *conn_cls = &fallback_class;
    return 0;
}

const void *
lzl_fallback_class(const char *message)
{
    snprintf(reason, sizeof reason, "%s", message);
    fprintf(stderr, "%s\n", reason);
    return &fallback_class;
}
