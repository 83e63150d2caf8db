/* sbrk: growth is lazy (90 MiB costs no frame until touched) except under an
   eager policy (its first 16 MiB are mapped at once); 1 GiB, far more than RAM
   plus swap, is refused under a strict policy and given (and usable a few
   pages at a time) under overcommit; beyond HEAP_MAX fails under any;
   shrinking gives the frames back and a later touch of the old range kills
   the child. */
#include "test.h"

#define MiB (1L << 20)

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1) { /* child: touch memory given back */
        char *p = sbrk(0);
        char *q = sbrk(4 * MiB);
        CHECK(q == p);
        q[0] = 1;
        q[4 * MiB - 1] = 1;
        CHECK(sbrk(-4 * MiB) == q + 4 * MiB);
        q[4096] = 2;  /* killed here */
        return 0;
    }
    struct pager_stat ps;
    CHECK_EQ(pager_stat(&ps), 0);
    bool eager = ps.policy_flags & POLICY_EAGER, strict = ps.policy_flags & POLICY_STRICT;
    printf("t_sbrk: policy %s%s%s\n", ps.policy, eager ? ", eager" : "", strict ? ", strict" : ", overcommit");
    struct vmstat s0, s1, s2;
    CHECK_EQ(vmstat(&s0), 0);
    char *old = sbrk(0);
    CHECK(old != (void *)-1);
    char *p = sbrk(90 * MiB);
    CHECK(p == old);
    CHECK(sbrk(0) == old + 90 * MiB);
    CHECK_EQ(vmstat(&s1), 0);
    if (eager)
        CHECK(s0.frames_free - s1.frames_free >= EAGER_PAGES); /* mapped when made: 16 MiB of it */
    else
        CHECK(s0.frames_free - s1.frames_free < 8);   /* lazy: no frames (a little bookkeeping at most) */
    for (long i = 0; i < 90 * MiB; i += 1 * MiB)
        p[i] = (char)i;
    for (long i = 0; i < 90 * MiB; i += 1 * MiB)
        CHECK_EQ(p[i], (char)i);
    char *big = sbrk(1024 * MiB);            /* 1 GiB: more than RAM plus swap */
    if (strict) {
        CHECK(big == (void *)-1);
        CHECK_EQ(errno, ENOMEM);
    } else {                                 /* the lazy-allocation lab's case: reserve much, touch little */
        CHECK(big == old + 90 * MiB);
        for (long off = 0; off < 1024 * MiB; off += 256 * MiB)
            big[off] = (char)(off >> 20);
        big[1024 * MiB - 1] = 7;
        for (long off = 0; off < 1024 * MiB; off += 256 * MiB)
            CHECK_EQ(big[off], (char)(off >> 20));
        CHECK_EQ(big[1024 * MiB - 1], 7);
        CHECK(sbrk(-1024 * MiB) == big + 1024 * MiB);
    }
    CHECK(sbrk(8L << 30) == (void *)-1);     /* 8 GiB: beyond HEAP_MAX whatever the policy */
    CHECK_EQ(errno, ENOMEM);
    CHECK(sbrk(-200 * MiB) == (void *)-1);   /* below the start of the heap */
    CHECK(sbrk(-90 * MiB) == old + 90 * MiB);
    CHECK_EQ(vmstat(&s2), 0);
    CHECK(s2.frames_free + 8 >= s0.frames_free);   /* the 90 touched frames came back */
    long how, code;
    run_child("t_sbrk", 1, &how, &code);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(code, SIGSEGV);
    /* malloc on top of it */
    char *m = malloc(1000);
    CHECK(m != NULL);
    memset(m, 7, 1000);
    char *mb = malloc(1 << 20);
    CHECK(mb != NULL);
    mb[(1 << 20) - 1] = 1;
    free(mb);
    free(m);
    CHECK(malloc(1UL << 41) == NULL);
    return 0;
}
