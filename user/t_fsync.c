/* fsync and fdatasync (issue 10): they return once the file's dirty pages are
   on the disk, the pages written through shared mappings included, in this
   process and in others (vmstat's write-back count goes up by those pages
   before the call returns, and a second call has nothing left to write).
   Errors: EBADF, EINVAL (a pipe). */
#include "test.h"

#define P 4096L
#define PATH "/fsy"

static uint64_t written(void)
{
    struct vmstat v;
    CHECK_EQ(vmstat(&v), 0);
    return v.writeback;
}

int main(void)
{
    static char buf[3 * P];
    memset(buf, 'a', sizeof buf);
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, buf, sizeof buf), (long)sizeof buf);
    char *m = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    CHECK_EQ(sync_all(), 0);

    /* two pages written through the mapping: fsync writes both */
    uint64_t w0 = written();
    m[0] = 'b';
    m[2 * P + 7] = 'c';
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(written(), w0 + 2);
    CHECK_EQ(fsync(fd), 0);                  /* nothing left */
    CHECK_EQ(written(), w0 + 2);

    /* fdatasync, through another descriptor of the file (read-only) */
    int ro = open(PATH, O_RDONLY);
    CHECK(ro >= 0);
    m[P] = 'd';
    CHECK_EQ(fdatasync(ro), 0);
    CHECK_EQ(written(), w0 + 3);

    /* a page another process wrote through its own mapping */
    int ready[2], done[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(done), 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *cm = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(cm != MAP_FAILED);
        cm[P + 1] = 'e';
        CHECK_EQ(write(ready[1], "r", 1), 1);
        char c;
        CHECK_EQ(read(done[0], &c, 1), 1);   /* the mapping stays until the parent has checked */
        exit(0);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(written(), w0 + 4);
    CHECK_EQ(write(done[1], "d", 1), 1);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);

    /* what fsync wrote is the file's */
    CHECK_EQ(munmap(m, 3 * P), 0);
    CHECK_EQ(lseek(ro, 0, SEEK_SET), 0);
    CHECK_EQ(read(ro, buf, sizeof buf), (long)sizeof buf);
    CHECK(buf[0] == 'b' && buf[2 * P + 7] == 'c' && buf[P] == 'd' && buf[P + 1] == 'e' && buf[1] == 'a');

    /* errors, and the kinds with nothing to write */
    CHECK_EQ(fsync(99), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(fdatasync(-1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(fsync(ready[0]), -1);
    CHECK_EQ(errno, EINVAL);
    int dir = open("/", O_RDONLY);
    CHECK(dir >= 0);
    CHECK_EQ(fsync(dir), 0);
    CHECK_EQ(close(dir), 0);
    CHECK_EQ(close(ro), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink(PATH), 0);
    printf("t_fsync: ok\n");
    return 0;
}
