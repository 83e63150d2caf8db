/* The memory calls are the pager's: a task that tries them is refused. */
#include "test.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    /* slot 1 holds only the pager endpoint; no slot holds MEMORY, an address space or SYSCTL */
    for (long slot = 0; slot < 64; slot++) {
        CHECK_EQ(sys_map(slot, slot, 0x100000, 0x80400000, PERM_R | PERM_W), -EBADCAP);
        CHECK_EQ(sys_as_create(slot), -EBADCAP);
        CHECK_EQ(sys_unmap(slot, 0x10000, 1), -EBADCAP);
        CHECK_EQ(sys_protect(slot, 0x10000, 1, PERM_R), -EBADCAP);
        CHECK_EQ(sys_ad_bits(slot, 0x10000, 1, AD_CLEAR_A | AD_CLEAR_D, 0, 0), -EBADCAP);
        CHECK_EQ(sys_shutdown(slot), -EBADCAP);
        CHECK_EQ(sys_as_destroy(slot), -EBADCAP);
        CHECK_EQ(sys_thread_create(slot, 0x10000, 0, 0, 0, 0), -EBADCAP);
        CHECK_EQ(sys_map_device(slot, -1, 0x3000000000L, 0x101000, PERM_R), -EBADCAP);
        CHECK_EQ(sys_irq_bind(slot, 11, slot), -EBADCAP);
        CHECK_EQ(sys_irq_ack(slot, 11), -EBADCAP);
    }
    CHECK_EQ(sys_cap_copy(-1, PAGER_SLOT, 5, 0, 0), -EBADCAP);  /* 5 is no address space */
    CHECK_EQ(sys_cap_copy(-1, 0, -1, 0, 0), -EBADCAP);
    CHECK_EQ(sys_cap_copy(-1, 1, -1, 999, 0), -EINVAL);
    CHECK_EQ(sys_nop(), 0);
    /* the pager endpoint is for sending only, and a task cannot forge a fault */
    struct msg m = { 0 };
    CHECK_EQ(sys_recv(PAGER_SLOT, &m), -EBADCAP);
    m.label = MSG_FAULT;
    m.w[0] = 0x10000;
    m.w[1] = FAULT_WRITE;
    m.w[3] = 15;
    CHECK_EQ(sys_call(PAGER_SLOT, &m), 0);
    CHECK_EQ(m.w[0], -EPERM); /* an error reply */

    /* not a driver: no DMA memory, and asking where a device is gives no caps */
    uint64_t pa;
    CHECK(dma_alloc(4096, &pa) == NULL);
    CHECK(device_info(DEV_RTC, 0, 0) > 0);
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, 0x3000000000L, 0x101000, PERM_R), -EBADCAP);
    register long a7 asm("a7") = 999;
    register long a0 asm("a0") = 0;
    asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
    CHECK_EQ(a0, -ENOSYS);
    /* still alive and able to use memory */
    volatile char *p = anon_map(4096);
    CHECK(p != NULL);
    p[0] = 1;
    CHECK_EQ(p[0], 1);
    return 0;
}
