/* Truncation reaches every mapper (issue 8): when another process opens a
   mapped file with O_TRUNC, the pages past the new end leave the page tables
   of every process that maps the file, MAP_SHARED and MAP_PRIVATE (its
   copy-on-write copies too, as on Linux), so the next touch of such a page is
   a bus error kill; pages that are in the file again after it grows are
   mapped afresh, so a shared mapper's writes reach the file and a private
   mapper reads what the file holds now. */
#include "test.h"

#define P 4096L
#define PATH "/trunc"

static long bus_errors(void)
{
    struct vmstat st;
    CHECK_EQ(vmstat(&st), 0);
    return (long)st.bus_error;
}

/* PATH with npages pages of byte c. */
static void make_file(long npages, char c)
{
    static char buf[P];
    memset(buf, c, sizeof buf);
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    for (long i = 0; i < npages; i++)
        CHECK(write_all(fd, buf, P));
    CHECK_EQ(close(fd), 0);
}

static char byte_at(long off)
{
    char c = 0;
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, off, SEEK_SET), off);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(close(fd), 0);
    return c;
}

static int ready[2], go[2];

static void signal_ready(void)
{
    CHECK_EQ(write(ready[1], "r", 1), 1);
}

static void wait_go(void)
{
    char c;
    CHECK_EQ(read(go[0], &c, 1), 1);
}

/* The child: map PATH (3 pages), write or read every page, say so, wait
   while the parent truncates; then `after` runs, and ends with a touch
   that must kill. */
static int start_child(int flags, void (*after)(volatile char *))
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(PATH, O_RDWR);
        CHECK(fd >= 0);
        volatile char *m = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, flags, fd, 0);
        CHECK(m != MAP_FAILED);
        for (long i = 0; i < 3; i++)
            CHECK_EQ(m[i * P], 'a');
        m[0] = 'b';          /* private: page 0 becomes a copy of its own */
        m[2 * P + 5] = 'b';  /* and page 2 */
        signal_ready();
        wait_go();
        after(m);
        exit(0);             /* not reached: after() touches a page past the end */
    }
    return pid;
}

/* Truncate PATH to nothing, then give it one page and 100 bytes of 'n'. */
static void truncate_and_regrow(void)
{
    int fd = open(PATH, O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    static char buf[P + 100];
    memset(buf, 'n', sizeof buf);
    CHECK(write_all(fd, buf, sizeof buf));
    CHECK_EQ(close(fd), 0);
}

static void end_child(int pid, long bus_before)
{
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(bus_errors(), bus_before + 1);
}

/* MAP_SHARED, after the truncate: pages 0 and 1 are the file's again and show
   the new bytes; writes to them reach the file; page 2 is past the end. */
static void shared_after(volatile char *m)
{
    CHECK_EQ(m[0], 'n');
    CHECK_EQ(m[P + 99], 'n');
    CHECK_EQ(m[P + 100], 0);  /* past the end in the last page: zeros */
    m[10] = 'A';
    m[P + 50] = 'B';
    CHECK_EQ(msync((void *)m, 2 * P, MS_SYNC), 0);
    CHECK_EQ(byte_at(10), 'A');
    CHECK_EQ(byte_at(P + 50), 'B');
    (void)m[2 * P];           /* killed here */
}

/* MAP_PRIVATE: the same, and page 0 (a copy of its own before) now shows
   the file again; page 2, a copy of its own too, is past the end. */
static void private_after(volatile char *m)
{
    CHECK_EQ(m[0], 'n');
    CHECK_EQ(m[P + 99], 'n');
    m[10] = 'A';              /* a private write never reaches the file */
    CHECK_EQ(byte_at(10), 'n');
    (void)m[2 * P + 5];       /* killed here */
}

/* The child only writes the pages past the new end (O_TRUNC, nothing written
   since): the write is a bus error, not a write into a page the file lost. */
static void shared_write_after(volatile char *m)
{
    m[P] = 'x';
}

int main(void)
{
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(go), 0);
    void (*afters[])(volatile char *) = { shared_after, private_after, shared_write_after };
    int flags[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED };
    for (int k = 0; k < 3; k++) {
        make_file(3, 'a');
        int pid = start_child(flags[k], afters[k]);
        char c;
        CHECK_EQ(read(ready[0], &c, 1), 1);
        long bus = bus_errors();
        if (k < 2) {
            truncate_and_regrow();
        } else {
            int fd = open(PATH, O_RDWR | O_TRUNC);
            CHECK(fd >= 0);
            CHECK_EQ(close(fd), 0);
        }
        CHECK_EQ(write(go[1], "g", 1), 1);
        end_child(pid, bus);
        struct stat st;
        CHECK_EQ(stat(PATH, &st), 0);
        CHECK_EQ(st.st_size, k < 2 ? P + 100 : 0);
    }
    CHECK_EQ(unlink(PATH), 0);
    printf("t_ftrunc: ok\n");
    return 0;
}
