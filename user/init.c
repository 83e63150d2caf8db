/* init of the system a user boots: greets, then runs a demonstration of the
   pieces that exist so far. (The shell comes with the processes issue.) */
#include "sys.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    printf("init: pid %ld running\n", getpid());
    struct pager_stat st;
    pager_stat(&st);
    printf("init: %ld of %ld frames free\n", st.free_frames, st.total_frames);
    long pid = spawn("hello", 0);
    long how, code;
    if (pid > 0 && waitpid(pid, &how, &code) == pid)
        printf("init: hello (pid %ld) %s with %ld\n", pid, how == WAIT_EXITED ? "exited" : "was killed", code);
    printf("init: nothing more to run; idle (Ctrl-A X quits QEMU)\n");
    for (;;) {
        long ch = sys_console_getc(0);
        (void)ch;
        sys_yield();
    }
}
