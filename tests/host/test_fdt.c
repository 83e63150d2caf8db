// Host test for kernel/fdt.c.
//
// Usage: test_fdt [[--bootargs STRING] DTB_PATH]...
//
// Every DTB_PATH is parsed and checked against the QEMU virt machine
// started with "-m 128M" (memory, timebase, uart, plic, 8 virtio-mmio
// transports).  "--bootargs STRING" applies to the next DTB_PATH only
// and additionally requires /chosen/bootargs == STRING.  Synthetic
// blobs built in memory cover edge cases and malformed input; the
// robustness/fuzz cases mutate the first DTB_PATH if given, otherwise
// a synthetic blob.  Build with -fsanitize=address,undefined so that
// any read outside the blob is fatal.
//
// Output: one "PASS fdt.<case>" or "FAIL fdt.<case>: <reason>" line
// per case; exit status 0 iff everything passed.

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdt.h"

// ---------------------------------------------------------------------
// Minimal result reporting.

static int nfailed;
static char why[512];   // reason of the current case; "" = passed

static void
failf(const char *fmt, ...)
{
    if (why[0] != '\0')
        return;                          // keep the first reason
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
begin_case(void)
{
    why[0] = '\0';
}

static void
end_case(const char *name)
{
    if (why[0] == '\0') {
        printf("PASS fdt.%s\n", name);
    } else {
        printf("FAIL fdt.%s: %s\n", name, why);
        nfailed++;
    }
    fflush(stdout);
}

// ---------------------------------------------------------------------
// Deterministic PRNG (xorshift64*).

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

// ---------------------------------------------------------------------
// A tiny FDT builder for synthetic blobs.

struct fdtb {
    uint8_t st[16384];
    size_t stlen;
    char strs[2048];
    size_t strslen;
};

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void
fb_word(struct fdtb *b, uint32_t v)
{
    put32(b->st + b->stlen, v);
    b->stlen += 4;
}

static void
fb_bytes(struct fdtb *b, const void *p, size_t n)
{
    memcpy(b->st + b->stlen, p, n);
    b->stlen += n;
    while (b->stlen % 4)
        b->st[b->stlen++] = 0;
}

static void
fb_begin(struct fdtb *b, const char *name)
{
    fb_word(b, 1);
    fb_bytes(b, name, strlen(name) + 1);
}

static void
fb_end(struct fdtb *b)
{
    fb_word(b, 2);
}

static uint32_t
fb_stroff(struct fdtb *b, const char *name)
{
    for (size_t i = 0; i < b->strslen; i += strlen(b->strs + i) + 1)
        if (strcmp(b->strs + i, name) == 0)
            return (uint32_t)i;
    size_t off = b->strslen;
    memcpy(b->strs + off, name, strlen(name) + 1);
    b->strslen += strlen(name) + 1;
    return (uint32_t)off;
}

static void
fb_prop(struct fdtb *b, const char *name, const void *val, size_t len)
{
    fb_word(b, 3);
    fb_word(b, (uint32_t)len);
    fb_word(b, fb_stroff(b, name));
    fb_bytes(b, val, len);
}

static void
fb_str(struct fdtb *b, const char *name, const char *s)
{
    fb_prop(b, name, s, strlen(s) + 1);
}

// Property of n 32-bit cells.
static void
fb_cells(struct fdtb *b, const char *name, int n, ...)
{
    uint8_t buf[64];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        put32(buf + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    fb_prop(b, name, buf, 4 * (size_t)n);
}

// When set, fb_finish() places the strings block before the structure
// block, so the structure block ends exactly at the end of the buffer
// and any overrun of it is caught by ASan.
static int fb_strings_first;

// Assemble header + empty reservation map + struct + strings into a
// fresh malloc'd buffer of exactly the blob's size (END is appended
// when add_end).  Returns the buffer; *len gets its size.
static uint8_t *
fb_finish(struct fdtb *b, int add_end, size_t *len)
{
    if (add_end)
        fb_word(b, 9);
    size_t off_rsv = 40, off_struct, off_strings;
    if (fb_strings_first) {
        off_strings = off_rsv + 16;
        off_struct = (off_strings + b->strslen + 3) & ~(size_t)3;
    } else {
        off_struct = off_rsv + 16;
        off_strings = off_struct + b->stlen;
    }
    size_t total = fb_strings_first ? off_struct + b->stlen : off_strings + b->strslen;
    uint8_t *p = calloc(1, total);
    put32(p + 0, FDT_MAGIC);
    put32(p + 4, (uint32_t)total);
    put32(p + 8, (uint32_t)off_struct);
    put32(p + 12, (uint32_t)off_strings);
    put32(p + 16, (uint32_t)off_rsv);
    put32(p + 20, 17);
    put32(p + 24, 16);
    put32(p + 28, 0);
    put32(p + 32, (uint32_t)b->strslen);
    put32(p + 36, (uint32_t)b->stlen);
    memcpy(p + off_struct, b->st, b->stlen);
    memcpy(p + off_strings, b->strs, b->strslen);
    *len = total;
    return p;
}

static struct fdtb *
fb_new(void)
{
    return calloc(1, sizeof(struct fdtb));
}

// The "basic" synthetic tree: root 2/2, /soc 1/1 with uart, plic and
// ten virtio nodes listed in descending address order, 64-bit
// timebase, bootargs.
static uint8_t *
build_basic(size_t *len)
{
    struct fdtb *b = fb_new();
    fb_begin(b, "");
    fb_cells(b, "#address-cells", 1, 2);
    fb_cells(b, "#size-cells", 1, 2);
    fb_str(b, "compatible", "test,board");
    fb_begin(b, "chosen");
    fb_str(b, "bootargs", "console=ttyS0 init=/x");
    fb_end(b);
    fb_begin(b, "memory@80000000");
    fb_str(b, "device_type", "memory");
    fb_cells(b, "reg", 8, 0, 0x80000000, 0, 0x08000000, 1, 0, 0, 0x1000);
    fb_end(b);
    fb_begin(b, "memory@100000000");   // second memory node: ignored
    fb_cells(b, "reg", 4, 1, 0, 0, 0x1000);
    fb_end(b);
    fb_begin(b, "cpus");
    fb_cells(b, "#address-cells", 1, 1);
    fb_cells(b, "#size-cells", 1, 0);
    fb_cells(b, "timebase-frequency", 2, 0x1, 0x00000010);
    fb_begin(b, "cpu@0");
    fb_cells(b, "reg", 1, 0);
    fb_cells(b, "timebase-frequency", 1, 5);   // /cpus value wins
    fb_end(b);
    fb_begin(b, "cpu@3");
    fb_cells(b, "reg", 1, 3);
    fb_str(b, "status", "okay");
    fb_end(b);
    fb_begin(b, "cpu@5");              // disabled: not a hart to start
    fb_cells(b, "reg", 1, 5);
    fb_str(b, "status", "disabled");
    fb_end(b);
    fb_begin(b, "cpu-map");            // not a cpu node
    fb_cells(b, "reg", 1, 7);
    fb_end(b);
    for (int i = 8; i < 8 + FDT_MAX_HARTS; i++) {  // only the first FDT_MAX_HARTS are kept
        char name[32];
        snprintf(name, sizeof(name), "cpu@%x", i);
        fb_begin(b, name);
        fb_cells(b, "reg", 1, (uint32_t)i);
        fb_end(b);
    }
    fb_end(b);
    fb_begin(b, "soc");
    fb_cells(b, "#address-cells", 1, 1);
    fb_cells(b, "#size-cells", 1, 1);
    fb_prop(b, "ranges", "", 0);
    fb_word(b, 4);                     // NOP
    fb_begin(b, "serial@10000000");
    fb_cells(b, "interrupts", 1, 10);
    fb_cells(b, "reg", 2, 0x10000000, 0x100);
    fb_str(b, "compatible", "ns16550a");
    fb_end(b);
    fb_begin(b, "serial@10010000");    // second uart: ignored
    fb_cells(b, "interrupts", 1, 11);
    fb_cells(b, "reg", 2, 0x10010000, 0x100);
    fb_str(b, "compatible", "ns16550a");
    fb_end(b);
    fb_begin(b, "interrupt-controller@c000000");
    static const char plic_compat[] = "vendor,x\0riscv,plic0";
    fb_prop(b, "compatible", plic_compat, sizeof(plic_compat));
    fb_cells(b, "reg", 2, 0x0c000000, 0x600000);
    fb_end(b);
    for (int i = 10; i >= 1; i--) {
        char name[32];
        snprintf(name, sizeof(name), "virtio_mmio@%x", 0x10000000 + 0x1000 * i);
        fb_begin(b, name);
        fb_cells(b, "interrupts-extended", 2, 3, (uint32_t)i);
        fb_cells(b, "reg", 2, (uint32_t)(0x10000000 + 0x1000 * i), 0x1000);
        fb_str(b, "compatible", "virtio,mmio");
        fb_end(b);
    }
    fb_end(b);
    fb_end(b);
    uint8_t *p = fb_finish(b, 1, len);
    free(b);
    return p;
}

// ---------------------------------------------------------------------
// Synthetic cases.

static void
case_synth_basic(void)
{
    size_t len;
    uint8_t *p = build_basic(&len);
    struct fdt_info fi;
    int r = fdt_parse(p, len, &fi);
    EXPECT(r == 0, "fdt_parse = %d (%s)", r, fdt_strerror(r));
    EXPECT_EQ(fi.mem_base, 0x80000000);
    EXPECT_EQ(fi.mem_size, 0x08000000);
    EXPECT_EQ(fi.timebase_hz, 0x100000010ULL);
    EXPECT_EQ(fi.uart_base, 0x10000000);
    EXPECT_EQ(fi.uart_irq, 10);
    EXPECT_EQ(fi.plic_base, 0x0c000000);
    EXPECT_EQ(fi.plic_size, 0x600000);
    // Tree lists 10..1 descending; the first 8 seen are 10..3, sorted.
    EXPECT_EQ(fi.nvirtio, FDT_MAX_VIRTIO);
    for (int i = 0; i < FDT_MAX_VIRTIO && fi.nvirtio == FDT_MAX_VIRTIO; i++) {
        EXPECT_EQ(fi.virtio[i].base, 0x10000000 + 0x1000 * (i + 3));
        EXPECT_EQ(fi.virtio[i].size, 0x1000);
        EXPECT_EQ(fi.virtio[i].irq, i + 3);
    }
    EXPECT(strcmp(fi.bootargs, "console=ttyS0 init=/x") == 0,
           "bootargs = \"%s\"", fi.bootargs);
    EXPECT_EQ(fi.nharts, FDT_MAX_HARTS);
    EXPECT_EQ(fi.hartid[0], 0);
    EXPECT_EQ(fi.hartid[1], 3);
    for (int i = 2; i < FDT_MAX_HARTS; i++)
        EXPECT_EQ(fi.hartid[i], 8 + i - 2);
    free(p);
}

// Root without #address-cells/#size-cells: defaults 2/1 apply.  The
// memory node is found by device_type alone.
static void
case_synth_defaults(void)
{
    struct fdtb *b = fb_new();
    size_t len;
    fb_begin(b, "");
    fb_begin(b, "ram");
    fb_str(b, "device_type", "memory");
    fb_cells(b, "reg", 3, 0x1, 0x2000, 0x4000);
    fb_end(b);
    fb_begin(b, "cpus");
    fb_begin(b, "cpu@0");
    fb_cells(b, "timebase-frequency", 1, 12345);
    fb_end(b);
    fb_end(b);
    fb_end(b);
    uint8_t *p = fb_finish(b, 1, &len);
    struct fdt_info fi;
    int r = fdt_parse(p, len, &fi);
    EXPECT(r == 0, "fdt_parse = %d", r);
    EXPECT_EQ(fi.mem_base, 0x100002000ULL);
    EXPECT_EQ(fi.mem_size, 0x4000);
    EXPECT_EQ(fi.timebase_hz, 12345);   // fallback to cpu@0
    EXPECT_EQ(fi.uart_base, 0);
    EXPECT_EQ(fi.nvirtio, 0);
    EXPECT(fi.bootargs[0] == '\0', "bootargs not empty");
    free(p);
    free(b);
}

// "memoryfoo" is not a memory node, nor is memory below the root;
// result is -3.
static void
case_synth_nomem(void)
{
    struct fdtb *b = fb_new();
    size_t len;
    fb_begin(b, "");
    fb_begin(b, "memoryfoo");
    fb_cells(b, "reg", 3, 0, 0x1000, 0x1000);
    fb_end(b);
    fb_begin(b, "soc");
    fb_begin(b, "memory@0");
    fb_cells(b, "reg", 3, 0, 0x1000, 0x1000);
    fb_end(b);
    fb_end(b);
    fb_begin(b, "memory@1");           // reg too short: unusable
    fb_cells(b, "reg", 2, 0, 0x1000);
    fb_end(b);
    fb_end(b);
    uint8_t *p = fb_finish(b, 1, &len);
    struct fdt_info fi;
    int r = fdt_parse(p, len, &fi);
    EXPECT(r == FDT_ERR_NOMEM, "fdt_parse = %d, want -3", r);
    free(p);
    free(b);
}

static void
case_synth_bootargs_long(void)
{
    struct fdtb *b = fb_new();
    size_t len;
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    fb_begin(b, "");
    fb_begin(b, "memory");
    fb_cells(b, "reg", 3, 0, 0x1000, 0x1000);
    fb_end(b);
    fb_begin(b, "chosen");
    fb_str(b, "bootargs", big);
    fb_end(b);
    fb_end(b);
    uint8_t *p = fb_finish(b, 1, &len);
    struct fdt_info fi;
    int r = fdt_parse(p, len, &fi);
    EXPECT(r == 0, "fdt_parse = %d", r);
    EXPECT(strlen(fi.bootargs) == 255, "strlen(bootargs) = %zu", strlen(fi.bootargs));
    free(p);
    free(b);
}

static void
case_synth_bootargs_unterminated(void)
{
    struct fdtb *b = fb_new();
    size_t len;
    fb_begin(b, "");
    fb_begin(b, "memory");
    fb_cells(b, "reg", 3, 0, 0x1000, 0x1000);
    fb_end(b);
    fb_begin(b, "chosen");
    fb_prop(b, "bootargs", "hello", 5);
    fb_end(b);
    fb_end(b);
    uint8_t *p = fb_finish(b, 1, &len);
    struct fdt_info fi;
    memset(&fi, 'x', sizeof(fi));
    int r = fdt_parse(p, len, &fi);
    EXPECT(r == 0, "fdt_parse = %d", r);
    EXPECT(strcmp(fi.bootargs, "hello") == 0, "bootargs = \"%s\"", fi.bootargs);
    free(p);
    free(b);
}

// Malformed structure blocks; each must give -2.
enum bad_kind {
    BAD_PROP_AFTER_CHILD, BAD_NO_END, BAD_EXTRA_END_NODE, BAD_TOKEN,
    BAD_NAMEOFF, BAD_PROP_LEN, BAD_TWO_ROOTS, BAD_DEEP, BAD_CELLS,
    BAD_UNTERMINATED_NAME, BAD_UNCLOSED, BAD_PROP_AT_TOP, BAD_NKINDS
};

static const char *bad_names[BAD_NKINDS] = {
    "prop_after_child", "no_end", "extra_end_node", "bad_token",
    "bad_nameoff", "prop_len_overflow", "two_roots", "too_deep",
    "bad_address_cells", "unterminated_name", "unclosed_node", "prop_at_top",
};

static uint8_t *
build_bad(enum bad_kind k, size_t *len)
{
    struct fdtb *b = fb_new();
    int add_end = 1;
    fb_begin(b, "");
    fb_cells(b, "#address-cells", 1, 2);
    fb_begin(b, "memory");
    fb_cells(b, "reg", 3, 0, 0x1000, 0x1000);
    fb_end(b);
    switch (k) {
    case BAD_PROP_AFTER_CHILD:
        fb_str(b, "model", "late");
        fb_end(b);
        break;
    case BAD_NO_END:
        fb_end(b);
        add_end = 0;
        break;
    case BAD_EXTRA_END_NODE:
        fb_end(b);
        fb_end(b);
        break;
    case BAD_TOKEN:
        fb_word(b, 7);
        fb_end(b);
        break;
    case BAD_NAMEOFF:
        fb_end(b);
        fb_word(b, 9);
        add_end = 0;
        // Patch the first PROP's nameoff (word 3 of the prop at 8).
        put32(b->st + 8 + 8, 0x7ffffff0);
        break;
    case BAD_PROP_LEN:
        fb_word(b, 3);
        fb_word(b, 0xfffffff0);
        fb_word(b, 0);
        add_end = 0;
        break;
    case BAD_TWO_ROOTS:
        fb_end(b);
        fb_begin(b, "");
        fb_end(b);
        break;
    case BAD_DEEP:
        for (int i = 0; i < 40; i++)
            fb_begin(b, "n");
        for (int i = 0; i < 40; i++)
            fb_end(b);
        fb_end(b);
        break;
    case BAD_CELLS:
        fb_begin(b, "bus");
        fb_cells(b, "#address-cells", 1, 5);
        fb_end(b);
        fb_end(b);
        break;
    case BAD_UNTERMINATED_NAME:
        fb_word(b, 1);
        memcpy(b->st + b->stlen, "abcd", 4);
        b->stlen += 4;
        add_end = 0;
        break;
    case BAD_UNCLOSED:
        break;                          // END inside the root
    case BAD_PROP_AT_TOP:
        fb_end(b);
        fb_str(b, "x", "y");
        break;
    default:
        break;
    }
    uint8_t *p = fb_finish(b, add_end, len);
    free(b);
    return p;
}

// Both layouts: strings after the structure block (as dtc emits) and
// before it (structure block flush with the end of the buffer).
static void
case_synth_malformed(void)
{
    for (int layout = 0; layout < 2; layout++) {
        fb_strings_first = layout;
        for (int k = 0; k < BAD_NKINDS; k++) {
            size_t len;
            uint8_t *p = build_bad((enum bad_kind)k, &len);
            struct fdt_info fi;
            int r = fdt_parse(p, len, &fi);
            EXPECT(r == FDT_ERR_STRUCT, "%s (layout %d): fdt_parse = %d, want -2",
                   bad_names[k], layout, r);
            free(p);
        }
    }
    fb_strings_first = 0;
}

// Header corruptions; each must give -1.
static void
case_synth_bad_header(void)
{
    size_t len;
    uint8_t *good = build_basic(&len);
    struct fdt_info fi;
    struct { const char *what; int off; uint32_t val; } muts[] = {
        { "magic", 0, 0xedfe0dd0 },
        { "totalsize>maxlen", 4, 0 /* len + 1 */ },
        { "totalsize<40", 4, 39 },
        { "off_struct>total", 8, 0x10000000 },
        { "off_struct unaligned", 8, 57 },
        { "off_strings>total", 12, 0xfffffff0 },
        { "off_rsvmap>total", 16, 0x7fffffff },
        { "version 15", 20, 15 },
        { "last_comp 18", 24, 18 },
        { "size_strings", 32, 0xffffffff },
        { "size_struct", 36, 0xfffffffc },
    };
    for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        uint8_t *p = malloc(len);
        memcpy(p, good, len);
        put32(p + muts[i].off, muts[i].off == 4 && muts[i].val == 0 ?
                                   (uint32_t)len + 1 : muts[i].val);
        int r = fdt_parse(p, len, &fi);
        EXPECT(r == FDT_ERR_HEADER, "%s: fdt_parse = %d, want -1", muts[i].what, r);
        free(p);
    }
    int r = fdt_parse(good, 39, &fi);
    EXPECT(r == FDT_ERR_HEADER, "maxlen 39: %d", r);
    r = fdt_parse(good, len - 1, &fi);
    EXPECT(r == FDT_ERR_HEADER, "maxlen < totalsize: %d", r);
    r = fdt_parse(NULL, len, &fi);
    EXPECT(r == FDT_ERR_HEADER, "NULL blob: %d", r);
    r = fdt_parse(good, len, NULL);
    EXPECT(r == FDT_ERR_HEADER, "NULL out: %d", r);
    r = fdt_parse(good, len + 0, &fi);
    EXPECT(r == 0, "unmodified blob: %d", r);
    free(good);
}

// ---------------------------------------------------------------------
// Real QEMU blob checks.

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
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
check_real(int idx, const char *path, const char *bootargs)
{
    char name[64];
    size_t len = 0;
    uint8_t *p = read_file(path, &len);
    struct fdt_info fi;
    int r = -100;

    memset(&fi, 0, sizeof(fi));
    begin_case();
    if (p == NULL)
        failf("cannot read %s", path);
    else if ((r = fdt_parse(p, len, &fi)) != 0)
        failf("%s: fdt_parse = %d (%s)", path, r, fdt_strerror(r));
    snprintf(name, sizeof(name), "real%d_parse", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.mem_base, 0x80000000);
    EXPECT_EQ(fi.mem_size, 128ULL << 20);
    snprintf(name, sizeof(name), "real%d_memory", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.timebase_hz, 10000000);
    EXPECT(fi.nharts >= 1, "no hart");   // dumped with scons' SMP: harts 0..n-1
    for (uint32_t i = 0; i < fi.nharts && i < FDT_MAX_HARTS; i++)
        EXPECT_EQ(fi.hartid[i], i);
    snprintf(name, sizeof(name), "real%d_timebase", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.uart_base, 0x10000000);
    EXPECT_EQ(fi.uart_irq, 10);
    snprintf(name, sizeof(name), "real%d_uart", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.plic_base, 0x0c000000);
    EXPECT(fi.plic_size >= 0x400000, "plic_size 0x%llx too small",
           (unsigned long long)fi.plic_size);
    snprintf(name, sizeof(name), "real%d_plic", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.rtc_base, 0x101000);
    EXPECT_EQ(fi.rtc_size, 0x1000);
    EXPECT_EQ(fi.rtc_irq, 11);
    snprintf(name, sizeof(name), "real%d_rtc", idx);
    end_case(name);

    begin_case();
    EXPECT(r == 0, "not parsed");
    EXPECT_EQ(fi.nvirtio, 8);
    for (uint32_t i = 0; i < fi.nvirtio && i < FDT_MAX_VIRTIO; i++) {
        EXPECT_EQ(fi.virtio[i].base, 0x10001000 + 0x1000 * i);
        EXPECT_EQ(fi.virtio[i].size, 0x1000);
        EXPECT_EQ(fi.virtio[i].irq, i + 1);
    }
    snprintf(name, sizeof(name), "real%d_virtio", idx);
    end_case(name);

    if (bootargs != NULL) {
        begin_case();
        EXPECT(r == 0, "not parsed");
        EXPECT(strcmp(fi.bootargs, bootargs) == 0, "bootargs = \"%s\", want \"%s\"",
               fi.bootargs, bootargs);
        snprintf(name, sizeof(name), "real%d_bootargs", idx);
        end_case(name);
    }

    // Same blob in an exactly-sized buffer of totalsize bytes.
    begin_case();
    if (r == 0 && len >= 8) {
        size_t total = get32(p + 4);
        uint8_t *q = malloc(total);
        struct fdt_info fj;
        memcpy(q, p, total);
        memset(&fj, 0, sizeof(fj));
        int r2 = fdt_parse(q, total, &fj);
        EXPECT(r2 == 0, "exact-size parse = %d", r2);
        EXPECT(memcmp(&fi, &fj, sizeof(fi)) == 0, "exact-size result differs");
        free(q);
    } else {
        failf("not parsed");
    }
    snprintf(name, sizeof(name), "real%d_exact_size", idx);
    end_case(name);

    free(p);
}

// ---------------------------------------------------------------------
// Robustness on a base blob of exactly `len` (= totalsize) bytes.

// Parse a private exactly-sized copy; returns fdt_parse's result after
// checking the output invariants (failf on violation).
static int
parse_copy(const uint8_t *src, size_t n, size_t maxlen)
{
    uint8_t *q = malloc(n ? n : 1);
    struct fdt_info fi;
    memcpy(q, src, n);
    int r = fdt_parse(q, maxlen, &fi);
    free(q);
    EXPECT(r >= -3 && r <= 0, "unexpected return %d", r);
    EXPECT(fi.nvirtio <= FDT_MAX_VIRTIO, "nvirtio %u", fi.nvirtio);
    EXPECT(memchr(fi.bootargs, '\0', sizeof(fi.bootargs)) != NULL,
           "bootargs unterminated");
    return r;
}

static void
case_prefixes(const uint8_t *blob, size_t len)
{
    for (size_t n = 0; n < len; n = (n < 512) ? n + 1 : n + 37) {
        int r = parse_copy(blob, n, n);
        EXPECT(r == FDT_ERR_HEADER, "prefix %zu: %d, want -1", n, r);
    }
    int r = parse_copy(blob, len - 1, len - 1);
    EXPECT(r == FDT_ERR_HEADER, "prefix %zu: %d", len - 1, r);
    r = parse_copy(blob, len, len);
    EXPECT(r == 0, "full blob: %d", r);
}

// Lie about totalsize (and the size fields) while keeping the buffer
// exactly totalsize bytes: the parser must not trust the block sizes
// beyond what the header allows.
static void
case_shrunk_totalsize(const uint8_t *blob, size_t len)
{
    for (size_t n = 40; n < len; n = (n < 600) ? n + 1 : n + 53) {
        uint8_t *q = malloc(n);
        memcpy(q, blob, n);
        put32(q + 4, (uint32_t)n);
        struct fdt_info fi;
        int r = fdt_parse(q, n, &fi);
        EXPECT(r < 0, "totalsize %zu accepted", n);
        // Also pretend the blocks fit by shrinking their sizes.
        uint32_t os = get32(q + 8), ostr = get32(q + 12);
        if (os < n) put32(q + 36, (uint32_t)(n - os));
        if (ostr < n) put32(q + 32, (uint32_t)(n - ostr));
        r = fdt_parse(q, n, &fi);
        EXPECT(r >= -3 && r <= 0, "unexpected return %d", r);
        free(q);
    }
}

static void
case_fuzz_flip(const uint8_t *blob, size_t len)
{
    uint8_t *work = malloc(len);
    uint32_t off_struct = get32(blob + 8), size_struct = get32(blob + 36);
    int counts[4] = { 0 };
    for (int it = 0; it < 4000; it++) {
        memcpy(work, blob, len);
        int nflip = 1 + (int)(rng() % 4);
        for (int k = 0; k < nflip; k++) {
            size_t at;
            switch (rng() % 3) {
            case 0: at = rng() % 40; break;                          // header
            case 1: at = off_struct + rng() % size_struct; break;    // structure
            default: at = rng() % len; break;
            }
            if (rng() % 2)
                work[at] ^= (uint8_t)(1u << (rng() % 8));
            else
                work[at] = (uint8_t)rng();
        }
        int r = parse_copy(work, len, len);
        if (r <= 0 && r >= -3)
            counts[-r]++;
    }
    fprintf(stderr, "test_fdt: fuzz_flip ok=%d hdr=%d struct=%d nomem=%d\n",
            counts[0], counts[1], counts[2], counts[3]);
    free(work);
}

// Overwrite aligned structure words with token-like values, which
// reaches much deeper into the walker than random bytes.
static void
case_fuzz_tokens(const uint8_t *blob, size_t len)
{
    static const uint32_t vals[] = {
        0, 1, 2, 3, 4, 9, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffffc,
    };
    uint8_t *work = malloc(len);
    uint32_t off_struct = get32(blob + 8), size_struct = get32(blob + 36);
    uint32_t nwords = size_struct / 4;
    for (int it = 0; it < 4000; it++) {
        memcpy(work, blob, len);
        int n = 1 + (int)(rng() % 3);
        for (int k = 0; k < n; k++) {
            size_t at = off_struct + 4 * (rng() % nwords);
            uint32_t v = (rng() % 4 == 0) ? (uint32_t)(rng() % 4096)
                                          : vals[rng() % (sizeof(vals) / sizeof(vals[0]))];
            put32(work + at, v);
        }
        parse_copy(work, len, len);
    }
    free(work);
}

static void
case_fuzz_header(const uint8_t *blob, size_t len)
{
    uint8_t *work = malloc(len);
    for (int it = 0; it < 3000; it++) {
        memcpy(work, blob, len);
        int field = 1 + (int)(rng() % 9);          // keep magic intact
        uint32_t v;
        switch (rng() % 3) {
        case 0: v = (uint32_t)rng(); break;
        case 1: v = (uint32_t)(rng() % (len + 64)); break;
        default: v = get32(blob + 4 * field) + (uint32_t)(rng() % 9) - 4; break;
        }
        put32(work + 4 * field, v);
        parse_copy(work, len, len);
    }
    free(work);
}

// ---------------------------------------------------------------------

#define RUN(name, call) do { begin_case(); call; end_case(name); } while (0)

// All robustness cases on one base blob; case names get the prefix.
static void
run_robust(const char *prefix, const uint8_t *base, size_t len)
{
    char name[64];
#define RUN_R(suffix, fn) do { \
        snprintf(name, sizeof(name), "%s_%s", prefix, suffix); \
        RUN(name, fn(base, len)); \
    } while (0)
    RUN_R("prefixes", case_prefixes);
    RUN_R("shrunk_totalsize", case_shrunk_totalsize);
    RUN_R("fuzz_flip", case_fuzz_flip);
    RUN_R("fuzz_tokens", case_fuzz_tokens);
    RUN_R("fuzz_header", case_fuzz_header);
#undef RUN_R
}

