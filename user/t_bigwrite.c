/* A request does bounded work at a time: the pager moves at most IO_MAX bytes
   of a read or write a turn, and the caller, who comes back for the rest,
   goes behind the tasks that are ready. Observed without clocks:
   - write: while a child writes 8 MiB to a file in one write() call, another
     child sees the file part written (0 < size < 8 MiB) after its own page
     faults on fresh pages were served, and the write returns the whole count;
   - read: while a child reads the file in one read() call into a shared
     buffer, another sees the buffer part filled after its own faults, and the
     read returns the whole file (and again from the disk, the cache dropped);
   - pipes: a write larger than the pipe while its reader waits on the empty
     pipe (the writer once blocked with room in the pipe, and both waited for
     ever). */
#include "test.h"

#define BIG (8UL << 20)      /* bytes written and read in one call */
#define NFAULTS 32           /* fresh pages the other child faults on meanwhile */
#define PATH "/bigwrite.dat"

/* shared between the children and the parent (a MAP_SHARED page) */
struct shared {
    volatile long started, done, result, seen;
};
static struct shared *sh;

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i * 7 + i / 4096) | 1); /* never 0: a byte that arrived shows */
}

/* Fault on NFAULTS fresh pages (each a zero-fill fault served by the pager). */
static void fault_fresh_pages(void)
{
    volatile char *p = anon_map(NFAULTS * 4096UL);
    CHECK(p);
    for (int i = 0; i < NFAULTS; i++)
        p[i * 4096L] = 1;
}

static long file_size(int fd)
{
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    return (long)st.st_size;
}

static void wait_ok(long pid, const char *what)
{
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    if (how != WAIT_EXITED || code != 0) {
        printf("t_bigwrite: %s: %s %ld\n", what, how == WAIT_EXITED ? "exit status" : "killed, cause", code);
        exit(1);
    }
}

/* One write() of BIG bytes to fd (from a mapped region); exits 0 when it
   returned BIG. */
static void writer(int fd)
{
    uint8_t *buf = anon_map(BIG);
    CHECK(buf);
    for (uint64_t i = 0; i < BIG; i++)
        buf[i] = pattern(i);
    sh->started = 1;
    long r = write(fd, buf, BIG);
    sh->result = r;
    sh->done = 1;
    exit(r == (long)BIG ? 0 : 1);
}

/* Once the write has begun to land (the file is not empty), fault on fresh
   pages; then the write must still be under way. */
static void write_watcher(int fd)
{
    while (!sh->done && file_size(fd) == 0)
        sys_yield();
    fault_fresh_pages();
    long size = file_size(fd);
    sh->seen = size;
    exit(!sh->done && size > 0 && size < (long)BIG ? 0 : 1);
}

static void test_write(int fd)
{
    sh->started = sh->done = sh->seen = 0;
    long w = fork();
    CHECK(w >= 0);
    if (w == 0)
        writer(fd);
    long f = fork();
    CHECK(f >= 0);
    if (f == 0)
        write_watcher(fd);
    wait_ok(w, "the 8 MiB write");
    CHECK_EQ(sh->result, BIG);
    long how, code;
    CHECK_EQ(wait_how(f, &how, &code), f);
    if (how != WAIT_EXITED || code != 0) {
        printf("t_bigwrite: the write was not under way after %d faults of another task (size %ld of %lu)\n",
               NFAULTS, sh->seen, BIG);
        exit(1);
    }
    CHECK_EQ(file_size(fd), BIG);
}

/* Check buf against the pattern; exits 1 at the first wrong byte. */
static void check_pattern(const uint8_t *buf, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (buf[i] != pattern(i)) {
            printf("t_bigwrite: byte %lu is %u, not %u\n", i, buf[i], pattern(i));
            exit(1);
        }
    }
}

/* One read() of the file (cached: the parent holds it open) into buf, a shared
   mapping the watcher sees, while the watcher faults. */
