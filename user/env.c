/* env [NAME=VALUE...] [PROGRAM [ARG...]]: with no program, print the
   environment (with the assignments added); else run the program in it. */
#include "sys.h"

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strchr(argv[i], '='); i++) {
        char *eq = strchr(argv[i], '=');
        *eq = 0;
        if (setenv(argv[i], eq + 1, 1) < 0) {
            dprintf(2, "env: %s: %s\n", argv[i], strerror(errno));
            return 125;
        }
    }
    if (i == argc) {
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
        return 0;
    }
    execv(argv[i], argv + i);
    dprintf(2, "env: %s: %s\n", argv[i], strerror(errno));
    return 127;
}
