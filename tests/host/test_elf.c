// Host test for lib/elf.c.
//
// Usage: test_elf [--limit HEX] [ELF_PATH]...
//
// Builds ELF images in memory and checks that a valid one parses and
// that each malformation yields its specific error code; then fuzzes
// (fixed seed) with byte flips, hostile field values and truncations,
// each image in an exactly-sized heap buffer so ASan catches any
// overread.  Every ELF_PATH must parse successfully with user_limit =
// HEX (default 0x4000000000, i.e. 2^38); the first one is also fuzzed.
//
// Output: one "PASS elf.<case>" or "FAIL elf.<case>: <reason>" line
// per case; exit status 0 iff everything passed.

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

// ---------------------------------------------------------------------
// Minimal result reporting.

static int nfailed;
static char why[512];

static void
failf(const char *fmt, ...)
{
    if (why[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
}

#define EXPECT(cond, ...) do { if (!(cond)) failf(__VA_ARGS__); } while (0)
#define EXPECT_EQ(a, b) \
    EXPECT((uint64_t)(a) == (uint64_t)(b), "%s = 0x%llx, want 0x%llx (line %d)", \
           #a, (unsigned long long)(a), (unsigned long long)(b), __LINE__)

static void
end_case(const char *name)
{
    if (why[0] == '\0') {
        printf("PASS elf.%s\n", name);
    } else {
        printf("FAIL elf.%s: %s\n", name, why);
        nfailed++;
    }
    fflush(stdout);
}

#define RUN(name, call) do { why[0] = '\0'; call; end_case(name); } while (0)

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

#define LIMIT (1ULL << 38)

// ---------------------------------------------------------------------
// Image builder.

static void
put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SET_EH(img, f, v) put_le((img) + offsetof(struct elf64_ehdr, f), (v), \
                                 (int)sizeof(((struct elf64_ehdr *)0)->f))
#define PHDR(img, i) ((img) + 64 + 56 * (size_t)(i))
#define SET_PH(img, i, f, v) put_le(PHDR(img, i) + offsetof(struct elf64_phdr, f), (v), \
                                    (int)sizeof(((struct elf64_phdr *)0)->f))
#define GET_PH(img, i, f) get_le(PHDR(img, i) + offsetof(struct elf64_phdr, f), \
                                 (int)sizeof(((struct elf64_phdr *)0)->f))

struct phspec {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz;
};

// Build an image of exactly len bytes: header, n program headers at
// offset 64, segment bytes filled with a pattern where they fit.
static uint8_t *
build(const struct phspec *ph, int n, uint64_t entry, size_t len)
{
    uint8_t *img = calloc(1, len);
    img[0] = ELFMAG0; img[1] = ELFMAG1; img[2] = ELFMAG2; img[3] = ELFMAG3;
    img[EI_CLASS] = ELFCLASS64;
    img[EI_DATA] = ELFDATA2LSB;
    img[EI_VERSION] = EV_CURRENT;
    SET_EH(img, e_type, ET_EXEC);
    SET_EH(img, e_machine, EM_RISCV);
    SET_EH(img, e_version, EV_CURRENT);
    SET_EH(img, e_entry, entry);
    SET_EH(img, e_phoff, 64);
    SET_EH(img, e_ehsize, 64);
    SET_EH(img, e_phentsize, 56);
    SET_EH(img, e_phnum, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        SET_PH(img, i, p_type, ph[i].type);
        SET_PH(img, i, p_flags, ph[i].flags);
        SET_PH(img, i, p_offset, ph[i].offset);
        SET_PH(img, i, p_vaddr, ph[i].vaddr);
        SET_PH(img, i, p_paddr, ph[i].vaddr);
        SET_PH(img, i, p_filesz, ph[i].filesz);
        SET_PH(img, i, p_memsz, ph[i].memsz);
        SET_PH(img, i, p_align, 0x1000);
        for (uint64_t k = 0; k < ph[i].filesz && ph[i].offset + k < len &&
                             ph[i].offset >= 64 + 56 * (uint64_t)n; k++)
            img[ph[i].offset + k] = (uint8_t)(0xa5 ^ k);
    }
    return img;
}

// The valid reference image: text, data+bss, an ignored non-LOAD
// header and an ignored empty LOAD.
static const struct phspec good_ph[] = {
    { PT_LOAD, PF_R | PF_X, 0x1000, 0x10000, 0x200, 0x200 },
    { 0x70000003, PF_R, 0x2100, 0, 0x10, 0 },
    { PT_LOAD, PF_R | PF_W, 0x2000, 0x12000, 0x100, 0x3000 },
    { PT_LOAD, PF_R, 0, 0, 0, 0 },
};
#define GOOD_N     4
#define GOOD_ENTRY 0x10010
#define GOOD_LEN   0x2110

static uint8_t *
build_good(size_t *len)
{
    *len = GOOD_LEN;
    return build(good_ph, GOOD_N, GOOD_ENTRY, GOOD_LEN);
}

// Parse a modified copy of the good image: mut() edits it.  Returns
// elf_parse's result.
static int
parse_mut(void (*mut)(uint8_t *img, size_t *len, uint64_t *limit))
{
    size_t len;
    uint8_t *img = build_good(&len);
    uint64_t limit = LIMIT;
    struct elf_info ei;
    mut(img, &len, &limit);
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, img, len);
    int r = elf_parse(exact, len, limit, &ei);
    free(exact);
    free(img);
    return r;
}

