/* ftruncate (issue 10): a file open for writing shrinks or grows. Shrinking
   drops the cached pages past the new end and zeroes the rest of the last
   page; a MAP_SHARED page wholly past the end kills its toucher (bus error),
   the part of the last page past the end reads zeros. Growing leaves zeros
   (also where a shared mapping had written past the old end). The disk
   agrees once the file is read again from it. Errors: EBADF, EINVAL (not
   open for writing, a pipe, a negative length), EFBIG. */
#include "test.h"

#define P 4096L
#define PATH "/ftr"

static char buf[4 * P];

static long bus_errors(void)
{
    struct vmstat st;
    CHECK_EQ(vmstat(&st), 0);
    return (long)st.bus_error;
}

/* PATH with n bytes of c. */
static void make_file(long n, char c)
{
    memset(buf, c, (size_t)n);
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, buf, (size_t)n), n);
    CHECK_EQ(close(fd), 0);
}

/* The file is n bytes: c up to keep, zeros after it (read through a new
   descriptor: with nothing else open, from the disk). */
static void check_file(long n, long keep, char c)
{
    struct stat st;
    CHECK_EQ(stat(PATH, &st), 0);
    CHECK_EQ(st.st_size, n);
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    memset(buf, 'z', sizeof buf);
    CHECK_EQ(read(fd, buf, sizeof buf), n);
    for (long i = 0; i < n; i++)
        if (buf[i] != (i < keep ? c : 0)) {
            printf("t_ftruncate: byte %ld is %d, want %d\n", i, buf[i], i < keep ? c : 0);
            CHECK(0);
        }
    CHECK_EQ(close(fd), 0);
}

static void shrink_and_grow(void)
{
    make_file(3 * P, 'a');
    int fd = open(PATH, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, 3 * P), 3 * P); /* every page cached */
    CHECK_EQ(ftruncate(fd, P + 100), 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, P + 100);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buf, 3 * P), P + 100);
    CHECK_EQ(ftruncate(fd, 3 * P), 0);      /* grow again: the cut bytes are zeros */
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buf, 4 * P), 3 * P);
    CHECK_EQ(buf[P + 99], 'a');
    for (long i = P + 100; i < 3 * P; i++)
        CHECK_EQ(buf[i], 0);
    CHECK_EQ(ftruncate(fd, 3 * P), 0);      /* the same size: nothing changes */
    CHECK_EQ(close(fd), 0);
    check_file(3 * P, P + 100, 'a');        /* from the disk */
    fd = open(PATH, O_WRONLY);              /* a descriptor open for writing only will do */
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 10), 0);
    CHECK_EQ(close(fd), 0);
    check_file(10, 10, 'a');
    fd = open(PATH, O_RDWR);                /* growing a file whose last page is not cached */
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 2 * P + 5), 0);
    CHECK_EQ(close(fd), 0);
    check_file(2 * P + 5, 10, 'a');
}

static int ready[2], go[2];

/* A MAP_SHARED mapper of 3 pages while the file shrinks to half a page: the
   rest of page 0 reads zeros, page 1 kills it. */
static void shrink_under_mapping(void)
{
    make_file(3 * P, 'b');
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(PATH, O_RDWR);
        CHECK(fd >= 0);
        volatile char *m = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(m != MAP_FAILED);
        for (long i = 0; i < 3; i++)
            CHECK_EQ(m[i * P], 'b');
        CHECK_EQ(write(ready[1], "r", 1), 1);
        char c;
        CHECK_EQ(read(go[0], &c, 1), 1);
        CHECK_EQ(m[P / 2 - 1], 'b');
        CHECK_EQ(m[P / 2], 0);
        (void)m[P];                          /* killed here */
        exit(0);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    long bus = bus_errors();
    int fd = open(PATH, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, P / 2), 0);
    CHECK_EQ(write(go[1], "g", 1), 1);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(bus_errors(), bus + 1);
    CHECK_EQ(close(fd), 0);
    check_file(P / 2, P / 2, 'b');
}

/* Dirty shared pages past a new end never reach the file; bytes a mapping
   wrote past the old end are not the file's when it grows. */
static void dirty_pages_and_growth(void)
{
    make_file(3 * P, 'c');
    int fd = open(PATH, O_RDWR);
    CHECK(fd >= 0);
    char *m = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    memset(m, 'd', 3 * P);                   /* dirty, not yet written back */
    CHECK_EQ(ftruncate(fd, 100), 0);
    m[200] = 'x';                            /* past the end, in the last page */
    CHECK_EQ(ftruncate(fd, 300), 0);
    CHECK_EQ(m[200], 0);
    CHECK_EQ(munmap(m, 3 * P), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(sync_all(), 0);
    check_file(300, 100, 'd');
}

static void errors(void)
{
    make_file(10, 'e');
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 0), -1);          /* not open for writing */
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(ftruncate(fd, 0), -1);
    CHECK_EQ(errno, EBADF);
    fd = open(PATH, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, -1), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(ftruncate(fd, (long)FILE_MAX + 1), -1);
    CHECK_EQ(errno, EFBIG);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(ftruncate(ready[1], 0), -1);    /* a pipe */
    CHECK_EQ(errno, EINVAL);
    fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 0), -1);          /* a directory (open only for reading) */
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(close(fd), 0);
    check_file(10, 10, 'e');                 /* nothing changed */
}

int main(void)
{
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(go), 0);
    shrink_and_grow();
    shrink_under_mapping();
    dirty_pages_and_growth();
    errors();
    CHECK_EQ(unlink(PATH), 0);
    printf("t_ftruncate: ok\n");
    return 0;
}
