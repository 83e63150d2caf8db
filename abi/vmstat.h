/* What the pager reports to vmstat, pmap and ps (PG_VMSTAT, PG_PMAP, PG_PS). */
#pragma once
#include <stdint.h>

struct vmstat {
    uint64_t frames_free, frames_total, frames_used, frames_shared;
    uint64_t zero_page, zero_fill, cow_copy, cow_reuse, file, invalid;  /* faults by kind */
    uint64_t forks, execs, fork_pages;  /* fork_pages: pages shared (not copied) by forks */
    uint64_t writeback;   /* file pages written to the disk from the page cache (write(2), msync, munmap, exit) */
    uint64_t bus_error;   /* tasks killed for touching a mapped page wholly past the end of its file */
    /* Where the used frames are (each counted once; docs/design.md, "Counting frames"):
       frames_used = the seven below. */
    uint64_t used_private;  /* named only by processes' page tables (the servers' excluded) */
    uint64_t used_fs;       /* the servers' own (file server: its block cache, stack, data; swap driver), and the swap path's two frames */
    uint64_t used_cache;    /* file data in the pager's page cache (open or mapped files) */
    uint64_t used_image;    /* programs of the boot archive (the file server's code): kept while one runs */
    uint64_t used_object;   /* shared memory: MAP_SHARED|MAP_ANONYMOUS, DMA buffers */
    uint64_t used_zero;     /* the shared zero page */
    uint64_t used_io;       /* held only by the file layer: dirty or being read/written (0 at rest) */
    /* The pager's bookkeeping (frames neither free nor used) = the five below. */
    uint64_t meta_total;
    uint64_t meta_fixed;    /* taken at boot and kept: buddy metadata, reference counts, eviction's frame table, the policy's state, the swap slot table */
    uint64_t meta_shadow;   /* shadow page-table nodes of the processes (pmap shows each one's) */
    uint64_t meta_heap;     /* the pager's small objects: regions, open files, objects */
    uint64_t meta_tables;   /* page lists of objects and caches, dirty marks */
    uint64_t meta_other;    /* pipe buffers, page lists of open directories, anything not named above */
    uint64_t frames_lost;   /* neither free, used nor bookkeeping: a leak (always 0) */
    /* Paging (docs/design.md, "Eviction and swap"). */
    uint64_t used_swap;     /* frames of the swap cache: being written to or read from swap, or read
                               and still shared with a swap slot (a used_* category: frames_used
                               = the eight used_* fields) */
    uint64_t swap_out;      /* pages written to swap */
    uint64_t swap_in;       /* pages read from swap */
    uint64_t evict_clean;   /* evictions that needed no write (the page was already on swap or its file) */
    uint64_t evict_dirty;   /* evictions that wrote the page out */
    uint64_t scans;         /* frames the policy looked at to find victims */
    uint64_t faults_major;  /* faults that waited for the disk (swap or file) */
    uint64_t faults_minor;  /* faults answered from memory */
    uint64_t swap_total;    /* slots (pages) of the swap disk; 0: no swap */
    uint64_t swap_used;     /* slots holding a page */
    uint64_t oom_kills;     /* tasks killed because RAM and swap were full */
    /* Instructions (per-thread counts, thread_instret) spent on paging, for scons bench:
       the pager's on evictions (choosing, unmapping, queueing, the write's completion) and on
       swap-ins (from the fault that starts the read to the answer after it), and the swap
       driver's on its write and read jobs. */
    uint64_t evict_instr, swapin_instr, swapdrv_write_instr, swapdrv_read_instr;
    uint64_t evict_shared;  /* of evict_dirty: pages of shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) */
    uint64_t fault_around;  /* pages mapped by fault-around (the policy's fault_around) beside the faulting one */
    uint64_t cache_idle;    /* of used_cache: cached pages of programs no process runs, kept for the next exec */
    uint64_t meta_idle;     /* of meta_tables: the page lists (and dirty marks) of those programs' caches */
};

struct region_info {
    uint64_t start, end;
    uint32_t prot;        /* PROT_* */
    uint32_t shared;      /* 1: MAP_SHARED */
    uint64_t resident;    /* pages with a frame of their own or shared */
    char kind[16];        /* "anon", "shared", "image", "file", "fshared"; "[heap]"/"[stack]" noted in flags */
    uint32_t flags;       /* 1 heap, 2 stack */
    uint32_t pad;
    uint64_t swapped;     /* pages whose data is on the swap disk */
};

struct proc_info {
    int64_t pid, parent;
    char name[32];
    uint64_t state;       /* 1 running, 2 zombie */
    uint64_t faults;      /* page faults the pager served for it */
    uint64_t shadow;      /* pages of the pager's shadow page table for it (bookkeeping charged to it) */
    uint64_t resident;    /* pages of its own regions in memory (shared ones counted in each) */
    uint64_t swapped;     /* pages of its regions on the swap disk */
    int64_t hart;         /* the hart its thread last ran on, -1: none (not yet, or a zombie) */
};
