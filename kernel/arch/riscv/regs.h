/* The saved user registers of a thread: x1..x31 at index 0..30, then the pc,
   then the hart that entry.S last returned to the thread on.
   Shared by entry.S (offsets) and C (struct regs). */
#pragma once

#define REG_RA (0 * 8)
#define REG_SP (1 * 8)
#define REG_GP (2 * 8)
#define REG_TP (3 * 8)
#define REG_T0 (4 * 8)
#define REG_T1 (5 * 8)
#define REG_T2 (6 * 8)
#define REG_S0 (7 * 8)
#define REG_S1 (8 * 8)
#define REG_A0 (9 * 8)
#define REG_A1 (10 * 8)
#define REG_A2 (11 * 8)
#define REG_A3 (12 * 8)
#define REG_A4 (13 * 8)
#define REG_A5 (14 * 8)
#define REG_A6 (15 * 8)
#define REG_A7 (16 * 8)
#define REG_S2 (17 * 8)
#define REG_S3 (18 * 8)
#define REG_S4 (19 * 8)
#define REG_S5 (20 * 8)
#define REG_S6 (21 * 8)
#define REG_S7 (22 * 8)
#define REG_S8 (23 * 8)
#define REG_S9 (24 * 8)
#define REG_S10 (25 * 8)
#define REG_S11 (26 * 8)
#define REG_T3 (27 * 8)
#define REG_T4 (28 * 8)
#define REG_T5 (29 * 8)
#define REG_T6 (30 * 8)
#define REG_PC (31 * 8)
#define REG_HART (32 * 8) /* struct regs' hart: where the thread last returned to user mode */

/* A thread's floating-point registers (struct fpregs): f0..f31, then fcsr. */
#define FP_FCSR (32 * 8)

/* sstatus.FS, as struct thread keeps it (the field's value, not shifted). */
#define FS_OFF 0
#define FS_INITIAL 1
#define FS_CLEAN 2
#define FS_DIRTY 3
#define FS_SHIFT 13

#ifndef __ASSEMBLER__
#include <stdint.h>
/* Index helpers for C: r->x[REGI(A0)] */
#define RI_RA 0
#define RI_SP 1
#define RI_T0 4
#define RI_A0 9
#define RI_A1 10
#define RI_A2 11
#define RI_A3 12
#define RI_A4 13
#define RI_A5 14
#define RI_A6 15
#define RI_A7 16
#define RI_PC 31
struct hart;
struct regs { uint64_t x[32]; struct hart *hart; };
struct fpregs { uint64_t f[32]; uint64_t fcsr; };
#endif