static void test_read(int fd, uint8_t *buf)
{
    sh->started = sh->done = 0;
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    long r = fork();
    CHECK(r >= 0);
    if (r == 0) {
        sh->started = 1;
        long n = read(fd, buf, BIG + 4096);
        sh->result = n;
        sh->done = 1;
        exit(n == (long)BIG ? 0 : 1);
    }
    long f = fork();
    CHECK(f >= 0);
    if (f == 0) {
        /* once the first bytes are in: fault, then the last page must still be missing */
        volatile uint8_t *v = buf;
        while (!sh->done && v[0] == 0)
            sys_yield();
        fault_fresh_pages();
        exit(!sh->done && v[0] != 0 && v[BIG - 4096] == 0 ? 0 : 1);
    }
    wait_ok(r, "the 8 MiB read");
    long how, code;
    CHECK_EQ(wait_how(f, &how, &code), f);
    if (how != WAIT_EXITED || code != 0) {
        printf("t_bigwrite: the read was not under way after %d faults of another task\n", NFAULTS);
        exit(1);
    }
    check_pattern(buf, BIG);
}

/* The file again from the disk (nobody has it open: its cache is gone), in one
   read() call, which must give every byte up to the end. */
static void test_read_from_disk(uint8_t *buf)
{
    memset(buf, 0, BIG);
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, BIG + 4096), BIG);
    CHECK_EQ(read(fd, buf, 1), 0);
    close(fd);
    check_pattern(buf, BIG);
}

#define PIPE_BYTES (3 * 4096 + 100) /* more than the pipe holds: one request (below IO_MAX) */

/* A reader waits on the empty pipe; then one write of more than the pipe
   holds. Both must finish (within a generous 60 s; else both are killed). */
static void test_pipe(void)
{
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    sh->started = sh->done = sh->result = 0;
    long r = fork();
    CHECK(r >= 0);
    if (r == 0) {
        static char in[PIPE_BYTES];
        close(fds[1]);
        sh->started = 1;
        long got = 0, n;
        while (got < PIPE_BYTES && (n = read(fds[0], in + got, sizeof in - (size_t)got)) > 0)
            got += n;
        for (long i = 0; i < got; i++)
            if (in[i] != (char)('a' + i % 26))
                exit(2);
        sh->done = 1;
        exit(got == PIPE_BYTES ? 0 : 1);
    }
    close(fds[0]);
    while (!sh->started)
        sys_yield();
    for (int i = 0; i < 10; i++) /* the reader gets to its read and waits there */
        sys_yield();
    long w = fork();
    CHECK(w >= 0);
    if (w == 0) {
        static char out[PIPE_BYTES];
        for (long i = 0; i < PIPE_BYTES; i++)
            out[i] = (char)('a' + i % 26);
        sh->result = write(fds[1], out, sizeof out);
        exit(sh->result == PIPE_BYTES ? 0 : 1);
    }
    close(fds[1]);
    uint64_t deadline = rdtime() + 60 * RDTIME_HZ;
    while (!sh->done && rdtime() < deadline)
        nap(RDTIME_HZ / 100);
    if (!sh->done) {
        printf("t_bigwrite: a %d-byte pipe write and its waiting reader hung (wrote %ld)\n", PIPE_BYTES,
               sh->result);
        kill(w, SIGKILL);
        kill(r, SIGKILL);
        wait_how(w, NULL, NULL);
        wait_how(r, NULL, NULL);
        exit(1);
    }
    wait_ok(r, "the pipe reader");
    wait_ok(w, "the pipe writer");
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    test_pipe();
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    test_write(fd);
    uint8_t *buf = mmap(0, BIG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(buf != MAP_FAILED);
    test_read(fd, buf);
    close(fd);
    test_read_from_disk(buf);
    munmap(buf, BIG);
    CHECK_EQ(unlink(PATH), 0);
    printf("t_bigwrite: all passed\n");
    return 0;
}
