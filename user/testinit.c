/* init of the test image: runs every test program in its own task and reports
   each result on the console in the protocol tools/runtests.py reads. A test
   passes when it exits with status 0. */
#include "sys.h"

static const char *tests[] = {
    "t_anon32", "t_zeroread", "t_badaccess", "t_mapdeny", "t_ipc", "t_preempt", "t_badsyscall",
    "t_ntfn", "t_irq",
};

int main(long start)
{
    struct pager_stat before, after;
    pager_stat(&before);
    for (long i = start; i < (long)(sizeof tests / sizeof tests[0]); i++) {
        printf("@@TEST START %ld %s\n", i, tests[i]);
        long how = -1, code = -1;
        long pid = spawn(tests[i], 0);
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
    }
    /* Everything the tests had must be back (only when the whole suite ran in this boot). */
    pager_stat(&after);
    if (start == 0) {
        long i = sizeof tests / sizeof tests[0];
        printf("@@TEST START %ld frames_restored\n", i);
        if (after.free_frames == before.free_frames)
            printf("@@TEST PASS %ld frames_restored\n", i);
        else
            printf("@@TEST FAIL %ld frames_restored free frames %ld before, %ld after\n", i,
                   before.free_frames, after.free_frames);
    }
    printf("@@TESTS DONE\n");
    shutdown();
    return 0;
}
