/* Programs the pager keeps cached after they ran (issue 10): the second exec
   of a program reads nothing from the file server, and a program changed on
   the disk is never run stale: written over, renamed over, truncated, or
   removed and made anew, the next exec runs what the file holds now. */
#include "test.h"

int main(void)
{
    CHECK_EQ(mkdir("/tpc", 0755), 0);
    copy_file("/bin/true", "/tpc/p");
    CHECK_EQ(exec_status("/tpc/p"), 0);
    struct vmstat s0, s1;
    CHECK_EQ(vmstat(&s0), 0);
    CHECK(s0.cache_idle > 0); /* it ended: its pages stay */
    CHECK_EQ(exec_status("/tpc/p"), 0);
    CHECK_EQ(vmstat(&s1), 0);
    CHECK_EQ(s1.file - s0.file, 0); /* not a page read: all cached */
    CHECK_EQ(s1.faults_major - s0.faults_major, 0);

    copy_file("/bin/false", "/tpc/p"); /* written over (O_TRUNC, write) */
    CHECK_EQ(exec_status("/tpc/p"), 1);
    CHECK_EQ(exec_status("/tpc/p"), 1);

    copy_file("/bin/true", "/tpc/q"); /* renamed over */
    CHECK_EQ(rename("/tpc/q", "/tpc/p"), 0);
    CHECK_EQ(exec_status("/tpc/p"), 0);

    int fd = open("/tpc/p", O_WRONLY | O_TRUNC); /* truncated: not a program any more */
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(exec_status("/tpc/p"), 98);

    copy_file("/bin/true", "/tpc/p");
    CHECK_EQ(exec_status("/tpc/p"), 0);
    fd = open("/tpc/p", O_RDWR); /* cut short with ftruncate */
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 100), 0);
    close(fd);
    CHECK_EQ(exec_status("/tpc/p"), 98);

    CHECK_EQ(unlink("/tpc/p"), 0); /* removed, then a new file (its inode may be the old one's) */
    CHECK_EQ(exec_status("/tpc/p"), 99);
    copy_file("/bin/false", "/tpc/p");
    CHECK_EQ(exec_status("/tpc/p"), 1);

    CHECK_EQ(unlink("/tpc/p"), 0);
    CHECK_EQ(rmdir("/tpc"), 0);
    printf("t_progcache: ok\n");
    return 0;
}
