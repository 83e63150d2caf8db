/* The signal entry: the pager starts a thread here to run a handler, with
   a0 = the signal, a1 = the frame it pushed (its registers and mask) and sp
   = that frame. The f registers and fcsr are kept here, around the handler,
   since the frame holds only the x registers; then PG_SIGRETURN. */
    .section .text
    .globl __sig_entry
__sig_entry:
    addi sp, sp, -272
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, (\n * 8)(sp)
    .endr
    frcsr t0
    sd t0, 256(sp)
    mv s0, a1                 /* the frame: s0 itself is in it */
    call __sig_handle         /* a0: the signal */
    ld t0, 256(sp)
    fscsr t0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, (\n * 8)(sp)
    .endr
    mv a0, s0
    call __sig_return         /* never returns */
1:  j 1b
