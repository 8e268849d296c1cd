/* test_vol_files.c — the files= policy for operands in other files:
 * anywhere (the default), below (the holding file's directory and its
 * subdirectories, by real path: neither "../" nor a symbolic link gets
 * out) and none. Layout, under the test's working directory:
 *   policy/top.h5        virtual datasets: in_sub, up, via_link, here
 *   policy/sub/in.h5     x
 *   policy/sub/link.h5 -> ../../policy_outside.h5
 *   policy_outside.h5    x */
#include "vol_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static herr_t
write_x(const char *name, int value)
{
    hid_t f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 4;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t x = H5Dcreate2(f, "x", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int data[4] = {value, value, value, value};
    herr_t st = H5Dwrite(x, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(x);
    H5Sclose(space);
    return H5Fclose(f) < 0 ? -1 : st;
}

static void
clean_files(void)
{
    remove("policy/top.h5");
    remove("policy/sub/in.h5");
    remove("policy/sub/link.h5");
    remove("policy_outside.h5");
    rmdir("policy/sub");
    rmdir("policy");
}

static int
files_init(void)
{
    clean_files();
    if (mkdir("policy", 0755) < 0 || mkdir("policy/sub", 0755) < 0 ||
        symlink("../../policy_outside.h5", "policy/sub/link.h5") < 0)
        return -1;
    herr_t st = write_x("policy/sub/in.h5", 1);
    st |= write_x("policy_outside.h5", 2);
    hid_t f = H5Fcreate("policy/top.h5", H5F_ACC_TRUNC, H5P_DEFAULT, lazy_fapl);
    st |= define(f, "in_sub", "ds('sub/in.h5', '/x') * 10", NULL);
    st |= define(f, "up", "ds('../policy_outside.h5', '/x') * 10", NULL);
    st |= define(f, "via_link", "ds('sub/link.h5', '/x') * 10", NULL);
    st |= define(f, "here", "in_sub + 1", NULL); /* nested, same file */
    return H5Fclose(f) < 0 || st < 0 ? -1 : 0;
}

static int
files_clean(void)
{
    clean_files();
    return 0;
}

/* Append the text of every h5lazy frame to the buffer in `data`. */
typedef struct texts {
    char *buf;
    size_t size;
} texts;

static herr_t
collect(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    texts *t = data;
    char cls[32] = "";
    H5Eget_class_name(err->cls_id, cls, sizeof cls);
    size_t used = strlen(t->buf);
    if (!strcmp(cls, "h5lazy") && used + 1 < t->size)
        snprintf(t->buf + used, t->size - used, "%s | ", err->desc);
    return 0;
}

/* Read element 0 of `name` through the connector with info `info_str`:
 * the value, or -1 with the h5lazy messages in why. */
static int
read_with(const char *info_str, const char *name, char *why, size_t why_size)
{
    void *info = NULL;
    why[0] = '\0';
    if (H5VLconnector_str_to_info(info_str, vol_id, &info) < 0)
        return -2;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_vol(fapl, vol_id, info);
    H5VLfree_connector_info(vol_id, info);
    hid_t f = H5Fopen("policy/top.h5", H5F_ACC_RDONLY, fapl);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    int out[4] = {-1, -1, -1, -1};
    herr_t st = H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    if (st < 0) {
        texts t = {why, why_size};
        hid_t stack = H5Eget_current_stack();
        H5Ewalk2(stack, H5E_WALK_UPWARD, collect, &t);
        H5Eclose_stack(stack);
    }
    H5Dclose(d);
    H5Fclose(f);
    H5Pclose(fapl);
    return st < 0 ? -1 : out[0];
}

static void
expect(const char *info, const char *name, int value, const char *message)
{
    char why[2000];
    int got = read_with(info, name, why, sizeof why);
    bool ok = got == value && (!message || strstr(why, message));
    if (!ok)
        fprintf(stderr, "\n  %s with %s: got %d (%s), want %d (%s)\n", name, info, got, why, value,
                message ? message : "");
    CU_ASSERT(ok);
}

static void
test_policies(void)
{
    expect("", "in_sub", 10, NULL);
    expect("", "up", 20, NULL);
    expect("", "via_link", 20, NULL);
    expect("files=anywhere", "up", 20, NULL);
    expect("files=below", "in_sub", 10, NULL);
    expect("files=below", "here", 11, NULL);
    expect("files=below", "up", -1, "files=below allows only files in");
    expect("files=below", "via_link", -1, "policy_outside.h5'");
    expect("files=none", "in_sub", -1, "files=none allows operands only in the file itself");
    expect("files=none", "here", -1, "files=none");
    char why[256];
    CU_ASSERT_EQUAL(read_with("files=some", "in_sub", why, sizeof why), -2);
}

void
register_files_suite(void)
{
    CU_pSuite s = CU_add_suite("operand files policy", files_init, files_clean);
    CU_add_test(s, "anywhere, below, none", test_policies);
}
