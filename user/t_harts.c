/* Every hart runs tasks: as many children as there are harts spin at once,
   each noting the harts it finds itself on (thread_hart), and ps shows each
   process's hart. A runnable thread never waits while a hart idles, so over
   the run the children are seen on every hart; on one hart they all say 0. */
#include "test.h"

#define ROUNDS 400
#define MAXH 8

struct seen { volatile uint64_t mask[MAXH]; volatile long done[MAXH]; };

static void spin(long n)
{
    for (volatile long i = 0; i < n; i++)
        ;
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
            for (int r = 0; r < ROUNDS; r++) {
                spin(20000);
                long h = sys_thread_hart(-1);
                if (h < 0 || h >= nharts)
                    exit(2);
                s->mask[k] |= 1UL << h;
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
    return 0;
}
