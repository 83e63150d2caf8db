/* An interrupt reaches a user-level driver as a notification: this task (a
   driver by the pager's list) maps the goldfish RTC's registers, binds its
   interrupt, sets an alarm 20 ms ahead and waits for it. Device mappings are
   limited to device pages and never executable. */
#include "test.h"

#define RTC_TIME_LOW 0x00
#define RTC_TIME_HIGH 0x04
#define RTC_ALARM_LOW 0x08
#define RTC_ALARM_HIGH 0x0c
#define RTC_IRQ_ENABLED 0x10
#define RTC_CLEAR_INTERRUPT 0x1c
#define VA 0x3000000000L

static volatile uint32_t *rtc;

static uint64_t rtc_now(void)
{
    uint64_t lo = rtc[RTC_TIME_LOW / 4]; /* reading the low half latches the high half */
    return ((uint64_t)rtc[RTC_TIME_HIGH / 4] << 32) | lo;
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    long size, irq;
    long base = device_info(DEV_RTC, &size, &irq);
    CHECK(base > 0);
    CHECK_EQ(size, 4096);
    CHECK(irq > 0);

    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA, base, PERM_R | PERM_W | PERM_X), -EINVAL);
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA, 0x80200000L, PERM_R), -EPERM);  /* the kernel */
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA, 0x0c000000L, PERM_R), -EPERM);  /* the PLIC */
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA + 1, base, PERM_R), -EINVAL);
    CHECK_EQ(sys_map_device(PAGER_SLOT, -1, VA, base, PERM_R), -EBADCAP);
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA, base, PERM_R | PERM_W), 0);
    rtc = (volatile uint32_t *)VA;

    long n = sys_ntfn_create();
    CHECK(n > 0);
    CHECK_EQ(sys_irq_bind(DRV_IRQ_SLOT, 0, n), -EINVAL);
    CHECK_EQ(sys_irq_bind(DRV_IRQ_SLOT, 1000, n), -EINVAL);
    CHECK_EQ(sys_irq_bind(PAGER_SLOT, irq, n), -EBADCAP);
    CHECK_EQ(sys_irq_bind(DRV_IRQ_SLOT, irq, n), 0);
    CHECK_EQ(sys_irq_bind(DRV_IRQ_SLOT, irq, n), -EBUSY);

    /* DMA memory: physically contiguous and pinned, for device queues */
    uint64_t pa = 0;
    volatile uint64_t *dma = dma_alloc(3 * 4096, &pa);
    CHECK(dma != NULL);
    CHECK(pa != 0 && (pa & 4095) == 0);
    dma[0] = 1;
    dma[2 * 512] = 2;   /* the third page (the region is rounded up to 4) */
    CHECK(dma_alloc(0, &pa) == NULL);
    CHECK(dma_alloc(64UL << 20, &pa) == NULL);

    for (int round = 0; round < 3; round++) {
        uint64_t alarm = rtc_now() + 20 * 1000 * 1000; /* ns */
        rtc[RTC_IRQ_ENABLED / 4] = 1;
        rtc[RTC_ALARM_HIGH / 4] = (uint32_t)(alarm >> 32);
        rtc[RTC_ALARM_LOW / 4] = (uint32_t)alarm;   /* arms the alarm */
        CHECK_EQ(sys_wait(n), 1);
        CHECK(rtc_now() >= alarm);
        rtc[RTC_CLEAR_INTERRUPT / 4] = 1;
        CHECK_EQ(sys_irq_ack(DRV_IRQ_SLOT, irq), 0);
    }
    return 0;
}
