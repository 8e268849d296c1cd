/* lzl_elf.c — bind a connector build to the host's libhdf5 file.
 *
 * The connector builds in h5lazy/ are linked against their line's libhdf5
 * (so that every symbol is checked at link time) and against a stub whose
 * soname is a long placeholder, LZL_PLACEHOLDER_PREFIX padded with '_'. Both
 * names end up as DT_NEEDED entries of the build. Given the build's bytes,
 * this file writes the host library's absolute path over the placeholder
 * and points the libhdf5 entry at the same string. The dynamic linker then
 * finds that file already loaded (it compares device and inode) and binds
 * the connector's H5* references to it, whatever its soname or scope.
 *
 * How it works: the ELF header gives the program headers; PT_DYNAMIC gives
 * the dynamic entries; DT_STRTAB (an address, turned into a file offset
 * through the PT_LOAD that holds it) and DT_STRSZ give the string table the
 * DT_NEEDED entries index. Only 64-bit objects of this machine's byte order
 * are accepted: the builds are made here, for this machine. Every offset is
 * checked against the image's size, as a damaged file must not crash the
 * host.
 */
#include "lzl.h"

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The file offset of virtual address `vaddr`, or SIZE_MAX. */
static size_t
file_offset(const unsigned char *image, const Elf64_Ehdr *eh, uint64_t vaddr)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, image + eh->e_phoff + (size_t)i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz)
            return (size_t)(vaddr - ph.p_vaddr + ph.p_offset);
    }
    return SIZE_MAX;
}

int
lzl_elf_bind(unsigned char *image, size_t size, const char *host_path, char *why, size_t why_size)
{
    Elf64_Ehdr eh;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const unsigned char order = ELFDATA2LSB;
#else
    const unsigned char order = ELFDATA2MSB;
#endif
    if (size < sizeof eh || memcmp(image, ELFMAG, SELFMAG) != 0 || image[EI_CLASS] != ELFCLASS64 ||
        image[EI_DATA] != order) {
        snprintf(why, why_size, "not a 64-bit ELF object of this machine");
        return -1;
    }
    memcpy(&eh, image, sizeof eh);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
        (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
        snprintf(why, why_size, "damaged program headers");
        return -1;
    }
    size_t dyn_off = 0, dyn_count = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, image + eh.e_phoff + (size_t)i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_DYNAMIC && ph.p_offset <= size && ph.p_filesz <= size - ph.p_offset) {
            dyn_off = (size_t)ph.p_offset;
            dyn_count = (size_t)ph.p_filesz / sizeof(Elf64_Dyn);
        }
    }
    Elf64_Dyn *dyn = (Elf64_Dyn *)(image + dyn_off); /* aligned: the section is 8-aligned in the file */
    uint64_t strtab_addr = 0, strsz = 0;
    for (size_t i = 0; i < dyn_count && dyn[i].d_tag != DT_NULL; i++) {
        if (dyn[i].d_tag == DT_STRTAB)
            strtab_addr = dyn[i].d_un.d_ptr;
        else if (dyn[i].d_tag == DT_STRSZ)
            strsz = dyn[i].d_un.d_val;
    }
    size_t strtab = strtab_addr ? file_offset(image, &eh, strtab_addr) : SIZE_MAX;
    if (!dyn_count || strtab == SIZE_MAX || strtab > size || strsz > size - strtab) {
        snprintf(why, why_size, "no dynamic string table");
        return -1;
    }
    char *strings = (char *)image + strtab;
    size_t placeholder = SIZE_MAX, room = 0, nlibs = 0;
    for (size_t i = 0; i < dyn_count && dyn[i].d_tag != DT_NULL; i++) {
        if (dyn[i].d_tag != DT_NEEDED || dyn[i].d_un.d_val >= strsz)
            continue;
        const char *name = strings + dyn[i].d_un.d_val;
        size_t len = strnlen(name, (size_t)(strsz - dyn[i].d_un.d_val));
        if (!strncmp(name, LZL_PLACEHOLDER_PREFIX, strlen(LZL_PLACEHOLDER_PREFIX))) {
            placeholder = (size_t)dyn[i].d_un.d_val;
            room = len;
        } else if (!strncmp(name, "libhdf5", 7)) {
            nlibs++;
        }
    }
    if (placeholder == SIZE_MAX) {
        snprintf(why, why_size, "no placeholder for the libhdf5 path (not built by h5lazy's CMake)");
        return -1;
    }
    size_t need = strlen(host_path);
    if (need > room) {
        snprintf(why, why_size, "the path of the host libhdf5 is longer than %zu bytes", room);
        return -1;
    }
    /* The libhdf5 entries are renamed first: their names are read before
     * the placeholder string changes. */
    for (size_t i = 0; nlibs && i < dyn_count && dyn[i].d_tag != DT_NULL; i++)
        if (dyn[i].d_tag == DT_NEEDED && dyn[i].d_un.d_val < strsz &&
            !strncmp(strings + dyn[i].d_un.d_val, "libhdf5", 7))
            dyn[i].d_un.d_val = placeholder;
    memcpy(strings + placeholder, host_path, need + 1);
    return 0;
}
