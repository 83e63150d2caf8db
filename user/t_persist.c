/* Data that survives a reboot of the guest (run as init by tests/fs/crash_test.py,
   twice on the same disk). First boot: /persist/data does not exist; write it,
   half with write(2) and half through a MAP_SHARED mapping made dirty and
   msync'd, plus a second file written only through a mapping and unmapped
   without msync, then shut down. Second boot: check every byte and say
   "persist: ok". */
#include "sys.h"

#define N (300 * 1024L)
#define HALF (N / 2)
#define M (3 * 4096L + 10)

static uint8_t pat(long i, int k) { return (uint8_t)(i * 13 + 5 + k); }

static void fail(const char *what)
{
    printf("persist: FAIL %s (%s)\n", what, errstr(errno));
    shutdown();
    exit(1);
}

static void first_boot(void)
{
    static uint8_t buf[HALF];
    if (mkdir("/persist", 0) < 0)
        fail("mkdir");
    int fd = open("/persist/data", O_RDWR | O_CREAT | O_EXCL);
    if (fd < 0)
        fail("create");
    for (long i = 0; i < HALF; i++)
        buf[i] = pat(i, 0);
    if (!write_all(fd, buf, HALF))
        fail("write");
    /* the second half: extend with zeros, then fill through a shared mapping */
    if (lseek(fd, N - 1, SEEK_SET) != N - 1 || write(fd, "", 1) != 1)
        fail("extend");
    uint8_t *a = mmap(NULL, N, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED)
        fail("mmap");
    for (long i = HALF; i < N; i++)
        a[i] = pat(i, 0);
    if (msync(a, N, MS_SYNC) < 0 || munmap(a, N) < 0 || close(fd) < 0)
        fail("msync");
    /* written only through a mapping, unmapped without msync */
    fd = open("/persist/mapped", O_RDWR | O_CREAT | O_EXCL);
    if (fd < 0 || lseek(fd, M - 1, SEEK_SET) != M - 1 || write(fd, "", 1) != 1)
        fail("create mapped");
    a = mmap(NULL, M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED)
        fail("mmap mapped");
    close(fd);
    for (long i = 0; i < M; i++)
        a[i] = pat(i, 1);
    munmap(a, M);
    /* an open queues behind the write-back of what munmap handed over */
    fd = open("/persist/mapped", O_RDONLY);
    close(fd);
    printf("persist: written\n");
    shutdown();
}

static void check(const char *path, long n, int k)
{
    static uint8_t buf[N];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail(path);
    long got = 0, r;
    while ((r = read(fd, buf + got, (size_t)(N - got))) > 0)
        got += r;
    close(fd);
    if (got != n)
        fail("size");
    for (long i = 0; i < n; i++)
        if (buf[i] != pat(i, k)) {
            printf("persist: byte %ld of %s is %u, not %u\n", i, path, buf[i], pat(i, k));
            fail("contents");
        }
}

int main(void)
{
    struct stat st;
    if (stat("/persist/data", &st) < 0) {
        first_boot();
        return 0;
    }
    check("/persist/data", N, 0);
    check("/persist/mapped", M, 1);
    printf("persist: ok\n");
    shutdown();
    return 0;
}
