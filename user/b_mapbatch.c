/* The batched-map benchmark, run by bench with RIGHT_DRIVER: a task cannot
   hold MEMORY, so it maps device pages (the RTC's page 16 times) with the DEVICE
   cap. 16 map_device calls against one map_batch of 16, each run at fresh
   addresses (a page table is made every 32 runs in both). Prints @@BENCH lines. */
#include "sys.h"

#define RUNS 501
#define N 16
#define VA_SINGLE 0x3000000000UL
#define VA_BATCH 0x3100000000UL

static uint64_t samples[RUNS];

static uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return v[n / 2];
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    long pa = device_info(DEV_RTC, NULL, NULL);
    if (pa <= 0) {
        printf("b_mapbatch: no RTC: %s\n", errstr(pa));
        return 1;
    }
    long pas[N];
    for (int k = 0; k < N; k++)
        pas[k] = pa;
    uint64_t a = rdinstret(), b = rdinstret(), ovh = b - a;
    for (int i = 0; i < RUNS; i++) {
        uint64_t va = VA_SINGLE + (uint64_t)i * N * 4096;
        long bad = 0;
        a = rdinstret();
        for (int k = 0; k < N; k++)
            bad |= sys_map_device(DRV_DEV_SLOT, -1, (long)(va + k * 4096UL), pa, PERM_R);
        b = rdinstret();
        if (bad) {
            printf("b_mapbatch: map_device: %ld\n", bad);
            return 1;
        }
        samples[i] = b - a - ovh;
    }
    printf("@@BENCH map_16_single %lu\n", median(samples, RUNS));
    for (int i = 0; i < RUNS; i++) {
        uint64_t va = VA_BATCH + (uint64_t)i * N * 4096;
        a = rdinstret();
        long r = sys_map_batch(DRV_DEV_SLOT, -1, (long)va, (long)pas, N, PERM_R);
        b = rdinstret();
        if (r != N) {
            printf("b_mapbatch: map_batch: %ld\n", r);
            return 1;
        }
        samples[i] = b - a - ovh;
    }
    printf("@@BENCH map_batch_16 %lu\n", median(samples, RUNS));
    return 0;
}
