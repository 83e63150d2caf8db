/* memstress MiB [seconds]: writes a pattern over MiB of anonymous memory,
   then reads every byte back, and again with a new pattern until `seconds`
   have passed (one pass when not given). Prints `ok`, or the first address
   whose byte is wrong. What a user runs to see paging work. Exits 0 on ok,
   1 on a bad byte, 2 on bad arguments or no memory. */
#include "sys.h"

/* The word the pattern of pass `pass` puts at byte offset off. */
static uint64_t pattern(uint64_t off, uint64_t pass)
{
    uint64_t x = off * 0x9e3779b97f4a7c15UL ^ (pass << 56 | pass);
    return x ^ (x >> 29);
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 0;
    long seconds = argc > 2 ? atol(argv[2]) : 0;
    if (argc < 2 || argc > 3 || mib <= 0 || mib > 1L << 20 || seconds < 0) {
        printf("usage: memstress MiB [seconds]\n");
        return 2;
    }
    uint64_t len = (uint64_t)mib << 20;
    uint64_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        printf("memstress: cannot map %ld MiB: %s\n", mib, errstr(errno));
        return 2;
    }
    uint64_t end = rdtime() + (uint64_t)seconds * RDTIME_HZ;
    uint64_t words = len / 8, pass = 0;
    do {
        pass++;
        for (uint64_t i = 0; i < words; i++)
            mem[i] = pattern(i * 8, pass);
        for (uint64_t i = 0; i < words; i++) {
            uint64_t want = pattern(i * 8, pass);
            if (mem[i] != want) {
                unsigned b = 0;
                while (((mem[i] ^ want) >> (8 * b) & 0xff) == 0) /* little-endian: byte b of the word */
                    b++;
                printf("memstress: pass %lu: bad byte at %p\n", pass, (void *)((char *)&mem[i] + b));
                return 1;
            }
        }
    } while (rdtime() < end);
    printf("ok (%ld MiB, %lu pass%s)\n", mib, pass, pass == 1 ? "" : "es");
    return 0;
}
