/* init of the test image: runs every test program in its own task and reports
   each result on the console in the protocol tools/runtests.py reads. A test
   passes when it exits with status 0.

   testinit [LIST...] [START]: with no LIST, the main suite (tests[] below);
   START is the index to start at (the runner's teststart=N after a failed
   test). LIST names other lists, run one after the other and numbered as one:
   `paging` (the paging tests of issue 9) and `data` (data, isolation and file
   tests that every pager policy runs). As init (the runner gives it only
   START), the lists come from the file /bin/testlist when the disk has one:
   "LIST... [scale=PCT]", PCT the percentage of their sizes the paging tests
   use (100: sizes relative to RAM as the tests say; smaller ones check the
   tests' own mechanics without paging). The results of a LIST carry the
   policy's name: "clock:t_swapmem". */
#include "test.h"

static const char *tests[] = {
    "t_anon32", "t_zeroread", "t_badaccess", "t_mapdeny", "t_ipc", "t_preempt", "t_badsyscall",
    "t_ntfn", "t_irq", "t_fork", "t_cow", "t_pipecow", "t_sbrk", "t_stack", "t_mmap", "t_exec",
    "t_shell", "t_virtio", "t_file", "t_fswrite", "t_fsfull", "t_fmmap", "t_fdexec", "t_fsconc", "t_fsedge", "t_fsreview",
    "t_authority", "t_drvreset", "t_forkbomb", "t_manymaps",
    "t_ptquota", "t_ipclabel", "t_vnodes",
    "t_ftrunc", "t_fdshare", "t_fsmeta", "t_wbgap", "t_frameacct",
    "t_memstress", "t_adbits", "t_bigwrite",
    "t_instret", "t_faround", "t_ptick", "t_fp",
    "t_readfull", "t_ftruncate", "t_rename", "t_fsync", "t_stat", "t_lua", "t_sqlite",
    "t_signal",
    "t_efault", "t_libc",
    "t_pathmax", "t_progcache", "t_harts",
    "t_smpcow", "t_smpstress",
};

/* The paging tests (issue 9): booted with little RAM and a swap disk. */
static const char *paging_tests[] = {
    "t_swapmem", "t_swapfork", "t_swapshared", "t_pagemany", "t_oom", "t_swapfs", "t_cachehot",
    "t_smpevict",
};

/* Data, isolation and file tests of the main suite that every policy runs
   (tests/SConscript: under the policies other than the default's). */
static const char *data_tests[] = {
    "t_fork", "t_cow", "t_pipecow", "t_sbrk", "t_stack", "t_mmap", "t_mapdeny", "t_authority",
    "t_exec", "t_fdexec", "t_shell", "t_file", "t_fmmap", "t_ftrunc", "t_wbgap", "t_faround", "t_ptick",
    "t_readfull", "t_ftruncate", "t_smpcow",
};

#define NELEM(a) (long)(sizeof a / sizeof a[0])
static const struct { const char *name; const char **tests; long n; bool scaled; } lists[] = {
    { "paging", paging_tests, NELEM(paging_tests), true },
    { "data", data_tests, NELEM(data_tests), false },
};

#define RUN_MAX 96
static struct { const char *name; long arg; } run[RUN_MAX]; /* what this boot runs, in order */
static long nrun;
static char tag[24]; /* "POLICY:" before the names of a LIST's results; "" for the main suite */
static const char *bad_list; /* a LIST named that does not exist: reported as a failed test */

/* Tests that need a right of init's (docs/design.md): given at spawn. */
static const struct { const char *name; long rights; } granted[] = {
    { "t_irq", RIGHT_DRIVER }, { "t_virtio", RIGHT_DRIVER }, { "t_drvreset", RIGHT_DRIVER },
    { "t_file", RIGHT_PROCS },    /* looks at init's regions */
    { "t_fsconc", RIGHT_PROCS },  /* takes the file server's pages out of its page table */
    { "t_adbits", RIGHT_DRIVER }, /* map_batch needs a cap: DEVICE (no task may hold MEMORY) */
    { "t_frameacct", RIGHT_PROCS }, /* counts every process's pages */
    { "t_oom", RIGHT_PROCS },       /* counts every process's pages */
    { "t_swapfork", RIGHT_PROCS },  /* runs pmap on itself */
    { "t_harts", RIGHT_PROCS },     /* pins the pager (PG_PIN), then drops the right */
};

static long rights_of(const char *name)
{
    for (unsigned i = 0; i < sizeof granted / sizeof granted[0]; i++)
        if (strcmp(granted[i].name, name) == 0)
            return granted[i].rights;
    return 0;
}

/* Add list `name` to what runs (scale: the paging tests' PCT, 0 for theirs).
   Returns false when there is no such list. */
static bool add_list(const char *name, long scale)
{
    for (long l = 0; l < NELEM(lists); l++) {
        if (strcmp(lists[l].name, name) != 0)
            continue;
        for (long i = 0; i < lists[l].n && nrun < RUN_MAX; i++) {
            run[nrun].name = lists[l].tests[i];
            run[nrun++].arg = lists[l].scaled ? scale : 0;
        }
        return true;
    }
    bad_list = name;
    return false;
}

