/* pmap [PID]: print the regions of a process's address space, like
   /proc/PID/maps: range, rights (rwx, then p private or s shared), kind,
   size, resident pages, pages on the swap disk, and [heap]/[stack] for those;
   then the totals and the pages of the pager's shadow page table for it
   (bookkeeping, in no region). */
#include "sys.h"

#define PAGE 4096

/* The regions of pid in a malloc'ed array (*n of them), or NULL (reported). */
static struct region_info *get_regions(long pid, long *n)
{
    long max = 32;
    for (;;) {
        struct region_info *ri = malloc((size_t)max * sizeof *ri);
        if (!ri) {
            dprintf(2, "pmap: out of memory\n");
            return NULL;
        }
        long r = pmap(pid, ri, max);
        if (r < 0) {
            dprintf(2, "pmap: %ld: %s\n", pid, errstr(r));
            free(ri);
            return NULL;
        }
        if (r <= max) {
            *n = r;
            return ri;
        }
        free(ri); /* more regions than room: ask again with enough */
        max = r + 8;
    }
}

/* The pages of the pager's shadow page table for pid (its bookkeeping for that
   address space, not in any region), from ps; -1 when ps fails. */
static long shadow_pages(long pid)
{
    static struct proc_info pi[128];
    long np = ps(pi, 128);
    for (long i = 0; i < np && i < 128; i++)
        if (pi[i].pid == pid)
            return (long)pi[i].shadow;
    return -1;
}

/* Print one region's line. */
static void print_region(const struct region_info *r)
{
    char kind[17];
    size_t k = 0;
    for (; k < sizeof r->kind && r->kind[k]; k++)
        kind[k] = r->kind[k];
    while (k < 6)
        kind[k++] = ' ';
    kind[k] = 0;
    const char *label = r->flags & 1 ? " [heap]" : r->flags & 2 ? " [stack]" : "";
    printf("%016lx-%016lx %c%c%c%c %s %6luK resident %lu swapped %lu%s\n", r->start, r->end,
           r->prot & PROT_READ ? 'r' : '-', r->prot & PROT_WRITE ? 'w' : '-',
           r->prot & PROT_EXEC ? 'x' : '-', r->shared ? 's' : 'p', kind,
           (r->end - r->start) / 1024, r->resident, r->swapped, label);
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && !is_number(argv[1]))) {
        dprintf(2, "usage: pmap [PID]   (itself, or a process it started; init sees all)\n");
        return 2;
    }
    long pid = argc == 2 ? atol(argv[1]) : getpid(), n;
    struct region_info *ri = get_regions(pid, &n);
    if (!ri)
        return 1;
    uint64_t size = 0, resident = 0, swapped = 0;
    for (long i = 0; i < n; i++) {
        print_region(&ri[i]);
        size += ri[i].end - ri[i].start;
        resident += ri[i].resident;
        swapped += ri[i].swapped;
    }
    printf("total %luK in %ld regions, %lu pages (%luK) resident, %lu (%luK) on swap; shadow table %ld pages\n",
           size / 1024, n, resident, resident * PAGE / 1024, swapped, swapped * PAGE / 1024, shadow_pages(pid));
    free(ri);
    return 0;
}
