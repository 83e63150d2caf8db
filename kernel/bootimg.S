# The boot archive (pager, init, programs), built by tools/mkbootimg.py.
    .section .rodata
    .balign 4096
    .globl _bootimg_start, _bootimg_end
_bootimg_start:
    .incbin BOOTIMG_PATH
_bootimg_end:
