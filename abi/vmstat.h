/* What the pager reports to vmstat, pmap and ps (PG_VMSTAT, PG_PMAP, PG_PS). */
#pragma once
#include <stdint.h>

struct vmstat {
    uint64_t frames_free, frames_total, frames_used, frames_shared;
    uint64_t zero_page, zero_fill, cow_copy, cow_reuse, file, invalid;  /* faults by kind */
    uint64_t forks, execs, fork_pages;  /* fork_pages: pages shared (not copied) by forks */
    uint64_t writeback;   /* file pages written to the disk from the page cache (write(2), msync, munmap, exit) */
    uint64_t bus_error;   /* tasks killed for touching a mapped page wholly past the end of its file */
};

struct region_info {
    uint64_t start, end;
    uint32_t prot;        /* PROT_* */
    uint32_t shared;      /* 1: MAP_SHARED */
    uint64_t resident;    /* pages with a frame of their own or shared */
    char kind[16];        /* "anon", "shared", "image", "file", "fshared"; "[heap]"/"[stack]" noted in flags */
    uint32_t flags;       /* 1 heap, 2 stack */
    uint32_t pad;
};

struct proc_info {
    int64_t pid, parent;
    char name[32];
    uint64_t state;       /* 1 running, 2 zombie */
    uint64_t faults;      /* page faults the pager served for it */
};
