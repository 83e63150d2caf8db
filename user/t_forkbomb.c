/* A fork bomb fills its own job, not the process table: each of several
   bombs stops at the job limit with EAGAIN, and while they all hold their
   processes this test (started by init, like the shell) can still spawn a
   program and kill them. Everything comes back afterwards. */
#include "test.h"

#define BOMBS 6
#define JOB_MAX 100  /* servers/pager/proc.c */

/* Fork until refused; the children (and their forks) block on the pipe.
   Exits with how many processes this bomb's job reached (itself included). */
static void bomb(int fds[2], int report)
{
    close(fds[1]);
    long made = 1;
    for (;;) {
        int pid = fork();
        if (pid < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        if (pid == 0) { /* a child tries a fork of its own too, then sleeps */
            int g = fork();
            if (g == 0) {
                char c;
                read(fds[0], &c, 1);
                exit(0);
            }
            char c = g > 0;
            write(report, &c, 1);
            read(fds[0], &c, 1);
            if (g > 0)
                waitpid(g, 0, 0);
            exit(0);
        }
        made++;
    }
    unsigned char c = (unsigned char)(100 + made);
    write(report, &c, 1);
    char d;
    read(fds[0], &d, 1);
    while (wait(0) > 0)
        ;
    exit(0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct pager_stat before, after;
    pager_stat(&before);
    struct vmstat vs_before;
    CHECK_EQ(vmstat(&vs_before), 0);
    static struct proc_info pi0[128];
    long np0 = ps(pi0, 128);          /* the servers, testinit and this test */
    int fds[2], rep[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(pipe(rep), 0);
    long pids[BOMBS];
    for (int i = 0; i < BOMBS; i++) {
        pids[i] = fork();
        CHECK(pids[i] >= 0);
        if (pids[i] == 0) {
            close(rep[0]);
            bomb(fds, rep[1]);
        }
    }
    close(rep[1]);
    /* each bomb reports its count last; the children's one-byte reports say
       whether their own fork worked (0 or 1) */
    int done = 0;
    long total = BOMBS;
    while (done < BOMBS) {
        unsigned char c;
        CHECK_EQ(read(rep[0], &c, 1), 1);
        if (c >= 100) {
            CHECK(c - 100 <= JOB_MAX);
            done++;
        } else {
            total += c;
        }
    }
    static struct proc_info pi[128];
    long np = ps(pi, 128);
    CHECK(np < 128);              /* never the whole table */
    printf("t_forkbomb: %ld processes running\n", np);
    long pid = spawn("true", 0);   /* the shell's kill still starts */
    CHECK(pid > 0);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    for (int i = 0; i < BOMBS; i++)
        CHECK_EQ(kill(pids[i], SIGKILL), 0); /* the bombs' children are orphans now */
    close(fds[0]);
    close(fds[1]);                   /* ... and exit on end of file */
    for (int i = 0; i < BOMBS; i++)
        CHECK_EQ(wait_how(pids[i], &how, &code), pids[i]);
    for (int tries = 0; tries < 100000 && (np = ps(pi, 128)) > np0; tries++)
        sys_yield(); /* the orphans exit on their own */
    CHECK_EQ(np, np0); /* as before: the servers, testinit and this test */
    /* on several harts the servers may still be finishing the orphans' last
       jobs: wait (up to 10 s) for the frames to come back; what the pager's
       bookkeeping and the servers keep grew by is counted, not leaked (vmstat's
       frames_lost names a leak) */
    struct vmstat v0 = vs_before, v1;
    for (int tries = 0;; tries++) {
        CHECK_EQ(pager_stat(&after), 0);
        CHECK_EQ(vmstat(&v1), 0);
        after.free_frames -= (long)(v0.meta_heap + v0.meta_tables + v0.meta_other + v0.used_fs) -
                             (long)(v1.meta_heap + v1.meta_tables + v1.meta_other + v1.used_fs);
        if (after.free_frames >= before.free_frames - 8 || tries == 200)
            break;
        nap(RDTIME_HZ / 20);
    }
    CHECK_EQ(v1.frames_lost, 0);
    if (after.free_frames < before.free_frames - 8) {
        struct vmstat vs;
        vmstat(&vs);
        printf("t_forkbomb: %ld free frames before, %ld after; cached idle programs %lu\n", before.free_frames,
               after.free_frames, (unsigned long)vs.cache_idle);
    }
    CHECK(after.free_frames >= before.free_frames - 8);
    (void)total;
    return 0;
}
