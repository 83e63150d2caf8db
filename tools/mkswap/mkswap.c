/* mkswap IMAGE SIZE: make IMAGE a swap disk of SIZE bytes (a K, M or G suffix
   multiplies; at least two blocks). Layout: servers/swap/swapformat.h. Exits
   1 with a message on bad arguments or a failed write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "swapformat.h"

/* SIZE with its suffix in bytes, or 0 when it is not a size. */
static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30;
    else if (*end)
        return 0;
    if (mul > 1 && end[1])
        return 0;
    if (n > (1ULL << 44) / mul)
        return 0;
    return n * mul;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mkswap IMAGE SIZE (bytes, or with K, M or G)\n");
        return 1;
    }
    uint64_t size = parse_size(argv[2]);
    uint64_t blocks = size / SWAP_BLOCK;
    if (blocks < 2) {
        fprintf(stderr, "mkswap: bad size %s (at least %d bytes)\n", argv[2], 2 * SWAP_BLOCK);
        return 1;
    }
    static char block0[SWAP_BLOCK];
    struct swap_header h = { .version = SWAP_VERSION, .block_size = SWAP_BLOCK, .nslots = blocks - 1 };
    memcpy(h.magic, swap_magic, sizeof h.magic);
    memcpy(block0, &h, sizeof h);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)(blocks * SWAP_BLOCK)) < 0 ||
        pwrite(fd, block0, sizeof block0, 0) != (ssize_t)sizeof block0 || close(fd) < 0) {
        fprintf(stderr, "mkswap: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (swap_header_check((const struct swap_header *)block0, blocks) != (int64_t)(blocks - 1)) {
        fprintf(stderr, "mkswap: internal error: the header does not check\n");
        return 1;
    }
    printf("mkswap: %s: %llu slots of %d bytes\n", argv[1], (unsigned long long)(blocks - 1), SWAP_BLOCK);
    return 0;
}
