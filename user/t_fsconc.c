/* The pager and the file server do not deadlock under concurrent use: six
   tasks read the same uncached pages of a file at the same moment (each page
   goes into the cache once, for all of them); while one task writes a 4 MiB
   file in 64 KiB pieces, others exec programs from /bin (output through
   pipes), touch fresh anonymous memory (malloc, sbrk, mmap) and read files,
   and one more keeps taking the file server's own pages out of its page table
   (PG_DROPMAPS), so the server faults on its own code, stack and buffers in
   the middle of jobs while other faults wait for it. Everyone finishes with
   the right bytes, and the server's fault count shows it did fault. */
#include "test.h"

#define SMALL "/fsconc.a"
#define BIG "/fsconc.big"
#define SMALL_SIZE (3 * 4096 + 100)    /* four pages, the last partial */
#define BIG_SIZE (4L << 20)
#define CHUNK (64 * 1024)
#define NREAD 6

static char small[SMALL_SIZE], got[SMALL_SIZE + 1];
static long big[CHUNK / 8];

static void reap(int pid)
{
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

/* Read all of fd (at most SMALL_SIZE + 1 bytes) in pieces of step into got. */
static long slurp(int fd, long step)
{
    long total = 0, n;
    while ((n = read(fd, got + total, (size_t)(total + step > SMALL_SIZE + 1 ? SMALL_SIZE + 1 - total : step))) > 0)
        total += n;
    CHECK_EQ(n, 0);
    return total;
}

/* Open SMALL and check its bytes, read in pieces of step. */
static void check_small(long step)
{
    int fd = open(SMALL, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(slurp(fd, step), SMALL_SIZE);
    CHECK(memcmp(got, small, SMALL_SIZE) == 0);
    CHECK_EQ(close(fd), 0);
}

/* Run path with av, its output into a pipe; check it exits 0 and wrote want. */
static void run(const char *path, char *const av[], const char *want, long want_len)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(path, av);
        exit(99);
    }
    CHECK_EQ(close(p[1]), 0);
    CHECK_EQ(slurp(p[0], 4096), want_len);
    CHECK(memcmp(got, want, (size_t)want_len) == 0);
    CHECK_EQ(close(p[0]), 0);
    reap(pid);
}

/* Fresh memory (bytes long at p): it reads zeros and keeps what is written. */
static void fresh(long *p, long bytes, long seed)
{
    for (long i = 0; i < bytes / 8; i += 512) {
        CHECK_EQ(p[i], 0);
        p[i] = seed + i;
    }
    for (long i = 0; i < bytes / 8; i += 512)
        CHECK_EQ(p[i], seed + i);
}

