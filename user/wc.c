/* wc [file...]: lines, words and bytes of each file (or standard input). */
#include "sys.h"

/* Count fd; print the line with name (NULL: none). Returns 0, or 1 on a read error. */
static int count(int fd, const char *name)
{
    static char buf[4096];
    long lines = 0, words = 0, bytes = 0;
    bool in_word = false;
    for (;;) {
        long n = read(fd, buf, sizeof buf);
        if (n < 0) {
            dprintf(2, "wc: %s: %s\n", name ? name : "read", errstr(errno));
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
    if (name)
        printf("%7ld %7ld %7ld %s\n", lines, words, bytes, name);
    else
        printf("%7ld %7ld %7ld\n", lines, words, bytes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return count(0, NULL);
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            dprintf(2, "wc: %s: %s\n", argv[i], errstr(errno));
            status = 1;
            continue;
        }
        status |= count(fd, argv[i]);
        close(fd);
    }
    return status;
}
