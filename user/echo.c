/* echo [-n] [word ...]: print the words separated by blanks, then a newline
   (none with -n). */
#include "sys.h"

/* Write all n bytes of buf to fd 1; returns false if that failed. */
static bool write_all(const char *buf, size_t n)
{
    while (n > 0) {
        long r = write(1, buf, n);
        if (r <= 0)
            return false;
        buf += r;
        n -= (size_t)r;
    }
    return true;
}

int main(int argc, char **argv)
{
    static char out[4096];
    size_t len = 0;
    bool newline = true;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "-n") == 0; i++)
        newline = false;
    for (int first = i; i < argc; i++) {
        const char *s = argv[i];
        if (i > first)
            out[len++] = ' ';
        for (; *s; s++) {
            if (len + 2 > sizeof out) { /* room for a blank or the newline */
                if (!write_all(out, len))
                    return 1;
                len = 0;
            }
            out[len++] = *s;
        }
    }
    if (newline)
        out[len++] = '\n';
    return write_all(out, len) ? 0 : 1;
}
