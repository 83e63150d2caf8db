/* grep [-v] [-c] PATTERN: print the lines of standard input that contain
   PATTERN (a plain substring). -v: the lines that do not; -c: only how many
   lines were selected. Exit status 0 if a line was selected, 1 if none, 2 on
   an error. */
#include "sys.h"

static bool invert, count_only;
static long selected;

/* Does line (n bytes) contain pat (m bytes)? */
static bool contains(const char *line, size_t n, const char *pat, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(line + i, pat, m) == 0)
            return true;
    return false;
}

/* Handle one line (n bytes, without its newline): count it and print it if
   it is selected. Returns false if the output failed. */
static bool line_done(char *line, size_t n, const char *pat)
{
    if (contains(line, n, pat, strlen(pat)) == invert)
        return true;
    selected++;
    if (count_only)
        return true;
    line[n] = '\n'; /* the buffer always has room for it */
    return write_all(1, line, n + 1);
}

/* Parse flags like -v, -c, -vc; returns the index of the pattern, or -1. */
static int parse_flags(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        for (const char *f = argv[i] + 1; *f; f++) {
            if (*f == 'v')
                invert = true;
            else if (*f == 'c')
                count_only = true;
            else
                return -1;
        }
    }
    return i < argc ? i : -1;
}

int main(int argc, char **argv)
{
    int p = parse_flags(argc, argv);
    if (p < 0) {
        dprintf(2, "usage: grep [-v] [-c] pattern [file]\n");
        return 2;
    }
    int in = 0; /* one file, or standard input */
    if (p + 2 < argc) {
        dprintf(2, "usage: grep [-v] [-c] pattern [file]\n");
        return 2;
    }
    if (p + 1 < argc && (in = open(argv[p + 1], O_RDONLY)) < 0) {
        dprintf(2, "grep: %s: %s\n", argv[p + 1], errstr(errno));
        return 2;
    }
    const char *pat = argv[p];
    size_t cap = 256, len = 0;
    char *line = malloc(cap + 1);
    static char buf[4096];
    if (!line) {
        dprintf(2, "grep: out of memory\n");
        return 2;
    }
    for (;;) {
        long n = read(in, buf, sizeof buf);
        if (n < 0) {
            dprintf(2, "grep: read: %s\n", errstr(errno));
            return 2;
        }
        if (n == 0)
            break;
        for (long i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                if (!line_done(line, len, pat))
                    return 2;
                len = 0;
                continue;
            }
            if (len == cap) {
                cap *= 2;
                line = realloc(line, cap + 1);
                if (!line) {
                    dprintf(2, "grep: out of memory\n");
                    return 2;
                }
            }
            line[len++] = buf[i];
        }
    }
    if (len > 0 && !line_done(line, len, pat))
        return 2;
    if (count_only)
        printf("%ld\n", selected);
    return selected ? 0 : 1;
}