// Evaluate a table of mutations that must all produce `want`.
struct mutcase {
    const char *what;
    void (*mut)(uint8_t *, size_t *, uint64_t *);
};

static void
expect_all(const struct mutcase *mc, int n, int want)
{
    for (int i = 0; i < n; i++) {
        int r = parse_mut(mc[i].mut);
        EXPECT(r == want, "%s: elf_parse = %d (%s), want %d (%s)", mc[i].what,
               r, elf_strerror(r), want, elf_strerror(want));
    }
}

#define MUT(name, body) \
    static void name(uint8_t *img, size_t *len, uint64_t *limit) \
    { (void)img; (void)len; (void)limit; body; }

// ---------------------------------------------------------------------
// Valid images.

static void
case_valid(void)
{
    size_t len;
    uint8_t *img = build_good(&len);
    struct elf_info ei;
    int r = elf_parse(img, len, LIMIT, &ei);
    EXPECT(r == 0, "elf_parse = %d (%s)", r, elf_strerror(r));
    EXPECT_EQ(ei.entry, GOOD_ENTRY);
    EXPECT_EQ(ei.nseg, 2);
    if (ei.nseg == 2) {
        EXPECT_EQ(ei.seg[0].vaddr, 0x10000);
        EXPECT_EQ(ei.seg[0].memsz, 0x200);
        EXPECT_EQ(ei.seg[0].filesz, 0x200);
        EXPECT_EQ(ei.seg[0].offset, 0x1000);
        EXPECT_EQ(ei.seg[0].flags, PF_R | PF_X);
        EXPECT_EQ(ei.seg[1].vaddr, 0x12000);
        EXPECT_EQ(ei.seg[1].memsz, 0x3000);
        EXPECT_EQ(ei.seg[1].filesz, 0x100);
        EXPECT_EQ(ei.seg[1].offset, 0x2000);
        EXPECT_EQ(ei.seg[1].flags, PF_R | PF_W);
    }
    free(img);
}

MUT(ok_adjacent_pages, SET_PH(img, 2, p_vaddr, 0x11000); SET_PH(img, 2, p_offset, 0x2000))
MUT(ok_end_at_limit, *limit = 0x15000)
MUT(ok_entry_last_byte, SET_EH(img, e_entry, 0x101ff))
MUT(ok_extra_flag_bits, SET_PH(img, 0, p_flags, 0xf0000005))
MUT(ok_unaligned_limit, *limit = 0x15001)
MUT(ok_reversed_order, uint8_t t[56]; memcpy(t, PHDR(img, 0), 56);
                       memcpy(PHDR(img, 0), PHDR(img, 2), 56); memcpy(PHDR(img, 2), t, 56))

