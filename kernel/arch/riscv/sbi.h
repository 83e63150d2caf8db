/* Calls into OpenSBI (M-mode firmware) through ecall. */
#pragma once
#include <stdint.h>

struct sbiret { long error; long value; };

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);
void sbi_set_timer(uint64_t when);
void sbi_shutdown(void) __attribute__((noreturn));
int sbi_getchar(void); /* -1 when no input is waiting */
