/* Regression (was a bug): mprotect(PROT_NONE) of a MAP_SHARED file page whose only dirty
   record is the hardware dirty bit takes the page out of the page table
   (sys_unmap) without harvesting it first: the write never reaches the disk. */
#include "../test.h"
#define P 4096L

static char page[P];

static void make(const char *path, char c)
{
    memset(page, c, P);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, page, P), P);
    CHECK_EQ(close(fd), 0); /* nobody has it: the cache goes */
}

static char disk_byte(const char *path)
{
    char c = 0;
    int fd = open(path, O_RDONLY); /* fresh vnode: read from the disk */
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(close(fd), 0);
    return c;
}

/* map, read first (the page is mapped writable, no pager mark), write, maybe mprotect, munmap, close */
static void scribble(const char *path, char c, int prot_between)
{
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    volatile char *a = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    CHECK_EQ(a[0], 'A');
    a[0] = c;
    if (prot_between >= 0)
        CHECK_EQ(mprotect((void *)a, P, prot_between), 0);
    CHECK_EQ(munmap((void *)a, P), 0);
    CHECK_EQ(close(fd), 0);
}

int main(void)
{
    make("/zz1", 'A');
    scribble("/zz1", 'C', -1);             /* control: no mprotect */
    CHECK_EQ(disk_byte("/zz1"), 'C');
    make("/zz1", 'A');
    scribble("/zz1", 'R', PROT_READ);      /* control: mprotect read-only keeps the D bit */
    CHECK_EQ(disk_byte("/zz1"), 'R');
    make("/zz1", 'A');
    scribble("/zz1", 'N', PROT_NONE);      /* the bug */
    char got = disk_byte("/zz1");
    printf("review: after write+mprotect(PROT_NONE)+munmap the file holds '%c' (want 'N')\n", got);
    CHECK_EQ(got, 'N');
    unlink("/zz1");
    return 0;
}