static void
case_valid_boundaries(void)
{
    static const struct mutcase mc[] = {
        { "segments on adjacent pages", ok_adjacent_pages },
        { "end == user_limit", ok_end_at_limit },
        { "entry at last text byte", ok_entry_last_byte },
        { "unknown p_flags bits", ok_extra_flag_bits },
        { "unaligned user_limit", ok_unaligned_limit },
        { "data phdr before text phdr", ok_reversed_order },
    };
    expect_all(mc, (int)(sizeof(mc) / sizeof(mc[0])), ELF_OK);

    // Flags are masked to R|W|X.
    size_t len;
    uint8_t *img = build_good(&len);
    struct elf_info ei;
    SET_PH(img, 0, p_flags, 0xf0000005);
    EXPECT(elf_parse(img, len, LIMIT, &ei) == 0 && ei.seg[0].flags == (PF_R | PF_X),
           "flags not masked");
    free(img);
}

// Exactly ELF_MAX_SEGS loadable segments are fine; one more is not.
static uint8_t *
build_nseg(int n, size_t *len)
{
    struct phspec ph[ELF_MAX_SEGS + 1];
    for (int i = 0; i < n; i++) {
        ph[i] = (struct phspec){ PT_LOAD, i == 0 ? PF_R | PF_X : PF_R,
                                 0x1000, 0x10000 + 0x2000 * (uint64_t)i, 0x10, 0x10 };
    }
    *len = 0x1010;
    return build(ph, n, 0x10000, *len);
}

static void
case_max_segments(void)
{
    size_t len;
    struct elf_info ei;
    uint8_t *img = build_nseg(ELF_MAX_SEGS, &len);
    int r = elf_parse(img, len, LIMIT, &ei);
    EXPECT(r == 0 && ei.nseg == ELF_MAX_SEGS, "%d segments: %d", ELF_MAX_SEGS, r);
    free(img);
}

// ---------------------------------------------------------------------
// One case per error code.

MUT(m_magic, img[1] = 'X')
MUT(m_magic0, img[0] = 0)
MUT(m_short, *len = 63)
MUT(m_empty, *len = 0)

static void
case_bad_magic(void)
{
    static const struct mutcase mc[] = {
        { "magic[1]", m_magic }, { "magic[0]", m_magic0 },
        { "63-byte file", m_short }, { "empty file", m_empty },
    };
    expect_all(mc, 4, ELF_EMAGIC);
}

MUT(m_class32, img[EI_CLASS] = 1)
MUT(m_bigendian, img[EI_DATA] = 2)
MUT(m_identver, img[EI_VERSION] = 0)
MUT(m_dyn, SET_EH(img, e_type, 3))
MUT(m_rel, SET_EH(img, e_type, 1))
MUT(m_x86, SET_EH(img, e_machine, 62))
MUT(m_version, SET_EH(img, e_version, 2))

static void
case_not_exec(void)
{
    static const struct mutcase mc[] = {
        { "ELFCLASS32", m_class32 }, { "big-endian", m_bigendian },
        { "EI_VERSION 0", m_identver }, { "ET_DYN", m_dyn }, { "ET_REL", m_rel },
        { "EM_X86_64", m_x86 }, { "e_version 2", m_version },
    };
    expect_all(mc, 7, ELF_ENOTEXEC);
}

MUT(m_phoff_past, SET_EH(img, e_phoff, *len - 10))
MUT(m_phoff_huge, SET_EH(img, e_phoff, 0xffffffffffffffc8ULL))
MUT(m_phnum_big, SET_EH(img, e_phnum, (*len - 64) / 56 + 1))
MUT(m_phentsize, SET_EH(img, e_phentsize, 32))
MUT(m_pnxnum, SET_EH(img, e_phnum, 0xffff))
MUT(m_truncated_table, *len = 64 + 56 * 3 + 20)

