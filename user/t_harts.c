/* Every hart runs tasks: as many children as there are harts spin at once,
   each noting the harts it finds itself on (thread_hart), and ps shows each
   process's hart. A runnable thread never waits while a hart idles, so over
   the run the children are seen on every hart; on one hart they all say 0.
   Then pinning: a thread pinned to a hart (thread_pin) is found only there,
   children pinned one to each hart stay on theirs, and the pager pinned to a
   hart (PG_PIN, which needs RIGHT_PROCS) still serves faults and requests. */
#include "test.h"

#define ROUNDS 400
#define MORE_ROUNDS 25
#define MAXH 8

struct seen { volatile uint64_t mask[MAXH]; volatile long done[MAXH]; uint64_t all; };

static void spin(long n)
{
    for (volatile long i = 0; i < n; i++)
        ;
}

/* Pinned, this thread is found on hart h only, through yields and spins. */
static void stay_on(long h)
{
    CHECK_EQ(sys_thread_pin(-1, h), 0);
    for (int r = 0; r < 50; r++) {
        CHECK_EQ(sys_thread_hart(-1), h);
        spin(2000);
        sys_yield();
    }
}

static void test_pin(long nharts, struct seen *s)
{
    CHECK_EQ(sys_thread_pin(-1, nharts), -EINVAL);
    CHECK_EQ(sys_thread_pin(-1, -2), -EINVAL);
    CHECK_EQ(sys_thread_pin(12345, 0), -EBADCAP);
    for (long h = nharts - 1; h >= 0; h--)
        stay_on(h);
    CHECK_EQ(sys_thread_pin(-1, -1), 0);

    /* one child pinned to each hart, all spinning at once: each stays on its own */
    int pids[MAXH];
    for (long k = 0; k < nharts; k++) {
        s->mask[k] = 0;
        pids[k] = fork();
        CHECK(pids[k] >= 0);
        if (pids[k] == 0) {
            if (sys_thread_pin(-1, k) != 0)
                exit(3);
            for (int r = 0; r < ROUNDS / 4; r++) {
                spin(20000);
                s->mask[k] |= 1UL << sys_thread_hart(-1);
            }
            exit(0);
        }
    }
    for (long k = 0; k < nharts; k++) {
        int status;
        CHECK_EQ(waitpid(pids[k], &status, 0), pids[k]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
        CHECK_EQ(s->mask[k], 1UL << k);
    }

    /* the pager pinned to the last hart, this thread to the first: faults and
       requests go across (on one hart both are hart 0) */
    CHECK_EQ(pager_pin(nharts), -EINVAL);
    CHECK_EQ(pager_pin(nharts - 1), 0);
    CHECK_EQ(sys_thread_pin(-1, 0), 0);
    char *p = mmap(0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (int i = 0; i < 64; i++)
        p[i * 4096] = (char)i;
    for (int i = 0; i < 64; i++)
        CHECK_EQ(p[i * 4096], (char)i);
    CHECK_EQ(sys_thread_hart(-1), 0);
    CHECK_EQ(munmap(p, 64 * 4096), 0);
    CHECK_EQ(pager_pin(-1), 0);
    CHECK_EQ(sys_thread_pin(-1, -1), 0);
    CHECK_EQ(rights_keep(0), 0);
    CHECK_EQ(pager_pin(0), -EPERM);
}

int main(void)
{
    struct pager_stat st;
    CHECK_EQ(pg_stat(&st), 0);
    long nharts = st.nharts;
    CHECK(nharts >= 1 && nharts <= MAXH);
    long me = sys_thread_hart(-1);
    CHECK(me >= 0 && me < nharts);
    CHECK_EQ(sys_thread_hart(12345), -EBADCAP);

    struct seen *s = mmap(0, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED);
    int pids[MAXH];
    for (long k = 0; k < nharts; k++) {
        pids[k] = fork();
        CHECK(pids[k] >= 0);
        if (pids[k] == 0) {
            /* ROUNDS rounds, then on until the children together have been on
               every hart (a hart whose QEMU thread the host starves may take
               long to run one), at most MORE_ROUNDS times as many */
            for (int r = 0; r < ROUNDS * MORE_ROUNDS; r++) {
                spin(20000);
                long h = sys_thread_hart(-1);
                if (h < 0 || h >= nharts)
                    exit(2);
                s->mask[k] |= 1UL << h;
                uint64_t all = __atomic_or_fetch(&s->all, 1UL << h, __ATOMIC_RELAXED);
                if (r >= ROUNDS && all == (1UL << nharts) - 1)
                    break;
            }
            s->done[k] = 1;
            exit(0);
        }
    }
    /* While they run, ps names a hart for each running process and none for a zombie. */
    static struct proc_info pi[64];
    long np = ps(pi, 64);
    CHECK(np > 0 && np <= 64);
    for (long i = 0; i < np; i++) {
        if (pi[i].state == 1)
            CHECK(pi[i].hart >= -1 && pi[i].hart < nharts);
        else
            CHECK_EQ(pi[i].hart, -1);
    }
    uint64_t all = 0;
    for (long k = 0; k < nharts; k++) {
        int status;
        CHECK_EQ(waitpid(pids[k], &status, 0), pids[k]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
        CHECK(s->done[k]);
        all |= s->mask[k];
    }
    printf("t_harts: %ld harts, children seen on harts %#lx\n", nharts, (unsigned long)all);
    CHECK_EQ(all, (1UL << nharts) - 1);
    test_pin(nharts, s);
    return 0;
}
