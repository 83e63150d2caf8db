# Start of every user program: a0 = the argument its parent gave; sp is set.
    .section .text.start
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    call main
    call exit
1:  j 1b
