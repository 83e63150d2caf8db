/* fork with copy-on-write: a task holding more than half of the free memory can
   fork (twice in a row: the first child gave everything back), no page is
   copied unless written, the child sees the parent's data, wait tells a normal
   exit from a kill, and orphans are reaped. */
#include "test.h"

static long free_frames(void)
{
    struct vmstat st;
    CHECK_EQ(vmstat(&st), 0);
    return (long)st.frames_free;
}

static void fork_big(uint64_t *mem, long pages)
{
    struct vmstat s0, s1;
    CHECK_EQ(vmstat(&s0), 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (long i = 0; i < pages; i += 97) /* read some pages: still the parent's data */
            if (mem[i * 512] != (uint64_t)i)
                exit(2);
        exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(vmstat(&s1), 0);
    CHECK(s1.cow_copy - s0.cow_copy <= 4);          /* only a stack page or two of the parent, none of mem */
    CHECK(s1.fork_pages - s0.fork_pages >= (uint64_t)pages);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* more than half of what is free, written so that every page has a frame */
    long pages = free_frames() * 6 / 10;
    uint64_t *mem = mmap(0, (size_t)pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem != MAP_FAILED);
    for (long i = 0; i < pages; i++)
        mem[i * 512] = (uint64_t)i;
    fork_big(mem, pages); /* the first also brings in the pages of ours a fork and wait touch (stdio, errno) */
    long before = free_frames();
    fork_big(mem, pages);
    fork_big(mem, pages);
    CHECK_EQ(free_frames(), before);

    /* the child's writes are its own; the parent's stay */
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (long i = 0; i < 64; i++)
            mem[i * 512] = 0xdead;
        exit(mem[0] == 0xdead ? 7 : 1);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 7);
    for (long i = 0; i < 64; i++)
        CHECK_EQ(mem[i * 512], i);

    /* a child killed by a fault is told apart from one that exited */
    pid = fork();
    if (pid == 0)
        { volatile int *volatile bad = (int *)8; *bad = 1; }
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(!WIFEXITED(status));
    CHECK_EQ(WTERMSIG(status), SIGSEGV);

    /* an orphan (its parent exits first) is reaped when it ends */
    int fds[2], go[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(pipe(go), 0);
    pid = fork();
    if (pid == 0) {
        int g = fork();
        if (g == 0) {
            char c;
            read(go[0], &c, 1); /* wait until the test says so */
            exit(0);
        }
        write(fds[1], &g, sizeof g);
        exit(0);
    }
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    int g;
    CHECK_EQ(read(fds[0], &g, sizeof g), sizeof g);
    CHECK_EQ(write(go[1], "x", 1), 1);
    close(fds[0]);
    close(fds[1]);
    close(go[0]);
    close(go[1]);
    struct proc_info pi[64];
    for (int tries = 0; tries < 200; tries++) {
        long n = ps(pi, 64);
        bool present = false;
        for (long i = 0; i < n; i++)
            if (pi[i].pid == g)
                present = true;
        if (!present)
            break;
        CHECK(tries < 199);
        sys_yield();
    }
    CHECK_EQ(wait(&status), -1); /* no children left */
    CHECK_EQ(errno, ECHILD);
    munmap(mem, (size_t)pages * 4096);
    return 0;
}
