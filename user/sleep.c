/* sleep SECONDS: wait that long (a decimal fraction is allowed: sleep 0.5). */
#include "sys.h"
#include <time.h>

int main(int argc, char **argv)
{
    char *end;
    double s = argc == 2 ? strtod(argv[1], &end) : -1;
    if (argc != 2 || *end || s < 0 || s > 1e9) {
        dprintf(2, "usage: sleep SECONDS\n");
        return 1;
    }
    struct timespec t = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
    if (nanosleep(&t, NULL) < 0) {
        dprintf(2, "sleep: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
