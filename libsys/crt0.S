# Start of every user program: sp points at argc, then argv[] (NULL-terminated).
    .section .text.start
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    ld a0, 0(sp)
    addi a1, sp, 8
    call main
    call exit
1:  j 1b
