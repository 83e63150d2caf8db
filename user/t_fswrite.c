/* Writing files: create, write, read back, append, truncate, unlink; nested
   directories; 100 files in one directory; a file over 10 MiB; the POSIX
   errors for bad input. Every write is on disk when it returns. */
#include "test.h"

static char big[64 * 1024];

static bool strstr_(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncmp(hay, needle, n) == 0)
            return true;
    return false;
}

static void put(const char *path, const char *data, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
    CHECK_EQ(close(fd), 0);
}

static void expect(const char *path, const char *want)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    long n = read(fd, buf, sizeof buf - 1);
    CHECK(n >= 0);
    buf[n] = 0;
    if (strcmp(buf, want) != 0)
        printf("%s holds \"%s\", want \"%s\"\n", path, buf, want);
    CHECK(strcmp(buf, want) == 0);
    close(fd);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* create, read back, overwrite in the middle, append, truncate */
    put("/t1", "hello world", O_TRUNC);
    expect("/t1", "hello world");
    int fd = open("/t1", O_RDWR);
    CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
    CHECK_EQ(write(fd, "WORLD", 5), 5);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 11);
    close(fd);
    expect("/t1", "hello WORLD");
    put("/t1", "!", O_APPEND);
    expect("/t1", "hello WORLD!");
    put("/t1", "new", O_TRUNC);
    expect("/t1", "new");
    CHECK_EQ(open("/t1", O_WRONLY | O_CREAT | O_EXCL), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(unlink("/t1"), 0);
    CHECK_EQ(open("/t1", O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);

    /* nested directories */
    CHECK_EQ(mkdir("/d1", 0755), 0);
    CHECK_EQ(mkdir("/d1/d2", 0755), 0);
    CHECK_EQ(mkdir("/d1/d2", 0755), -1);
    CHECK_EQ(errno, EEXIST);
    put("/d1/d2/f", "deep", 0);
    expect("/d1/./d2/../d2/f", "deep");
    CHECK_EQ(rmdir("/d1/d2"), -1);
    CHECK_EQ(errno, ENOTEMPTY);
    CHECK_EQ(open("/d1/d2/f/x", O_RDONLY), -1);
    CHECK_EQ(errno, ENOTDIR);
    CHECK_EQ(open("/d1", O_WRONLY), -1);
    CHECK_EQ(errno, EISDIR);
    CHECK_EQ(unlink("/d1/d2"), -1);
    CHECK_EQ(errno, EISDIR);

    /* 100 files in one directory, all listed once */
    for (int i = 0; i < 100; i++) {
        char p[32], d[16];
        snprintf(p, sizeof p, "/d1/f%d", i);
        snprintf(d, sizeof d, "%d", i * 7);
        put(p, d, O_TRUNC);
    }
    int seen[100] = { 0 };
    int dfd = open("/d1", O_RDONLY);
    long cookie = 0, inum;
    char name[64];
    int entries = 0;
    while (getdent(dfd, &cookie, name, &inum) == 1) {
        entries++;
        if (name[0] == 'f' && name[1] >= '0' && name[1] <= '9')
            seen[atol(name + 1)]++;
    }
    close(dfd);
    CHECK_EQ(entries, 100 + 3);   /* . .. d2 */
    for (int i = 0; i < 100; i++)
        CHECK_EQ(seen[i], 1);
    expect("/d1/f42", "294");
    for (int i = 0; i < 100; i++) {
        char p[32];
        snprintf(p, sizeof p, "/d1/f%d", i);
        CHECK_EQ(unlink(p), 0);
    }

    /* a file over 10 MiB: written in 64 KiB pieces, read back and checked */
    fd = open("/big", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    long total = (10L << 20) + 12345;
    for (long off = 0; off < total; off += sizeof big) {
        long n = total - off < (long)sizeof big ? total - off : (long)sizeof big;
        for (long i = 0; i < n; i += 8)
            *(long *)(big + i) = off + i;
        CHECK_EQ(write(fd, big, (size_t)n), n);
    }
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, total);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    for (long off = 0; off < total; off += sizeof big) {
        long n = total - off < (long)sizeof big ? total - off : (long)sizeof big;
        CHECK_EQ(read(fd, big, sizeof big), n);
        for (long i = 0; i + 8 <= n; i += 4096)
            CHECK_EQ(*(long *)(big + i), off + i);
    }
    CHECK_EQ(read(fd, big, 1), 0);
    close(fd);
    /* cp, wc and grep on files, through the shell */
    int pid = fork();
    if (pid == 0) {
        int out = open("/cpout", O_WRONLY | O_CREAT | O_TRUNC);
        dup2(out, 1);
        char *av[] = { "sh", "-c", "cp /big /big2; wc /big2; echo abc > /g; grep -c b /g", NULL };
        execv("sh", av);
        exit(99);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    fd = open("/big2", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, total);
    CHECK_EQ(lseek(fd, total - 8, SEEK_SET), total - 8);
    close(fd);
    char got[128] = { 0 };
    fd = open("/cpout", O_RDONLY);
    CHECK(read(fd, got, sizeof got - 1) > 0);
    close(fd);
    CHECK(strstr_(got, "/big2\n1\n"));
    CHECK_EQ(unlink("/big2"), 0);
    CHECK_EQ(unlink("/cpout"), 0);
    CHECK_EQ(unlink("/g"), 0);
    CHECK_EQ(unlink("/big"), 0);

    /* bad input */
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = 0;
    CHECK_EQ(open(longname, O_WRONLY | O_CREAT), -1);
    CHECK_EQ(errno, ENAMETOOLONG);
    CHECK_EQ(mkdir("/nodir/x", 0755), -1);
    CHECK_EQ(errno, ENOENT);
    fd = open("/d1/d2/f", O_RDONLY);
    CHECK_EQ(write(fd, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    close(fd);
    fd = open("/d1/d2/f", O_WRONLY);
    CHECK_EQ(write(fd, (void *)8, 10), -1);
    CHECK_EQ(errno, EFAULT);
    close(fd);
    /* a second name; the data goes only when the last name and the last opener have */
    CHECK_EQ(link("/d1/d2/f", "/d1/g"), 0);
    CHECK_EQ(link("/d1/d2/f", "/d1/g"), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(link("/d1", "/d1x"), -1);
    CHECK_EQ(errno, EPERM);
    struct stat st2;
    CHECK_EQ(stat("/d1/g", &st2), 0);
    CHECK_EQ(stat("/d1/d2/f", &st), 0);
    CHECK_EQ(st2.st_ino, st.st_ino);
    CHECK_EQ(unlink("/d1/d2/f"), 0);
    fd = open("/d1/g", O_RDONLY);
    CHECK_EQ(unlink("/d1/g"), 0);           /* gone by name, still open */
    char keep[8] = { 0 };
    CHECK_EQ(read(fd, keep, sizeof keep), 4);
    CHECK(strcmp(keep, "deep") == 0);
    close(fd);
    CHECK_EQ(stat("/d1/g", &st2), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(rmdir("/d1/d2"), 0);
    CHECK_EQ(rmdir("/d1"), 0);
    CHECK_EQ(rmdir("/"), -1);
    return 0;
}
