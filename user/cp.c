/* cp SRC DST: copy a file (DST is created or truncated). */
#include "sys.h"

int main(int argc, char **argv)
{
    static char buf[16384];
    if (argc != 3) {
        dprintf(2, "usage: cp SRC DST\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0) {
        dprintf(2, "cp: %s: %s\n", argv[1], errstr(errno));
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC);
    if (out < 0) {
        dprintf(2, "cp: %s: %s\n", argv[2], errstr(errno));
        return 1;
    }
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            dprintf(2, "cp: %s: %s\n", argv[2], errstr(errno));
            return 1;
        }
    }
    if (n < 0) {
        dprintf(2, "cp: %s: %s\n", argv[1], errstr(errno));
        return 1;
    }
    return 0;
}
