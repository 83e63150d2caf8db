/* pagesim: runs the pager policies' victim choice (servers/pager/policies,
   the same files the pager binaries link) on fixed reference traces against
   a simulated mechanism, beside Belady's optimal offline policy MIN, at
   several memory sizes. Every count repeats: the traces come from a fixed
   seed and nothing depends on time.

   pagesim            prints the table (major faults, pages written to swap)
   pagesim --csv F    also writes F: pattern,frames,policy,faults,writes

   The simulated mechanism: a reference to a resident page sets its accessed
   bit (and its dirty bit for a write); a reference to a page not resident is
   a major fault, which takes a free frame or evicts the policy's victim
   (a dirty victim is one page written to swap) and inserts the page with its
   accessed bit set. A page read back from swap is clean until written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

extern const struct policy clock_policy, fifo_policy, twoq_policy;
static const struct policy *const policies[] = { &clock_policy, &fifo_policy, &twoq_policy };
#define NPOL (sizeof policies / sizeof policies[0])

/* ---- traces ---------------------------------------------------------------- */


static uint64_t seed;
static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545F4914F6CDD1DULL;
}

static void add(struct trace *t, uint32_t page)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        if (!t->r) {
            perror("pagesim");
            exit(1);
        }
    }
    t->r[t->n++] = (struct ref){ page, rnd() % 4 == 0 };
    if (page + 1 > t->pages)
        t->pages = page + 1;
}

/* The four patterns. Memory sizes are 64..512 frames; 256 is "RAM" for the
   sequential loop (it loops over 1.5 times that). */
static void make_traces(struct trace *t)
{
    seed = 2026;
    t[0] = (struct trace){ .name = "seq", .what = "a loop over 384 pages, 10 times" };
    for (int pass = 0; pass < 10; pass++)
        for (uint32_t p = 0; p < 384; p++)
            add(&t[0], p);
    t[1] = (struct trace){ .name = "uniform", .what = "uniform random over 512 pages, 20000 references" };
    for (int i = 0; i < 20000; i++)
        add(&t[1], (uint32_t)(rnd() % 512));
    t[2] = (struct trace){ .name = "hotcold", .what = "80/20: 80% of 20000 references to 102 of 512 pages" };
    for (int i = 0; i < 20000; i++)
        add(&t[2], rnd() % 10 < 8 ? (uint32_t)(rnd() % 102) : 102 + (uint32_t)(rnd() % 410));
    t[3] = (struct trace){ .name = "scan", .what = "a hot set of 128 pages; a one-time scan of 2048 others, one scan page per hot reference" };
    for (int i = 0; i < 4000; i++)
        add(&t[3], (uint32_t)(rnd() % 128));
    for (uint32_t p = 0; p < 2048; p++) {
        add(&t[3], 128 + p);
        add(&t[3], (uint32_t)(rnd() % 128));
    }
    for (int i = 0; i < 4000; i++)
        add(&t[3], (uint32_t)(rnd() % 128));
}

int main(int argc, char **argv)
{
    FILE *csv = NULL;
    if (argc == 3 && strcmp(argv[1], "--csv") == 0) {
        csv = fopen(argv[2], "w");
        if (!csv) {
            perror(argv[2]);
            return 1;
        }
        fprintf(csv, "pattern,frames,policy,faults,writes\n");
    } else if (argc != 1) {
        fprintf(stderr, "usage: pagesim [--csv FILE]\n");
        return 1;
    }
#define NSIZES 6
    static const uint32_t sizes[NSIZES] = { 64, 128, 192, 256, 384, 512 };
    static struct result res[4][NSIZES][NPOL + 1];
    struct trace t[4];
    make_traces(t);
    printf("Major faults (pages written to swap) per policy; MIN is the optimum. eager evicts like clock.\n");
    for (int k = 0; k < 4; k++) {
        printf("\n%s: %s (%zu references, 1 in 4 a write)\n%8s %14s", t[k].name, t[k].what, t[k].n, "frames", "MIN");
        for (size_t j = 0; j < NPOL; j++)
            printf(" %20s", policies[j]->name);
        printf("\n");
        for (size_t s = 0; s < NSIZES; s++) {
            struct result m = res[k][s][0] = run_min(&t[k], sizes[s]);
            printf("%8u %6lu (%5lu)", sizes[s], (unsigned long)m.faults, (unsigned long)m.writes);
            for (size_t j = 0; j < NPOL; j++) {
                struct result r = res[k][s][j + 1] = run_policy(policies[j], &t[k], sizes[s]);
                printf(" %6lu (%5lu) %5.2fx", (unsigned long)r.faults, (unsigned long)r.writes,
                       m.faults ? (double)r.faults / (double)m.faults : 1.0);
            }
            printf("\n");
        }
    }
    for (int k = 0; k < 4 && csv; k++) /* one run of rows per pattern and policy: a line each in the plot */
        for (size_t j = 0; j <= NPOL; j++)
            for (size_t s = 0; s < NSIZES; s++)
                fprintf(csv, "%s,%u,%s,%lu,%lu\n", t[k].name, sizes[s], j ? policies[j - 1]->name : "MIN",
                        (unsigned long)res[k][s][j].faults, (unsigned long)res[k][s][j].writes);
    for (int k = 0; k < 4; k++)
        free(t[k].r);
    if (csv)
        fclose(csv);
    return 0;
}
