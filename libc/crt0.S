# Start of every user program: sp points at argc, then argv[] (NULL-terminated),
# envp[] (NULL-terminated) and the auxiliary vector; __start (start.c) does the rest.
    .section .text.start
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    mv a0, sp
    call __start
1:  j 1b
