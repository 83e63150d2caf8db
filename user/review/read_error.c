/* Regression (was a bug): a READPAGE that fails is queued again for ever
   (page_done drops the frame and handles the parked read again, which asks
   again). A failing READPAGE comes from the open(O_TRUNC)/unlink race of
   review: the descriptor names a freed inode. */
#include "common.h"

int main(void)
{
    make_file("/zz9f", 'A', 1);
    saturate("/zz9g");
    volatile long *res = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(res != MAP_FAILED);
    res[3] = 0;
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        res[3] = 1;
        int fd = open("/zz9f", O_RDWR | O_TRUNC);
        if (fd < 0)
            exit(3);
        CHECK_EQ(lseek(fd, 3 * P, SEEK_SET), 3 * P);
        long w = write(fd, "x", 1);      /* fails (freed inode) but the cached size is now 3P+1 */
        printf("review: write to the descriptor -> %ld (errno %d); now read(2) of page 1\n", w, errno);
        CHECK_EQ(lseek(fd, P, SEEK_SET), P);
        char c;
        long r = read(fd, &c, 1);
        printf("review: read -> %ld\n", r);
        exit(0);
    }
    while (!res[3])
        sys_yield();
    CHECK_EQ(unlink("/zz9f"), 0);
    bool ended = ends_within(pid, 15000);
    if (!ended) {
        printf("review: reader still blocked after 15 s\n");
        kill(pid, SIGKILL);
    }
    wait_how(pid, &(long){0}, &(long){0});
    unlink("/zz9g");
    CHECK(ended);
    return 0;
}
