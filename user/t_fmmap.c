/* File-backed mmap: MAP_PRIVATE reads the file and keeps its writes; MAP_SHARED
   writes are seen by every mapper and by read(2) and reach the disk on msync,
   munmap and exit (only dirty pages, counted by vmstat's writeback); the last
   partial page reads zeros past the end, a page wholly past it is a bus error,
   write-back never grows the file; mmap is lazy; mappings survive close and
   unlink; the POSIX errors; fork with a shared mapping that the child partly
   unmaps. */
#include "test.h"

#define P 4096L
#define SIZE (3 * P + 100)   /* three pages and a bit */

static uint8_t pat(long i) { return (uint8_t)(i * 7 + 3); }

static long wb(void)
{
    struct vmstat st;
    CHECK_EQ(vmstat(&st), 0);
    return (long)st.writeback;
}

static long file_reads(void)
{
    struct vmstat st;
    CHECK_EQ(vmstat(&st), 0);
    return (long)st.file;
}

/* (Re)create path with SIZE bytes of the pattern. */
static void make_file(const char *path)
{
    static uint8_t buf[SIZE];
    for (long i = 0; i < SIZE; i++)
        buf[i] = pat(i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write_all(fd, buf, SIZE));
    CHECK_EQ(close(fd), 0);
}

static uint8_t byte_at(const char *path, long off)
{
    uint8_t c = 0;
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, off, SEEK_SET), off);
    CHECK_EQ(read(fd, &c, 1), 1);
    close(fd);
    return c;
}

/* Run fn in a child; return how it ended (WAIT_EXITED / WAIT_KILLED). */
static long in_child(void (*fn)(volatile uint8_t *), volatile uint8_t *arg)
{
    int pid = fork();
    if (pid == 0) {
        fn(arg);
        exit(0);
    }
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    return how;
}

static void touch_read(volatile uint8_t *a) { (void)*a; }
static void touch_write(volatile uint8_t *a) { *a = 1; }

static void private_maps(void)
{
    make_file("/mm1");
    int fd = open("/mm1", O_RDWR);
    CHECK(fd >= 0);
    uint8_t *a = mmap(NULL, 5 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED);
    /* lazy: a write(2) before the first touch shows through */
    CHECK_EQ(lseek(fd, 2 * P + 10, SEEK_SET), 2 * P + 10);
    CHECK_EQ(write(fd, "XY", 2), 2);
    for (long i = 0; i < SIZE; i++)
        if (i != 2 * P + 10 && i != 2 * P + 11)
            CHECK_EQ(a[i], pat(i));
    CHECK(a[2 * P + 10] == 'X' && a[2 * P + 11] == 'Y');
    for (long i = SIZE; i < 4 * P; i++)
        CHECK_EQ(a[i], 0); /* the last partial page: zeros past the end */
    /* private writes stay private */
    a[5] = 0xee;
    a[3 * P + 50] = 0xdd;
    CHECK_EQ(byte_at("/mm1", 5), pat(5));
    uint8_t *b = mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE, fd, P); /* an offset */
    CHECK(b != MAP_FAILED);
    CHECK_EQ(b[0], pat(P));
    CHECK_EQ(b[5], pat(P + 5));
    /* wholly past the end: a bus error for reads and writes */
    CHECK_EQ(in_child(touch_read, a + 4 * P), WAIT_KILLED);
    CHECK_EQ(in_child(touch_write, a + 4 * P + 8), WAIT_KILLED);
    CHECK_EQ(munmap(b, 2 * P), 0);
    CHECK_EQ(munmap(a, 5 * P), 0);
    close(fd);
}