static void
case_phdr_out_of_file(void)
{
    static const struct mutcase mc[] = {
        { "phoff near end", m_phoff_past }, { "phoff wraps", m_phoff_huge },
        { "phnum past end", m_phnum_big }, { "phentsize 32", m_phentsize },
        { "phnum PN_XNUM", m_pnxnum }, { "file cut in table", m_truncated_table },
    };
    expect_all(mc, 6, ELF_EPHDR);
}

static void
case_too_many(void)
{
    size_t len;
    struct elf_info ei;
    uint8_t *img = build_nseg(ELF_MAX_SEGS + 1, &len);
    int r = elf_parse(img, len, LIMIT, &ei);
    EXPECT(r == ELF_ETOOMANY, "%d segments: %d (%s)", ELF_MAX_SEGS + 1, r, elf_strerror(r));
    free(img);
}

MUT(m_off_past, SET_PH(img, 2, p_offset, 0x3000); SET_PH(img, 2, p_vaddr, 0x13000))
MUT(m_filesz_past, SET_PH(img, 2, p_filesz, 0x111))
MUT(m_off_wrap, SET_PH(img, 2, p_offset, 0xfffffffffffff000ULL);
                SET_PH(img, 2, p_filesz, 0x2000); SET_PH(img, 2, p_memsz, 0x3000))
MUT(m_filesz_wrap, SET_PH(img, 2, p_filesz, 0xfffffffffffff000ULL);
                   SET_PH(img, 2, p_memsz, 0xfffffffffffff000ULL))
MUT(m_cut_segment, *len = 0x2050)

static void
case_seg_file_range(void)
{
    static const struct mutcase mc[] = {
        { "offset past end", m_off_past }, { "offset+filesz past end", m_filesz_past },
        { "offset wraps", m_off_wrap }, { "filesz wraps", m_filesz_wrap },
        { "file cut inside segment", m_cut_segment },
    };
    expect_all(mc, 5, ELF_ESEGFILE);
}

MUT(m_filesz_gt, SET_PH(img, 0, p_memsz, 0x1ff))

static void
case_filesz_gt_memsz(void)
{
    static const struct mutcase mc[] = { { "filesz > memsz", m_filesz_gt } };
    expect_all(mc, 1, ELF_EFILESZ);
}

MUT(m_below, SET_PH(img, 2, p_vaddr, 0x0000))
MUT(m_below2, SET_PH(img, 2, p_vaddr, 0x0000); SET_PH(img, 2, p_memsz, 0x100000))
MUT(m_past_limit, *limit = 0x14fff)
MUT(m_limit_small, *limit = 0x800)
MUT(m_end_wraps, SET_PH(img, 2, p_vaddr, 0xfffffffffffff000ULL); *limit = UINT64_MAX)
MUT(m_round_wraps, SET_PH(img, 2, p_vaddr, 0xfffffffffffff000ULL);
                   SET_PH(img, 2, p_memsz, 0xff8); *limit = UINT64_MAX)
MUT(m_far, SET_PH(img, 2, p_vaddr, LIMIT))

static void
case_range(void)
{
    static const struct mutcase mc[] = {
        { "vaddr 0", m_below }, { "vaddr 0, large memsz", m_below2 },
        { "end past limit", m_past_limit }, { "limit below 0x1000", m_limit_small },
        { "vaddr+memsz wraps", m_end_wraps }, { "page round-up wraps", m_round_wraps },
        { "vaddr == limit", m_far },
    };
    expect_all(mc, 7, ELF_ERANGE);
}

MUT(m_same_page, SET_PH(img, 2, p_vaddr, 0x10800); SET_PH(img, 2, p_offset, 0x1800);
                 SET_PH(img, 2, p_memsz, 0x100))
MUT(m_tail_page, SET_PH(img, 2, p_vaddr, 0x11000); SET_PH(img, 2, p_offset, 0x2000);
                 SET_PH(img, 0, p_memsz, 0x1001))
MUT(m_contained, SET_PH(img, 2, p_vaddr, 0xf000); SET_PH(img, 2, p_offset, 0x2000);
                 SET_PH(img, 2, p_memsz, 0x10000))
