// ELF64 definitions and a strict validator for user program images.
//
// elf_parse() accepts only what the kernel is prepared to load: a
// 64-bit little-endian RISC-V ET_EXEC file whose PT_LOAD segments lie
// inside the file, inside the user address range, on pages of their
// own, with an entry point in an executable segment.  Everything is
// bounds- and overflow-checked, so untrusted images are safe to pass.
//
// Pure module: depends only on <stdint.h>, <stddef.h>, <stdbool.h>.

#pragma once

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

// e_ident indexes and values.
#define EI_NIDENT     16
#define EI_CLASS      4
#define EI_DATA       5
#define EI_VERSION    6
#define ELFMAG0       0x7f
#define ELFMAG1       'E'
#define ELFMAG2       'L'
#define ELFMAG3       'F'
#define ELFCLASS64    2
#define ELFDATA2LSB   1
#define EV_CURRENT    1

#define ET_EXEC       2
#define EM_RISCV      243

// Program header types and flags.
#define PT_NULL       0
#define PT_LOAD       1
#define PF_X          0x1
#define PF_W          0x2
#define PF_R          0x4

#define ELF_PAGE_SIZE 4096ULL
#define ELF_USER_MIN  0x1000ULL   // lowest loadable address (page 0 stays unmapped)

// File header; all fields little-endian in the file.
struct elf64_ehdr {
    uint8_t  e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

// Program header.
struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "elf64_ehdr layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "elf64_phdr layout");

#define ELF_MAX_SEGS 8

struct elf_seg {
    uint64_t vaddr, memsz, filesz, offset;
    uint32_t flags;                      // PF_R|PF_W|PF_X (other bits dropped)
};

struct elf_info {
    uint64_t entry;
    int nseg;                            // kept PT_LOAD segments, file order
    struct elf_seg seg[ELF_MAX_SEGS];
};

// Return codes of elf_parse().
#define ELF_OK          0
#define ELF_EMAGIC    (-1)   // too short for a header, or bad magic
#define ELF_ENOTEXEC  (-2)   // not a 64-bit LE RISC-V ET_EXEC (version 1)
#define ELF_EPHDR     (-3)   // phdr table outside the file or bad e_phentsize
#define ELF_ETOOMANY  (-4)   // more than ELF_MAX_SEGS loadable segments
#define ELF_ESEGFILE  (-5)   // segment's file bytes outside the file
#define ELF_EFILESZ   (-6)   // p_filesz > p_memsz
#define ELF_ERANGE    (-7)   // segment outside [ELF_USER_MIN, user_limit)
#define ELF_EOVERLAP  (-8)   // two segments share a page
#define ELF_EALIGN    (-9)   // p_vaddr != p_offset modulo ELF_PAGE_SIZE
#define ELF_EENTRY   (-10)   // entry not inside an executable segment
#define ELF_EINVAL   (-11)   // NULL img or out

// Validate the ELF image [img, img+len) and describe it in *out.
// Only PT_LOAD segments with p_memsz > 0 are kept; other program
// headers are ignored.  A kept segment's page-rounded range
// [p_vaddr & ~0xfff, roundup(p_vaddr + p_memsz)) must lie within
// [ELF_USER_MIN, user_limit) and must not intersect any other kept
// segment's page-rounded range.
//
// Returns ELF_OK (0), or one of the negative ELF_E* codes above (the
// first problem found: header checks, then per-segment checks in
// file order, then overlap, then entry).  On error *out is undefined.
int elf_parse(const void *img, size_t len, uint64_t user_limit, struct elf_info *out);

// One-line reason for an elf_parse() return code; never NULL.
const char *elf_strerror(int code);
