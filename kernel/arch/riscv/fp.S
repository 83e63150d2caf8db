# Saving and loading a thread's floating-point registers. The kernel is built
# without F and D and never uses these registers otherwise; the caller (fp.c)
# has sstatus.FS on (not Off) around these, or they trap.
#include "regs.h"

    .option push
    .option arch, +d
    .text

# void fp_save(struct fpregs *f): f0..f31 and fcsr into f.
    .globl fp_save
fp_save:
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\i, \i*8(a0)
    .endr
    frcsr t0
    sd t0, FP_FCSR(a0)
    ret

# void fp_load(const struct fpregs *f): f0..f31 and fcsr from f.
    .globl fp_load
fp_load:
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\i, \i*8(a0)
    .endr
    ld t0, FP_FCSR(a0)
    fscsr t0
    ret
    .option pop
