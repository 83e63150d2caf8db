/* Page-table pages are charged to the address space that needs them, within the
   quota the pager sets (as_limit). A child that reads one byte every 2 MiB of a
   64 GiB mapping (a new table per read, no frame) is killed at its quota with a
   one-line message, while others still fork, map and touch memory; unmapping
   gives the tables back, so mapping and unmapping sparse ranges again and again
   holds no more tables than the ranges themselves. */
#include "test.h"

#define MiB (1UL << 20)
#define GiB (1UL << 30)

static long pt_used(void)
{
    return sys_pt_info(0);
}

/* Read one byte every 2 MiB of 64 GiB: stop a few tables short of the quota,
   tell the parent (ready), wait for it (go), then go on until killed. */
static void hog(int ready, int go)
{
    long limit = 0, used = sys_pt_info(&limit);
    CHECK(limit > 0);
    CHECK(used > 0 && used < limit);
    volatile char *p = mmap(0, 64 * GiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    uint64_t off = 0;
    long sum = 0;
    while (pt_used() < limit - 4 && off < 64 * GiB) {
        sum += p[off];
        off += 2 * MiB;
    }
    CHECK(pt_used() >= limit - 4 && pt_used() < limit); /* charged as they came, nothing refused yet */
    CHECK(write(ready, "r", 1) == 1);
    char c;
    CHECK(read(go, &c, 1) == 1);
    for (; off < 64 * GiB; off += 2 * MiB)
        sum += p[off];
    printf("t_ptquota: read %ld bytes past the quota\n", sum);
    exit(3); /* not reached: the parent wants a kill */
}

/* A child forks, maps 8 MiB and writes every page; both must work. */
static void fork_and_touch(void)
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *p = mmap(0, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED);
        for (uint64_t off = 0; off < 8 * MiB; off += 4096)
            p[off] = (char)(off >> 12);
        for (uint64_t off = 0; off < 8 * MiB; off += 4096)
            CHECK_EQ(p[off], (char)(off >> 12));
        exit(0);
    }
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
}

static void quota_kill(void)
{
    int ready[2], go[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(go), 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        hog(ready[1], go[0]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    fork_and_touch();                     /* meanwhile: the hog holds almost its quota */
    CHECK(write(go[1], "g", 1) == 1);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);           /* the message is checked by the runner */
    fork_and_touch();                     /* afterwards */
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

/* Exact counts: a table per 2 MiB touched, one more for a new gigabyte; munmap
   frees a table as soon as nothing is left in it. */
static void give_back(void)
{
    char *base = (char *)(130 * GiB);
    long used0 = pt_used();
    char *p = mmap(base, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(p == base);
    p[0] = 1;
    p[2 * MiB] = 2;
    p[4 * MiB - 4096] = 3;
    CHECK_EQ(pt_used(), used0 + 3);       /* the level-1 table and two level-0 tables */
    CHECK_EQ(munmap(p, 2 * MiB), 0);
    CHECK_EQ(pt_used(), used0 + 2);
    CHECK_EQ(munmap(p + 2 * MiB, 4096), 0); /* the table still maps a page */
    CHECK_EQ(pt_used(), used0 + 2);
    CHECK_EQ(p[4 * MiB - 4096], 3);
    CHECK_EQ(munmap(p + 2 * MiB, 2 * MiB), 0);
    CHECK_EQ(pt_used(), used0);

    /* sparse ranges mapped, touched and unmapped many times, each at a new
       place: without the give-back they would pass the quota at the fifth */
    long sum = 0;
    for (uint64_t i = 0; i < 48; i++) {
        char *q = (char *)(128 * GiB + i * GiB);
        char *r = mmap(q, 512 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        CHECK(r == q);
        for (uint64_t off = 0; off < 512 * MiB; off += 2 * MiB)
            sum += r[off];
        CHECK_EQ(pt_used(), used0 + 257);
        CHECK_EQ(munmap(r, 512 * MiB), 0);
        CHECK_EQ(pt_used(), used0);
    }
    CHECK_EQ(sum, 0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    long limit = 0;
    CHECK(sys_pt_info(&limit) > 0);
    CHECK(limit >= 513 + 8);              /* a 1 GiB range touched every 2 MiB fits, with the program */
    give_back();
    quota_kill();
    give_back();
    return 0;
}
