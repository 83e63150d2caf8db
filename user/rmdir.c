/* rmdir path...: remove the empty directory at each path. */
#include "sys.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        dprintf(2, "usage: rmdir path...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (rmdir(argv[i]) < 0) {
            dprintf(2, "rmdir: %s: %s\n", argv[i], errstr(errno));
            status = 1;
        }
    }
    return status;
}
