/* One task cannot fill the pager's table of open files (vnodes) so that
   nobody can exec any more: a task of a job that maps file after file is
   refused with ENFILE before the table is full, and meanwhile a program no
   one has run yet still execs, and this test (started by init, like the
   shell) can still open a file. */
#include "test.h"

#define NFILES 80    /* more than the table holds (64) */

static void make(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write_all(fd, "data", 4));
    CHECK_EQ(close(fd), 0);
}

/* Map every file (closing its descriptor: the mapping keeps the file open)
   until refused; report how far it got, then wait for the pipe to close. */
static void hog(int fds[2], int report)
{
    close(fds[1]);
    long n = 0, err = 0;
    for (; n < NFILES; n++) {
        char p[32];
        snprintf(p, sizeof p, "/vn/f%ld", n);
        int fd = open(p, O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        CHECK(mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED);
        close(fd);
    }
    long msg[2] = { n, err };
    write(report, msg, sizeof msg);
    char c;
    read(fds[0], &c, 1);
    exit(0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    CHECK_EQ(mkdir("/vn", 0755), 0);
    for (int i = 0; i < NFILES; i++) {
        char p[32];
        snprintf(p, sizeof p, "/vn/f%d", i);
        make(p);
    }
    copy_file("/bin/true", "/vn/prog");
    int fds[2], rep[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(pipe(rep), 0);
    long pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        hog(fds, rep[1]);
    long msg[2];
    CHECK_EQ(read(rep[0], msg, sizeof msg), (long)sizeof msg);
    printf("t_vnodes: the hog mapped %ld files, then %s\n", msg[0], errstr(-msg[1]));
    CHECK(msg[0] < NFILES);
    CHECK_EQ(msg[1], ENFILE);
    /* a program never run before still starts (its exec needs a new vnode) */
    long c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        char *av[] = { "prog", NULL };
        execv("/vn/prog", av);
        printf("t_vnodes: exec failed: %s\n", errstr(errno));
        exit(9);
    }
    int status = -1;
    CHECK_EQ(waitpid(c, &status, 0), c);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    /* and init's children can still open files */
    int fd = open("/vn/f79", O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    close(fds[0]);
    close(fds[1]);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    for (int i = 0; i < NFILES; i++) {
        char p[32];
        snprintf(p, sizeof p, "/vn/f%d", i);
        CHECK_EQ(unlink(p), 0);
    }
    CHECK_EQ(unlink("/vn/prog"), 0);
    CHECK_EQ(rmdir("/vn"), 0);
    return 0;
}
