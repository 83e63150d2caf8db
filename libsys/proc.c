/* The calls the servers use, over the pager protocol (pg.c). User programs get
   these and the rest of POSIX from the C library (libc/posix.c). */
#include "sys.h"

int errno;

/* The POSIX convention: negative results set errno and become -1. */
static long posix(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

void exit(int status) { pg_exit(status); }

void *sbrk(long incr)
{
    long r = posix(pg_call3(MSG_PG_SBRK, incr, 0, 0));
    return r == -1 ? (void *)-1 : (void *)r;
}

long write(int fd, const void *buf, size_t n) { return posix(pg_write(fd, buf, n)); }
long device_claim(long which) { return pg_call3(MSG_PG_DEVICE, which, DEVICE_CLAIM, 0); }
long device_info(long which, long *size, long *irq) { return pg_device(which, size, irq); }
void *dma_alloc(size_t len, uint64_t *pa) { return pg_dma(len, pa); }
long fs_next(struct msg *m) { return pg_fs_next(m); }

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    struct msg m = { .label = MSG_PG_MMAP, .w = { (long)addr, (long)len, prot, flags, fd, off } };
    long r = posix(pg_call(&m));
    return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len) { return (int)posix(pg_call3(MSG_PG_MUNMAP, (long)addr, (long)len, 0)); }
