/* mkdir path...: make the directory at each path. */
#include "sys.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        dprintf(2, "usage: mkdir path...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (mkdir(argv[i], 0755) < 0) {
            dprintf(2, "mkdir: %s: %s\n", argv[i], errstr(errno));
            status = 1;
        }
    }
    return status;
}
