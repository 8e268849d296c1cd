/* lzv_info.c — the connector's info: what is underneath and the tunables.
 *
 * The string form (HDF5_VOL_CONNECTOR="h5lazy <info>", --vol-info) is a
 * ';'-separated list of key=value:
 *   under_vol=<value or name>   the connector underneath (default 0, native)
 *   under_info={<string>}       its own info string (braces may nest)
 *   memory=<size>               evaluation budget per read: bytes, or with a
 *                               suffix K/KiB, M/MiB, G/GiB (powers of 1024)
 *   threads=<n>|auto            threads computing one read: decoding filtered
 *                               chunks and folding reductions (1-64, or auto:
 *                               the CPUs the process may use; default auto,
 *                               docs/design.md "Threads" says why; HDF5 calls
 *                               stay on the reading thread)
 *   cache=<size>                reduction results kept per open virtual
 *                               dataset between reads (default 32 MiB; 0 off)
 *   files=anywhere|below|none   where operands in other files may live: any
 *                               path, the holding file's directory or below
 *                               it, or nowhere (default anywhere)
 * Unknown keys are errors, so a typo does not silently keep a default.
 * to_str writes every key, sizes in bytes, so the round trip is exact.
 */
#include "lzv.h"
#include "lzv_workq.h"

#include <H5VLpassthru.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
lzv_config_init(lzv_config *config)
{
    lz_config engine;
    lz_config_init(&engine);
    config->memory_bytes = engine.memory_bytes;
    /* auto (0), not the engine's 1: see docs/design.md, "Threads". */
    config->threads = 0;
    config->cache_bytes = engine.cache_bytes;
    config->files = LZV_FILES_ANYWHERE;
}

int
lzv_config_threads(const lzv_config *config)
{
    return config->threads > 0 ? config->threads : lzv_cpus_allowed();
}

void
lzv_engine_config(const lzv_config *config, lz_config *cfg)
{
    lz_config_init(cfg);
    cfg->memory_bytes = config->memory_bytes;
    cfg->threads = lzv_config_threads(config);
    cfg->cache_bytes = config->cache_bytes;
}

static const char *const files_names[] = {
    [LZV_FILES_ANYWHERE] = "anywhere",
    [LZV_FILES_BELOW] = "below",
    [LZV_FILES_NONE] = "none",
};

/* Info for "native underneath, default tunables". */
static lzv_info *
default_info(void)
{
    lzv_info *info = calloc(1, sizeof *info);
    if (!info) {
        LZV_ERROR(LZ_ENOMEM, "out of memory for connector info");
        return NULL;
    }
    info->under_vol_id = H5VLget_connector_id_by_value(H5_VOL_NATIVE);
    if (info->under_vol_id < 0) {
        free(info);
        return NULL;
    }
    lzv_config_init(&info->config);
    return info;
}

lzv_info *
lzv_info_from_fapl(hid_t fapl_id)
{
    lzv_info *info = NULL;
    if (H5Pget_vol_info(fapl_id, (void **)&info) < 0)
        return NULL;
    return info ? info : default_info();
}

void *
lzv_info_copy(const void *src)
{
    const lzv_info *from = src;
    if (!from)
        return default_info();
    lzv_info *info = calloc(1, sizeof *info);
    if (!info) {
        LZV_ERROR(LZ_ENOMEM, "out of memory copying connector info");
        return NULL;
    }
    *info = *from;
    info->under_vol_info = NULL;
    H5Iinc_ref(info->under_vol_id);
    if (from->under_vol_info &&
        H5VLcopy_connector_info(info->under_vol_id, &info->under_vol_info, from->under_vol_info) < 0) {
        hid_t saved = lzv_stack_save();
        H5Idec_ref(info->under_vol_id);
        lzv_stack_restore(saved);
        free(info);
        return NULL;
    }
    return info;
}

herr_t
lzv_info_cmp(int *cmp_value, const void *a_, const void *b_)
{
    const lzv_info *a = a_, *b = b_;
    *cmp_value = 0;
    if (!a || !b) {
        *cmp_value = (a != NULL) - (b != NULL);
        return 0;
    }
    if (H5VLcmp_connector_cls(cmp_value, a->under_vol_id, b->under_vol_id) < 0)
        return -1;
    if (*cmp_value)
        return 0;
    if (H5VLcmp_connector_info(cmp_value, a->under_vol_id, a->under_vol_info, b->under_vol_info) < 0)
        return -1;
    if (*cmp_value)
        return 0;
    const lzv_config *x = &a->config, *y = &b->config;
    if (x->memory_bytes != y->memory_bytes)
        *cmp_value = x->memory_bytes < y->memory_bytes ? -1 : 1;
    else if (x->threads != y->threads)
        *cmp_value = x->threads < y->threads ? -1 : 1;
    else if (x->cache_bytes != y->cache_bytes)
        *cmp_value = x->cache_bytes < y->cache_bytes ? -1 : 1;
    else if (x->files != y->files)
        *cmp_value = x->files < y->files ? -1 : 1;
    return 0;
}

