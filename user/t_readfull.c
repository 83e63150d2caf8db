/* read of a regular file returns the whole request unless it reaches the end
   of the file (issue 10), also when its pages are not in the page cache: the
   pager waits for each page as it does for the first, instead of answering
   with what it has. Checked with one PG_READ request (what libsys's read
   sends first; libsys asks again only for the part past IO_MAX), on a file
   whose pages were just read from the disk (vmstat's file count says so),
   into a buffer whose pages are in memory and into one whose pages are a
   file's pages not read yet either (the request waits for those too). */
#include "test.h"

#define PATH "/readfull"
#define SIZE (6 * 4096 + 1000)

static char want[SIZE], got[SIZE + 4096];

/* One PG_READ request of n bytes at buf: the pager's answer (bytes or -errno). */
static long one_read(int fd, void *buf, long n)
{
    struct msg m = { .label = MSG_PG_READ, .w = { fd, (long)buf, n } };
    long r = sys_call(PAGER_SLOT, &m);
    return r < 0 ? r : m.w[0];
}

static uint64_t pages_read(void)
{
    struct vmstat v;
    CHECK_EQ(vmstat(&v), 0);
    return v.file;
}

/* PATH holds want; once write and close return, the file is on the disk and
   no one has it open, so the page cache lets go of it. */
static void make(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, want, SIZE), SIZE);
    CHECK_EQ(close(fd), 0);
}

int main(void)
{
    for (long i = 0; i < SIZE; i++)
        want[i] = (char)(i * 7 + i / 4096 + 1);
    make(PATH);

    /* the whole file in one request; then the end of the file gives 0 */
    uint64_t before = pages_read();
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    memset(got, 0, sizeof got);
    CHECK_EQ(one_read(fd, got, SIZE), SIZE);
    CHECK(pages_read() - before >= 7); /* the pages came from the disk during that request */
    CHECK(memcmp(got, want, SIZE) == 0);
    CHECK_EQ(one_read(fd, got, 100), 0);
    /* a request past the end gives what there is: the file's size */
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(one_read(fd, got, SIZE + 4096), SIZE);
    CHECK_EQ(close(fd), 0);

    /* again from the disk, starting in the middle of a page, through read() */
    make(PATH);
    fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 3000, SEEK_SET), 3000);
    CHECK_EQ(one_read(fd, got, SIZE - 3000 - 10), SIZE - 3000 - 10);
    CHECK(memcmp(got, want + 3000, SIZE - 3000 - 10) == 0);
    CHECK_EQ(read(fd, got, 100), 10);
    CHECK_EQ(close(fd), 0);

    /* into a buffer that is a private mapping of another file not read yet:
       the request waits for the buffer's pages too, and still fills it all */
    make("/readfull2");
    make(PATH);
    int bfd = open("/readfull2", O_RDONLY);
    CHECK(bfd >= 0);
    char *map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, bfd, 0);
    CHECK(map != MAP_FAILED);
    fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(one_read(fd, got, 10), 10); /* page 0 of PATH is in now: the rest is not */
    CHECK_EQ(one_read(fd, map, SIZE - 10), SIZE - 10);
    CHECK(memcmp(map, want + 10, SIZE - 10) == 0);
    CHECK_EQ(munmap(map, SIZE), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(close(bfd), 0);

    /* errors: a bad descriptor, a directory, a bad buffer */
    CHECK_EQ(one_read(99, got, 10), -EBADF);
    fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(one_read(fd, got, 10), -EISDIR);
    CHECK_EQ(close(fd), 0);
    fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(one_read(fd, (void *)0x10, 10), -EFAULT);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink(PATH), 0);
    CHECK_EQ(unlink("/readfull2"), 0);
    printf("t_readfull: ok\n");
    return 0;
}
