/* picolibc's <stdio.h>, with what its tiny stdio leaves out. */
#pragma once
#include_next <stdio.h>

#ifndef FILENAME_MAX
#define FILENAME_MAX 4096   /* the longest path name: PATH_MAX of <limits.h> */
#endif
