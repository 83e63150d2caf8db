/* picolibc's <stdio.h>, with what its tiny stdio leaves out. */
#pragma once
#include_next <stdio.h>

#ifndef FILENAME_MAX
#define FILENAME_MAX 1024   /* the longest path name: PATH_MAX (picolibc's sys/syslimits.h; abi.def) */
#endif

/* libc/unix.c: a command run by /bin/sh -c, its output to read or input to write. */
FILE *popen(const char *cmd, const char *mode);
int pclose(FILE *f);