/* Fresh anonymous memory three ways: mmap, sbrk (whole new pages), and a large calloc. */
static void touch_anon(long seed)
{
    long *m = mmap(0, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    fresh(m, 256 * 1024, seed);
    CHECK_EQ(munmap(m, 256 * 1024), 0);
    long pad = (long)(-(uintptr_t)sbrk(0) & 4095); /* from a page boundary: the break's own page keeps what it held */
    long *s = sbrk(pad + 64 * 1024);
    CHECK(s != (void *)-1);
    fresh((long *)((char *)s + pad), 64 * 1024, seed + 1);
    CHECK(sbrk(-(pad + 64 * 1024)) != (void *)-1);
    long *h = calloc(1, 192 * 1024);
    CHECK(h);
    fresh(h, 192 * 1024 - 64, seed + 2);
    free(h);
}

/* Write BIG in 64 KiB pieces (each long holds its offset), read it back. */
static void write_big(void)
{
    int fd = open(BIG, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    for (long off = 0; off < BIG_SIZE; off += CHUNK) {
        for (long i = 0; i < CHUNK / 8; i++)
            big[i] = off + i * 8;
        CHECK_EQ(write(fd, big, CHUNK), CHUNK);
    }
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    for (long off = 0; off < BIG_SIZE; off += CHUNK) {
        CHECK_EQ(read(fd, big, CHUNK), CHUNK);
        for (long i = 0; i < CHUNK / 8; i++)
            CHECK_EQ(big[i], off + i * 8);
    }
    CHECK_EQ(close(fd), 0);
}

/* NREAD tasks open SMALL (none has it open before: nothing cached), wait at
   a gate, then all read it at once, half with read(2) in pieces of their own,
   half by faulting on a mapping of it (shared or private). Returns how many
   pages went into a cache meanwhile. */
static long gate_readers(void)
{
    int go[2], ready[2], pids[NREAD];
    CHECK_EQ(pipe(go), 0);
    CHECK_EQ(pipe(ready), 0);
    for (int k = 0; k < NREAD; k++) {
        pids[k] = fork();
        CHECK(pids[k] >= 0);
        if (pids[k] == 0) {
            char c;
            close(go[1]);
            int fd = open(SMALL, O_RDONLY);
            CHECK(fd >= 0);
            const char *map = k % 2 ? mmap(NULL, SMALL_SIZE, PROT_READ, k % 4 == 1 ? MAP_SHARED : MAP_PRIVATE, fd, 0)
                                    : NULL;
            CHECK(map != MAP_FAILED);
            CHECK_EQ(write(ready[1], "r", 1), 1);
            CHECK_EQ(read(go[0], &c, 1), 0);
            if (map) {                   /* faults on the same pages at once */
                CHECK(memcmp(map, small, SMALL_SIZE) == 0);
                exit(0);
            }
            CHECK_EQ(slurp(fd, k ? 1000 + 997 * k : SMALL_SIZE), SMALL_SIZE);
            CHECK(memcmp(got, small, SMALL_SIZE) == 0);
            exit(0);
        }
    }
    close(go[0]);
    close(ready[1]);
    for (int k = 0; k < NREAD; k++) {
        char c;
        CHECK_EQ(read(ready[0], &c, 1), 1);
    }
    close(ready[0]);
    struct vmstat s1, s2;
    CHECK_EQ(vmstat(&s1), 0);
    CHECK_EQ(close(go[1]), 0);   /* go */
    for (int k = 0; k < NREAD; k++)
        reap(pids[k]);
    CHECK_EQ(vmstat(&s2), 0);
    return (long)(s2.file - s1.file);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int i = 0; i < SMALL_SIZE; i++)
        small[i] = (char)(i * 13 + i / 4096);
    int fd = open(SMALL, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write_all(fd, small, SMALL_SIZE));
    CHECK_EQ(close(fd), 0);      /* no one has it open: its pages leave the cache */

    /* twice (the first time also brings in this program's own pages, which
       the count below includes): each page is put in the cache once */
    for (int round = 0; round < 2; round++) {
        long n = gate_readers();
        CHECK(round ? n == 4 : n >= 4);
    }

    /* a writer keeps the file server busy; the others work until it is done
       (a flag in shared memory says so) */
    volatile long *done = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(done != MAP_FAILED);
    uint64_t fs_faults = 0, faults_after = 0;
    long fspid = proc_by_name("fs", &fs_faults);
    CHECK(fspid > 0);
    int kids[5];
    for (int k = 0; k < 5; k++) {
        kids[k] = fork();
        CHECK(kids[k] >= 0);
        if (kids[k] != 0)
            continue;
        if (k == 0) {
            write_big();
            exit(0);
        }
        if (k == 4) {                        /* the file server loses its mappings, again and again */
            for (long i = 0; !*done; i++) {
                CHECK_EQ(dropmaps(fspid), 0);
                nap(RDTIME_HZ / 500); /* 2 ms: on several harts yields would not slow it down */
            }
            exit(0);
        }
        for (long i = 0; i < 500 && (i < 2 || !*done); i++) {
            if (k == 1) {                    /* exec programs from /bin */
                char word[24];
                snprintf(word, sizeof word, "w%ld", i);
                char *echo[] = { "echo", "conc", word, NULL };
                char *t[] = { "true", NULL };
                char want[32];
                int len = snprintf(want, sizeof want, "conc %s\n", word);
                run("/bin/echo", echo, want, len);
                run("/bin/true", t, "", 0);
            } else if (k == 2) {             /* exec a program that reads a file */
                char *cat[] = { "cat", SMALL, NULL };
                run("/bin/cat", cat, small, SMALL_SIZE);
            } else {                         /* fresh memory, and files read directly */
                touch_anon(i * 1000);
                check_small(500 + i);
                fd = open("/bin/hello", O_RDONLY);
                CHECK(fd >= 0);
                CHECK_EQ(read(fd, got, 4), 4);
                CHECK(got[0] == 0x7f && got[1] == 'E' && got[2] == 'L' && got[3] == 'F');
                CHECK_EQ(close(fd), 0);
            }
        }
        exit(0);
    }
    int status;
    CHECK_EQ(waitpid(kids[0], &status, 0), kids[0]);
    *done = 1;                   /* also when the writer failed: the others stop */
    for (int k = 1; k < 5; k++)
        reap(kids[k]);
    CHECK_EQ(proc_by_name("fs", &faults_after), fspid);
    fs_faults = faults_after - fs_faults;
    printf("t_fsconc: the file server faulted %lu times while it worked\n", (unsigned long)fs_faults);
    CHECK(fs_faults >= 50);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(munmap((void *)done, 4096), 0);

    CHECK_EQ(unlink(BIG), 0);
    CHECK_EQ(unlink(SMALL), 0);
    return 0;
}
