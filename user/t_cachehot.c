/* A file that is read with read() again and again keeps its pages in the
   page cache while other memory churns through: read() uses a cache page
   without mapping it, so no accessed bit can say it was used; the pager
   marks the page itself (frame_touch), and a policy that looks at use
   gives it its second chance like any mapped page.

   A file of FILE_PAGES pages is read whole with read() (and checked)
   after each of the chunks of 1/16 of the RAM that make 1.25 times the
   RAM of anonymous memory (a region each, written over; it goes to
   swap). Pages read from files meanwhile (vmstat `file`): the file may
   go once, but not twice, under every policy that looks at use. clock
   (second chance on one queue) usually keeps it all along (0 pages on an
   idle machine) but lost it once on a busy one; twoq's first queue is
   FIFO (the file comes back on the main queue); eager maps all its pages
   used at once, so one reclaim may pass the whole queue twice. With the
   mark ignored, clock and eager read the file again twice (129 pages).
   fifo ignores use: there only the data is checked.
   argv[1]: percent of the sizes (testinit's scale; 100 when 0). */
#include "test.h"

#define PATH "/t_cachehot.dat"
#define FILE_PAGES 64
#define SEED_FILE 21
#define SEED_ANON 22    /* + the chunk's number */
#define MAX_CHUNKS 32

static uint64_t buf[512];
static int fd;                 /* open all along: a file nobody has open loses its cache */
static uint64_t *mem[MAX_CHUNKS];

/* Read the whole file with read() and check it. */
static void read_file(void)
{
    PCHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    for (uint64_t i = 0; i < FILE_PAGES; i++) {
        PCHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
        PCHECK(pat_check_at("t_cachehot read()", buf, i, SEED_FILE));
    }
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_cachehot", argc, argv, &pct);
    struct pager_stat ps;
    PCHECK_EQ(pager_stat(&ps), 0);
    uint64_t pages = scaled(ram + ram / 4, pct), chunk = scaled(ram / 16, pct);
    long unowned = swap_unowned();
    unlink(PATH);
    pat_make_file(PATH, FILE_PAGES, SEED_FILE);
    fd = open(PATH, O_RDONLY);
    PCHECK(fd >= 0);
    read_file();
    uint64_t nchunks = (pages + chunk - 1) / chunk;
    PCHECK(nchunks <= MAX_CHUNKS);
    struct vmstat before = vm_now();
    for (uint64_t c = 0; c < nchunks; c++) { /* a region each: eager maps it at mmap, between two reads */
        uint64_t n = pages - c * chunk < chunk ? pages - c * chunk : chunk;
        mem[c] = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        PCHECK(mem[c] != MAP_FAILED);
        for (uint64_t i = 0; i < n; i++)
            pat_fill_page(mem[c], i, SEED_ANON + c);
        read_file();
    }
    struct vmstat after = vm_now();
    for (uint64_t c = 0; c < nchunks; c++) {
        uint64_t n = pages - c * chunk < chunk ? pages - c * chunk : chunk;
        for (uint64_t i = 0; i < n; i++)
            PCHECK(pat_check_page("t_cachehot anonymous", mem[c], i, SEED_ANON + c));
        PCHECK_EQ(munmap(mem[c], n * 4096), 0);
    }
    PCHECK_EQ(close(fd), 0);
    PCHECK_EQ(unlink(PATH), 0);
    uint64_t reread = after.file - before.file;
    printf("t_cachehot: %lu pages written in chunks of %lu, the %d-page file read %lu times: %lu pages read "
           "from files, %lu swap-outs\n", pages, chunk, FILE_PAGES, nchunks, reread,
           after.swap_out - before.swap_out);
    if (pages > ram && after.swap_out > before.swap_out) { /* it paged: the policy had to choose */
        if (strcmp(ps.policy, "fifo"))
            PCHECK(reread < FILE_PAGES + FILE_PAGES / 2);
    }
    slots_back_ok("t_cachehot", unowned);
    return 0;
}
