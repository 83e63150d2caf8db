/* RAM and swap exhausted. Under overcommit (every policy but a strict one) a
   child maps and touches more pages than RAM plus swap hold: exactly that
   task is killed (waitpid says killed; vmstat's oom_kills grows by one; the
   runner checks the console line `pid N (t_oom): killed: out of memory
   (resident X KiB, swap Y KiB)`), while a bystander child keeps its data and
   exits normally, and this task goes on. Under strict accounting
   (POLICY_STRICT) nothing may be killed: mmap and sbrk of more than RAM plus
   swap fail with ENOMEM, and what fits is mapped and touched. Afterwards the
   frames (free plus every process's resident pages, its own program pages
   brought back first) and the swap slots that no live task holds
   (swap_unowned) are what they were. Needs RIGHT_PROCS (counts every process's pages). */
#include "test.h"

#define BYSTANDER_PAGES 64
#define SEED 21

static int ready[2], go[2];

/* A small task that holds a pattern, says it is ready, and checks it when told. */
static int bystander(long arg)
{
    (void)arg;
    uint64_t *mem = mmap(NULL, BYSTANDER_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 2;
    for (uint64_t i = 0; i < BYSTANDER_PAGES; i++)
        pat_fill_page(mem, i, SEED);
    char c = 'r';
    if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
        return 3;
    for (uint64_t i = 0; i < BYSTANDER_PAGES; i++)
        if (!pat_check_page("t_oom bystander", mem, i, SEED))
            return 1;
    return 0;
}

/* Map `pages` and write to every one; exits 0 if it got through (it should not). */
static int toucher(long pages)
{
    uint8_t *mem = mmap(NULL, (uint64_t)pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        printf("t_oom: cannot map %ld pages: %s\n", pages, errstr(errno));
        return 2;
    }
    for (long i = 0; i < pages; i++)
        mem[(uint64_t)i * 4096] = (uint8_t)i;
    printf("t_oom: touched all %ld pages and was not killed\n", pages);
    return 0;
}

/* Overcommit: the toucher is killed, nobody else. */
static void overcommit(uint64_t too_many)
{
    struct vmstat before = vm_now();
    PCHECK_EQ(pipe(ready), 0);
    PCHECK_EQ(pipe(go), 0);
    long by = kid_fork(bystander, 0);
    char c;
    PCHECK_EQ(read(ready[0], &c, 1), 1);
    long pid = kid_fork(toucher, (long)too_many), how, code;
    kid_wait(pid, &how, &code);
    struct vmstat after = vm_now();
    printf("t_oom: the toucher %s %ld; oom kills %lu, swap used %lu of %lu\n",
           how == WAIT_EXITED ? "exited" : "was killed, cause", code, after.oom_kills - before.oom_kills,
           after.swap_used, after.swap_total);
    PCHECK_EQ(how, WAIT_KILLED);
    PCHECK_EQ(after.oom_kills, before.oom_kills + 1);
    PCHECK(proc_running(by));
    PCHECK_EQ(write(go[1], &c, 1), 1);
    kid_wait(by, &how, &code);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    int fds[] = { ready[0], ready[1], go[0], go[1] }; /* their buffers are the pager's, in no process */
    for (int i = 0; i < 4; i++)
        PCHECK_EQ(close(fds[i]), 0);
}

/* Strict accounting: refused with ENOMEM, never killed. */
static void strict(uint64_t too_many, uint64_t ram)
{
    struct vmstat before = vm_now();
    PCHECK(mmap(NULL, too_many * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
    PCHECK_EQ(errno, ENOMEM);
    PCHECK(sbrk((long)(too_many * 4096)) == (void *)-1);
    PCHECK_EQ(errno, ENOMEM);
    long pid = kid_fork(toucher, (long)(ram / 2)), how, code;
    kid_wait(pid, &how, &code);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK_EQ(vm_now().oom_kills, before.oom_kills);
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_oom", argc, argv, &pct);
    struct vmstat v = vm_now();
    uint64_t too_many = ram + v.swap_total + ram / 4; /* more than RAM and swap hold, whatever the scale */
    struct pager_stat st;
    PCHECK_EQ(pager_stat(&st), 0);
    touch_program(); /* every page of its program mapped, before and after */
    struct frames_mark frames = frames_mark();
    long unowned = swap_unowned();
    if (st.policy_flags & POLICY_STRICT)
        strict(too_many, ram);
    else
        overcommit(too_many);
    long left = unowned_settle(unowned);
    touch_program();
    long now;
    bool back = frames_back(frames, &now);
    uint64_t end = rdtime() + 60 * RDTIME_HZ; /* (the runner calls a test idle for 120 s hung) */
    while (!back && rdtime() < end) { /* writes of the killed task's pages may still finish */
        nap(RDTIME_HZ / 20);
        touch_program();
        back = frames_back(frames, &now);
    }
    printf("t_oom: frames %ld before, %ld after; swap slots no task holds: %ld before, %ld after\n", frames.held, now,
           unowned, left);
    PCHECK(back);
    PCHECK_EQ(left, unowned);
    printf("t_oom: ok\n");
    return 0;
}
