/* The file server dies (run as init by tests/fs/crash_test.py: only init may
   kill it): nothing waits for it for ever. Writes and msync fail with EIO,
   a fault on a file page not read yet kills only the task that made it (with
   a message), exec falls back to the boot archive, and the system goes on. */
#include "test.h"

#define P 4096L

int main(void)
{
    touch_own_image(); /* it comes from the disk, which is about to go */
    static char buf[4 * P];
    memset(buf, 'g', sizeof buf);
    int fd = open("/gone.dat", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write_all(fd, buf, sizeof buf));
    CHECK_EQ(close(fd), 0);
    fd = open("/gone.dat", O_RDWR); /* a fresh vnode: nothing cached */
    CHECK(fd >= 0);
    volatile char *m = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    CHECK_EQ(m[0], 'g');

    long fspid = proc_by_name("fs", NULL);
    CHECK(fspid > 0);
    CHECK_EQ(kill(fspid, SIGKILL), 0);

    CHECK_EQ(write(fd, "x", 1), -1);
    CHECK_EQ(errno, EIO);
    m[1] = 'h';
    CHECK_EQ(msync((void *)m, 4 * P, MS_SYNC), -1);
    CHECK_EQ(errno, EIO);
    int pid = fork();
    if (pid == 0) {
        (void)m[2 * P]; /* never read: the file server cannot bring it any more */
        exit(0);
    }
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(open("/gone.dat", O_RDONLY), -1);
    pid = fork();
    if (pid == 0) {
        char *av[] = { "hello", NULL };
        execv("hello", av); /* from the boot archive now */
        exit(99);
    }
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    printf("fsgone: ok\n");
    shutdown();
    return 0;
}
