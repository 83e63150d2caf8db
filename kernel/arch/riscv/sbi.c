#include "sbi.h"

#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_IPI 0x735049
#define SBI_LEGACY_GETCHAR 0x02
#define SBI_LEGACY_SHUTDOWN 0x08

/* Make one SBI call; returns the firmware's error/value pair. */
struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2, long a3)
{
    register long r0 asm("a0") = a0;
    register long r1 asm("a1") = a1;
    register long r2 asm("a2") = a2;
    register long r3 asm("a3") = a3;
    register long r6 asm("a6") = fid;
    register long r7 asm("a7") = ext;
    asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ r0, r1 };
}

/* Ask for a supervisor timer interrupt at time `when` (in timebase ticks). */
void sbi_set_timer(uint64_t when)
{
    sbi_call(SBI_EXT_TIME, 0, (long)when, 0, 0, 0);
}

/* Power the machine off (system reset extension, legacy call as a fallback). */
void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0 /* shutdown */, 0 /* no reason */, 0, 0);
    sbi_call(SBI_LEGACY_SHUTDOWN, 0, 0, 0, 0, 0);
    for (;;)
        asm volatile("wfi");
}

/* One byte of console input, or -1 when none is waiting. */
int sbi_getchar(void)
{
    struct sbiret r = sbi_call(SBI_LEGACY_GETCHAR, 0, 0, 0, 0, 0);
    return r.error < 0 ? -1 : (int)r.error;
}

long sbi_hart_start(uint64_t hartid, uint64_t pa, uint64_t opaque)
{
    return sbi_call(SBI_EXT_HSM, 0, (long)hartid, (long)pa, (long)opaque, 0).error;
}

void sbi_send_ipi(uint64_t hartmask)
{
    sbi_call(SBI_EXT_IPI, 0, (long)hartmask, 0 /* mask base: hart 0 */, 0, 0);
}
