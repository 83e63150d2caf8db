/* Regression (was a bug): vfs_write puts a fresh frame in the cache for every page it will
   cover before it copies anything; a write whose buffer is bad fails with
   EFAULT but those frames stay in the cache (past the end of the file) until
   the last close. */
#include "common.h"

int main(void)
{
    int fd = open("/zz10", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    struct vmstat s0, s1, s2;
    CHECK_EQ(vmstat(&s0), 0);
    long r = write(fd, (void *)0x1000, 32L << 20);  /* unmapped buffer, 32 MiB */
    long e = errno;
    CHECK_EQ(vmstat(&s1), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(vmstat(&s2), 0);
    printf("review: write(bad buffer, 32 MiB) -> %ld (errno %ld); free frames %lu before, %lu after, %lu after close\n",
           r, e, s0.frames_free, s1.frames_free, s2.frames_free);
    unlink("/zz10");
    CHECK_EQ(r, -1);
    CHECK(s0.frames_free - s1.frames_free < 64);
    return 0;
}
