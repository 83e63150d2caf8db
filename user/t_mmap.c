/* mmap, munmap and mprotect at the edges: splitting a region, read-only then a
   write, shared and private anonymous memory across fork, and the errors POSIX
   names. */
#include "test.h"

#define PG 4096L

static long how, code;

static void expect_killed(const char *prog, long arg)
{
    run_child(prog, arg, &how, &code);
    CHECK_EQ(how, WAIT_KILLED);
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1) { /* the hole in the middle of a region */
        char *p = mmap(0, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(munmap(p + 3 * PG, 2 * PG), 0);
        p[0] = p[2 * PG] = p[5 * PG] = p[7 * PG] = 1;
        p[3 * PG + 10] = 1; /* killed */
        return 0;
    }
    if (arg == 2) { /* read-only, then a write */
        char *p = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[PG] = 5;
        CHECK_EQ(mprotect(p, 4 * PG, PROT_READ), 0);
        CHECK_EQ(p[PG], 5);
        p[PG] = 6; /* killed */
        return 0;
    }
    if (arg == 3) { /* PROT_NONE */
        char *p = mmap(0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p[0]; /* killed */
    }

    /* split: both sides keep working, the hole kills */
    char *p = mmap(0, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (int i = 0; i < 8; i++)
        p[i * PG] = (char)(i + 1);
    CHECK_EQ(munmap(p + 3 * PG, 2 * PG), 0);
    for (int i = 0; i < 8; i++)
        if (i < 3 || i > 4)
            CHECK_EQ(p[i * PG], i + 1);
    struct region_info ri[32];
    long n = pmap(getpid(), ri, 32), found = 0;
    for (long i = 0; i < n; i++)
        if (ri[i].start == (uint64_t)p || ri[i].start == (uint64_t)(p + 5 * PG))
            found++;
    CHECK_EQ(found, 2);
    expect_killed("t_mmap", 1);
    CHECK_EQ(code, SIGSEGV); /* a store page fault */
    /* mprotect of part of it, then back: the pieces merge again */
    CHECK_EQ(mprotect(p + PG, PG, PROT_READ), 0);
    CHECK_EQ(mprotect(p + PG, PG, PROT_READ | PROT_WRITE), 0);
    p[PG] = 9;
    CHECK_EQ(p[PG], 9);
    long n2 = pmap(getpid(), ri, 32);
    CHECK_EQ(n2, n);
    expect_killed("t_mmap", 2);
    CHECK_EQ(code, SIGSEGV); /* a store page fault */
    expect_killed("t_mmap", 3);
    CHECK_EQ(code, SIGSEGV); /* a load page fault */

    /* shared memory is shared across fork, private memory is not */
    int *sh = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pr = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED && pr != MAP_FAILED);
    sh[0] = 1;
    pr[0] = 1;
    int pid = fork();
    if (pid == 0) {
        sh[0] = 2;
        sh[1024] = 3;   /* a page nobody touched yet */
        pr[0] = 2;
        exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(sh[0], 2);
    CHECK_EQ(sh[1024], 3);
    CHECK_EQ(pr[0], 1);

    /* hints and MAP_FIXED */
    char *want = (char *)0x2000000000L;
    char *h = mmap(want, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(h == want);
    h[0] = 'h';
    char *f = mmap(want, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == want);
    CHECK_EQ(f[0], 0);  /* MAP_FIXED replaced the old page */
    char *h2 = mmap(want, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(h2 != MAP_FAILED && h2 != want);   /* the hint is taken: placed elsewhere */

    /* errors */
    CHECK(mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);   /* neither shared nor private */
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap((void *)0x1001, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(0, 1L << 45, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(0, 200L << 30, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(munmap((void *)0x1001, PG), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(mprotect((void *)0x3000000000L, PG, PROT_READ), -1);   /* nothing mapped there */
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(munmap((void *)0x3000000000L, PG), 0);                 /* unmapping nothing is fine */
    return 0;
}
