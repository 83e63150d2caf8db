/* helpers for the t_zz* repros */
#pragma once
#include "../test.h"
#define P 4096L
#define GPAGES 1024L
#define TICKS_PER_MS 10000UL   /* QEMU virt: 10 MHz timebase */

__attribute__((unused)) static char zz_page[P];
__attribute__((unused)) static char zz_chunk[64 * 1024];

static inline void spin_ms(long ms)
{
    uint64_t t0 = rdtime();
    while (rdtime() - t0 < (uint64_t)ms * TICKS_PER_MS)
        sys_yield();
}

static inline void make_file(const char *path, char c, long pages)
{
    memset(zz_page, c, P);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    for (long i = 0; i < pages; i++)
        CHECK_EQ(write(fd, zz_page, P), P);
    CHECK_EQ(close(fd), 0);
}

/* Keep the file server busy: dirty GPAGES pages of a shared mapping and
   munmap it (munmap does not wait): 16 WRITEPAGEs queued, the rest behind. */
static inline void saturate_n(const char *path, long npages);
static inline void saturate(const char *path)
{
    saturate_n(path, GPAGES);
}

static inline void saturate_n(const char *path, long npages)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    memset(zz_chunk, 'g', sizeof zz_chunk);
    for (long i = 0; i < npages * P; i += (long)sizeof zz_chunk)
        CHECK_EQ(write(fd, zz_chunk, sizeof zz_chunk), (long)sizeof zz_chunk);
    volatile char *g = mmap(0, npages * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(g != MAP_FAILED);
    for (long i = 0; i < npages; i++)
        g[i * P] = 'h';
    CHECK_EQ(munmap((void *)g, npages * P), 0);
    CHECK_EQ(close(fd), 0);
}

/* 2: zombie, 1: running, 0: gone */
static inline long pstate(long pid)
{
    static struct proc_info pi[128];
    long n = ps(pi, 128);
    for (long i = 0; i < n && i < 128; i++)
        if (pi[i].pid == pid)
            return (long)pi[i].state;
    return 0;
}

/* Wait up to ms for pid to end; true when it did. */
static inline bool ends_within(long pid, long ms)
{
    uint64_t t0 = rdtime();
    while (rdtime() - t0 < (uint64_t)ms * TICKS_PER_MS) {
        if (pstate(pid) != 1)
            return true;
        spin_ms(20);
    }
    return false;
}
