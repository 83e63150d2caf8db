/* cat: copy standard input to standard output. (Files come with the file
   system; until then a file argument is an error.) */
#include "sys.h"

/* Write all n bytes of buf to fd; returns false if that failed. */
static bool write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        long r = write(fd, buf, n);
        if (r <= 0)
            return false;
        buf += r;
        n -= (size_t)r;
    }
    return true;
}

/* Copy fd `in` to fd 1 until end of file; returns 0, or 1 on an error. */
static int copy(int in)
{
    static char buf[4096];
    for (;;) {
        long n = read(in, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            dprintf(2, "cat: read: %s\n", strerror(errno));
            return 1;
        }
        if (!write_all(1, buf, (size_t)n)) {
            dprintf(2, "cat: write: %s\n", strerror(errno));
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
                dprintf(2, "cat: %s: %s\n", argv[i], strerror(errno));
                status = 1;
                continue;
            }
            status |= copy(fd);
            close(fd);
        }
    }
    return status;
}
