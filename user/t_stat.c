/* stat, fstat and lstat (issue 10): struct stat is picolibc's (104 bytes);
   st_mode (S_IFREG | 0644, S_IFDIR | 0755, a pipe S_IFIFO, the console
   S_IFCHR), st_nlink (links, subdirectories), st_size, st_blocks, st_blksize,
   st_ino (the inode number's low 16 bits) and st_mtime: seconds since 1970
   from the RTC, stamped when the file or directory changes. lstat is stat
   (no symbolic links). Errors: ENOENT, EBADF, EFAULT. */
#include "test.h"

#define DIR "/st"
#define FILE DIR "/f"

static struct stat st_of(const char *path)
{
    struct stat st;
    memset(&st, 0xff, sizeof st);
    CHECK_EQ(stat(path, &st), 0);
    return st;
}

/* The inode number readdir gives for name in directory dir. */
static long readdir_inum(const char *dir, const char *name)
{
    int fd = open(dir, O_RDONLY);
    CHECK(fd >= 0);
    long cookie = 0, inum = -1, found = -1;
    char n[64];
    while (getdent(fd, &cookie, n, &inum) == 1)
        if (strcmp(n, name) == 0)
            found = inum;
    CHECK_EQ(close(fd), 0);
    return found;
}

static void files(void)
{
    static char buf[5000];
    memset(buf, 's', sizeof buf);
    int fd = open(FILE, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, buf, sizeof buf), (long)sizeof buf);
    struct stat st = st_of(FILE), fst;
    CHECK(S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_mode, S_IFREG | 0644);
    CHECK_EQ(st.st_nlink, 1);
    CHECK_EQ(st.st_size, 5000);
    CHECK_EQ(st.st_blksize, 4096);
    CHECK_EQ(st.st_blocks, 2 * 8);           /* two 4 KiB blocks in 512-byte units */
    CHECK(st.st_mtime > 1600000000);         /* a time from the RTC (after 2020) */
    CHECK_EQ(st.st_mtim.tv_sec, st.st_mtime);
    CHECK_EQ(st.st_ctime, st.st_mtime);
    CHECK_EQ(st.st_ino, readdir_inum(DIR, "f") & 0xffff);
    CHECK_EQ(st.st_uid, 0);
    CHECK_EQ(fstat(fd, &fst), 0);
    CHECK(memcmp(&st, &fst, sizeof st) == 0);
    struct stat lst;
    CHECK_EQ(lstat(FILE, &lst), 0);
    CHECK(memcmp(&st, &lst, sizeof st) == 0);

    /* links */
    CHECK_EQ(link(FILE, DIR "/g"), 0);
    CHECK_EQ(fstat(fd, &fst), 0);
    CHECK_EQ(fst.st_nlink, 2);
    CHECK_EQ(st_of(DIR "/g").st_ino, st.st_ino);
    CHECK_EQ(unlink(DIR "/g"), 0);
    CHECK_EQ(st_of(FILE).st_nlink, 1);

    /* a write a second and more later gives a later time */
    nap(RDTIME_HZ + RDTIME_HZ / 5);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(fd, "t", 1), 1);
    CHECK(st_of(FILE).st_mtime > st.st_mtime);
    CHECK_EQ(close(fd), 0);
}

static void directories(void)
{
    struct stat st = st_of(DIR);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_mode, S_IFDIR | 0755);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_EQ(st.st_size, 4096);
    CHECK(st.st_mtime > 1600000000);
    CHECK_EQ(mkdir(DIR "/sub", 0755), 0);
    CHECK_EQ(st_of(DIR).st_nlink, 3);        /* the subdirectory's ".." */
    CHECK_EQ(st_of(DIR "/sub/..").st_ino, st.st_ino);
    nap(RDTIME_HZ + RDTIME_HZ / 5);
    CHECK_EQ(rmdir(DIR "/sub"), 0);          /* a change of the directory: a later time */
    struct stat now = st_of(DIR);
    CHECK_EQ(now.st_nlink, 2);
    CHECK(now.st_mtime > st.st_mtime);
    CHECK(S_ISDIR(st_of("/").st_mode));
}

static void others(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct stat st;
    CHECK_EQ(fstat(p[0], &st), 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(fstat(p[1], &st), 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(fstat(1, &st), 0);              /* the console */
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(close(p[0]), 0);
    CHECK_EQ(close(p[1]), 0);
}

static void errors(void)
{
    struct stat st;
    CHECK_EQ(stat(DIR "/nosuch", &st), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(lstat(DIR "/nosuch", &st), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(stat(FILE "/x", &st), -1);
    CHECK_EQ(errno, ENOTDIR);
    CHECK_EQ(fstat(99, &st), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(stat(FILE, (struct stat *)0x10), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(fstat(1, (struct stat *)0x10), -1);
    CHECK_EQ(errno, EFAULT);
}

int main(void)
{
    CHECK_EQ(sizeof(struct stat), 104);
    CHECK_EQ(mkdir(DIR, 0755), 0);
    files();
    directories();
    others();
    errors();
    CHECK_EQ(unlink(FILE), 0);
    CHECK_EQ(rmdir(DIR), 0);
    printf("t_stat: ok\n");
    return 0;
}