MUT(m_identical, SET_PH(img, 2, p_vaddr, 0x10000); SET_PH(img, 2, p_offset, 0x1000);
                 SET_PH(img, 2, p_filesz, 0x200); SET_PH(img, 2, p_memsz, 0x200))

static void
case_overlap(void)
{
    static const struct mutcase mc[] = {
        { "same page", m_same_page }, { "text spills into data page", m_tail_page },
        { "containment", m_contained }, { "identical", m_identical },
    };
    expect_all(mc, 4, ELF_EOVERLAP);
}

MUT(m_misalign, SET_PH(img, 2, p_offset, 0x2010))
MUT(m_misalign2, SET_PH(img, 0, p_vaddr, 0x10008))

static void
case_align(void)
{
    static const struct mutcase mc[] = {
        { "offset off by 0x10", m_misalign }, { "vaddr off by 8", m_misalign2 },
    };
    expect_all(mc, 2, ELF_EALIGN);
}

MUT(m_entry_data, SET_EH(img, e_entry, 0x12000))
MUT(m_entry_end, SET_EH(img, e_entry, 0x10200))
MUT(m_entry_before, SET_EH(img, e_entry, 0xffff))
MUT(m_entry_zero, SET_EH(img, e_entry, 0))
MUT(m_noexec, SET_PH(img, 0, p_flags, PF_R))
MUT(m_noload, SET_EH(img, e_phnum, 0))

static void
case_entry(void)
{
    static const struct mutcase mc[] = {
        { "entry in data", m_entry_data }, { "entry at text end", m_entry_end },
        { "entry before text", m_entry_before }, { "entry 0", m_entry_zero },
        { "no executable segment", m_noexec }, { "no segments", m_noload },
    };
    expect_all(mc, 6, ELF_EENTRY);
}

static void
case_null_args(void)
{
    size_t len;
    uint8_t *img = build_good(&len);
    struct elf_info ei;
    EXPECT(elf_parse(NULL, len, LIMIT, &ei) == ELF_EINVAL, "NULL img");
    EXPECT(elf_parse(img, len, LIMIT, NULL) == ELF_EINVAL, "NULL out");
    free(img);
}

static void
case_strerror(void)
{
    for (int c = 0; c >= -11; c--) {
        const char *s = elf_strerror(c);
        EXPECT(s != NULL && s[0] != '\0' && strchr(s, '\n') == NULL, "code %d", c);
        for (int d = c + 1; d <= 0 && s != NULL; d++)
            EXPECT(strcmp(s, elf_strerror(d)) != 0, "codes %d and %d share text", c, d);
    }
    EXPECT(elf_strerror(-999) != NULL && elf_strerror(12345) != NULL, "unknown code");
}

// ---------------------------------------------------------------------
// Fuzzing.

// Independently verify what a successful parse promises.
static void
check_promises(const uint8_t *img, size_t len, uint64_t limit, const struct elf_info *ei)
{
    (void)img;
    int has_entry = 0;
    EXPECT(ei->nseg >= 1 && ei->nseg <= ELF_MAX_SEGS, "nseg %d", ei->nseg);
    for (int i = 0; i < ei->nseg && i < ELF_MAX_SEGS; i++) {
        const struct elf_seg *s = &ei->seg[i];
        __uint128_t end = (__uint128_t)s->vaddr + s->memsz;
        __uint128_t hi = (end + 4095) / 4096 * 4096;
        EXPECT(s->memsz > 0, "seg %d empty", i);
        EXPECT((__uint128_t)s->offset + s->filesz <= len, "seg %d outside file", i);
        EXPECT(s->filesz <= s->memsz, "seg %d filesz > memsz", i);
        EXPECT(s->vaddr >= 0x1000 && hi <= limit, "seg %d outside user range", i);
        EXPECT(s->vaddr % 4096 == s->offset % 4096, "seg %d misaligned", i);
        EXPECT((s->flags & ~(uint32_t)(PF_R | PF_W | PF_X)) == 0, "seg %d flags", i);
        for (int j = 0; j < i; j++) {
            const struct elf_seg *t = &ei->seg[j];
            __uint128_t tend = (__uint128_t)t->vaddr + t->memsz;
            __uint128_t thi = (tend + 4095) / 4096 * 4096;
            EXPECT(hi <= t->vaddr / 4096 * 4096 || thi <= s->vaddr / 4096 * 4096,
                   "segs %d and %d overlap", j, i);
        }
        if ((s->flags & PF_X) && ei->entry >= s->vaddr && ei->entry < end)
            has_entry = 1;
    }
    EXPECT(has_entry, "entry 0x%llx not in an X segment", (unsigned long long)ei->entry);
}