herr_t
lzv_info_free(void *ptr)
{
    lzv_info *info = ptr;
    if (!info)
        return 0;
    hid_t saved = lzv_stack_save();
    if (info->under_vol_info)
        H5VLfree_connector_info(info->under_vol_id, info->under_vol_info);
    H5Idec_ref(info->under_vol_id);
    lzv_stack_restore(saved);
    free(info);
    return 0;
}

herr_t
lzv_info_to_str(const void *ptr, char **str)
{
    const lzv_info *info = ptr;
    H5VL_class_value_t value = 0;
    char *under = NULL;
    if (H5VLget_value(info->under_vol_id, &value) < 0 ||
        H5VLconnector_info_to_str(info->under_vol_info, info->under_vol_id, &under) < 0)
        return -1;
    size_t size = 160 + (under ? strlen(under) : 0);
    *str = H5allocate_memory(size, false);
    const lzv_config *c = &info->config;
    char threads[16] = "auto";
    if (c->threads > 0)
        snprintf(threads, sizeof threads, "%d", c->threads);
    if (*str)
        snprintf(*str, size, "under_vol=%u;under_info={%s};memory=%zu;threads=%s;cache=%zu;files=%s",
                 (unsigned)value, under ? under : "", c->memory_bytes, threads, c->cache_bytes,
                 files_names[c->files]);
    if (under)
        H5free_memory(under);
    return *str ? 0 : -1;
}

/* A size such as "256MiB", "64M", "1048576". */
static int
parse_size(const char *text, size_t len, size_t *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf || buf[0] == '-')
        return -1;
    unsigned long long mult = 1;
    if (!strcmp(end, "") || !strcmp(end, "B"))
        mult = 1;
    else if (!strcmp(end, "K") || !strcmp(end, "KiB"))
        mult = 1ULL << 10;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
        mult = 1ULL << 20;
    else if (!strcmp(end, "G") || !strcmp(end, "GiB"))
        mult = 1ULL << 30;
    else
        return -1;
    if (v > SIZE_MAX / mult)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

/* Length of the value starting at s: up to the next top-level ';'. Braces
 * nest, so under_info={a;b} is one value. -1 when braces do not balance. */
static long
value_length(const char *s)
{
    int depth = 0;
    const char *p = s;
    for (; *p && !(depth == 0 && *p == ';'); p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && --depth < 0)
            return -1;
    }
    return depth == 0 ? p - s : -1;
}

