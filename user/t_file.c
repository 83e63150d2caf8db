/* Reading files through the pager's page cache and the file server: /bin/hello
   read whole and in odd-sized pieces gives the same bytes (an ELF file of the
   size fstat says), several processes reading at once all see it, and bad
   input gets the POSIX errors; init was loaded from the disk. */
#include "test.h"

static uint64_t checksum(const uint8_t *p, long n)
{
    uint64_t h = 1469598103934665603ULL;
    for (long i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Read the whole file in chunks of `step` bytes into buf; returns its length. */
static long slurp(const char *path, uint8_t *buf, long max, long step)
{
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    long total = 0, n;
    while ((n = read(fd, buf + total, (size_t)(total + step > max ? max - total : step))) > 0)
        total += n;
    CHECK_EQ(n, 0);
    CHECK_EQ(close(fd), 0);
    return total;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static uint8_t a[256 * 1024], b[256 * 1024];
    int fd = open("/bin/hello", O_RDONLY);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size > 4096 && st.st_size < (long)sizeof a);
    close(fd);

    long n1 = slurp("/bin/hello", a, sizeof a, 65536);
    long n2 = slurp("//bin/./hello", b, sizeof b, 1000);
    CHECK_EQ(n1, (long)st.st_size);
    CHECK_EQ(n2, n1);
    CHECK(memcmp(a, b, (size_t)n1) == 0);
    CHECK(a[0] == 0x7f && a[1] == 'E' && a[2] == 'L' && a[3] == 'F');
    uint64_t sum = checksum(a, n1);

    /* four readers at once, each its own way */
    int pids[4];
    for (int k = 0; k < 4; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            static uint8_t c[256 * 1024];
            long n = slurp("/bin/hello", c, sizeof c, 512 + 777 * k);
            exit(n == n1 && checksum(c, n) == sum ? 0 : 1);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status;
        CHECK_EQ(waitstatus(pids[k], &status), pids[k]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
    }

    /* four processes exec the same program at once: their faults on its pages
       wait together for each page's one read */
    for (int k = 0; k < 4; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            char *av[] = { "/bin/hello", NULL };
            execv("/bin/hello", av);
            exit(99);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status;
        CHECK_EQ(waitstatus(pids[k], &status), pids[k]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
    }

    /* errors */
    CHECK_EQ(open("/nonexistent", O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(open("/bin/hello/x", O_RDONLY), -1);
    CHECK_EQ(errno, ENOTDIR);
    char longname[80];
    memset(longname, 'n', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = 0;
    CHECK_EQ(open(longname, O_RDONLY), -1);
    CHECK_EQ(errno, ENAMETOOLONG);
    CHECK_EQ(open((char *)8, O_RDONLY), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(open("", O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);
    fd = open("/bin", O_RDONLY);
    CHECK(fd >= 0);
    char c;
    CHECK_EQ(read(fd, &c, 1), -1);
    CHECK_EQ(errno, EISDIR);
    close(fd);
    fd = open("/bin/hello", O_RDONLY);
    CHECK_EQ(read(fd, (void *)0x4000000000L, 10), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(write(fd, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(read(99, &c, 1), -1);
    CHECK_EQ(errno, EBADF);
    close(fd);

    /* init (this test's parent) came from the disk: its program is in file
       regions, none from the boot archive */
    static struct region_info ri[32];
    long n = pmap(getppid(), ri, 32), files = 0;
    CHECK(n > 0);
    for (long i = 0; i < n && i < 32; i++) {
        CHECK(strcmp(ri[i].kind, "image") != 0);
        files += strcmp(ri[i].kind, "file") == 0;
    }
    CHECK(files >= 1);
    return 0;
}