static void shared_maps(void)
{
    make_file("/mm2");
    int fd = open("/mm2", O_RDWR);
    CHECK(fd >= 0);
    uint8_t *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    uint8_t *b = mmap(NULL, 4 * P, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b);
    CHECK_EQ(a[P + 1], pat(P + 1));
    long w0 = wb();
    a[P + 1] = 0x11;          /* page 1 */
    a[3 * P + 2] = 0x22;      /* page 3, the partial one */
    a[3 * P + 300] = 0x33;    /* past the end: never reaches the file */
    CHECK_EQ(b[P + 1], 0x11); /* other mappers see it at once, and so does read */
    CHECK_EQ(byte_at("/mm2", P + 1), 0x11);
    CHECK_EQ(msync(a, 4 * P, MS_SYNC), 0);
    CHECK_EQ(wb() - w0, 2);   /* only the two dirty pages */
    CHECK_EQ(msync(a, 4 * P, MS_SYNC), 0);
    CHECK_EQ(wb() - w0, 2);   /* nothing is dirty now */
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, SIZE); /* write-back never grows the file */
    uint8_t c;
    CHECK_EQ(lseek(fd, 3 * P + 300, SEEK_SET), 3 * P + 300);
    CHECK_EQ(read(fd, &c, 1), 0);
    /* writing past the end of the file with write(2) reads as zeros up to the new bytes */
    CHECK_EQ(lseek(fd, 3 * P + 400, SEEK_SET), 3 * P + 400);
    CHECK_EQ(write(fd, "Z", 1), 1);
    CHECK_EQ(byte_at("/mm2", 3 * P + 300), 0);
    CHECK_EQ(byte_at("/mm2", 3 * P + 400), 'Z');
    CHECK_EQ(b[3 * P + 400], 'Z');
    /* EINVAL and ENOMEM of msync */
    CHECK_EQ(msync(a + 1, P, MS_SYNC), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(msync(a, P, MS_SYNC | MS_ASYNC), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(msync((void *)0x2000000000, P, MS_SYNC), -1);
    CHECK_EQ(errno, ENOMEM);

    /* munmap writes back; then with no one holding the file its pages are read from the disk again */
    w0 = wb();
    a[2 * P] = 0x44;
    CHECK_EQ(munmap(a, 4 * P), 0);
    CHECK_EQ(munmap(b, 4 * P), 0);
    close(fd);
    long r0 = file_reads();
    CHECK_EQ(byte_at("/mm2", 2 * P), 0x44);
    CHECK_EQ(wb() - w0, 1);
    CHECK(file_reads() > r0);
    CHECK_EQ(byte_at("/mm2", P + 1), 0x11);
    CHECK_EQ(byte_at("/mm2", 3 * P + 2), 0x22);

    /* exit writes back */
    fd = open("/mm2", O_RDWR);
    a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    close(fd);
    w0 = wb();
    int pid = fork();
    if (pid == 0) {
        a[7] = 0x55;
        exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(a[7], 0x55);
    CHECK_EQ(munmap(a, 4 * P), 0); /* the parent has nothing dirty of its own */
    CHECK_EQ(byte_at("/mm2", 7), 0x55);
    CHECK_EQ(wb() - w0, 1);
    /* a shared mapping past the end is a bus error too */
    fd = open("/mm2", O_RDONLY);
    a = mmap(NULL, 6 * P, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    CHECK_EQ(in_child(touch_read, a + 5 * P), WAIT_KILLED);
    CHECK_EQ(a[3 * P + 400], 'Z');
    CHECK_EQ(munmap(a, 6 * P), 0);
    close(fd);
}

/* Mappings outlive their descriptor and the file's name. */
static void survive(void)
{
    make_file("/mm3");
    int fd = open("/mm3", O_RDWR);
    uint8_t *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    uint8_t *b = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("/mm3"), 0);
    CHECK_EQ(open("/mm3", O_RDONLY), -1);
    for (long i = 0; i < SIZE; i += 511)
        CHECK_EQ(b[i], pat(i));
    a[9] = 0x66;
    CHECK_EQ(b[9], 0x66); /* untouched private page: still the file's */
    CHECK_EQ(msync(a, 4 * P, MS_SYNC), 0);
    CHECK_EQ(munmap(a, 4 * P), 0);
    CHECK_EQ(munmap(b, 4 * P), 0);
}

static void errors(void)
{
    make_file("/mm4");
    int ro = open("/mm4", O_RDONLY), wo = open("/mm4", O_WRONLY), fds[2];
    CHECK(ro >= 0 && wo >= 0 && pipe(fds) == 0);
    CHECK(mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
    CHECK_EQ(errno, EACCES);
    CHECK(mmap(NULL, P, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED);
    CHECK_EQ(errno, EACCES);
    uint8_t *a = mmap(NULL, P, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(a != MAP_FAILED);
    CHECK_EQ(mprotect(a, P, PROT_READ | PROT_WRITE), -1);
    CHECK_EQ(errno, EACCES);
    CHECK_EQ(munmap(a, P), 0);
    a = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0); /* private copies are fine */
    CHECK(a != MAP_FAILED);
    a[0] = 1;
    CHECK_EQ(byte_at("/mm4", 0), pat(0));
    CHECK_EQ(munmap(a, P), 0);
    CHECK(mmap(NULL, P, PROT_READ, MAP_SHARED, 15, 0) == MAP_FAILED);
    CHECK_EQ(errno, EBADF);
    CHECK(mmap(NULL, P, PROT_READ, MAP_SHARED, -3, 0) == MAP_FAILED);
    CHECK_EQ(errno, EBADF);
    CHECK(mmap(NULL, P, PROT_READ, MAP_SHARED, fds[0], 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV);
    CHECK(mmap(NULL, P, PROT_READ, MAP_PRIVATE, ro, 100) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    int dir = open("/bin", O_RDONLY);
    CHECK(mmap(NULL, P, PROT_READ, MAP_PRIVATE, dir, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV);
    close(dir);
    close(ro);
    close(wo);
    close(fds[0]);
    close(fds[1]);
    CHECK_EQ(unlink("/mm4"), 0);
}

/* fork with a shared file mapping: the child unmaps part of it; the parent's
   stays whole, writes are still shared, and the child touching what it
   unmapped is killed. */
static void fork_partial(void)
{
    static uint8_t buf[8 * P];
    for (long i = 0; i < 8 * P; i++)
        buf[i] = pat(i);
    int fd = open("/mm5", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0 && write_all(fd, buf, sizeof buf));
    uint8_t *a = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    a[0] = 0x77;
    int pid = fork();
    if (pid == 0) {
        CHECK_EQ(a[0], 0x77);
        CHECK_EQ(munmap(a + 2 * P, 2 * P), 0);
        a[5 * P] = 0x88;     /* still shared with the parent */
        CHECK_EQ(a[6 * P + 1], pat(6 * P + 1));
        *(volatile uint8_t *)(a + 2 * P + 3) = 1; /* unmapped: killed here */
        exit(0);
    }
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(a[5 * P], 0x88);
    for (long i = 2 * P; i < 4 * P; i += 97)
        CHECK_EQ(a[i], pat(i)); /* the parent's middle pages are still there */
    struct region_info ri[32];
    long n = pmap(getpid(), ri, 32), found = 0;
    for (long i = 0; i < n && i < 32; i++)
        if (ri[i].start == (uint64_t)a && ri[i].end == (uint64_t)a + 8 * P && strcmp(ri[i].kind, "fshared") == 0)
            found++;
    CHECK_EQ(found, 1);
    CHECK_EQ(munmap(a, 8 * P), 0);
    close(fd);
    CHECK_EQ(byte_at("/mm5", 5 * P), 0x88);
    CHECK_EQ(byte_at("/mm5", 0), 0x77);
    CHECK_EQ(unlink("/mm5"), 0);
}

int main(void)
{
    private_maps();
    shared_maps();
    survive();
    errors();
    fork_partial();
    CHECK_EQ(unlink("/mm1"), 0);
    CHECK_EQ(unlink("/mm2"), 0);
    printf("t_fmmap: ok\n");
    return 0;
}
