/* What the kernel tells the pager at boot: a read-only page mapped at PAGER_BOOTINFO. */
#pragma once
#include <stdint.h>

#define BOOTINFO_MAGIC 0x6f666e69746f6f62ULL /* "bootinfo" */

struct bootinfo {
    uint64_t magic;
    uint64_t pool_base;    /* physical base of the user pool (MEMORY cap range) */
    uint64_t pool_pages;   /* its size in 4 KiB pages; mapped at PAGER_WINDOW */
    uint64_t ram_base, ram_size;
    uint64_t kernel_pages; /* pages kept by the kernel for its own objects */
    uint64_t archive_size; /* bytes of the boot archive at PAGER_ARCHIVE */
    uint64_t timebase_hz;
    uint64_t nharts;       /* harts the kernel runs */
    char bootargs[256];    /* /chosen/bootargs of the device tree */
    struct bootinfo_dev { uint64_t base, size; uint32_t irq, pad; } dev[10]; /* DEV_RTC, DEV_UART, DEV_VIRTIO0.. */
};
