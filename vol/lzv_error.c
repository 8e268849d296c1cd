/* lzv_error.c — h5lazy's HDF5 error class and stack helpers.
 *
 * Every failure of ours becomes one frame on H5E_DEFAULT under the class
 * "h5lazy", with the major message "h5lazy virtual dataset" and one minor
 * message per engine status (lz_status.def). The library adds its own frames
 * above ours, so tools print the API call that failed and then, at the
 * bottom, our sentence saying which dataset and why; h5py builds its
 * exception text from the top and bottom frames.
 */
#include "lzv.h"

#include <stdarg.h>
#include <stdio.h>

static hid_t error_class = H5I_INVALID_HID;
static hid_t error_major = H5I_INVALID_HID;
static hid_t error_minor[LZ_STATUS_COUNT];

herr_t
lzv_error_init(void)
{
    if (error_class >= 0)
        return 0;
    char version[32];
    snprintf(version, sizeof version, "%d", H5LAZY_VOL_VERSION);
    error_class = H5Eregister_class("h5lazy", "h5lazy", version);
    if (error_class < 0)
        return -1;
    error_major = H5Ecreate_msg(error_class, H5E_MAJOR, "h5lazy virtual dataset");
    for (int s = 0; s < LZ_STATUS_COUNT; s++)
        error_minor[s] = H5Ecreate_msg(error_class, H5E_MINOR, lz_status_summary((lz_status)s));
    return error_major < 0 ? -1 : 0;
}

void
lzv_error_term(void)
{
    if (error_class < 0)
        return;
    /* Unregistering the class closes its messages. */
    H5Eunregister_class(error_class);
    error_class = error_major = H5I_INVALID_HID;
}

void
lzv_error_push(const char *func, int line, lz_status code, const char *fmt, ...)
{
    if (error_class < 0 || (unsigned)code >= LZ_STATUS_COUNT)
        return;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    H5Epush2(H5E_DEFAULT, "h5lazy", func, (unsigned)line, error_class, error_major, error_minor[code],
             "%s", message);
}

hid_t
lzv_stack_save(void)
{
    return H5Eget_current_stack();
}

void
lzv_stack_restore(hid_t saved)
{
    if (saved >= 0)
        H5Eset_current_stack(saved);
}

static herr_t
innermost(unsigned n, const H5E_error2_t *err, void *data)
{
    if (n == 0)
        *(H5E_error2_t *)data = *err;
    return 0;
}

void
lzv_stack_keep_cause(void)
{
    hid_t stack = H5Eget_current_stack(); /* a copy; the current one is now empty */
    if (stack < 0)
        return;
    H5E_error2_t cause = {0};
    if (H5Ewalk2(stack, H5E_WALK_UPWARD, innermost, &cause) >= 0 && cause.desc)
        H5Epush2(H5E_DEFAULT, cause.file_name, cause.func_name, cause.line, cause.cls_id, cause.maj_num,
                 cause.min_num, "%s", cause.desc);
    H5Eclose_stack(stack);
}
