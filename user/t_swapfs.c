/* The file server has to read while memory is full: a file of a sixteenth of
   the RAM (at least 256 pages, at most 1024) is written and synced, then a
   hog fills the RAM and keeps it full while this task reads the file from the
   disk with read(), a page at a time and then 16 pages at a time, and then through a read-only
   mapping: no deadlock (the runner's time limit), every byte right, and
   afterwards the swap slots that no live task holds are as many as before.
   argv[1]: percent of the hog's size (testinit's scale; 100 when 0). */
#include "test.h"

#define PATH "/t_swapfs.dat"
#define SEED 31

static void make_file(uint64_t pages)
{
    pat_make_file(PATH, pages, SEED);
    PCHECK_EQ(sync_all(), 0); /* on the disk: the page cache lets the closed file go */
}

/* Read the file back with read() in pieces of `chunk` pages (1: page by page) and check it. */
static void read_file(uint64_t pages, uint64_t chunk)
{
    static uint64_t big[16 * 512];
    int fd = open(PATH, O_RDONLY);
    PCHECK(fd >= 0 && chunk <= 16);
    for (uint64_t i = 0; i < pages; i += chunk) {
        uint64_t n = pages - i < chunk ? pages - i : chunk;
        PCHECK_EQ(read(fd, big, n * 4096), n * 4096);
        for (uint64_t k = 0; k < n; k++)
            PCHECK(pat_check_at("t_swapfs read()", big + k * 512, i + k, SEED));
    }
    PCHECK_EQ(read(fd, big, 4096), 0);
    PCHECK_EQ(close(fd), 0);
}

static void map_file(uint64_t pages)
{
    int fd = open(PATH, O_RDONLY);
    PCHECK(fd >= 0);
    uint64_t *m = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    PCHECK(m != MAP_FAILED);
    for (uint64_t i = 0; i < pages; i++)
        PCHECK(pat_check_page("t_swapfs mapping", m, i, SEED));
    PCHECK_EQ(munmap(m, pages * 4096), 0);
    PCHECK_EQ(close(fd), 0);
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_swapfs", argc, argv, &pct);
    uint64_t pages = ram / 16 < 256 ? 256 : ram / 16 > 1024 ? 1024 : ram / 16; /* the test disk is 32 MiB */
    struct vmstat before = vm_now();
    long unowned = swap_unowned();
    unlink(PATH);
    make_file(pages);
    struct hog *h = hog_start(scaled(ram, pct));
    uint64_t passes = h->passes;
    read_file(pages, 1);
    read_file(pages, 16);
    map_file(pages);
    uint64_t during = h->passes - passes;
    hog_stop(h);
    PCHECK_EQ(unlink(PATH), 0);
    struct vmstat after = vm_now();
    printf("t_swapfs: %lu pages read three times during %lu passes of the hog; major faults %lu, swap-outs %lu\n",
           pages, during, after.faults_major - before.faults_major, after.swap_out - before.swap_out);
    if (scaled(ram, pct) >= ram)
        PCHECK(after.swap_out > before.swap_out);
    slots_back_ok("t_swapfs", unowned);
    return 0;
}
