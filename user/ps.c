/* ps: list the processes: PID PPID STATE FAULTS RES SWAP HART NAME (RES: pages
   of its regions in memory; SWAP: pages of its regions on the swap disk; HART:
   the hart its thread last ran on). */
#include "sys.h"

/* The processes in a malloc'ed array (*n of them), or NULL (reported). */
static struct proc_info *get_procs(long *n)
{
    long max = 64;
    for (;;) {
        struct proc_info *pi = malloc((size_t)max * sizeof *pi);
        if (!pi) {
            dprintf(2, "ps: out of memory\n");
            return NULL;
        }
        long r = ps(pi, max);
        if (r < 0) {
            dprintf(2, "ps: %s\n", errstr(r));
            free(pi);
            return NULL;
        }
        if (r <= max) {
            *n = r;
            return pi;
        }
        free(pi); /* more processes than room: ask again with enough */
        max = r + 16;
    }
}

static const char *state_name(uint64_t state)
{
    return state == 1 ? "run   " : state == 2 ? "zombie" : "?     ";
}

int main(void)
{
    long n;
    struct proc_info *pi = get_procs(&n);
    if (!pi)
        return 1;
    printf("  PID  PPID STATE  FAULTS    RES   SWAP HART NAME\n");
    for (long i = 0; i < n; i++) {
        char name[sizeof pi[i].name + 1];
        memcpy(name, pi[i].name, sizeof pi[i].name);
        name[sizeof pi[i].name] = 0;
        char hart[24] = "-";
        if (pi[i].hart >= 0)
            snprintf(hart, sizeof hart, "%ld", (long)pi[i].hart);
        printf("%5ld %5ld %s %7lu %6lu %6lu %4s %s\n", (long)pi[i].pid, (long)pi[i].parent, state_name(pi[i].state),
               (unsigned long)pi[i].faults, (unsigned long)pi[i].resident, (unsigned long)pi[i].swapped, hart, name);
    }
    free(pi);
    return 0;
}
