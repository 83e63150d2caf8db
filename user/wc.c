/* wc: count the lines, words and bytes of standard input and print them as
   "%7ld %7ld %7ld". */
#include "sys.h"

int main(int argc, char **argv)
{
    static char buf[4096];
    long lines = 0, words = 0, bytes = 0;
    bool in_word = false;
    (void)argv;
    if (argc > 1) {
        dprintf(2, "wc: files come with the file system; counting standard input only\n");
        return 1;
    }
    for (;;) {
        long n = read(0, buf, sizeof buf);
        if (n < 0) {
            dprintf(2, "wc: read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        bytes += n;
        for (long i = 0; i < n; i++) {
            char c = buf[i];
            bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
            if (c == '\n')
                lines++;
            if (!blank && !in_word)
                words++;
            in_word = !blank;
        }
    }
    printf("%7ld %7ld %7ld\n", lines, words, bytes);
    return 0;
}
