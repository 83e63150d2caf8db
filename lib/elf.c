// ELF64 validator.  See elf.h for the rules.
//
// The image is read a byte at a time through little-endian helpers, so
// it need not be aligned and the host's endianness does not matter.
// Field positions come from offsetof() on the structs in elf.h.
// Every offset/size from the file is treated as hostile: sums are
// checked for overflow before they are compared with the file length
// or the user limit.

#include "elf.h"

#define PAGE_MASK (ELF_PAGE_SIZE - 1)

static uint64_t
le(const uint8_t *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define EH(f) le(b + offsetof(struct elf64_ehdr, f), \
                 (int)sizeof(((struct elf64_ehdr *)0)->f))
#define PH(f) le(ph + offsetof(struct elf64_phdr, f), \
                 (int)sizeof(((struct elf64_phdr *)0)->f))

// Check the file header.  Returns 0, ELF_EMAGIC or ELF_ENOTEXEC.
static int
check_ehdr(const uint8_t *b, size_t len)
{
    if (len < sizeof(struct elf64_ehdr))
        return ELF_EMAGIC;
    if (b[0] != ELFMAG0 || b[1] != ELFMAG1 || b[2] != ELFMAG2 || b[3] != ELFMAG3)
        return ELF_EMAGIC;
    if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB ||
        b[EI_VERSION] != EV_CURRENT)
        return ELF_ENOTEXEC;
    if (EH(e_type) != ET_EXEC || EH(e_machine) != EM_RISCV ||
        EH(e_version) != EV_CURRENT)
        return ELF_ENOTEXEC;
    return 0;
}

// Check one loadable segment.  On success stores the page-rounded
// range in *lo/*hi and returns 0; otherwise returns ELF_ESEGFILE,
// ELF_EFILESZ, ELF_EALIGN or ELF_ERANGE.
static int
check_seg(const struct elf_seg *s, size_t len, uint64_t user_limit,
          uint64_t *lo, uint64_t *hi)
{
    if (s->offset > len || s->filesz > len - s->offset)
        return ELF_ESEGFILE;
    if (s->filesz > s->memsz)
        return ELF_EFILESZ;
    if (((s->vaddr ^ s->offset) & PAGE_MASK) != 0)
        return ELF_EALIGN;
    if (s->vaddr < ELF_USER_MIN)
        return ELF_ERANGE;
    if (s->memsz > UINT64_MAX - s->vaddr)
        return ELF_ERANGE;                       // vaddr + memsz overflows
    uint64_t end = s->vaddr + s->memsz;
    if (end > UINT64_MAX - PAGE_MASK)
        return ELF_ERANGE;                       // rounding up overflows
    *lo = s->vaddr & ~PAGE_MASK;
    *hi = (end + PAGE_MASK) & ~PAGE_MASK;
    if (*hi > user_limit)
        return ELF_ERANGE;
    return 0;
}

int
elf_parse(const void *img, size_t len, uint64_t user_limit, struct elf_info *out)
{
    const uint8_t *b = img;
    uint64_t lo[ELF_MAX_SEGS], hi[ELF_MAX_SEGS];
    int r;

    if (img == NULL || out == NULL)
        return ELF_EINVAL;
    if ((r = check_ehdr(b, len)) < 0)
        return r;

    uint64_t phoff = EH(e_phoff);
    uint64_t phnum = EH(e_phnum);
    if (EH(e_phentsize) != sizeof(struct elf64_phdr) || phnum == 0xffff)
        return ELF_EPHDR;                        // 0xffff: PN_XNUM, unsupported
    if (phoff > len || phnum * sizeof(struct elf64_phdr) > len - phoff)
        return ELF_EPHDR;

    out->entry = EH(e_entry);
    out->nseg = 0;

    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = b + phoff + i * sizeof(struct elf64_phdr);
        if (PH(p_type) != PT_LOAD || PH(p_memsz) == 0)
            continue;
        if (out->nseg == ELF_MAX_SEGS)
            return ELF_ETOOMANY;
        struct elf_seg *s = &out->seg[out->nseg];
        s->vaddr = PH(p_vaddr);
        s->memsz = PH(p_memsz);
        s->filesz = PH(p_filesz);
        s->offset = PH(p_offset);
        s->flags = (uint32_t)PH(p_flags) & (PF_R | PF_W | PF_X);
        if ((r = check_seg(s, len, user_limit, &lo[out->nseg], &hi[out->nseg])) < 0)
            return r;
        out->nseg++;
    }

    for (int i = 0; i < out->nseg; i++)
        for (int j = i + 1; j < out->nseg; j++)
            if (lo[i] < hi[j] && lo[j] < hi[i])
                return ELF_EOVERLAP;

    for (int i = 0; i < out->nseg; i++) {
        const struct elf_seg *s = &out->seg[i];
        if ((s->flags & PF_X) && out->entry >= s->vaddr &&
            out->entry - s->vaddr < s->memsz)
            return ELF_OK;
    }
    return ELF_EENTRY;
}

const char *
elf_strerror(int code)
{
    switch (code) {
    case ELF_OK:       return "ok";
    case ELF_EMAGIC:   return "bad ELF magic or file too short";
    case ELF_ENOTEXEC: return "not a 64-bit little-endian RISC-V executable (ET_EXEC)";
    case ELF_EPHDR:    return "program header table malformed or outside the file";
    case ELF_ETOOMANY: return "too many loadable segments";
    case ELF_ESEGFILE: return "segment file range outside the file";
    case ELF_EFILESZ:  return "segment filesz larger than memsz";
    case ELF_ERANGE:   return "segment outside the user address range";
    case ELF_EOVERLAP: return "segments overlap (share a page)";
    case ELF_EALIGN:   return "segment vaddr and offset not congruent modulo page size";
    case ELF_EENTRY:   return "entry point not inside an executable segment";
    case ELF_EINVAL:   return "invalid argument";
    default:           return "unknown ELF error";
    }
}
