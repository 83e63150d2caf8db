/* init of the test image: runs every test program in its own task and reports
   each result on the console in the protocol tools/runtests.py reads. A test
   passes when it exits with status 0. */
#include "test.h"

static const char *tests[] = {
    "t_anon32", "t_zeroread", "t_badaccess", "t_mapdeny", "t_ipc", "t_preempt", "t_badsyscall",
    "t_ntfn", "t_irq", "t_fork", "t_cow", "t_pipecow", "t_sbrk", "t_stack", "t_mmap", "t_exec",
    "t_shell", "t_virtio", "t_file", "t_fswrite", "t_fsfull", "t_fmmap", "t_fdexec", "t_fsconc", "t_fsedge", "t_fsreview",
    "t_authority", "t_drvreset", "t_forkbomb", "t_manymaps",
    "t_ptquota", "t_ipclabel", "t_vnodes",
    "t_ftrunc", "t_fdshare", "t_fsmeta", "t_wbgap", "t_frameacct",
    "t_memstress", "t_adbits", "t_bigwrite",
    "t_instret",
};

/* Tests that need a right of init's (docs/design.md): given at spawn. */
static const struct { const char *name; long rights; } granted[] = {
    { "t_irq", RIGHT_DRIVER }, { "t_virtio", RIGHT_DRIVER }, { "t_drvreset", RIGHT_DRIVER },
    { "t_file", RIGHT_PROCS },    /* looks at init's regions */
    { "t_fsconc", RIGHT_PROCS },  /* takes the file server's pages out of its page table */
    { "t_adbits", RIGHT_DRIVER }, /* map_batch needs a cap: DEVICE (no task may hold MEMORY) */
    { "t_frameacct", RIGHT_PROCS }, /* counts every process's pages */
};

static long rights_of(const char *name)
{
    for (unsigned i = 0; i < sizeof granted / sizeof granted[0]; i++)
        if (strcmp(granted[i].name, name) == 0)
            return granted[i].rights;
    return 0;
}

/* Free frames plus the frames every live process holds (testinit's stack and
   the file server's caches may grow while the suite runs): constant unless
   something leaked. */
static long frames_accounted(void)
{
    sync(); /* the page cache lets go of a file once its last dirty page is written */
    static struct region_info ri[32];
    static struct proc_info pi[64];
    long np = ps(pi, 64), own = 0;
    for (long k = 0; k < np && k < 64; k++) {
        long n = pmap(pi[k].pid, ri, 32); /* first: it may touch ri's pages */
        for (long i = 0; i < n && i < 32; i++)
            own += (long)ri[i].resident;
    }
    struct pager_stat st;
    pager_stat(&st);
    return st.free_frames + own;
}

int main(int argc, char **argv)
{
    long start = argc > 1 ? atol(argv[1]) : 0;
    touch_own_image(); /* from the disk: a page first touched later would take a cache frame no process counts */
    long before = frames_accounted();
    for (long i = start; i < (long)(sizeof tests / sizeof tests[0]); i++) {
        printf("@@TEST START %ld %s\n", i, tests[i]);
        long how = -1, code = -1;
        long pid = spawn_rights(tests[i], 0, rights_of(tests[i]));
        if (pid < 0) {
            printf("@@TEST FAIL %ld %s cannot spawn: %s\n", i, tests[i], strerror(pid));
            continue;
        }
        long r = waitpid(pid, &how, &code);
        if (r != pid)
            printf("@@TEST FAIL %ld %s waitpid returned %ld\n", i, tests[i], r);
        else if (how != WAIT_EXITED)
            printf("@@TEST FAIL %ld %s killed (cause %ld)\n", i, tests[i], code);
        else if (code != 0)
            printf("@@TEST FAIL %ld %s exit status %ld\n", i, tests[i], code);
        else
            printf("@@TEST PASS %ld %s\n", i, tests[i]);
        printf("(frames accounted for: %ld)\n", frames_accounted());
    }
    /* Everything the tests had must be back (only when the whole suite ran in this boot). */
    long after = frames_accounted();
    if (start == 0) {
        long i = sizeof tests / sizeof tests[0];
        printf("@@TEST START %ld frames_restored\n", i);
        if (after == before)
            printf("@@TEST PASS %ld frames_restored\n", i);
        else
            printf("@@TEST FAIL %ld frames_restored free frames %ld before, %ld after\n", i, before, after);
    }
    printf("@@TESTS DONE\n");
    shutdown();
    return 0;
}
