/* The boot archive: the programs the kernel image carries (tools/mkbootimg.py writes it).
   Layout: a header, then `count` entries, then the files, each starting on a 4 KiB boundary. */
#pragma once
#include <stdint.h>

#define BOOTIMG_MAGIC 0x31474d49544f4f42ULL /* "BOOTIMG1" */
#define BOOTIMG_NAMELEN 32

struct bootimg_entry {
    char name[BOOTIMG_NAMELEN]; /* NUL-terminated */
    uint64_t offset;            /* from the start of the archive */
    uint64_t size;
};

struct bootimg_header {
    uint64_t magic;
    uint64_t count;
    uint64_t total_size;
    uint64_t reserved;
    struct bootimg_entry entry[];
};
