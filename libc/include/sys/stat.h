/* picolibc's <sys/stat.h>, with lstat (declared there only for some systems;
   this file system has no symbolic links, so it is stat). */
#pragma once
#include_next <sys/stat.h>

int lstat(const char *restrict path, struct stat *restrict st);
