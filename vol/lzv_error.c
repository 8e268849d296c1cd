/* lzv_error.c — h5lazy's HDF5 error class and stack helpers.
 *
 * Every failure of ours becomes one frame on H5E_DEFAULT under the class
 * "h5lazy", with the major message "h5lazy virtual dataset" and one minor
 * message per engine status (lz_status.def). The library adds its own frames
 * above ours, so tools print the API call that failed, the under
 * connector's account of the cause if any, and then, at the bottom, our
 * sentence saying which dataset and why; h5py builds its exception text
 * from the top and bottom frames.
 */
#include "lzv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
    /* Sized to the message: names and expressions can be long, and the
     * reason comes after them. */
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *message = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (message)
        vsnprintf(message, (size_t)len + 1, fmt, again);
    va_end(again);
    H5Epush2(H5E_DEFAULT, "h5lazy", func, (unsigned)line, error_class, error_major, error_minor[code],
             "%s", message ? message : lz_status_summary(code));
    free(message);
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

typedef struct frames {
    H5E_error2_t frame[32]; /* HDF5's stacks hold at most 32 */
    unsigned n;
} frames;

static herr_t
collect_frame(unsigned n, const H5E_error2_t *err, void *data)
{
    frames *f = data;
    (void)n;
    if (f->n < sizeof f->frame / sizeof f->frame[0])
        f->frame[f->n++] = *err;
    return 0;
}

static void
push_frames(const frames *f)
{
    for (unsigned i = 0; i < f->n; i++)
        H5Epush2(H5E_DEFAULT, f->frame[i].file_name, f->frame[i].func_name, f->frame[i].line, f->frame[i].cls_id,
                 f->frame[i].maj_num, f->frame[i].min_num, "%s", f->frame[i].desc);
}

void
lzv_stack_add_cause(hid_t cause)
{
    if (cause < 0)
        return;
    /* The walk's callback must not call the API, so frames are collected
     * first; their strings stay their stacks' until these are closed.
     * Walking or closing a stack other than the current one clears the
     * current one on entry, so ours is taken off as a stack of its own. */
    frames mine = {.n = 0}, theirs = {.n = 0};
    hid_t current = H5Eget_current_stack();
    bool walked = H5Ewalk2(current, H5E_WALK_UPWARD, collect_frame, &mine) >= 0 &&
                  H5Ewalk2(cause, H5E_WALK_UPWARD, collect_frame, &theirs) >= 0;
    bool nested = false;
    for (unsigned i = 0; i < theirs.n; i++)
        nested |= theirs.frame[i].cls_id == error_class;
    if (walked && nested) {
        push_frames(&theirs);
        push_frames(&mine);
    } else if (walked) {
        push_frames(&mine);
        push_frames(&theirs);
    }
    hid_t merged = H5Eget_current_stack();
    H5Eclose_stack(cause);
    H5Eclose_stack(current);
    lzv_stack_restore(walked ? merged : H5I_INVALID_HID);
    if (!walked)
        H5Eclose_stack(merged);
}

void
lzv_stack_innermost(char *buf, size_t size)
{
    buf[0] = '\0';
    hid_t stack = H5Eget_current_stack(); /* a copy; the current one is now empty */
    if (stack < 0)
        return;
    H5E_error2_t cause = {0};
    if (H5Ewalk2(stack, H5E_WALK_UPWARD, innermost, &cause) >= 0 && cause.desc)
        snprintf(buf, size, "%s", cause.desc);
    H5Eset_current_stack(stack); /* puts it back, and closes the copy */
}

void
lzv_stack_keep_cause(void)
{
    hid_t stack = H5Eget_current_stack(); /* a copy; the current one is now empty */
    if (stack < 0)
        return;
    H5E_error2_t cause = {0};
    char file[256] = "", func[128] = "", desc[1024] = "";
    if (H5Ewalk2(stack, H5E_WALK_UPWARD, innermost, &cause) >= 0 && cause.desc) {
        /* Copied: closing the stack frees them, and must come first, as it
         * clears the current stack on entry. */
        snprintf(file, sizeof file, "%s", cause.file_name ? cause.file_name : "");
        snprintf(func, sizeof func, "%s", cause.func_name ? cause.func_name : "");
        snprintf(desc, sizeof desc, "%s", cause.desc);
    }
    H5Eclose_stack(stack);
    if (desc[0])
        H5Epush2(H5E_DEFAULT, file, func, cause.line, cause.cls_id, cause.maj_num, cause.min_num, "%s", desc);
}
