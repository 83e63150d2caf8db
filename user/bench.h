/* What the benchmark programs (bench, b_smp) share: medians of samples and
   the "@@BENCH name value" lines the runner collects. */
#pragma once
#include "sys.h"

static inline uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n is small */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return v[n / 2];
}

static inline void report(const char *name, uint64_t value)
{
    printf("@@BENCH %s %lu\n", name, value);
}
