/* Data the pager copies into process memory goes through the fault path: a
   child's pipe read into a buffer on a copy-on-write page copies the page (the
   parent's copy is unchanged), and a read into untouched memory allocates it. */
#include "test.h"

static char buf[8192] = { 'P' };  /* data: shared copy-on-write after fork */

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    memset(buf, 'P', sizeof buf);
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    for (int k = 0; k < 3; k++) {
        int pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[1]);
            long n = read(fds[0], buf + 100, 3000);  /* spans both pages */
            if (n != 3000 || buf[100] != 'c' || buf[3099] != 'c' || buf[99] != 'P' || buf[3100] != 'P')
                exit(1);
            char *fresh = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            exit(read(fds[0], fresh + 4000, 10) == 10 && fresh[4000] == 'd' ? 0 : 2);
        }
        char data[3000];
        memset(data, 'c', sizeof data);
        CHECK_EQ(write(fds[1], data, sizeof data), (long)sizeof data);
        CHECK_EQ(write(fds[1], "dddddddddd", 10), 10);
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
        for (size_t i = 0; i < sizeof buf; i++)
            CHECK_EQ(buf[i], 'P');
    }
    /* bad buffers get EFAULT and change nothing */
    CHECK_EQ(write(fds[1], (void *)0, 10), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(write(fds[1], (void *)0xffffffc080200000UL, 10), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(write(fds[1], "z", 1), 1);
    CHECK_EQ(read(fds[0], (void *)0x4000000000UL, 1), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(read(fds[0], (void *)-1L, 1), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(read(fds[0], (void *)0x10000, 1), -1);   /* text: not writable */
    CHECK_EQ(errno, EFAULT);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(c, 'z');
    /* EOF once every writer is gone; EPIPE once every reader is */
    close(fds[1]);
    CHECK_EQ(read(fds[0], &c, 1), 0);
    CHECK_EQ(pipe(fds), 0);
    close(fds[0]);
    CHECK_EQ(write(fds[1], "x", 1), -1);
    CHECK_EQ(errno, EPIPE);
    CHECK_EQ(read(99, &c, 1), -1);
    CHECK_EQ(errno, EBADF);
    return 0;
}