herr_t
lzv_info_from_str(const char *str, void **out)
{
    lzv_info *info = default_info();
    if (!info)
        return -1;
    char *under_str = NULL;
    hid_t under_id = H5I_INVALID_HID;
    const char *p = str ? str : "";
    while (*p) {
        while (*p == ';' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        long vlen = eq ? value_length(eq + 1) : -1;
        if (!eq || vlen < 0) {
            LZV_ERROR(LZ_EVALUE,
                      "connector info \"%s\": expected key=value pairs separated by ';' near \"%s\"",
                      str, p);
            goto fail;
        }
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        if (klen == 9 && !strncmp(p, "under_vol", klen)) {
            char name[128];
            if (vlen == 0 || (size_t)vlen >= sizeof name) {
                LZV_ERROR(LZ_EVALUE, "connector info: under_vol needs a connector value or name");
                goto fail;
            }
            memcpy(name, v, (size_t)vlen);
            name[vlen] = '\0';
            char *end;
            unsigned long value = strtoul(name, &end, 10);
            bool by_value = *end == '\0';
            hid_t id;
            if ((by_value && value == H5VL_PASSTHRU_VALUE) || !strcmp(name, H5VL_PASSTHRU_NAME)) {
                /* HDF5's own pass-through is built in (1.14 registers it on
                 * demand, 2.x at start-up; H5VL_PASSTHRU does either); take a
                 * reference of our own on its id. */
                id = H5VL_PASSTHRU;
                if (id >= 0)
                    H5Iinc_ref(id);
            } else {
                id = by_value ? H5VLregister_connector_by_value((H5VL_class_value_t)value, H5P_DEFAULT)
                              : H5VLregister_connector_by_name(name, H5P_DEFAULT);
            }
            if (id < 0) {
                LZV_ERROR(LZ_EVALUE, "connector info: cannot load the under connector '%s'", name);
                goto fail;
            }
            if (under_id >= 0)
                H5VLclose(under_id);
            under_id = id;
        } else if (klen == 10 && !strncmp(p, "under_info", klen)) {
            if (vlen < 2 || v[0] != '{' || v[vlen - 1] != '}') {
                LZV_ERROR(LZ_EVALUE, "connector info: under_info must be written {...}");
                goto fail;
            }
            free(under_str);
            under_str = strndup(v + 1, (size_t)vlen - 2);
            if (!under_str) {
                LZV_ERROR(LZ_ENOMEM, "out of memory parsing connector info");
                goto fail;
            }
        } else if (klen == 6 && !strncmp(p, "memory", klen)) {
            if (parse_size(v, (size_t)vlen, &info->config.memory_bytes) < 0 ||
                info->config.memory_bytes < 4096) {
                LZV_ERROR(LZ_EVALUE,
                          "connector info: memory=%.*s is not a size of at least 4 KiB (write e.g. "
                          "256MiB)",
                          (int)vlen, v);
                goto fail;
            }
        } else if (klen == 7 && !strncmp(p, "threads", klen)) {
            char digits[8] = "";
            char *end = NULL;
            long n = 0;
            if (vlen == 4 && !strncmp(v, "auto", 4)) {
                end = digits; /* auto: 0, resolved when used (lzv_config_threads) */
            } else if (vlen > 0 && (size_t)vlen < sizeof digits && isdigit((unsigned char)v[0])) {
                memcpy(digits, v, (size_t)vlen);
                n = strtol(digits, &end, 10);
                if (n < 1 || n > 64)
                    end = NULL;
            }
            if (!end || *end) {
                LZV_ERROR(LZ_EVALUE, "connector info: threads=%.*s is not a count from 1 to 64",
                          (int)vlen, v);
                goto fail;
            }
            info->config.threads = (int)n;
        } else if (klen == 5 && !strncmp(p, "cache", klen)) {
            if (parse_size(v, (size_t)vlen, &info->config.cache_bytes) < 0) {
                LZV_ERROR(LZ_EVALUE, "connector info: cache=%.*s is not a size (write e.g. 64MiB, or 0)",
                          (int)vlen, v);
                goto fail;
            }
        } else if (klen == 5 && !strncmp(p, "files", klen)) {
            int found = -1;
            for (int i = 0; i < (int)(sizeof files_names / sizeof files_names[0]); i++)
                if (strlen(files_names[i]) == (size_t)vlen && !strncmp(v, files_names[i], (size_t)vlen))
                    found = i;
            if (found < 0) {
                LZV_ERROR(LZ_EVALUE, "connector info: files=%.*s is not one of anywhere, below, none",
                          (int)vlen, v);
                goto fail;
            }
            info->config.files = (lzv_files_policy)found;
        } else {
            LZV_ERROR(LZ_EVALUE,
                      "connector info: unknown key '%.*s' (known keys: under_vol, under_info, "
                      "memory, threads, cache, files)",
                      (int)klen, p);
            goto fail;
        }
        p = v + vlen;
    }
    if (under_id >= 0) {
        H5Idec_ref(info->under_vol_id);
        info->under_vol_id = under_id;
        under_id = H5I_INVALID_HID;
    }
    if (under_str && *under_str &&
        H5VLconnector_str_to_info(under_str, info->under_vol_id, &info->under_vol_info) < 0)
        goto fail;
    free(under_str);
    *out = info;
    return 0;
fail: {
    hid_t saved = lzv_stack_save();
    if (under_id >= 0)
        H5VLclose(under_id);
    lzv_info_free(info);
    lzv_stack_restore(saved);
    free(under_str);
    return -1;
}
}

hid_t
lzv_under_fapl(hid_t fapl_id, const lzv_info *info)
{
    hid_t fapl = H5Pcopy(fapl_id);
    if (fapl < 0)
        return H5I_INVALID_HID;
    if (H5Pset_vol(fapl, info->under_vol_id, info->under_vol_info) < 0) {
        hid_t saved = lzv_stack_save();
        H5Pclose(fapl);
        lzv_stack_restore(saved);
        return H5I_INVALID_HID;
    }
    return fapl;
}
