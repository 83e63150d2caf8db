/* Calls into OpenSBI (M-mode firmware) through ecall. */
#pragma once
#include <stdint.h>

struct sbiret { long error; long value; };

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2, long a3);
void sbi_set_timer(uint64_t when);
void sbi_shutdown(void) __attribute__((noreturn));
int sbi_getchar(void); /* -1 when no input is waiting */
/* Start hart `hartid` at physical address pa in S-mode (a0 = hartid, a1 = opaque). Returns the SBI error (0: ok). */
long sbi_hart_start(uint64_t hartid, uint64_t pa, uint64_t opaque);
void sbi_send_ipi(uint64_t hartmask);        /* supervisor software interrupt to the harts in the mask */
