/* Regression (was a bug): open(O_TRUNC) drops the dirty marks of a file whose write(2) is
   parked until the file is clean; with no WRITEPAGE of that file queued
   (the pump is busy with another file), nothing ever unparks the writer. */
#include "common.h"

int main(void)
{
    make_file("/zz2f", 'A', 1);
    int fd = open("/zz2f", O_RDWR);
    CHECK(fd >= 0);
    saturate("/zz2g");
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        memset(zz_page, 'B', P);
        long r = write(fd, zz_page, P); /* a whole page: no read first; parks until /zz2f is clean */
        exit(r == P ? 0 : 2);
    }
    spin_ms(20);
    int fd2 = open("/zz2f", O_RDWR | O_TRUNC);
    CHECK(fd2 >= 0);
    bool ended = ends_within(pid, 15000);
    if (!ended) {
        printf("review: writer pid %d still blocked in write(2) 15 s after another task's open(O_TRUNC)\n", pid);
        kill(pid, SIGKILL);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    close(fd);
    close(fd2);
    unlink("/zz2f");
    unlink("/zz2g");
    CHECK(ended);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}
