/* A damaged disk mounted read-only (run as init by tests/fs/crash_test.py,
   which damaged the bitmap and the root directory so that the file server's
   mount check finds problems). Reading goes on: the root lists only
   well-formed names, files read, programs run from /bin. Everything that
   would write fails with EROFS, nothing hangs, and the test checks
   afterwards that the disk did not change. Not in testinit's list: the
   normal test disk is not read-only. */
#include "test.h"

/* The root lists "bin" and no empty or overlong name. */
static void list_root(void)
{
    int fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    long cookie = 0, inum;
    char name[64];
    int r, bin = 0;
    while ((r = getdent(fd, &cookie, name, &inum)) == 1) {
        CHECK(name[0] != '\0' && strlen(name) < 60);
        bin |= strcmp(name, "bin") == 0;
    }
    CHECK_EQ(r, 0);
    CHECK(bin);
    CHECK_EQ(close(fd), 0);
}

/* path fails with EROFS (r is the call's result). */
static void erofs(long r, const char *what)
{
    if (r != -1 || errno != EROFS) {
        printf("check failed: %s gave %ld (%s), not EROFS\n", what, r, errstr(errno));
        exit(1);
    }
}

int main(void)
{
    list_root();
    char buf[8];
    int fd = open("/bin/hello", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, 4), 4);
    CHECK(buf[0] == 0x7f && buf[1] == 'E' && buf[2] == 'L' && buf[3] == 'F');
    CHECK_EQ(close(fd), 0);
    long how, code;
    run_child("true", 0, &how, &code);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);

    erofs(open("/new", O_RDWR | O_CREAT), "open(O_CREAT)");
    erofs(open("/bin/new", O_RDWR | O_CREAT | O_EXCL), "open(O_CREAT|O_EXCL)");
    erofs(mkdir("/newdir", 0), "mkdir");
    erofs(unlink("/bin/hello"), "unlink");
    erofs(rmdir("/bin"), "rmdir");
    erofs(link("/bin/hello", "/h2"), "link");
    fd = open("/bin/t_badelf", O_RDWR); /* a file no one runs */
    CHECK(fd >= 0);
    erofs(write(fd, "xyz", 3), "write");
    CHECK_EQ(close(fd), 0);
    erofs(open("/bin/t_badelf", O_RDWR | O_TRUNC), "open(O_TRUNC)");

    list_root();
    run_child("true", 0, &how, &code);
    CHECK_EQ(how, WAIT_EXITED);
    printf("rofs: ok\n");
    shutdown();
    return 0;
}