int
main(int argc, char **argv)
{
    const char *expect_bootargs = NULL;
    const char *first_dtb = NULL;
    int ndtb = 0;

    RUN("synth_basic", case_synth_basic());
    RUN("synth_default_cells", case_synth_defaults());
    RUN("synth_no_memory", case_synth_nomem());
    RUN("synth_bootargs_truncated", case_synth_bootargs_long());
    RUN("synth_bootargs_unterminated", case_synth_bootargs_unterminated());
    RUN("synth_malformed_structure", case_synth_malformed());
    RUN("synth_bad_header", case_synth_bad_header());

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bootargs") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "usage: %s [[--bootargs STRING] DTB]...\n", argv[0]);
                return 2;
            }
            expect_bootargs = argv[++i];
            continue;
        }
        check_real(ndtb++, argv[i], expect_bootargs);
        expect_bootargs = NULL;
        if (first_dtb == NULL)
            first_dtb = argv[i];
    }

    // Robustness base: the first real blob if readable, else synthetic.
    size_t len = 0;
    uint8_t *base = NULL;
    if (first_dtb != NULL) {
        size_t flen;
        uint8_t *f = read_file(first_dtb, &flen);
        struct fdt_info fi;
        if (f != NULL && fdt_parse(f, flen, &fi) == 0) {
            len = get32(f + 4);
            base = malloc(len);
            memcpy(base, f, len);
        }
        free(f);
    }
    if (base == NULL) {
        fprintf(stderr, "test_fdt: robustness cases use a synthetic blob\n");
        base = build_basic(&len);
    }
    run_robust("robust", base, len);
    free(base);

    // Synthetic blob whose structure block ends the buffer.
    fb_strings_first = 1;
    base = build_basic(&len);
    fb_strings_first = 0;
    run_robust("robust_tail", base, len);
    free(base);

    return nfailed ? 1 : 0;
}