// Parse an exactly-sized private copy; check return range and, on
// success, the promises.  Returns the result.
static int
fuzz_one(const uint8_t *src, size_t len, uint64_t limit)
{
    uint8_t *q = malloc(len ? len : 1);
    struct elf_info ei;
    memcpy(q, src, len);
    int r = elf_parse(q, len, limit, &ei);
    EXPECT(r <= 0 && r >= -10, "unexpected return %d", r);
    if (r == 0)
        check_promises(q, len, limit, &ei);
    free(q);
    return r;
}

static void
case_fuzz_flip(const uint8_t *base, size_t len)
{
    uint8_t *work = malloc(len);
    uint64_t phnum = get_le(base + offsetof(struct elf64_ehdr, e_phnum), 2);
    size_t hdr = 64 + 56 * phnum;
    if (hdr > len)
        hdr = len;
    int counts[11] = { 0 };
    for (int it = 0; it < 5000; it++) {
        memcpy(work, base, len);
        int n = 1 + (int)(rng() % 4);
        for (int k = 0; k < n; k++) {
            size_t at = (rng() % 4) ? rng() % hdr : rng() % len;
            if (rng() % 2)
                work[at] ^= (uint8_t)(1u << (rng() % 8));
            else
                work[at] = (uint8_t)rng();
        }
        size_t cut = (rng() % 8 == 0) ? rng() % (len + 1) : len;
        int r = fuzz_one(work, cut, LIMIT);
        if (r <= 0 && r >= -10)
            counts[-r]++;
    }
    fprintf(stderr, "test_elf: fuzz_flip results by -code:");
    for (int i = 0; i < 11; i++)
        fprintf(stderr, " %d", counts[i]);
    fprintf(stderr, "\n");
    free(work);
}

// Overwrite program header / entry fields with boundary values; this
// exercises the overflow checks far more than random bytes do.
static void
case_fuzz_fields(const uint8_t *base, size_t len)
{
    uint64_t phnum = get_le(base + offsetof(struct elf64_ehdr, e_phnum), 2);
    uint64_t phoff = get_le(base + offsetof(struct elf64_ehdr, e_phoff), 8);
    if (phnum == 0 || phoff + 56 * phnum > len) {
        failf("base image has no usable phdrs");
        return;
    }
    const uint64_t vals[] = {
        0, 1, 0xfff, 0x1000, 0x1001, 0x10000, 0x10200, 0x11000, len, len - 1, len + 1,
        LIMIT - 0x1000, LIMIT - 1, LIMIT, UINT64_MAX, UINT64_MAX - 0xfff,
        UINT64_MAX - 0x1000, 0x8000000000000000ULL, 0xfffffffffffff000ULL,
    };
    const size_t nvals = sizeof(vals) / sizeof(vals[0]);
    static const size_t fields[] = {
        offsetof(struct elf64_phdr, p_offset), offsetof(struct elf64_phdr, p_vaddr),
        offsetof(struct elf64_phdr, p_filesz), offsetof(struct elf64_phdr, p_memsz),
    };
    uint8_t *work = malloc(len);
    int ok = 0;
    for (int it = 0; it < 6000; it++) {
        memcpy(work, base, len);
        int n = 1 + (int)(rng() % 3);
        for (int k = 0; k < n; k++) {
            uint64_t v = vals[rng() % nvals];
            if (rng() % 3 == 0)
                v += rng() % 0x3000;
            if (rng() % 5 == 0) {
                put_le(work + offsetof(struct elf64_ehdr, e_entry), v, 8);
            } else {
                uint8_t *ph = work + phoff + 56 * (rng() % phnum);
                put_le(ph + fields[rng() % 4], v, 8);
            }
        }
        uint64_t limit = (rng() % 4 == 0) ? vals[rng() % nvals] : LIMIT;
        if (fuzz_one(work, len, limit) == 0)
            ok++;
    }
    fprintf(stderr, "test_elf: fuzz_fields accepted %d/6000\n", ok);
    free(work);
}

