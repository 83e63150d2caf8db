/* exec: arguments arrive on the new stack; a missing program or a malformed ELF
   makes exec fail with an error and the caller keeps running; tasks running the
   same program share its text frames. */
#include "test.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "hold") == 0) {
        char c;
        /* every page of the program in before "ready": an eager policy's exec
           queues reads of pages nobody touched, which could end after the
           parent's count (those pages are cached for the next exec anyway) */
        touch_own_image();
        write(1, "r", 1);
        return read(0, &c, 1) == 0 ? 0 : 1;  /* until every writer closed */
    }
    if (argc >= 2 && strcmp(argv[1], "args") == 0) {
        CHECK_EQ(argc, 5);
        CHECK(strcmp(argv[2], "two") == 0);
        CHECK(strcmp(argv[3], "") == 0);
        CHECK_EQ(strlen(argv[4]), 300);
        CHECK(argv[5] == NULL);
        return 42;
    }
    char long_arg[301];
    memset(long_arg, 'x', 300);
    long_arg[300] = 0;
    int pid = fork();
    if (pid == 0) {
        char *av[] = { "t_exec", "args", "two", "", long_arg, NULL };
        execv("t_exec", av);
        exit(99);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);

    char *av[] = { "x", NULL };
    CHECK_EQ(execv("no_such_program", av), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(execv("t_badelf", av), -1);           /* not an ELF file */
    CHECK_EQ(errno, ENOEXEC);
    const char *volatile bad_path = (const char *)8; /* volatile: the compiler must not see it is bad */
    CHECK_EQ(execv(bad_path, av), -1);
    CHECK_EQ(errno, EFAULT);
    char **volatile bad_argv = (char **)8;
    CHECK_EQ(execv("t_exec", bad_argv), -1);
    CHECK_EQ(errno, EFAULT);

    /* two tasks running the same program at once: its pages are read in once */
    struct vmstat s1, s2;
    int hold[2], ready[2];
    CHECK_EQ(pipe(hold), 0);
    CHECK_EQ(pipe(ready), 0);
    int kids[2];
    uint64_t file_after[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            dup2(hold[0], 0);
            dup2(ready[1], 1);
            close(hold[1]);
            char *av2[] = { "t_exec", "hold", NULL };
            execv("t_exec", av2);
            exit(99);
        }
        char c;
        CHECK_EQ(read(ready[0], &c, 1), 1);   /* it runs and has touched what it needs */
        CHECK_EQ(vmstat(k ? &s2 : &s1), 0);
        file_after[k] = k ? s2.file : s1.file;
    }
    (void)file_after;
    CHECK_EQ(s2.file, s1.file);                /* the second found every page cached */
    close(hold[1]);                            /* lets both end */
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(waitpid(kids[k], &status, 0), kids[k]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
    }
    return 0;
}
