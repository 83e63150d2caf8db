/* Fault-around (the policy's fault_around, PG_STAT bits POLICY_AROUND_SHIFT):
   a file of NP pages in the page cache, mapped and touched page by page in
   order, takes at most ceil(NP / (k + 1)) faults (and a little slack) under
   a policy with fault_around k, and vmstat's fault_around count grows by the
   pages mapped that way; under the other lazy policies it takes one fault per
   page and the count stays; under an eager one at most one per page. The
   data are the file's. MAP_PRIVATE read-only, then MAP_SHARED read-write:
   writes to pages that were mapped around reach the file on msync and
   munmap (dirty tracking sees them), and only those pages are written.
   Under an eager policy, anonymous regions (read-write, and read-only on
   the zero page) are mapped whole when made (vm_populate's map_batch runs):
   touching them takes no fault. */
#include "test.h"

#define NP 64
#define P 4096L
#define SLACK 2      /* a 2 MiB page-table boundary inside the mapping ends a run early */
#define SEED 77

static uint64_t my_faults(void)
{
    static struct proc_info pi[64];
    long n = ps(pi, 64), me = getpid();
    for (long i = 0; i < n && i < 64; i++)
        if (pi[i].pid == me)
            return pi[i].faults;
    CHECK(!"ps does not list this process");
    return 0;
}

/* Touch the NP pages at a in order (reads); check the faults that took
   against the policy's promise. Returns the faults. */
static uint64_t touch_all(const char *what, const uint8_t *a, long k, bool eager)
{
    volatile uint64_t sum = 0;
    (void)my_faults(); /* its own pages (the ps buffer) are in before counting */
    long around0 = (long)vm_now().fault_around;
    uint64_t f0 = my_faults();
    for (long i = 0; i < NP; i++)
        sum += *(volatile const uint64_t *)(a + i * P);
    uint64_t faults = my_faults() - f0;
    long around = (long)vm_now().fault_around - around0;
    printf("t_faround: %s: %lu faults for %d pages, %ld mapped around (fault_around %ld%s)\n", what,
           (unsigned long)faults, NP, around, k, eager ? ", eager" : "");
    if (eager) {
        CHECK(faults <= NP);
    } else if (k > 0) {
        CHECK(faults >= 1);
        CHECK(faults <= (uint64_t)((NP + k) / (k + 1) + SLACK));
        CHECK(around >= NP - (long)faults);
    } else {
        CHECK(faults >= NP);
        CHECK(faults <= NP + SLACK);
        CHECK_EQ(around, 0);
    }
    for (long i = 0; i < NP; i++)
        CHECK(pat_check_page("t_faround", (const uint64_t *)a, (uint64_t)i, SEED));
    return faults;
}

/* Read the whole file, so that every page is in the page cache. */
static void read_all(int fd)
{
    static uint8_t buf[P];
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    for (long i = 0; i < NP; i++)
        CHECK_EQ(read(fd, buf, P), P);
}

static uint64_t word_at(int fd, long off)
{
    uint64_t w = 0;
    CHECK_EQ(lseek(fd, off, SEEK_SET), off);
    CHECK_EQ(read(fd, &w, 8), 8);
    return w;
}

/* Eager: a new anonymous region of NP pages with rights prot is mapped at
   once; touching every page takes no fault (writes, or reads of zeros). */
static void eager_anon(int prot)
{
    uint8_t *a = mmap(NULL, NP * P, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    (void)my_faults();
    uint64_t f0 = my_faults();
    for (long i = 0; i < NP; i++) {
        volatile uint64_t *w = (volatile uint64_t *)(a + i * P);
        if (prot & PROT_WRITE)
            *w = (uint64_t)i;
        else
            CHECK_EQ(*w, 0);
    }
    uint64_t faults = my_faults() - f0;
    printf("t_faround: eager anonymous (%s): %lu faults for %d pages\n", prot & PROT_WRITE ? "rw" : "r",
           (unsigned long)faults, NP);
    CHECK_EQ(faults, 0);
    CHECK_EQ(munmap(a, NP * P), 0);
}

int main(void)
{
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    long k = (st.policy_flags >> POLICY_AROUND_SHIFT) & 0xff;
    bool eager = st.policy_flags & POLICY_EAGER;

    pat_make_file("/faround", NP, SEED);
    CHECK_EQ(sync_all(), 0); /* the file's own write-back is over: the write-back count below is ours */
    int fd = open("/faround", O_RDWR);
    CHECK(fd >= 0);
    read_all(fd);

    /* private, read-only */
    uint8_t *a = mmap(NULL, NP * P, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED);
    touch_all("private", a, k, eager);
    CHECK_EQ(munmap(a, NP * P), 0);

    /* shared, read-write: read in order, then write to pages the reads
       did not fault on (mapped around under fault_around) */
    read_all(fd);
    a = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    touch_all("shared", a, k, eager);
    long w0 = (long)vm_now().writeback;
    *(volatile uint64_t *)(a + 5 * P + 8) = 0x5555;
    *(volatile uint64_t *)(a + 9 * P) = 0x9999;
    CHECK_EQ(msync(a, NP * P, MS_SYNC), 0);
    CHECK_EQ((long)vm_now().writeback - w0, 2); /* the two written pages, and no other */
    CHECK_EQ(msync(a, NP * P, MS_SYNC), 0);
    CHECK_EQ((long)vm_now().writeback - w0, 2); /* clean now */
    *(volatile uint64_t *)(a + 13 * P + 16) = 0x1313;
    CHECK_EQ(munmap(a, NP * P), 0);
    CHECK_EQ(close(fd), 0); /* nobody holds the file: its pages come from the disk again */
    long r0 = (long)vm_now().file;
    fd = open("/faround", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(word_at(fd, 5 * P + 8), 0x5555);
    CHECK_EQ(word_at(fd, 9 * P), 0x9999);
    CHECK_EQ(word_at(fd, 13 * P + 16), 0x1313);
    CHECK_EQ(word_at(fd, 6 * P), pat_word(6 * P, SEED));
    CHECK_EQ((long)vm_now().writeback - w0, 3);
    CHECK((long)vm_now().file > r0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("/faround"), 0);
    if (eager) {
        eager_anon(PROT_READ | PROT_WRITE);
        eager_anon(PROT_READ);
    }
    printf("t_faround: ok\n");
    return 0;
}
