/* Regression (was a bug): open(O_TRUNC) racing unlink(): the vnode is only made after the
   TRUNCATE job, so the UNLINK finishing in between finds no vnode and queues
   RELEASE; the opener then gets a descriptor for a freed inode, and its
   write fails (ENOENT). Up to 3 rounds (a round where the unlink comes
   first, open -> ENOENT, proves nothing). */
#include "common.h"

static int round_(int r)
{
    char fpath[16], gpath[16];
    snprintf(fpath, sizeof fpath, "/zz4f%d", r);
    snprintf(gpath, sizeof gpath, "/zz4g%d", r);
    make_file(fpath, 'A', 1);
    saturate(gpath);
    volatile long *res = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(res != MAP_FAILED);
    res[0] = res[1] = -999;
    res[3] = 0;
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        volatile char stack[8192];
        for (int i = 0; i < 8192; i += 512)
            stack[i] = 0;
        (void)stack[0];
        res[3] = 1;
        int fd = open(fpath, O_RDWR | O_TRUNC); /* LOOKUP waits behind the write-back */
        res[0] = fd < 0 ? -errno : fd;
        if (fd < 0)
            exit(3);
        memset(zz_page, 'T', P);
        long w = write(fd, zz_page, P);
        res[1] = w < 0 ? -errno : w;
        exit(w == P ? 0 : 2);
    }
    while (!res[3])
        sys_yield();
    spin_ms(1);
    long u = unlink(fpath);
    bool ended = ends_within(pid, 15000);
    if (!ended)
        kill(pid, SIGKILL);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    printf("review round %d: unlink %ld; open(O_TRUNC) %ld; write to the open (unlinked) file %ld; child %s\n",
           r, u, res[0], res[1], ended ? "ended" : "HUNG");
    unlink(gpath);
    CHECK(ended);
    CHECK_EQ(u, 0);
    if (res[0] < 0)
        return 0;          /* the unlink came first: no verdict */
    return res[1] == P ? 1 : -1;
}

int main(void)
{
    for (int r = 0; r < 3; r++) {
        int v = round_(r);
        CHECK(v >= 0);
        if (v > 0)
            return 0;
    }
    printf("review: the race was never won\n");
    return 0;
}