/* The words of /bin/testlist in buf (NUL-separated) and their starts in w;
   how many, 0 when the file is not there. */
static int read_testlist(char *buf, long size, char **w, int max)
{
    int fd = open("/bin/testlist", O_RDONLY);
    if (fd < 0)
        return 0;
    long n = read(fd, buf, (size_t)size - 1);
    close(fd);
    int k = 0;
    for (long i = 0; i < n && k < max; i++) {
        if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t')
            continue;
        w[k++] = &buf[i];
        while (i < n && buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t')
            i++;
        buf[i] = 0;
    }
    return k;
}

/* What runs: the lists named in av[0..ac) (or /bin/testlist's when none is),
   or the main suite. Returns the index to start at (a number at the end of av). */
static long choose(int ac, char **av)
{
    static char buf[128];
    char *words[16];
    long start = 0, scale = 0;
    if (ac > 0 && is_number(av[ac - 1]))
        start = atol(av[--ac]);
    if (ac == 0)
        ac = read_testlist(buf, sizeof buf, av = words, 16);
    for (int i = 0; i < ac; i++)
        if (strncmp(av[i], "scale=", 6) == 0)
            scale = atol(av[i] + 6);
    for (int i = 0; i < ac; i++)
        if (strncmp(av[i], "scale=", 6) != 0)
            add_list(av[i], scale);
    if (ac > 0) {
        struct pager_stat st;
        pager_stat(&st);
        snprintf(tag, sizeof tag, "%s:", st.policy);
        printf("testinit: %ld tests under policy %s; paging sizes at %ld%%\n", nrun, st.policy, scale ? scale : 100);
    }
    if (ac == 0) {
        for (long i = 0; i < NELEM(tests) && nrun < RUN_MAX; i++)
            run[nrun++].name = tests[i];
    }
    return start;
}

/* Run test i of run[] and report its result. */
static void run_one(long i)
{
    const char *t = run[i].name;
    printf("@@TEST START %ld %s%s\n", i, tag, t);
    long how = -1, code = -1;
    long pid = spawn_rights(t, run[i].arg, rights_of(t));
    if (pid < 0) {
        printf("@@TEST FAIL %ld %s%s cannot spawn: %s\n", i, tag, t, errstr(pid));
        return;
    }
    long r = wait_how(pid, &how, &code);
    if (r != pid)
        printf("@@TEST FAIL %ld %s%s waitpid returned %ld\n", i, tag, t, r);
    else if (how != WAIT_EXITED)
        printf("@@TEST FAIL %ld %s%s killed (cause %ld)\n", i, tag, t, code);
    else if (code != 0)
        printf("@@TEST FAIL %ld %s%s exit status %ld\n", i, tag, t, code);
    else
        printf("@@TEST PASS %ld %s%s\n", i, tag, t);
}

int main(int argc, char **argv)
{
    long start = choose(argc - 1, argv + 1);
    if (bad_list) {
        printf("@@TEST START %ld testlist\n@@TEST FAIL %ld testlist no test list '%s' (lists: paging, data)\n",
               start, start, bad_list);
        printf("@@TESTS DONE\n");
        shutdown();
        return 1;
    }
    touch_own_image(); /* from the disk: a page first touched later would take a cache frame no process counts */
    struct frames_mark before = frames_mark();
    long swap_before = tag[0] ? swap_unowned() : 0;
    for (long i = start; i < nrun; i++) {
        run_one(i);
        if (tag[0])
            printf("(frames accounted for: %ld; swap slots no task holds: %ld)\n", frames_held(), swap_unowned());
        else
            printf("(frames accounted for: %ld)\n", frames_held());
    }
    /* Everything the tests had must be back (only when the whole suite ran in this boot): the
       frames, and after a LIST the swap slots no task holds (testinit's own pages may stay on
       swap); its program pages that went out under pressure come back first. */
    long swap_after = tag[0] ? unowned_settle(swap_before) : swap_before;
    if (tag[0])
        touch_program();
    long after;
    bool back = frames_back(before, &after);
    long i = nrun;
    if (start == 0) {
        printf("@@TEST START %ld %sframes_restored\n", i, tag);
        if (back)
            printf("@@TEST PASS %ld %sframes_restored\n", i, tag);
        else
            printf("@@TEST FAIL %ld %sframes_restored free frames %ld before, %ld after\n", i, tag, before.held, after);
    }
    if (start == 0 && tag[0]) {
        i++;
        printf("@@TEST START %ld %sswap_restored\n", i, tag);
        if (swap_after == swap_before)
            printf("@@TEST PASS %ld %sswap_restored\n", i, tag);
        else
            printf("@@TEST FAIL %ld %sswap_restored swap slots no task holds: %ld before, %ld after\n", i, tag,
                   swap_before, swap_after);
    }
    printf("@@TESTS DONE\n");
    shutdown();
    return 0;
}
