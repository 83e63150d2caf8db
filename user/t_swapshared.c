/* Shared memory under memory pressure: a MAP_SHARED|MAP_ANONYMOUS region of
   half the RAM shared with a forked child, and a MAP_SHARED mapping of a file
   of an eighth of the RAM, while a hog in another task keeps the whole RAM
   busy. Child and parent each write their own part of both (the child the
   first half of the anonymous region and the odd file pages, the parent the
   rest) and each checks all of both, twice. The dirty file pages must reach
   the file: after msync and munmap, read() gives them back; the anonymous
   region (whose pages go to swap too: vmstat's evict_shared grows) keeps
   its data to the end, and the swap slots that no live task
   holds (swap_unowned) are as many as before.
   argv[1]: percent of the sizes (testinit's scale; 100 when 0). */
#include "test.h"

#define PATH "/t_swapshared.dat"
#define SEED_FILE 11   /* the file as written with write() */
#define SEED_CA 12     /* child: anonymous */
#define SEED_CF 13     /* child: file */
#define SEED_PA 14     /* parent: anonymous */
#define SEED_PF 15     /* parent: file */

static uint64_t *sm, *fm;     /* the shared anonymous region, the file mapping */
static uint64_t spages, fpages;
static int to_parent[2], to_child[2];

static uint64_t anon_seed(uint64_t i)
{
    return i < spages / 2 ? SEED_CA : SEED_PA;
}

static uint64_t file_seed(uint64_t i)
{
    return i % 2 ? SEED_CF : SEED_PF;
}

/* Check both regions; true when all is right. */
static bool check_all(const char *who)
{
    for (uint64_t i = 0; i < spages; i++)
        if (!pat_check_page(who, sm, i, anon_seed(i)))
            return false;
    for (uint64_t i = 0; i < fpages; i++)
        if (!pat_check_page(who, fm, i, file_seed(i)))
            return false;
    return true;
}

/* Write this side's part of both regions (child: true). */
static void write_part(bool child)
{
    for (uint64_t i = 0; i < spages; i++)
        if ((anon_seed(i) == SEED_CA) == child)
            pat_fill_page(sm, i, anon_seed(i));
    for (uint64_t i = 0; i < fpages; i++)
        if ((file_seed(i) == SEED_CF) == child)
            pat_fill_page(fm, i, file_seed(i));
}

static int child(long arg)
{
    (void)arg;
    char c = 'w';
    write_part(true);
    if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1) /* both parts written */
        return 2;
    return check_all("t_swapshared child") && check_all("t_swapshared child") ? 0 : 1;
}

/* The file of fpages pages with SEED_FILE's pattern, written with write(). */
static void make_file(void)
{
    pat_make_file(PATH, fpages, SEED_FILE);
}

/* Read the file back with read() and check what both sides wrote. */
static void check_file(void)
{
    static uint64_t buf[512];
    int fd = open(PATH, O_RDONLY);
    PCHECK(fd >= 0);
    for (uint64_t i = 0; i < fpages; i++) {
        PCHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
        PCHECK(pat_check_at("t_swapshared read()", buf, i, file_seed(i)));
    }
    PCHECK_EQ(read(fd, buf, sizeof buf), 0);
    PCHECK_EQ(close(fd), 0);
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_swapshared", argc, argv, &pct);
    spages = scaled(ram / 2, pct) + 1;
    fpages = scaled(ram / 8, pct) + 1;
    struct vmstat before = vm_now();
    long unowned = swap_unowned();
    unlink(PATH);
    make_file();
    int fd = open(PATH, O_RDWR);
    PCHECK(fd >= 0);
    fm = mmap(NULL, fpages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sm = mmap(NULL, spages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(fm != MAP_FAILED && sm != MAP_FAILED);
    for (uint64_t i = 0; i < fpages; i++) /* the mapping sees what write() wrote */
        PCHECK(pat_check_page("t_swapshared mapping", fm, i, SEED_FILE));
    struct hog *h = hog_start(scaled(ram, pct));
    PCHECK_EQ(pipe(to_parent), 0);
    PCHECK_EQ(pipe(to_child), 0);
    long pid = kid_fork(child, 0);
    write_part(false);
    char c;
    PCHECK_EQ(read(to_parent[0], &c, 1), 1);
    PCHECK_EQ(write(to_child[1], &c, 1), 1);
    bool ok = check_all("t_swapshared parent");
    long how, code;
    kid_wait(pid, &how, &code);
    PCHECK(ok);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK(check_all("t_swapshared parent, after the child"));
    hog_stop(h);
    PCHECK_EQ(msync(fm, fpages * 4096, MS_SYNC), 0);
    PCHECK_EQ(munmap(fm, fpages * 4096), 0);
    PCHECK_EQ(close(fd), 0);
    check_file();
    for (uint64_t i = 0; i < spages; i++)
        PCHECK(pat_check_page("t_swapshared at the end", sm, i, anon_seed(i)));
    PCHECK_EQ(munmap(sm, spages * 4096), 0);
    PCHECK_EQ(unlink(PATH), 0);
    struct vmstat after = vm_now();
    printf("t_swapshared: swap-outs %lu, swap-ins %lu, evictions %lu clean %lu dirty (%lu shared), "
           "written back %lu\n",
           after.swap_out - before.swap_out, after.swap_in - before.swap_in, after.evict_clean - before.evict_clean,
           after.evict_dirty - before.evict_dirty, after.evict_shared - before.evict_shared,
           after.writeback - before.writeback);
    if (spages + fpages + scaled(ram, pct) > ram) { /* it did not fit: the shared anonymous pages went to swap too */
        PCHECK(after.evict_dirty > before.evict_dirty);
        PCHECK(after.evict_shared > before.evict_shared);
    }
    slots_back_ok("t_swapshared", unowned);
    return 0;
}
