/* kill PID...: end each process (the pager allows it for one's own children,
   oneself, or anything when run by init). Exit status 1 if any failed. */
#include "sys.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        dprintf(2, "usage: kill PID...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (!is_number(argv[i])) {
            dprintf(2, "kill: %s: not a process id\n", argv[i]);
            status = 1;
            continue;
        }
        long r = kill(atol(argv[i]), SIGKILL) < 0 ? -errno : 0;
        if (r < 0) {
            dprintf(2, "kill: %s: %s\n", argv[i], errstr(r));
            status = 1;
        }
    }
    return status;
}
