/* cat [file...]: copy each file (or standard input, also for "-") to standard output. */
#include "sys.h"

/* Copy fd `in` to fd 1 until end of file; returns 0, or 1 on an error. */
static int copy(int in)
{
    static char buf[4096];
    for (;;) {
        long n = read(in, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            dprintf(2, "cat: read: %s\n", errstr(errno));
            return 1;
        }
        if (!write_all(1, buf, (size_t)n)) {
            dprintf(2, "cat: write: %s\n", errstr(errno));
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return copy(0);
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            status |= copy(0);
        } else {
            int fd = open(argv[i], O_RDONLY);
            if (fd < 0) {
                dprintf(2, "cat: %s: %s\n", argv[i], errstr(errno));
                status = 1;
                continue;
            }
            status |= copy(fd);
            close(fd);
        }
    }
    return status;
}
