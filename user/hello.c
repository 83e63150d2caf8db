/* The smallest program: says hello and touches some lazily allocated memory. */
#include "sys.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    char *p = anon_map(1 << 20);
    if (!p)
        return 1;
    for (int i = 0; i < (1 << 20); i += 4096)
        p[i] = (char)i;
    printf("hello from pid %ld: wrote 256 lazily allocated pages\n", (long)getpid());
    return 0;
}