// ---------------------------------------------------------------------

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        n += fread(p + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        p = realloc(p, cap);
    }
    fclose(f);
    *len = n;
    return p;
}

static void
case_real(const char *path, uint64_t limit)
{
    size_t len;
    uint8_t *p = read_file(path, &len);
    if (p == NULL) {
        failf("cannot read %s", path);
        return;
    }
    uint8_t *q = malloc(len ? len : 1);
    memcpy(q, p, len);
    struct elf_info ei;
    int r = elf_parse(q, len, limit, &ei);
    EXPECT(r == 0, "%s: elf_parse = %d (%s)", path, r, elf_strerror(r));
    if (r == 0) {
        check_promises(q, len, limit, &ei);
        fprintf(stderr, "test_elf: %s entry 0x%llx\n", path, (unsigned long long)ei.entry);
        for (int i = 0; i < ei.nseg; i++)
            fprintf(stderr, "test_elf:   vaddr 0x%llx memsz 0x%llx filesz 0x%llx "
                    "offset 0x%llx flags %c%c%c\n",
                    (unsigned long long)ei.seg[i].vaddr, (unsigned long long)ei.seg[i].memsz,
                    (unsigned long long)ei.seg[i].filesz, (unsigned long long)ei.seg[i].offset,
                    (ei.seg[i].flags & PF_R) ? 'R' : '-', (ei.seg[i].flags & PF_W) ? 'W' : '-',
                    (ei.seg[i].flags & PF_X) ? 'X' : '-');
    }
    free(q);
    free(p);
}

int
main(int argc, char **argv)
{
    uint64_t limit = LIMIT;
    const char *first = NULL;
    int nreal = 0;
    char name[64];

    RUN("valid", case_valid());
    RUN("valid_boundaries", case_valid_boundaries());
    RUN("max_segments", case_max_segments());
    RUN("bad_magic", case_bad_magic());
    RUN("not_exec", case_not_exec());
    RUN("phdr_out_of_file", case_phdr_out_of_file());
    RUN("too_many_segments", case_too_many());
    RUN("seg_file_range", case_seg_file_range());
    RUN("filesz_gt_memsz", case_filesz_gt_memsz());
    RUN("seg_out_of_range", case_range());
    RUN("seg_overlap", case_overlap());
    RUN("seg_misaligned", case_align());
    RUN("bad_entry", case_entry());
    RUN("null_args", case_null_args());
    RUN("strerror", case_strerror());

    size_t len;
    uint8_t *good = build_good(&len);
    RUN("fuzz_flip", case_fuzz_flip(good, len));
    RUN("fuzz_fields", case_fuzz_fields(good, len));
    free(good);

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "usage: %s [--limit HEX] [ELF_PATH]...\n", argv[0]);
                return 2;
            }
            limit = strtoull(argv[++i], NULL, 16);
            continue;
        }
        snprintf(name, sizeof(name), "real%d", nreal++);
        RUN(name, case_real(argv[i], limit));
        if (first == NULL)
            first = argv[i];
    }

    if (first != NULL) {
        uint8_t *p = read_file(first, &len);
        if (p != NULL && len > 0) {
            RUN("real0_fuzz_flip", case_fuzz_flip(p, len));
            RUN("real0_fuzz_fields", case_fuzz_fields(p, len));
        }
        free(p);
    }

    return nfailed ? 1 : 0;
}
