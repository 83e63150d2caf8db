/* Regression (was a bug): a write-back error of msync(MS_ASYNC) is kept in werr only until
   the file is clean; a later msync(MS_SYNC) of the same (never stored) page
   answers 0. */
#include "common.h"

int main(void)
{
    int s = open("/zz7s", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(s >= 0);
    CHECK_EQ(lseek(s, 4 * P, SEEK_SET), 4 * P);
    CHECK_EQ(write(s, "e", 1), 1);            /* pages 0-3: holes, no block */
    int f = open("/zz7fill", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(f >= 0);
    memset(zz_chunk, 'f', sizeof zz_chunk);
    while (write(f, zz_chunk, sizeof zz_chunk) == (long)sizeof zz_chunk)
        ;
    while (write(f, zz_chunk, P) == P)
        ;
    CHECK_EQ(errno, ENOSPC);
    volatile char *a = mmap(0, 5 * P, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    CHECK(a != MAP_FAILED);
    a[0] = 1;
    errno = 0;
    long r0 = msync((void *)a, P, MS_SYNC);    /* control: the error comes back */
    long e0 = errno;
    a[P] = 1;
    CHECK_EQ(msync((void *)(a + P), P, MS_ASYNC), 0);
    spin_ms(300);                              /* its WRITEPAGE fails meanwhile */
    errno = 0;
    long r1 = msync((void *)(a + P), P, MS_SYNC);
    long e1 = errno;
    printf("review: disk full; msync(MS_SYNC) of a dirty hole page -> %ld (errno %ld); "
           "msync(MS_ASYNC), then msync(MS_SYNC) -> %ld (errno %ld)\n", r0, e0, r1, e1);
    munmap((void *)a, 5 * P);
    close(s);
    close(f);
    unlink("/zz7fill");
    unlink("/zz7s");
    CHECK_EQ(r0, -1);
    CHECK_EQ(r1, -1);
    return 0;
}
