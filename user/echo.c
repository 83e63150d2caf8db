/* echo [-n] [word ...]: print the words separated by blanks, then a newline
   (none with -n). */
#include "sys.h"

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
                if (!write_all(1, out, len))
                    return 1;
                len = 0;
            }
            out[len++] = *s;
        }
    }
    if (newline)
        out[len++] = '\n';
    return write_all(1, out, len) ? 0 : 1;
}
