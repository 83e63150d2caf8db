/* Flattened device tree (FDT / DTB) parser.

   Read-only and bounds-checked: fdt_parse() never reads outside
   [blob, blob + maxlen), even when the blob is corrupt.  It walks the
   structure block once and extracts the handful of facts the kernel
   needs on the QEMU "virt" machine.

   Pure module: depends only on <stdint.h>, <stddef.h>, <stdbool.h>. */

#pragma once

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define FDT_MAGIC      0xd00dfeedU
#define FDT_MAX_VIRTIO 8
#define FDT_MAX_HARTS  8

/* Return codes of fdt_parse(). */
#define FDT_OK          0
#define FDT_ERR_HEADER (-1)   /* bad magic, version or header sizes/offsets */
#define FDT_ERR_STRUCT (-2)   /* malformed structure block */
#define FDT_ERR_NOMEM  (-3)   /* well-formed, but no usable /memory node */

struct fdt_virtio {
    uint64_t base, size;
    uint32_t irq;
};

struct fdt_info {
    uint64_t mem_base, mem_size;           /* first /memory node's first reg entry */
    uint64_t timebase_hz;                  /* /cpus timebase-frequency (u32 or u64) */
    uint64_t uart_base; uint32_t uart_irq; /* first node compatible "ns16550a" */
    uint64_t plic_base, plic_size;         /* "sifive,plic-1.0.0" or "riscv,plic0" */
    uint64_t rtc_base, rtc_size; uint32_t rtc_irq; /* "google,goldfish-rtc" */
    uint32_t nvirtio;                      /* "virtio,mmio" nodes kept (<= FDT_MAX_VIRTIO) */
    struct fdt_virtio virtio[FDT_MAX_VIRTIO]; /* sorted by ascending base */
    char bootargs[256];                    /* /chosen bootargs; "" if absent */
    uint32_t nharts;                       /* usable /cpus/cpu nodes kept (<= FDT_MAX_HARTS) */
    uint64_t hartid[FDT_MAX_HARTS];        /* their "reg" (the hart id), in tree order */
};

/* Parse the device tree at blob.  maxlen is the number of readable
   bytes at blob; the header's totalsize must not exceed it.

   Fields that the tree does not provide are left 0 (bootargs "").
   timebase_hz falls back to the first /cpus/cpu* node's property when
   /cpus itself has none.  Interrupt numbers come from the first cell
   of "interrupts" (or the second cell of "interrupts-extended").
   Only the first FDT_MAX_VIRTIO virtio,mmio nodes in tree order are
   kept; they are then sorted by base address.  A cpu node is a hart
   when it has a one-cell "reg" and no "status" other than "okay";
   the first FDT_MAX_HARTS are kept.

   Returns FDT_OK (0) on success; FDT_ERR_HEADER (-1) on a NULL
   argument, bad magic, unsupported version, or header sizes/offsets
   that do not fit in min(totalsize, maxlen); FDT_ERR_STRUCT (-2) on a
   malformed structure block (bad token, unterminated name, property
   outside the block, bad string offset, nesting deeper than 32, bad
   #address-cells/#size-cells); FDT_ERR_NOMEM (-3) when no memory node
   with a usable reg was found.  On error *out holds partial results
   and must not be trusted (bootargs is always NUL-terminated). */
int fdt_parse(const void *blob, size_t maxlen, struct fdt_info *out);

/* One-line description of an fdt_parse() return code; never NULL. */
const char *fdt_strerror(int code);
